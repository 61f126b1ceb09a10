# Stage 1: gradient-descent simulations, one job per experiment case (all seeds batched).


rule simulate:
    output:
        "results/{experiment}/{case}.npz",
    log:
        "logs/simulate/{experiment}/{case}.log",
    benchmark:
        "results/benchmarks/simulate/{experiment}/{case}.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=120,
        mem_mb=4000,
    params:
        spec=lambda wc: case_spec(wc.experiment, wc.case),
        name=lambda wc: f"{wc.experiment}/{wc.case}",
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/simulate.py"

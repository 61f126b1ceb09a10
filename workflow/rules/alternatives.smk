# Time-averaged loss and optimizers (config `alternatives`): one job per method, all runs
# of a method batched, from the initial parameters of a score-matching case.
rule alternative:
    input:
        f"results/{ALTERNATIVES['case']}.npz",
    output:
        "results/alternatives/{method}.npz",
    log:
        "logs/alternatives/{method}.log",
    benchmark:
        "results/benchmarks/alternatives/{method}.tsv"
    wildcard_constraints:
        method="[A-Za-z0-9_.-]+",
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        case=ALTERNATIVES["case"],
        spec=source_case_spec(ALTERNATIVES),
        method=lambda wc: ALTERNATIVES["methods"][wc.method],
        runs=ALTERNATIVES["runs"],
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/alternative.py"


rule plot_alternatives:
    input:
        sm=f"results/{ALTERNATIVES['case']}.npz",
        methods=[f"results/alternatives/{m}.npz" for m in ALTERNATIVES["methods"]],
    output:
        json="results/alternatives/summary.json",
        pdf="figures/alternatives.pdf",
        png=report(
            "figures/alternatives.png",
            caption="../report/alternatives.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/alternatives/plot.log",
    benchmark:
        "results/benchmarks/alternatives/plot.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        experiment="alternatives",
        title="Time-averaged loss, SGD and Adam vs GD",
        case=ALTERNATIVES["case"],
        spec=source_case_spec(ALTERNATIVES),
        methods=list(ALTERNATIVES["methods"]),
        method_settings=ALTERNATIVES["methods"],
        settings=method_fit_settings(),
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/plot_methods.py"

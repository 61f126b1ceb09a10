# Gradient EM baseline (config `gradient_em`): the first term of the score-matching gradient
# only, from the initial parameters of a score-matching case.
rule gradient_em:
    input:
        f"results/{GRADIENT_EM['case']}.npz",
    output:
        "results/gradient_em/trajectories.npz",
    log:
        "logs/gradient_em/run.log",
    benchmark:
        "results/benchmarks/gradient_em/run.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        case=GRADIENT_EM["case"],
        spec=source_case_spec(GRADIENT_EM),
        runs=GRADIENT_EM["runs"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/gradient_em.py"


rule plot_gradient_em:
    input:
        sm=f"results/{GRADIENT_EM['case']}.npz",
        methods=["results/gradient_em/trajectories.npz"],
    output:
        json="results/gradient_em/summary.json",
        pdf="figures/gradient_em.pdf",
        png=report(
            "figures/gradient_em.png",
            caption="../report/gradient_em.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/gradient_em/plot.log",
    benchmark:
        "results/benchmarks/gradient_em/plot.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        experiment="gradient_em",
        title="Gradient EM vs score matching",
        case=GRADIENT_EM["case"],
        spec=source_case_spec(GRADIENT_EM),
        methods=["gradient EM"],
        method_settings={},
        settings=method_fit_settings(),
        command=lambda wc, output: regenerate_command(output.json),
    script:
        "../../scripts/plot_methods.py"

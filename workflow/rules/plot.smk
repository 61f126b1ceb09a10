# Stage 3: figures, each from the result files of its experiment.


rule plot_fig1:
    input:
        case_results("fig1"),
    output:
        pdf="figures/fig1.pdf",
        png=report(
            "figures/fig1.png", caption="../report/fig1.rst", category="Figure 1"
        ),
    log:
        "logs/plot/fig1.log",
    benchmark:
        "results/benchmarks/plot/fig1.tsv"
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        cases=case_names("fig1"),
        section={
            **{case: config["fig1"]["cases"][case] for case in case_names("fig1")},
            "defaults": config["fig1"]["defaults"],
        },
        command=lambda wc, output: regenerate_command(output.pdf),
    script:
        "../../scripts/plot_fig1.py"

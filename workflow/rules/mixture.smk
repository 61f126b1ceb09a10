# Past the paper: a Gaussian-mixture ground truth (config `mixture`). One simulation job
# per (kind, n, Delta) case with every seed (and spread) batched; one summary and one
# figure per kind.


include: "mixture_common.smk"


localrules:
    mixture_summary,
    plot_mixture,


rule mixture_case:
    output:
        "results/mixture/{kind}/n{n}_D{delta}.npz",
    log:
        "logs/mixture/{kind}/n{n}_D{delta}.log",
    benchmark:
        "results/benchmarks/mixture/{kind}/n{n}_D{delta}.tsv"
    wildcard_constraints:
        kind="|".join(MIXTURE_KINDS),
        n="[0-9]+",
        delta="[0-9.e+-]+",
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        settings=lambda wc: mixture_case_settings(wc.kind),
        separation=lambda wc: mixture_separation(wc.kind, wc.delta),
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/mixture_case.py"


rule mixture_summary:
    input:
        lambda wc: mixture_case_results(wc.kind),
    output:
        "results/mixture/{kind}.json",
    log:
        "logs/mixture/{kind}_summary.log",
    benchmark:
        "results/benchmarks/mixture/{kind}_summary.tsv"
    wildcard_constraints:
        kind="|".join(MIXTURE_KINDS),
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=MIXTURE,
        tail={
            "decades": RATES["tail_decades"],
            "min_points": RATES["min_tail_points"],
            "n_boot": RATES["n_boot"],
        },
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/mixture_summary.py"


rule plot_mixture:
    input:
        summary="results/mixture/{kind}.json",
        cases=lambda wc: mixture_case_results(wc.kind),
    output:
        pdf="figures/mixture_{kind}.pdf",
        png=report(
            "figures/mixture_{kind}.png",
            caption="../report/mixture.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/mixture/{kind}_plot.log",
    benchmark:
        "results/benchmarks/mixture/{kind}_plot.tsv"
    wildcard_constraints:
        kind="|".join(MIXTURE_KINDS),
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=MIXTURE,
        command=lambda wc, output: regenerate_command(output.pdf),
    script:
        "../../scripts/mixture_plot.py"

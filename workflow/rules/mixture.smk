# Past the paper: a Gaussian-mixture ground truth (config `mixture` and its further
# truths). One simulation job per (section, kind, n, Delta) case with every seed (and
# spread) batched; one summary and one figure per (section, kind).


include: "mixture_common.smk"


localrules:
    mixture_summary,
    plot_mixture,


rule mixture_case:
    output:
        "results/{section}/{kind}/n{n}_D{delta}.npz",
    log:
        "logs/{section}/{kind}/n{n}_D{delta}.log",
    benchmark:
        "results/benchmarks/{section}/{kind}/n{n}_D{delta}.tsv"
    wildcard_constraints:
        section="|".join(MIXTURE_SECTIONS),
        kind="|".join(MIXTURE_KINDS),
        n="[0-9]+",
        delta="[0-9.e+-]+",
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        settings=lambda wc: mixture_case_settings(wc.section, wc.kind),
        separation=lambda wc: labelled_value(
            MIXTURE_SECTIONS[wc.section][wc.kind]["separations"],
            wc.delta,
            key=f"{mixture_key(wc.section)}/{wc.kind}/separations",
        ),
        root_seed=config["root_seed"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/mixture_case.py"


rule mixture_summary:
    input:
        lambda wc: mixture_case_results(wc.section, wc.kind),
    output:
        "results/{section}/{kind}.json",
    log:
        "logs/{section}/{kind}_summary.log",
    benchmark:
        "results/benchmarks/{section}/{kind}_summary.tsv"
    wildcard_constraints:
        section="|".join(MIXTURE_SECTIONS),
        kind="|".join(MIXTURE_KINDS),
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=lambda wc: MIXTURE_SECTIONS[wc.section],
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
        summary="results/{section}/{kind}.json",
        cases=lambda wc: mixture_case_results(wc.section, wc.kind),
    output:
        pdf="figures/{section}_{kind}.pdf",
        png=report(
            "figures/{section}_{kind}.png",
            caption="../report/mixture.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/{section}/{kind}_plot.log",
    benchmark:
        "results/benchmarks/{section}/{kind}_plot.tsv"
    wildcard_constraints:
        section="|".join(MIXTURE_SECTIONS),
        kind="|".join(MIXTURE_KINDS),
    conda:
        "../envs/runtime.yaml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=lambda wc: MIXTURE_SECTIONS[wc.section],
        command=lambda wc, output: regenerate_command(output.pdf),
    script:
        "../../scripts/mixture_plot.py"

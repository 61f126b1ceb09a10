# Past the paper: a Gaussian-mixture ground truth (config `mixture`). One simulation job
# per (kind, n, Delta) case with every seed (and spread) batched; one summary and one
# figure per kind.
import numpy as np

MIXTURE = config.get("mixture")
MIXTURE_KINDS = ["exact", "over", "small_init"]
# keys of the shared section that only the summaries read
MIXTURE_SUMMARY_KEYS = {"level", "exact", "over", "small_init"}


def mixture_label(value):
    return f"{value:g}"


def mixture_student_counts(kind):
    if kind == "exact":
        return [MIXTURE["components"]]
    if kind == "over":
        return MIXTURE["over"]["n_components"]
    return [MIXTURE["small_init"]["n_components"]]


def mixture_case_results(kind):
    return [
        f"results/mixture/{kind}/n{n}_D{mixture_label(delta)}.npz"
        for n in mixture_student_counts(kind)
        for delta in MIXTURE[kind]["separations"]
    ]


def mixture_sigmas(kind):
    """The initial spreads of one kind's cases: one, or the small-init log grid."""
    if kind != "small_init":
        return [MIXTURE[kind]["sigma"]]
    grid = MIXTURE["small_init"]["sigma_log10"]
    return np.logspace(grid["start"], grid["stop"], grid["num"]).tolist()


def mixture_case_settings(kind):
    """What one case depends on: the shared settings and its kind's seeds (not the grids
    or summary thresholds, so that adding a Delta or an n reruns nothing else)."""
    shared = {k: v for k, v in MIXTURE.items() if k not in MIXTURE_SUMMARY_KEYS}
    return {**shared, "runs": MIXTURE[kind]["runs"], "sigmas": mixture_sigmas(kind)}


def mixture_separation(kind, label):
    """The configured separation of `kind` whose wildcard label is `label`."""
    matches = [d for d in MIXTURE[kind]["separations"] if mixture_label(d) == label]
    if not matches:
        raise ValueError(
            f"mixture.{kind}.separations: no separation labelled {label!r}"
        )
    return matches[0]


def mixture_targets():
    if not MIXTURE:
        return []
    return [f"results/mixture/{kind}.json" for kind in MIXTURE_KINDS] + expand(
        "figures/mixture_{kind}.{ext}", kind=MIXTURE_KINDS, ext=["pdf", "png"]
    )


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
        "../../environment.yml"
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
        "../../environment.yml"
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
        "../../environment.yml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        section=MIXTURE,
        command=lambda wc, output: regenerate_command(output.pdf),
    script:
        "../../scripts/mixture_plot.py"

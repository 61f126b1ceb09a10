# Helpers of workflow/rules/mixture.smk: the mixture ground-truth experiments.
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

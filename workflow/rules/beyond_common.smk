# Helpers of the issue-7 stage (workflow/rules/beyond.smk): "past the paper" experiments.
import numpy as np

PHASE = config.get("phase")
NOISE_SCALE = config.get("noise_scale")


def phase_sigmas():
    """The phase diagram's initial spreads: log-spaced, increasing."""
    grid = PHASE["sigma_log10"]
    return np.logspace(grid["start"], grid["stop"], grid["num"]).tolist()


def phase_label(distance):
    return f"{distance:g}"


def phase_distance(label):
    """The configured distance M whose wildcard label is `label`."""
    matches = [m for m in PHASE["distances"] if phase_label(m) == label]
    if not matches:
        raise ValueError(f"phase: no distance labelled {label!r}")
    return matches[0]


def phase_columns():
    return [
        f"results/phase/n{n}_M{phase_label(m)}.npz"
        for n in PHASE["n_components"]
        for m in PHASE["distances"]
    ]


def beyond_targets():
    """Every result and figure of the issue-7 experiments present in the config."""
    targets = []
    if PHASE:
        targets += ["results/phase/critical_spread.json"]
        targets += expand("figures/phase_diagram.{ext}", ext=["pdf", "png"])
    if GRADIENT_EM:
        targets += ["results/gradient_em/summary.json"]
        targets += expand("figures/gradient_em.{ext}", ext=["pdf", "png"])
    if NOISE_SCALE:
        targets += ["results/noise_scale/fractions.json"]
        targets += expand("figures/noise_scale.{ext}", ext=["pdf", "png"])
    return targets


GRADIENT_EM = config.get("gradient_em")


def gradient_em_spec():
    experiment, case = GRADIENT_EM["case"].split("/", 1)
    return case_spec(experiment, case)

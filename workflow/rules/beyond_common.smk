# Helpers of the "past the paper" stage (workflow/rules/beyond.smk).
import numpy as np

from scorematch.phase import PHASE_GRID_KEYS, phase_diagrams

PHASE = config.get("phase")
NOISE_SCALE = config.get("noise_scale")
GRADIENT_EM = config.get("gradient_em")
ALTERNATIVES = config.get("alternatives")


PHASE_DIAGRAMS = phase_diagrams(PHASE) if PHASE else {}


def phase_sigmas(diagram):
    """A phase diagram's initial spreads: log-spaced, increasing."""
    grid = PHASE_DIAGRAMS[diagram]["sigma_log10"]
    return np.logspace(grid["start"], grid["stop"], grid["num"]).tolist()


def phase_column_settings(diagram):
    """A diagram's settings without its grid-wide keys, so that adding an n or an M to the
    grid does not rerun the columns already computed (their params stay the same)."""
    settings = PHASE_DIAGRAMS[diagram]
    return {
        key: value
        for key, value in settings.items()
        if key not in [*PHASE_GRID_KEYS, "level"]
    }


def phase_label(distance):
    return f"{distance:g}"


def phase_distance(diagram, label):
    """The distance M of a diagram whose wildcard label is `label`."""
    matches = [
        m for m in PHASE_DIAGRAMS[diagram]["distances"] if phase_label(m) == label
    ]
    if not matches:
        raise ValueError(f"phase.diagrams.{diagram}: no distance labelled {label!r}")
    return matches[0]


def phase_columns():
    return [
        f"results/phase/{name}/n{n}_M{phase_label(m)}.npz"
        for name, settings in PHASE_DIAGRAMS.items()
        for n in settings["n_components"]
        for m in settings["distances"]
    ]


def beyond_targets():
    """Every result and figure of the "past the paper" experiments present in the config."""
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
    if ALTERNATIVES:
        targets += ["results/alternatives/summary.json"]
        targets += expand("figures/alternatives.{ext}", ext=["pdf", "png"])
    return targets


def source_case_spec(section):
    """The run specification of the score-matching case a section starts from."""
    experiment, case = section["case"].split("/", 1)
    return case_spec(experiment, case)


def method_fit_settings():
    """The rates stage's tail-fit settings, used for every method comparison."""
    return {
        key: RATES[key]
        for key in ["tail_decades", "min_tail_points", "slope_window_decades"]
    }


def alternative_results():
    return [f"results/alternatives/{method}.npz" for method in ALTERNATIVES["methods"]]

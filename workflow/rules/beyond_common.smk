# Helpers of the "past the paper" stage (workflow/rules/beyond.smk).
import numpy as np

PHASE = config.get("phase")
NOISE_SCALE = config.get("noise_scale")
GRADIENT_EM = config.get("gradient_em")
ALTERNATIVES = config.get("alternatives")


def phase_sigmas():
    """The phase diagram's initial spreads: log-spaced, increasing."""
    grid = PHASE["sigma_log10"]
    return np.logspace(grid["start"], grid["stop"], grid["num"]).tolist()


def phase_column_settings():
    """The phase section without its grid-wide keys, so that adding an n or an M to the
    grid does not rerun the columns already computed (their params stay the same)."""
    grid_keys = {"n_components", "distances", "sigma_log10", "level"}
    return {key: value for key, value in PHASE.items() if key not in grid_keys}


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

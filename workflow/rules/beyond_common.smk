# Helpers of the "past the paper" stage (workflow/rules/beyond.smk).
from scorematch.phase import PHASE_GRID_KEYS, phase_diagrams

PHASE = config.get("phase")
NOISE_SCALE = config.get("noise_scale")
GRADIENT_EM = config.get("gradient_em")
ALTERNATIVES = config.get("alternatives")


PHASE_DIAGRAMS = phase_diagrams(PHASE) if PHASE else {}


def phase_column_settings(diagram):
    """A diagram's settings without its grid-wide keys, so that adding an n or an M to the
    grid does not rerun the columns already computed (their params stay the same)."""
    settings = PHASE_DIAGRAMS[diagram]
    return {
        key: value
        for key, value in settings.items()
        if key not in [*PHASE_GRID_KEYS, "level"]
    }


def phase_columns():
    return [
        f"results/phase/{name}/n{n}_M{wildcard_label(m)}.npz"
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

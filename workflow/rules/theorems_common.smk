# Helpers of the theorem stage (workflow/rules/theorems.smk): experiments with verdicts
# and figures, their settings and targets.
THEOREMS = config.get("theorems", {})
# GD experiments with verdicts (config sections with cases and thresholds in `theorems`)
VERDICT_EXPERIMENTS = [
    name for name in ["thm2_1", "thm3_2", "thm3_4", "thm3_5", "fig1"] if name in config
]
# GD experiments with a figure from plot_theorem
THEOREM_FIGURES = [
    name for name in ["thm2_1", "thm3_2", "thm3_4", "thm3_5"] if name in config
]


def theorem_settings(theorem):
    """The verdict thresholds of one experiment ({} when it has none)."""
    return THEOREMS.get(theorem, {})


def theorem_specs(theorem):
    return {case: case_spec(theorem, case) for case in case_names(theorem)}


def theorem_targets():
    """Every figure and verdict file of the theorem experiments."""
    names = THEOREM_FIGURES + (["thm3_1"] if "thm3_1" in config else [])
    return expand("figures/{name}.{ext}", name=names, ext=["pdf", "png"])


def theorem_verdict_files():
    names = VERDICT_EXPERIMENTS + (["thm3_1"] if "thm3_1" in config else [])
    return [f"results/verdicts/{name}.json" for name in names]

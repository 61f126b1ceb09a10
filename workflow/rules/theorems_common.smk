# Helpers of the theorem stage (workflow/rules/theorems.smk): experiments with a figure,
# their settings and targets.
from scorematch.claims import EXPERIMENT_FIGURES, figure_caption

# GD experiments with a figure drawn by plot_theorem
THEOREM_FIGURES = [name for name in EXPERIMENT_FIGURES if name in config]


def theorem_specs(theorem):
    return {case: case_spec(theorem, case) for case in case_names(theorem)}


def theorem_caption(theorem):
    return figure_caption(
        theorem,
        eps=CLAIMS["thresholds"]["eps"],
        description=EXPERIMENT_FIGURES[theorem][1],
    )


def theorem_targets():
    """Every figure of the theorem experiments."""
    names = THEOREM_FIGURES + (["thm3_1"] if "thm3_1" in config else [])
    return expand("figures/{name}.{ext}", name=names, ext=["pdf", "png"])

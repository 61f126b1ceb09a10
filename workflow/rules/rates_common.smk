# Helpers of the rates stage (workflow/rules/rates.smk): fitted experiments and targets.
from scorematch.claims import scaled_loss_panels

RATES = config["rates"]
RATE_FIT_KEYS = [
    "tail_decades",
    "slope_window_decades",
    "min_tail_points",
    "n_boot",
    "level",
]


def rate_experiments():
    """The fitted experiments (every case of each), each checked to exist."""
    missing = [e for e in RATES["experiments"] if e not in GD_EXPERIMENTS]
    if missing:
        raise ValueError(
            f"rates.experiments names {missing}, not GD experiments of the config "
            f"(known: {GD_EXPERIMENTS})"
        )
    return list(RATES["experiments"])


def rate_figure_cases():
    """experiment/case names shown in the local-slope and scaled-loss figures."""
    return [f"{e}/{c}" for e in rate_experiments() for c in case_names(e)]


def minibatch_figure_cases():
    """experiment/case names of the exact-vs-minibatch figure (exact first); each must be
    fitted (its experiment listed under rates.experiments)."""
    figure = RATES.get("minibatch_figure")
    names = [figure["exact"], *figure["minibatch"]] if figure else []
    fitted = set(rate_figure_cases())
    missing = [name for name in names if name not in fitted]
    if missing:
        raise ValueError(
            f"rates.minibatch_figure names {missing}, not in rates.experiments"
        )
    return names


def rate_targets():
    names = ["rates_slopes", "rates_scaled"]
    if minibatch_figure_cases():
        names.append("rates_minibatch")
    return ["results/rates.csv"] + expand(
        "figures/{name}.{ext}", name=names, ext=["pdf", "png"]
    )


def _fit_file(name):
    return f"results/rates/{name.split('/', 1)[0]}.json"

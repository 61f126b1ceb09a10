# Helpers of the rates stage (workflow/rules/rates.smk): fitted experiments, verdict
# files (results/rates/verdicts/{experiment}--{case}--{claim}.json) and targets.
import re

from scorematch.rate_summary import comparison_claims

RATES = config["rates"]
RATE_FIT_KEYS = [
    "tail_decades",
    "growth_decades",
    "band_decades",
    "slope_window_decades",
    "min_tail_points",
    "n_boot",
    "level",
    "eps",
]


def rate_experiments():
    """The fitted experiments, each checked to exist with the named cases."""
    for experiment, cases in RATES["experiments"].items():
        missing = [
            c for c in cases if c not in config.get(experiment, {}).get("cases", {})
        ]
        if missing:
            raise ValueError(
                f"rates.experiments.{experiment} names cases {missing} that are not in "
                f"config section {experiment!r}"
            )
    return list(RATES["experiments"])


def rate_cases(experiment):
    return list(RATES["experiments"][experiment])


def rate_claims():
    """{claim: comparison} for every claim the config's comparisons can produce."""
    claims = {}
    for cases in RATES["experiments"].values():
        for comparisons in cases.values():
            for comparison in comparisons:
                for claim in comparison_claims(comparison, eps=RATES["eps"]):
                    claims[claim] = comparison
    return claims


def rate_verdict_files():
    """Every verdict record the rates stage writes (for the verdict gatherer)."""
    return [
        f"results/rates/verdicts/{experiment}--{case}--{claim}.json"
        for experiment in rate_experiments()
        for case, comparisons in RATES["experiments"][experiment].items()
        for comparison in comparisons
        for claim in comparison_claims(comparison, eps=RATES["eps"])
    ]


def rate_figure_cases():
    """experiment/case names shown in the local-slope and scaled-loss figures."""
    return [f"{e}/{c}" for e in rate_experiments() for c in rate_cases(e)]


def minibatch_figure_cases():
    """experiment/case names of the exact-vs-minibatch figure (exact first); each must be
    fitted (listed under rates.experiments)."""
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
    targets = ["results/rates.csv", *rate_verdict_files()]
    names = ["rates_slopes", "rates_scaled"]
    if minibatch_figure_cases():
        names.append("rates_minibatch")
    return targets + expand("figures/{name}.{ext}", name=names, ext=["pdf", "png"])


def _fit_file(name):
    return f"results/rates/{name.split('/', 1)[0]}.json"

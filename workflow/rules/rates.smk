# Stage 2: convergence-rate fits of the simulated loss curves and their comparison with
# the theorems (config section `rates`; quantities in src/scorematch/rate_summary.py).
# Verdict records: results/rates/verdicts/{experiment}--{case}--{claim}.json, listed by
# rate_verdict_files().
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


wildcard_constraints:
    claim="|".join(map(re.escape, rate_claims())) or "NO_CLAIM",


rule fit_rates:
    input:
        lambda wc: [
            f"results/{wc.experiment}/{c}.npz" for c in rate_cases(wc.experiment)
        ],
    output:
        "results/rates/{experiment}.json",
    log:
        "logs/rates/fit/{experiment}.log",
    benchmark:
        "results/benchmarks/rates/fit/{experiment}.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        cases=lambda wc: rate_cases(wc.experiment),
        settings={key: RATES[key] for key in RATE_FIT_KEYS},
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/fit_rates.py"


rule rate_verdict:
    input:
        "results/rates/{experiment}.json",
    output:
        "results/rates/verdicts/{experiment}--{case}--{claim}.json",
    log:
        "logs/rates/verdicts/{experiment}--{case}--{claim}.log",
    benchmark:
        "results/benchmarks/rates/verdicts/{experiment}--{case}--{claim}.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=5,
        mem_mb=500,
    params:
        comparison=lambda wc: rate_claims()[wc.claim],
        thresholds=RATES["thresholds"],
        eps=RATES["eps"],
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/rate_verdict.py"


rule gather_rates:
    input:
        expand("results/rates/{experiment}.json", experiment=rate_experiments()),
    output:
        "results/rates.csv",
    log:
        "logs/rates/gather.log",
    benchmark:
        "results/benchmarks/rates/gather.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=5,
        mem_mb=500,
    params:
        command=lambda wc, output: regenerate_command(output[0]),
    script:
        "../../scripts/gather_rates.py"


rule plot_rates:
    input:
        results=[f"results/{name}.npz" for name in rate_figure_cases()],
        fits=expand("results/rates/{experiment}.json", experiment=rate_experiments()),
    output:
        slopes_pdf="figures/rates_slopes.pdf",
        slopes_png="figures/rates_slopes.png",
        scaled_pdf="figures/rates_scaled.pdf",
        scaled_png="figures/rates_scaled.png",
    log:
        "logs/plot/rates.log",
    benchmark:
        "results/benchmarks/plot/rates.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        kind="rates",
        names=rate_figure_cases(),
        fit_files=[_fit_file(name) for name in rate_figure_cases()],
        command=lambda wc, output: regenerate_command(output.slopes_pdf),
    script:
        "../../scripts/plot_rates.py"


rule plot_rates_minibatch:
    input:
        results=[f"results/{name}.npz" for name in minibatch_figure_cases()],
        fits=sorted({_fit_file(name) for name in minibatch_figure_cases()}),
    output:
        minibatch_pdf="figures/rates_minibatch.pdf",
        minibatch_png="figures/rates_minibatch.png",
    log:
        "logs/plot/rates_minibatch.log",
    benchmark:
        "results/benchmarks/plot/rates_minibatch.tsv"
    conda:
        "../../environment.yml"
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        kind="minibatch",
        names=minibatch_figure_cases(),
        fit_files=[_fit_file(name) for name in minibatch_figure_cases()],
        specs=[case_spec(*name.split("/", 1)) for name in minibatch_figure_cases()],
        command=lambda wc, output: regenerate_command(output.minibatch_pdf),
    script:
        "../../scripts/plot_rates.py"

"""Rule plot_theorem: the figure of one GD theorem experiment from its result files; the
drawing comes from the claims registry (scorematch.claims.EXPERIMENT_FIGURES)."""

import numpy as np

from scorematch import figures
from scorematch.claims import fraction_with_interval, noise_scale_threshold
from scorematch.experiment import cluster_spread_of_runs
from scorematch.pipeline import load_results, rule_logger, save_figure, snakemake_provenance

params = snakemake.params
logger = rule_logger(snakemake.log[0])
cases, specs, drawing, title = params.cases, params.specs, params.drawing, params.title
results = [load_results(path) for path in snakemake.input]
if drawing == "noise_sweep":
    covered = [
        specs[c]["noise_scale"]
        >= noise_scale_threshold(
            n=specs[c]["n_components"],
            initial_distance=float(r["distance"][:, 0, :].max()) * np.exp(specs[c]["noise_scale"]),
        )
        for c, r in zip(cases, results)
    ]
    labels = [f"$t = {specs[c]['noise_scale']:g}$" for c in cases]
    fig = figures.thm2_1_figure(results, labels=labels, thresholds=covered, title=title)
elif drawing == "cluster":
    labels = [f"$M_0 = {specs[c]['target_norm']:g}$, $\\eta = {specs[c]['eta']:g}$" for c in cases]
    fig = figures.thm3_2_figure(
        results, labels=labels, spreads=[cluster_spread_of_runs(specs[c]) for c in cases], title=title
    )
elif drawing == "counterexample":
    labels = [
        f"{c}: $\\|\\mu^*\\| = {specs[c]['target_norm']:g}$, {r['n_converged'][0]} converged"
        for c, r in zip(cases, results)
    ]
    fig = figures.thm3_4_figure(results, labels=labels, title=title)
elif drawing == "outcomes":
    summary = [
        {
            "n_converged_counts": np.bincount(r["n_converged"], minlength=specs[c]["n_components"] + 1).tolist(),
            **{
                outcome: fraction_with_interval(r["outcome"] == outcome, level=params.level)
                for outcome in ("all", "one")
            },
        }
        for c, r in zip(cases, results)
    ]
    labels = [f"{c} (d = {specs[c]['dim']}, M = {specs[c]['target_norm']:g})" for c in cases]
    fig = figures.outcomes_figure(results, labels=labels, summary=summary, title=title)
else:
    raise ValueError(f"no drawing {drawing!r}")
provenance = snakemake_provenance(
    snakemake, experiment=snakemake.wildcards.theorem, section={"specs": specs}, run_seeds=[]
)
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
logger.info("wrote %s", list(snakemake.output))

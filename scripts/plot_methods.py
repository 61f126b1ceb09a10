"""Rules plot_gradient_em and plot_alternatives: tail exponents and outcomes of
score-matching GD and of other dynamics from the same initial parameters
(results/{experiment}/summary.json) and the side-by-side figure."""

from scorematch.beyond_figures import method_comparison_figure
from scorematch.other_dynamics import method_summary
from scorematch.pipeline import load_results, rule_logger, save_figure, save_json, snakemake_provenance
from scorematch.rates import tail_window

settings = snakemake.params.settings
logger = rule_logger(snakemake.log[0])
sources = {"score matching (GD)": load_results(snakemake.input.sm)}
sources.update({name: load_results(path) for name, path in zip(snakemake.params.methods, snakemake.input.methods)})
runs = min(source["loss"].shape[0] for source in sources.values())
tau = sources["score matching (GD)"]["tau"]
window = tail_window(tau, decades=settings["tail_decades"], min_points=settings["min_tail_points"])
summary = {
    "case": snakemake.params.case,
    "runs": int(runs),
    "eta": snakemake.params.spec["eta"],
    "n_steps": int(tau[-1]),
    "tail_window": [float(w) for w in window],
    "method_settings": snakemake.params.method_settings,
    "methods": {},
}
curves, slopes = {}, {}
for name, source in sources.items():
    curves[name] = source["loss"][:runs]
    summary["methods"][name], slopes[name] = method_summary(
        tau,
        curves[name],
        source["outcome"][:runs],
        window=window,
        slope_window_decades=settings["slope_window_decades"],
    )
    logger.info("%s: %s", name, summary["methods"][name])
provenance = snakemake_provenance(
    snakemake,
    experiment=snakemake.params.experiment,
    section={"settings": settings, "methods": snakemake.params.method_settings},
    run_seeds=[],
)
save_json(snakemake.output.json, summary, provenance=provenance)
title = (
    f"{snakemake.params.title} from {summary['case']}'s initial parameters\n"
    f"({summary['runs']} runs, eta = {summary['eta']}, {summary['n_steps']} steps)"
)
fig = method_comparison_figure(tau, curves, slopes, summary, title=title)
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)

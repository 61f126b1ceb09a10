"""Rules plot_rates / plot_rates_minibatch: local slopes, scaled losses tau^p L, and the
exact-vs-minibatch comparison, from the simulation results and their rate fits."""

from scorematch.pipeline import (
    load_json,
    load_results,
    rule_logger,
    save_figure,
    snakemake_provenance,
)
from scorematch.rate_figures import minibatch_figure, rate_scaled_figure, rate_slopes_figure
from scorematch.rate_summary import check_minibatch_pairing

logger = rule_logger(snakemake.log[0])
params = snakemake.params
fits = {path: load_json(path) for path in snakemake.input.fits}
curves = []
for name, result_path, fit_path in zip(params.names, snakemake.input.results, params.fit_files):
    arrays = load_results(result_path)
    case = name.split("/", 1)[1]
    fit = fits[fit_path]["cases"][case]
    runs = len(arrays["outcome"])
    label = f"{name} ({runs} run{'s' if runs > 1 else ''})"
    curves.append({"label": label, "tau": arrays["tau"], "loss": arrays["loss"], "fit": fit})

provenance = snakemake_provenance(snakemake, experiment="rates", section=snakemake.params.section, run_seeds=[])
tol = params.exponent_tol
if params.kind == "minibatch":
    # the comparison is meaningful only for the same run from the same start
    for name, spec in zip(params.names[1:], params.specs[1:]):
        check_minibatch_pairing(params.names[0], params.specs[0], name, spec)
    figures = {"minibatch": minibatch_figure(curves, exponent_tol=tol)}
else:
    figures = {
        "slopes": rate_slopes_figure(curves, exponent_tol=tol),
        "scaled": rate_scaled_figure(curves, panels=params.panels),
    }
for key, fig in figures.items():
    save_figure(fig, [snakemake.output[f"{key}_pdf"], snakemake.output[f"{key}_png"]], provenance=provenance)
logger.info("wrote %s", list(snakemake.output))

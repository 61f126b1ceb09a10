"""Rule plot_mixture: the figure of one mixture kind from its summary and cases."""

from scorematch.mixture_figures import mixture_figure
from scorematch.pipeline import load_json, load_results, rule_logger, save_figure, snakemake_provenance

logger = rule_logger(snakemake.log[0])
summary = load_json(snakemake.input.summary)
cases = [load_results(path) for path in snakemake.input.cases]
fig = mixture_figure(snakemake.wildcards.kind, summary, cases)
experiment = f"{snakemake.wildcards.section}/{snakemake.wildcards.kind}"
provenance = snakemake_provenance(snakemake, experiment=experiment, section=snakemake.params.section, run_seeds=[])
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
logger.info("wrote %s", snakemake.output.png)

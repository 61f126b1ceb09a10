"""Rule plot_step_size: outcome fractions and tail exponent against eta per base case."""

from scorematch.pipeline import load_json, rule_logger, save_figure, snakemake_provenance
from scorematch.rate_figures import step_size_figure

logger = rule_logger(snakemake.log[0])
rows = load_json(snakemake.input[0])["rows"]
fig = step_size_figure(rows, theorem_eta=snakemake.params.theorem_eta)
provenance = snakemake_provenance(snakemake, experiment="step_size", section={}, run_seeds=[])
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
logger.info("wrote %s", list(snakemake.output))

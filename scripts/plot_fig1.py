"""Rule plot_fig1: the paper's Figure 1 from the fig1 cases."""

from scorematch.figures import figure1
from scorematch.pipeline import load_results, rule_logger, save_figure, snakemake_provenance

logger = rule_logger(snakemake.log[0])
results = [load_results(path) for path in snakemake.input]
labels = [
    f"{case}: $\\|\\mu^*\\| = {arrays['target'][0]:g}$, {arrays['n_converged'][0]} converged"
    for case, arrays in zip(snakemake.params.cases, results)
]
fig = figure1(results, labels=labels)
provenance = snakemake_provenance(snakemake, experiment="fig1", section=snakemake.params.section, run_seeds=[])
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
logger.info("wrote %s", list(snakemake.output))

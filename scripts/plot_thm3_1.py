"""Rule plot_thm3_1: L(a) with the stationary point marked, and the escape runs."""

import numpy as np

from scorematch.figures import thm3_1_figure
from scorematch.pipeline import load_json, load_results, rule_logger, save_figure, snakemake_provenance
from scorematch.theorems import line_loss

section = snakemake.params.section
logger = rule_logger(snakemake.log[0])
point = load_json(snakemake.input.point)
escape = load_results(snakemake.input.escape)
a_grid = np.linspace(0.0, section["scan"][1], 400)
loss_grid = line_loss(a_grid, n=section["n_components"], d=section["dim"])
fig = thm3_1_figure(a_grid, loss_grid, point, escape)
provenance = snakemake_provenance(snakemake, experiment="thm3_1", section=section, run_seeds=[])
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
logger.info("wrote %s", list(snakemake.output))

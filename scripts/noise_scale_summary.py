"""Rule noise_scale_summary: the all-converge fractions against t
(results/noise_scale/fractions.json) and their figure."""

from scorematch.beyond_figures import noise_scale_figure
from scorematch.noise_scale import noise_scale_summary
from scorematch.pipeline import load_results, rule_logger, save_figure, save_json, snakemake_provenance

section = snakemake.params.section
logger = rule_logger(snakemake.log[0])
arrays = load_results(snakemake.input[0])
provenance = snakemake_provenance(snakemake, experiment="noise_scale", section=section, run_seeds=[])
summary = noise_scale_summary(arrays["noise_scales"], arrays["fraction_all"], float(arrays["threshold"]), section)
logger.info("smallest t with fraction 1 from there on: %s", summary["smallest_t_with_fraction_1_from_there_on"])
save_json(snakemake.output.json, summary, provenance=provenance)
fig = noise_scale_figure(arrays["noise_scales"], arrays["all_converged"], float(arrays["threshold"]), section)
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)

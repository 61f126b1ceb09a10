"""Rule plot_theorem: the figure of one GD theorem experiment (thm2_1, thm3_2, thm3_4,
thm3_5) from its result files and verdict summary."""

from scorematch import figures
from scorematch.experiment import cluster_spread_of_runs
from scorematch.pipeline import load_json, load_results, rule_logger, save_figure, snakemake_provenance

theorem = snakemake.wildcards.theorem
logger = rule_logger(snakemake.log[0])
cases = snakemake.params.cases
specs = snakemake.params.specs
results = [load_results(path) for path in snakemake.input.results]
summary = load_json(snakemake.input.verdicts)["summary"]
labels = list(cases)
if theorem == "thm2_1":
    covered = {row["case"]: row["covered"] for row in summary}
    labels = [f"$t = {specs[c]['noise_scale']:g}$" for c in cases]
    fig = figures.thm2_1_figure(results, labels=labels, thresholds=[covered[c] for c in cases])
elif theorem == "thm3_2":
    labels = [f"$M_0 = {specs[c]['target_norm']:g}$, $\\eta = {specs[c]['eta']:g}$" for c in cases]
    fig = figures.thm3_2_figure(
        results, labels=labels, spreads=[cluster_spread_of_runs(specs[c]) for c in cases]
    )
elif theorem == "thm3_4":
    labels = [
        f"{c}: $\\|\\mu^*\\| = {specs[c]['target_norm']:g}$, {r['n_converged'][0]} converged"
        for c, r in zip(cases, results)
    ]
    fig = figures.thm3_4_figure(results, labels=labels)
elif theorem == "thm3_5":
    fig = figures.thm3_5_figure(results, labels=labels, summary=summary)
else:
    raise ValueError(f"no figure for {theorem!r}")
provenance = snakemake_provenance(
    snakemake, experiment=theorem, section={"specs": specs}, run_seeds=[]
)
save_figure(fig, [snakemake.output.pdf, snakemake.output.png], provenance=provenance)
logger.info("wrote %s", list(snakemake.output))

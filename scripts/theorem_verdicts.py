"""Rule theorem_verdicts: the verdict records of one GD theorem experiment ->
results/verdicts/{theorem}.json ({verdicts: [...], summary: [...]})."""

from scorematch.experiment import cluster_spread_of_runs
from scorematch.pipeline import load_results, rule_logger, save_json, snakemake_provenance
from scorematch.theorems import experiment_verdicts

theorem = snakemake.wildcards.theorem
logger = rule_logger(snakemake.log[0])
specs = snakemake.params.specs
cases = {
    case: (specs[case], load_results(path))
    for case, path in zip(snakemake.params.cases, snakemake.input)
}
records, summary = experiment_verdicts(
    theorem, cases, snakemake.params.settings, spreads_of=cluster_spread_of_runs
)
for record in records:
    logger.info("%s", record)
provenance = snakemake_provenance(
    snakemake,
    experiment=f"verdicts/{theorem}",
    section={"thresholds": snakemake.params.settings, "specs": specs},
    run_seeds=[],
)
save_json(snakemake.output[0], {"verdicts": records, "summary": summary}, provenance=provenance)

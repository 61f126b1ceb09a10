"""Rule gather_rates: every experiment's fitted cases as one table -> results/rates.csv."""

from scorematch.pipeline import load_json, rule_logger, save_csv, snakemake_provenance
from scorematch.rate_summary import table_rows

logger = rule_logger(snakemake.log[0])
rows = []
for path in snakemake.input:
    summary = load_json(path)
    rows.extend(table_rows(summary["experiment"], summary["cases"]))
provenance = snakemake_provenance(snakemake, experiment="rates", section=snakemake.params.section, run_seeds=[])
save_csv(snakemake.output[0], rows, columns=rows[0], provenance=provenance)
logger.info("wrote %d rows to %s", len(rows), snakemake.output[0])

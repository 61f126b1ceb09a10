"""Rule gather_rates: every experiment's fitted cases as one table -> results/rates.csv."""

import csv
import io

from scorematch.pipeline import load_json, rule_logger, save_text, snakemake_provenance
from scorematch.rate_summary import table_rows

logger = rule_logger(snakemake.log[0])
rows = []
for path in snakemake.input:
    summary = load_json(path)
    rows.extend(table_rows(summary["experiment"], summary["cases"]))
buffer = io.StringIO()
writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
writer.writeheader()
writer.writerows(rows)
provenance = snakemake_provenance(snakemake, experiment="rates", section=snakemake.params.section, run_seeds=[])
save_text(snakemake.output[0], buffer.getvalue(), provenance=provenance)
logger.info("wrote %d rows to %s", len(rows), snakemake.output[0])

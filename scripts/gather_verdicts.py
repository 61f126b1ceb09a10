"""Rule gather_verdicts: every verdict record -> results/verdicts.csv and verdicts.md."""

import csv
import io

from scorematch.pipeline import load_json, rule_logger, save_text, snakemake_provenance
from scorematch.theorems import VERDICT_COLUMNS, collect_records, verdict_markdown

logger = rule_logger(snakemake.log[0])
records = collect_records(load_json(path) for path in snakemake.input)
buffer = io.StringIO()
writer = csv.DictWriter(
    buffer, fieldnames=list(VERDICT_COLUMNS), lineterminator="\n", extrasaction="ignore"
)
writer.writeheader()
writer.writerows(records)
provenance = snakemake_provenance(
    snakemake, experiment="verdicts", section=snakemake.params.thresholds, run_seeds=[]
)
save_text(snakemake.output.csv, buffer.getvalue(), provenance=provenance)
header = "# Verdicts\n\nEvery claim checked by the pipeline, measured against a config threshold.\n\n"
save_text(snakemake.output.md, header + verdict_markdown(records), provenance=provenance)
logger.info("%d verdicts, %d hold", len(records), sum(bool(r["holds"]) for r in records))

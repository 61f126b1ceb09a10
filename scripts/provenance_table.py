"""Rule provenance_table: one row per figure and table of the report."""

import csv
import io

from scorematch.pipeline import save_text, snakemake_provenance
from scorematch.provenance import PROVENANCE_COLUMNS, provenance_rows, read_provenance

paths = list(snakemake.input)
rows = provenance_rows(paths, [read_provenance(path) for path in paths])
buffer = io.StringIO()
writer = csv.DictWriter(buffer, fieldnames=PROVENANCE_COLUMNS)
writer.writeheader()
writer.writerows(rows)
save_text(
    snakemake.output[0],
    buffer.getvalue(),
    provenance=snakemake_provenance(snakemake, experiment="report", section={}, run_seeds=[]),
)
with open(snakemake.log[0], "w") as log:
    log.write(f"{len(rows)} files\n")

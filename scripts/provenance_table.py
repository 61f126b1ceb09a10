"""Rule provenance_table: one row per figure and table of the report."""

import csv
import io

from scorematch.atomic import write_text_atomic
from scorematch.provenance import PROVENANCE_COLUMNS, provenance_rows, read_provenance

paths = list(snakemake.input)
rows = provenance_rows(paths, [read_provenance(path) for path in paths])
buffer = io.StringIO()
writer = csv.DictWriter(buffer, fieldnames=PROVENANCE_COLUMNS)
writer.writeheader()
writer.writerows(rows)
write_text_atomic(snakemake.output[0], buffer.getvalue())
with open(snakemake.log[0], "w") as log:
    log.write(f"{len(rows)} files\n")

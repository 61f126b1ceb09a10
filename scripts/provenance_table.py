"""Rule provenance_table: one row per figure and table of the report."""

from scorematch.pipeline import save_csv, snakemake_provenance
from scorematch.provenance import PROVENANCE_COLUMNS, provenance_rows, read_provenance

paths = list(snakemake.input)
rows = provenance_rows(paths, [read_provenance(path) for path in paths])
save_csv(
    snakemake.output[0],
    rows,
    columns=PROVENANCE_COLUMNS,
    provenance=snakemake_provenance(snakemake, experiment="report", section={}, run_seeds=[]),
)
with open(snakemake.log[0], "w") as log:
    log.write(f"{len(rows)} files\n")

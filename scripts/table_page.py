"""Rule table_page: one CSV table as an HTML page for the report."""

from pathlib import Path

from scorematch.pipeline import save_text, snakemake_provenance
from scorematch.report import read_csv_rows, table_html

rows = read_csv_rows(Path(snakemake.input[0]).read_text())
save_text(
    snakemake.output[0],
    table_html(rows, title=snakemake.params.title),
    provenance=snakemake_provenance(snakemake, experiment="report", section={}, run_seeds=[]),
)
with open(snakemake.log[0], "w") as log:
    log.write(f"{len(rows)} rows\n")

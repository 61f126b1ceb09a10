"""Rule landing_page: the report's front page (introduction, claims table, figures)."""

from pathlib import Path

from scorematch.pipeline import save_text, snakemake_provenance
from scorematch.report import landing_page_rst, read_csv_rows

claims = read_csv_rows(Path(snakemake.input.claims).read_text())
page = landing_page_rst(Path(snakemake.input.introduction).read_text(), claims, figures=snakemake.params.figures)
save_text(
    snakemake.output[0],
    page,
    provenance=snakemake_provenance(snakemake, experiment="report", section={}, run_seeds=[]),
)
with open(snakemake.log[0], "w") as log:
    log.write(f"{len(claims)} claims\n")

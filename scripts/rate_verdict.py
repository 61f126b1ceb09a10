"""Rule rate_verdict: one theory comparison of one fitted case -> a verdict JSON record
{experiment, claim, quantity, threshold, value, holds}."""

from scorematch.pipeline import load_json, rule_logger, save_json, snakemake_provenance
from scorematch.rate_summary import verdict_records

wc = snakemake.wildcards
logger = rule_logger(snakemake.log[0])
fit = load_json(snakemake.input[0])["cases"][wc.case]
records = verdict_records(
    f"{wc.experiment}/{wc.case}",
    fit,
    snakemake.params.comparison,
    thresholds=snakemake.params.thresholds,
    eps=snakemake.params.eps,
)
(record,) = [r for r in records if r["claim"] == wc.claim]
logger.info("%s", record)
provenance = snakemake_provenance(
    snakemake,
    experiment=f"rates/{wc.experiment}/{wc.case}",
    section={"thresholds": snakemake.params.thresholds, "eps": snakemake.params.eps},
    run_seeds=[],
)
save_json(snakemake.output[0], record, provenance=provenance)

"""Rule claims: every claim of the registry on every case it is measured on ->
results/claims.csv, results/claims.md and results/claims.json."""

from scorematch.claims import CLAIM_COLUMNS, case_measurements, claims_markdown, evaluate, registry, state_counts
from scorematch.pipeline import (
    load_json,
    load_results,
    rule_logger,
    save_csv,
    save_json,
    save_text,
    snakemake_provenance,
)

params = snakemake.params
settings = params.settings
logger = rule_logger(snakemake.log[0])
fits = {}
for path in snakemake.input.fits:
    document = load_json(path)
    for case, fit in document["cases"].items():
        fits[f"{document['experiment']}/{case}"] = fit
measured = {"thm3_1/stationary": load_json(snakemake.input.stationary)}
for name, path in zip(params.case_names, snakemake.input.results):
    measured[name] = case_measurements(params.specs[name], load_results(path), fits.get(name), settings=settings)
    logger.info("%s: %s", name, {k: v for k, v in measured[name].items() if k != "fit"})

rows = []
for claim in registry(eps=settings["thresholds"]["eps"]):
    for case in params.claim_cases[claim.id]:
        row = evaluate(claim, case, measured[f"{claim.experiment}/{case}"], settings)
        logger.info("%s %s/%s: %s (%s)", claim.id, claim.experiment, case, row["status"], row["reason"])
        rows.append(row)
counts = state_counts(rows)
logger.info("counts per state: %s", counts)

provenance = snakemake_provenance(snakemake, experiment="claims", section=settings, run_seeds=[])
save_csv(snakemake.output.csv, rows, columns=CLAIM_COLUMNS, provenance=provenance)
header = "# Claims\n\nEvery claim of the paper, measured under its hypotheses (src/scorematch/claims.py).\n\n"
save_text(snakemake.output.md, header + claims_markdown(rows), provenance=provenance)
save_json(snakemake.output.json, {"counts": counts, "claims": rows}, provenance=provenance)

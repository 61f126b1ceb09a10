"""Rule thm3_1_stationary: Theorem 3.1's stationary point -> stationary_point.json and
its verdict -> results/verdicts/thm3_1.json."""

import numpy as np

from scorematch.pipeline import rule_logger, save_json, snakemake_provenance
from scorematch.theorems import stationary_point, thm3_1_verdict

section = snakemake.params.section
logger = rule_logger(snakemake.log[0])
start, stop, num = section["scan"]
point = stationary_point(
    n=section["n_components"],
    d=section["dim"],
    scan=np.linspace(start, stop, int(num)),
    hessian_step=section["hessian_step"],
    zero_tol=section["zero_tol"],
)
logger.info("%s", point)
provenance = snakemake_provenance(snakemake, experiment="thm3_1", section=section, run_seeds=[])
save_json(snakemake.output.point, point, provenance=provenance)
records = thm3_1_verdict(point, **snakemake.params.settings)
save_json(
    snakemake.output.verdict,
    {"verdicts": records, "summary": []},
    provenance=snakemake_provenance(
        snakemake,
        experiment="verdicts/thm3_1",
        section={"thresholds": snakemake.params.settings, "section": section},
        run_seeds=[],
    ),
)

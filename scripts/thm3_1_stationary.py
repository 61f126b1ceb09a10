"""Rule thm3_1_stationary: Theorem 3.1's stationary point -> stationary_point.json."""

import numpy as np

from scorematch.pipeline import rule_logger, save_json, snakemake_provenance
from scorematch.theorems import stationary_point

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

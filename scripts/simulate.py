"""Rule simulate: run one experiment case (all seeds in one batch) and save it."""

import numpy as np

from scorematch.dynamics import divergence_reporter
from scorematch.experiment import run_specification
from scorematch.pipeline import progress_reporter, rule_logger, save_results, snakemake_provenance
from scorematch.seeding import STREAM_INIT, case_seed_name, run_spawn_key

spec = snakemake.params.spec
name = snakemake.params.name
seed_name = case_seed_name(spec, name)
logger = rule_logger(snakemake.log[0])
logger.info("case %s: %s", name, spec)
arrays = run_specification(
    spec,
    root_seed=snakemake.params.root_seed,
    name=name,
    on_record=progress_reporter(logger, n_steps=spec["n_steps"]),
    on_diverge=divergence_reporter(logger),
)
provenance = snakemake_provenance(
    snakemake,
    experiment=name,
    section=spec,
    run_seeds=[run_spawn_key(seed_name, i, STREAM_INIT) for i in range(spec["runs"])],
)
save_results(snakemake.output[0], arrays, provenance=provenance)
labels, counts = np.unique(arrays["outcome"], return_counts=True)
logger.info("outcomes: %s", dict(zip(labels.tolist(), counts.tolist())))

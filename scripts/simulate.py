"""Rule simulate: run one experiment case (all seeds in one batch) and save it."""

from scorematch.experiment import run_specification
from scorematch.outcomes import value_counts
from scorematch.pipeline import rule_logger, run_logging, save_run_results
from scorematch.seeding import case_seed_name

spec = snakemake.params.spec
name = snakemake.params.name
seed_name = case_seed_name(spec, name)
logger = rule_logger(snakemake.log[0])
logger.info("case %s: %s", name, spec)
arrays = run_specification(
    spec,
    root_seed=snakemake.params.root_seed,
    name=name,
    **run_logging(logger, n_steps=spec["n_steps"]),
)
save_run_results(snakemake, arrays, experiment=name, section=spec, seed_name=seed_name, runs=spec["runs"])
logger.info("outcomes: %s", value_counts(arrays["outcome"]))

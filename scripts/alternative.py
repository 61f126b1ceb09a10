"""Rule alternative: one alternative dynamics (time-averaged loss, SGD or Adam; config
`alternatives`) from the initial parameters of a score-matching case, on its step grid
-> results/alternatives/{method}.npz."""

from scorematch.experiment import descend_and_classify
from scorematch.other_dynamics import alternative_dynamics
from scorematch.pipeline import load_results, rule_logger, run_logging, save_run_results
from scorematch.seeding import STREAM_SAMPLING, run_generators

spec = snakemake.params.spec
method = snakemake.params.method
runs = min(snakemake.params.runs, spec["runs"])
logger = rule_logger(snakemake.log[0])
source = load_results(snakemake.input[0])
seed_name = f"alternatives/{snakemake.wildcards.method}"
dynamics, step_size = alternative_dynamics(method, eta=spec["eta"])
logger.info(
    "%s from %s: %d runs, step size %g, %d steps", method, snakemake.params.case, runs, step_size, spec["n_steps"]
)
arrays = descend_and_classify(
    source["initial"][:runs],
    source["target"],
    {**spec, "eta": step_size},
    dynamics=dynamics,
    generators=run_generators(snakemake.params.root_seed, seed_name, n_runs=runs, stream=STREAM_SAMPLING),
    **run_logging(logger, n_steps=spec["n_steps"]),
)
save_run_results(
    snakemake,
    arrays,
    experiment=seed_name,
    section={"case": snakemake.params.case, "spec": spec, "method": method, "runs": runs},
    seed_name=seed_name,
    runs=runs,
    stream=STREAM_SAMPLING,
)

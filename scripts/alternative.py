"""Rule alternative: one alternative dynamics (time-averaged loss, SGD or Adam; config
`alternatives`) from the initial parameters of a score-matching case, on its step grid
-> results/alternatives/{method}.npz."""

from scorematch.dynamics import divergence_reporter, gradient_descent, trajectory_arrays
from scorematch.other_dynamics import alternative_dynamics
from scorematch.pipeline import load_results, progress_reporter, rule_logger, save_results, snakemake_provenance
from scorematch.seeding import STREAM_SAMPLING, run_generators, run_spawn_key

spec = snakemake.params.spec
method = snakemake.params.method
runs = min(snakemake.params.runs, spec["runs"])
logger = rule_logger(snakemake.log[0])
source = load_results(snakemake.input[0])
initial = source["initial"][:runs]
mu_star = source["target"]
seed_name = f"alternatives/{snakemake.wildcards.method}"
generators = run_generators(snakemake.params.root_seed, seed_name, n_runs=runs, stream=STREAM_SAMPLING)
dynamics, step_size = alternative_dynamics(method, eta=spec["eta"])
logger.info(
    "%s from %s: %d runs, step size %g, %d steps",
    method,
    snakemake.params.case,
    runs,
    step_size,
    int(source["tau"][-1]),
)
trajectory = gradient_descent(
    initial,
    mu_star,
    eta=step_size,
    record_at=source["tau"],
    dynamics=dynamics,
    generators=generators,
    on_record=progress_reporter(logger, n_steps=int(source["tau"][-1])),
    on_diverge=divergence_reporter(logger),
)
provenance = snakemake_provenance(
    snakemake,
    experiment=seed_name,
    section={"case": snakemake.params.case, "spec": spec, "method": method, "runs": runs},
    run_seeds=[run_spawn_key(seed_name, i, STREAM_SAMPLING) for i in range(runs)],
)
save_results(snakemake.output[0], trajectory_arrays(trajectory, initial=initial, target=mu_star), provenance=provenance)

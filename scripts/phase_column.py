"""Rule phase_column: one (n, M) column of the phase diagram -> results/phase/n{n}_M{M}.npz.

Every sigma x seed of the column runs in one batch; seed r starts at sigma * xi_r with
xi_r ~ N(0, I) drawn from the stream of "phase/n{n}_d{d}" (the same xi_r for every sigma
and every M: common random numbers across the grid).
"""

import numpy as np

from scorematch.dynamics import divergence_reporter, gradient_descent, log_spaced_steps
from scorematch.outcomes import classify_outcomes, outcome_fractions
from scorematch.phase import phase_initial
from scorematch.pipeline import progress_reporter, rule_logger, save_results, snakemake_provenance
from scorematch.seeding import STREAM_INIT, run_generators, run_spawn_key

section = snakemake.params.section
n = int(snakemake.wildcards.n)
distance = float(snakemake.params.distance)
d, runs = section["dim"], section["runs"]
sigmas = np.asarray(snakemake.params.sigmas, dtype=np.float64)
logger = rule_logger(snakemake.log[0])
seed_name = f"phase/n{n}_d{d}"
generators = run_generators(snakemake.params.root_seed, seed_name, n_runs=runs, stream=STREAM_INIT)
offsets = np.stack([rng.standard_normal((n, d)) for rng in generators])
initial = phase_initial(sigmas, offsets)
mu_star = np.zeros(d)
mu_star[0] = distance
logger.info(
    "n=%d d=%d M=%g: %d sigmas x %d seeds, eta=%g, %d steps",
    n,
    d,
    distance,
    len(sigmas),
    runs,
    section["eta"],
    section["n_steps"],
)
trajectory = gradient_descent(
    initial,
    mu_star,
    eta=section["eta"],
    record_at=log_spaced_steps(section["n_steps"], n_records=section["n_records"]),
    on_record=progress_reporter(logger, n_steps=section["n_steps"]),
    on_diverge=divergence_reporter(logger),
)
shape = (len(sigmas), runs)
final_distance = trajectory.distance[:, -1, :].reshape(*shape, n)
n_converged, outcome = classify_outcomes(
    trajectory.distance.reshape(*shape, -1, n),
    converge_tol=section["converge_tol"],
    diverge_radius=section["diverge_radius"],
    diverged_at=trajectory.diverged_at.reshape(shape),
)
fractions = outcome_fractions(outcome)
for s, sigma in enumerate(sigmas):
    logger.info("sigma %.3g: %s", sigma, {k: float(v[s]) for k, v in fractions.items()})
arrays = {
    "sigmas": sigmas,
    "distance": np.float64(distance),
    "n_components": np.int64(n),
    "eta": np.float64(section["eta"]),
    "n_steps": np.int64(section["n_steps"]),
    "tau": trajectory.tau,
    "loss": trajectory.loss.reshape(*shape, -1),
    "final_distance": final_distance,
    "n_converged": n_converged,
    "outcome": outcome,
    "diverged_at": trajectory.diverged_at.reshape(shape),
    **{f"fraction_{label}": value for label, value in fractions.items()},
}
provenance = snakemake_provenance(
    snakemake,
    experiment=f"phase/n{n}_M{snakemake.wildcards.M}",
    section=section,
    run_seeds=[run_spawn_key(seed_name, i, STREAM_INIT) for i in range(runs)],
)
save_results(snakemake.output[0], arrays, provenance=provenance)

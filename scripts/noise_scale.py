"""Rule noise_scale: fraction of all-converge runs against the noise scale t from a far
start with random perturbations -> results/noise_scale/fractions.npz."""

import numpy as np

from scorematch.claims import noise_scale_threshold
from scorematch.dynamics import gradient_descent, log_spaced_steps
from scorematch.noise_scale import relative_convergence
from scorematch.pipeline import rule_logger, run_logging, save_run_results
from scorematch.population import scale_to_noise
from scorematch.seeding import STREAM_INIT, run_generators

section = snakemake.params.section
logger = rule_logger(snakemake.log[0])
n, d, runs = section["n_components"], section["dim"], section["runs"]
ts = np.asarray(section["noise_scales"], dtype=np.float64)
seed_name = "noise_scale"
generators = run_generators(snakemake.params.root_seed, seed_name, n_runs=runs, stream=STREAM_INIT)
# unscaled start: mu_i = M e1 + s xi_i (the same xi_i for every t), mu* = 0
start = np.zeros((runs, n, d))
start[..., 0] = section["distance"]
start += section["perturbation"] * np.stack([rng.standard_normal((n, d)) for rng in generators])
initial = np.concatenate([scale_to_noise(start, noise_scale=t) for t in ts])
mu_star = np.zeros(d)
trajectory = gradient_descent(
    initial,
    mu_star,
    eta=section["eta"],
    record_at=log_spaced_steps(section["n_steps"], n_records=section["n_records"]),
    **run_logging(logger, n_steps=section["n_steps"]),
)
n_converged, all_converged = relative_convergence(trajectory.distance, ratio=section["converge_ratio"])
n_converged = n_converged.reshape(len(ts), runs)
all_converged = all_converged.reshape(len(ts), runs)
fraction = all_converged.mean(axis=1)
threshold = noise_scale_threshold(n=n, initial_distance=section["distance"])
for t, f in zip(ts, fraction):
    logger.info("t = %.3g: all-converge fraction %.3f", t, f)
save_run_results(
    snakemake,
    {
        "noise_scales": ts,
        "tau": trajectory.tau,
        "loss": trajectory.loss.reshape(len(ts), runs, -1),
        "distance": trajectory.distance.reshape(len(ts), runs, len(trajectory.tau), n),
        "n_converged": n_converged,
        "all_converged": all_converged,
        "fraction_all": fraction,
        "threshold": np.float64(threshold),
    },
    experiment="noise_scale",
    section=section,
    seed_name=seed_name,
    runs=runs,
)

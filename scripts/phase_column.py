"""Rule phase_column: one (n, M) column of a phase diagram -> results/phase/{diagram}/n{n}_M{M}.npz.

Every sigma x seed of the column runs in one batch; seed r starts at sigma * xi_r with
xi_r ~ N(0, I) drawn from the stream of "phase/n{n}_d{d}" (the same xi_r for every sigma,
every M and every eta: common random numbers across the grid and across step sizes).
"""

import numpy as np

from scorematch.experiment import descend_and_classify, integration_rule
from scorematch.outcomes import outcome_fractions
from scorematch.phase import phase_initial
from scorematch.pipeline import rule_logger, run_logging, save_run_results
from scorematch.seeding import STREAM_INIT, run_generators

section = snakemake.params.section
diagram = snakemake.wildcards.diagram
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
    "%s: n=%d d=%d M=%g: %d sigmas x %d seeds, eta=%g, %d steps",
    diagram,
    n,
    d,
    distance,
    len(sigmas),
    runs,
    section["eta"],
    section["n_steps"],
)
run = descend_and_classify(
    initial,
    mu_star,
    section,
    rule=integration_rule(section),
    **run_logging(logger, n_steps=section["n_steps"]),
)
shape = (len(sigmas), runs)
outcome = run["outcome"].reshape(shape)
fractions = outcome_fractions(outcome)
for s, sigma in enumerate(sigmas):
    logger.info("sigma %.3g: %s", sigma, {k: float(v[s]) for k, v in fractions.items()})
arrays = {
    "diagram": np.str_(diagram),
    "dim": np.int64(d),
    "sigmas": sigmas,
    "distance": np.float64(distance),
    "n_components": np.int64(n),
    "eta": np.float64(section["eta"]),
    "n_steps": np.int64(section["n_steps"]),
    "tau": run["tau"],
    "loss": run["loss"].reshape(*shape, -1),
    "final_distance": run["distance"][:, -1, :].reshape(*shape, n),
    "n_converged": run["n_converged"].reshape(shape),
    "outcome": outcome,
    "diverged_at": run["diverged_at"].reshape(shape),
    **{f"fraction_{label}": value for label, value in fractions.items()},
}
save_run_results(
    snakemake,
    arrays,
    experiment=f"phase/{diagram}/n{n}_M{snakemake.wildcards.M}",
    section=section,
    seed_name=seed_name,
    runs=runs,
)

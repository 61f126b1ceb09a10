"""Rule thm3_1_escape: GD started near Theorem 3.1's stationary point (one random
perturbation per run) -> results/thm3_1/escape.npz."""

import numpy as np

from scorematch.dynamics import classify_outcomes, exact_gradient, gradient_descent, log_spaced_steps
from scorematch.pipeline import (
    load_json,
    progress_reporter,
    rule_logger,
    save_results,
    snakemake_provenance,
)
from scorematch.seeding import STREAM_INIT, run_generators, run_spawn_key
from scorematch.theorems import perturbed_starts

section = snakemake.params.section
logger = rule_logger(snakemake.log[0])
point = load_json(snakemake.input[0])
n, d, runs = section["n_components"], section["dim"], section["runs"]
name = "thm3_1/escape"
starts = perturbed_starts(
    point["a_star"],
    n=n,
    d=d,
    size=section["perturbation"],
    generators=run_generators(snakemake.params.root_seed, name, n_runs=runs, stream=STREAM_INIT),
)
mu_star = np.zeros(d)
trajectory = gradient_descent(
    starts,
    mu_star,
    eta=section["eta"],
    record_at=log_spaced_steps(section["n_steps"], n_records=section["n_records"]),
    step_gradient=exact_gradient(mu_star),
    on_record=progress_reporter(logger, n_steps=section["n_steps"]),
)
n_converged, outcome = classify_outcomes(
    trajectory.distance,
    converge_tol=section["converge_tol"],
    diverge_radius=section["diverge_radius"],
)
logger.info("n_converged %s outcomes %s", n_converged.tolist(), outcome.tolist())
arrays = {
    "tau": trajectory.tau,
    "loss": trajectory.loss,
    "distance": trajectory.distance,
    "norm": trajectory.norm,
    "initial": starts,
    "final": trajectory.final,
    "centre": trajectory.centre,
    "spread": trajectory.spread,
    "target": mu_star,
    "n_converged": n_converged,
    "outcome": outcome,
    "a_star": np.float64(point["a_star"]),
}
provenance = snakemake_provenance(
    snakemake,
    experiment=name,
    section=section,
    run_seeds=[run_spawn_key(name, i, STREAM_INIT) for i in range(runs)],
)
save_results(snakemake.output[0], arrays, provenance=provenance)

"""Rule thm3_1_escape: GD started near Theorem 3.1's stationary point (one random
perturbation per run) -> results/thm3_1/escape.npz."""

import numpy as np

from scorematch.experiment import descend_and_classify
from scorematch.pipeline import load_json, rule_logger, run_logging, save_run_results
from scorematch.seeding import STREAM_INIT, run_generators
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
arrays = descend_and_classify(
    starts,
    mu_star,
    section,
    **run_logging(logger, n_steps=section["n_steps"]),
)
arrays["a_star"] = np.float64(point["a_star"])
logger.info("n_converged %s outcomes %s", arrays["n_converged"].tolist(), arrays["outcome"].tolist())
save_run_results(snakemake, arrays, experiment=name, section=section, seed_name=name, runs=runs)

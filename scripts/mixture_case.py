"""Rule mixture_case: one mixture case (section, kind, n students, separation Delta) ->
results/{section}/{kind}/n{n}_D{delta}.npz.

Every seed (and, for small_init, every spread) runs in one batch; seed r starts at
start_distance e1 + sigma xi_r with xi_r ~ N(0, I) from the stream of
"{section}/{kind}/n{n}_d{d}" (the same xi_r for every Delta and sigma).
"""

import time

import numpy as np

from scorematch.mixture import simulate_case
from scorematch.pipeline import rule_logger, save_run_results
from scorematch.seeding import STREAM_INIT, run_generators

settings = snakemake.params.settings
section, kind = snakemake.wildcards.section, snakemake.wildcards.kind
n = int(snakemake.wildcards.n)
separation = float(snakemake.params.separation)
d, runs = settings["dim"], settings["runs"]
logger = rule_logger(snakemake.log[0])
seed_name = f"{section}/{kind}/n{n}_d{d}"
generators = run_generators(snakemake.params.root_seed, seed_name, n_runs=runs, stream=STREAM_INIT)
offsets = np.stack([rng.standard_normal((n, d)) for rng in generators])
logger.info(
    "%s/%s: K=%d (%s) n=%d d=%d Delta=%g: %d sigmas x %d seeds, eta=%g, %d steps",
    section,
    kind,
    settings["components"],
    settings["layout"],
    n,
    d,
    separation,
    len(settings["sigmas"]),
    runs,
    settings["eta"],
    settings["n_steps"],
)
start = time.monotonic()
arrays = simulate_case(settings, n=n, separation=separation, sigmas=settings["sigmas"], offsets=offsets)
logger.info(
    "done in %.1fs: recovered %d/%d, split %d/%d, diverging students %d, largest Hessian eigenvalue %.3f, "
    "rule against the reference at the final states: relative loss %.1e, gradient %.1e (absolute %.1e)",
    time.monotonic() - start,
    arrays["recovered"].sum(),
    len(arrays["recovered"]),
    arrays["split"].sum(),
    len(arrays["split"]),
    arrays["diverging"].sum(),
    arrays["hessian_max"].max(),
    *arrays["rule_error_final"],
)
arrays.update(n_components=np.int64(n), separation=np.float64(separation))
save_run_results(
    snakemake,
    arrays,
    experiment=f"{section}/{kind}/n{n}_D{snakemake.wildcards.delta}",
    section=settings,
    seed_name=seed_name,
    runs=runs,
)

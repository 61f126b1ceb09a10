"""From a resolved run specification (a config case) to recorded GD trajectories.

A run specification is a plain dict, validated against ``workflow/schemas/config.schema.yaml``:

    dim, n_components       problem size d and number of student vectors n
    noise_scale             t; vectors below are unscaled and enter as exp(-t) * vector
    target_norm             mu* = target_norm * e1 (rotation invariance: the direction is free)
    init                    {kind: gaussian, mean_norm, sigma}: mu_i ~ N(mean_norm e1, sigma^2 I)
                            {kind: explicit, vectors}: the n vectors, row by row
                            {kind: cluster, centre_norm, spreads}: run r is a cluster around
                            centre_norm e1 with spread s = spreads[r % len(spreads)]: random
                            offsets (per-run stream), centred and scaled so that the centre
                            A(0) = mean_i mu_i(0) is exactly centre_norm e1 and the spread
                            max_i ||mu_i(0) - A(0)|| is exactly s; runs must be a multiple
                            of len(spreads)
    eta, n_steps, n_records fixed step size, iterations, log-spaced recording points
    runs                    independent runs (seeds), advanced as one batch
    mode, batch_size        "exact" (population gradient) or "minibatch" (fresh samples)
    converge_tol, diverge_radius   outcome thresholds (in the scaled frame)
    hermite_nodes           outer Gauss-Hermite nodes of the integration rule (k > 1) on an
                            axis of wide spread (soft transitions can ask for more, at most 200)
    seed_name               optional experiment/case whose seed streams the runs use
"""

import numpy as np

from scorematch.dynamics import EXACT, Dynamics, gradient_descent, log_spaced_steps, trajectory_arrays
from scorematch.outcomes import classify_outcomes
from scorematch.population import scale_to_noise
from scorematch.quadrature import LineRule
from scorematch.seeding import STREAM_INIT, STREAM_SAMPLING, case_seed_name, run_generators


def target_vector(spec):
    """mu*_t = exp(-t) * target_norm * e1: (d,)."""
    target = np.zeros(spec["dim"])
    target[0] = spec["target_norm"]
    return scale_to_noise(target, noise_scale=spec["noise_scale"])


def initial_parameters(spec, generators):
    """Scaled initial vectors (R, n, d), one generator per run."""
    n, d = spec["n_components"], spec["dim"]
    init = spec["init"]
    if init["kind"] == "explicit":
        vectors = np.asarray(init["vectors"], dtype=np.float64)
        unscaled = np.broadcast_to(vectors, (len(generators), n, d))
    elif init["kind"] == "cluster":
        spreads = np.asarray(init["spreads"], dtype=np.float64)
        if len(generators) % len(spreads):
            raise ValueError(
                f"cluster init: runs ({len(generators)}) must be a multiple of len(spreads) ({len(spreads)})"
            )
        centre = np.zeros(d)
        centre[0] = init["centre_norm"]
        unscaled = np.stack(
            [centre + spreads[r % len(spreads)] * cluster_offsets(rng, n=n, d=d) for r, rng in enumerate(generators)]
        )
    else:
        mean = np.zeros(d)
        mean[0] = init["mean_norm"]
        unscaled = np.stack([mean + init["sigma"] * rng.standard_normal((n, d)) for rng in generators])
    return scale_to_noise(unscaled, noise_scale=spec["noise_scale"])


def cluster_offsets(rng, *, n, d):
    """(n, d) offsets with mean zero and largest norm exactly 1 (Gaussian directions).

    n = 1 has no spread: the single offset is zero.
    """
    offsets = rng.standard_normal((n, d))
    offsets -= offsets.mean(axis=0)
    largest = np.linalg.norm(offsets, axis=-1).max()
    return offsets / largest if largest > 0 else offsets


def cluster_spread_of_runs(spec):
    """(R,) the initial spread of every run of a cluster-init spec."""
    spreads = np.asarray(spec["init"]["spreads"], dtype=np.float64)
    return np.resize(spreads, spec["runs"])


def integration_rule(spec):
    """The quadrature rule a spec (or a section with hermite_nodes) asks for."""
    return LineRule(hermite_nodes=spec["hermite_nodes"])


def run_specification(spec, *, root_seed, name, on_record=None, on_diverge=None, rule=None):
    """Run one case: initialise every run, descend, record and classify.

    name: the experiment/case name that, with root_seed, keys every run's streams.
    rule: the integration rule (default the spec's, :func:`integration_rule`).
    Returns a dict of arrays: tau (T,), loss (R, T), distance (R, T, n), norm (R, T, n),
    initial (R, n, d), final (R, n, d), centre (R, T, d), spread (R, T), target (d,),
    n_converged (R,), outcome (R,), diverged_at (R,).
    """
    name = case_seed_name(spec, name)
    runs = spec["runs"]
    mu_star = target_vector(spec)
    initial = initial_parameters(spec, run_generators(root_seed, name, n_runs=runs, stream=STREAM_INIT))
    rule = integration_rule(spec) if rule is None else rule
    generators = None
    dynamics = EXACT
    if spec["mode"] == "minibatch":
        generators = run_generators(root_seed, name, n_runs=runs, stream=STREAM_SAMPLING)
        dynamics = Dynamics(batch_size=spec["batch_size"])
    return descend_and_classify(
        initial,
        mu_star,
        spec,
        dynamics=dynamics,
        generators=generators,
        rule=rule,
        on_record=on_record,
        on_diverge=on_diverge,
    )


def gaussian_outcomes(trajectory, *, truth, spec):
    """The single-Gaussian classifier of a trajectory: {n_converged (R,), outcome (R,)}
    (:func:`scorematch.outcomes.classify_outcomes` with spec's thresholds; truth unused)."""
    n_converged, outcome = classify_outcomes(
        trajectory.distance,
        converge_tol=spec["converge_tol"],
        diverge_radius=spec["diverge_radius"],
        diverged_at=trajectory.diverged_at,
    )
    return {"n_converged": n_converged, "outcome": outcome}


def descend_and_classify(initial, mu_star, spec, *, classifier=gaussian_outcomes, **descent):
    """GD from given initial vectors with spec's eta, n_steps, n_records and thresholds.

    initial: (R, n, d); mu_star: (d,) (a mixture truth: its means (K, d)).
    classifier: callable (trajectory, *, truth, spec) -> dict of per-run arrays, merged
    into the result (default :func:`gaussian_outcomes`).
    descent: the other keywords of :func:`scorematch.dynamics.gradient_descent`
    (dynamics, generators, rule, on_record, on_diverge).
    Returns the arrays of :func:`run_specification` (with the default classifier).
    """
    trajectory = gradient_descent(
        initial,
        mu_star,
        eta=spec["eta"],
        record_at=log_spaced_steps(spec["n_steps"], n_records=spec["n_records"]),
        **descent,
    )
    return {
        **trajectory_arrays(trajectory, initial=initial, target=mu_star),
        "norm": trajectory.norm,
        "centre": trajectory.centre,
        "spread": trajectory.spread,
        **classifier(trajectory, truth=mu_star, spec=spec),
    }

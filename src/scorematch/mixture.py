"""Past the paper: the student of the paper trained against a Gaussian-mixture truth.

Truth: the equal-weight mixture q = (1/K) sum_j N(m_j, I_d), in the scaled frame of one
noise level (every m_j and mu_i already multiplied by exp(-t)).  Its score is
sum_j v_j(x) m_j - x with the posterior weights v_j = softmax_j(x . m_j - |m_j|^2 / 2);
the student's is f(x) - x, f = sum_i w_i(x) mu_i, w_i = softmax_i(x . mu_i - |mu_i|^2 / 2).
The -x terms cancel, so with h = sum_j v_j m_j

    L = E_{x ~ q} || f(x) - h(x) ||^2 = (1/K) sum_j E_{z ~ N(0, I)} || f - h ||^2 (m_j + z),
    grad_{mu_i} L = 2 E_{x ~ q}[ w_i (f - h) + w_i ((mu_i - f) . (f - h)) (x - mu_i) ]

(h does not depend on mu; the Jacobian of f in mu_i is w_i [I + (mu_i - f)(x - mu_i)^T]).
In the frame of component j (z = x - m_j, c_i = mu_i - m_j, b_l = m_l - m_j) every logit
keeps the form z . c - |c|^2 / 2 up to terms common to its softmax group, so the integrand
depends on z only through its projection on span{c_i, b_l} (rank <= min(n + K - 1, d)),
and f - h = sum_i w_i c_i - sum_l v_l b_l.  Each component's expectation goes through
:func:`scorematch.population.integrate_in_span` with two softmax groups (students,
truth), so the integration rule places panels at the transitions of both.  For K = 1,
h = 0 and everything reduces to :func:`scorematch.population.population_loss_and_gradient`.
"""

import numpy as np

from scorematch import engine
from scorematch.claims import fraction_with_interval
from scorematch.dynamics import Dynamics
from scorematch.experiment import descend_and_classify, integration_rule
from scorematch.outcomes import converged_and_diverging, value_counts
from scorematch.phase import critical_spread, critical_spread_law, phase_initial
from scorematch.population import (
    integrate_in_span,
    loss_and_gradient_on_points,
    scale_to_noise,
    softmax_weights,
)
from scorematch.quadrature import LineRule
from scorematch.rates import bootstrap_exponent, tail_fit, tail_window
from scorematch.theorems import largest_hessian_eigenvalues

TRUTH_LAYOUTS = ("line", "polygon")
MIXTURE_KINDS = ("exact", "over", "small_init")


def truth_means(*, components, separation, dim, layout="line"):
    """(K, d) equal-weight mixture means, centred at the origin, neighbours `separation` apart.

    layout "line": equally spaced on the e1 axis, m_j = (j - (K - 1) / 2) * separation * e1
    (collinear: rank 1 with students on e1).  "polygon": the vertices of a regular K-gon in
    the (e1, e2) plane, vertex j at angle 2 pi j / K (vertex 0 on +e1), side `separation`
    (K = 3: an equilateral triangle, k = 2; K <= 2: the line); needs dim >= 2 when K >= 3.
    """
    if layout not in TRUTH_LAYOUTS:
        raise ValueError(f"layout {layout!r}: allowed {', '.join(TRUTH_LAYOUTS)}")
    means = np.zeros((components, dim))
    if layout == "line" or components <= 2:
        means[:, 0] = (np.arange(components) - 0.5 * (components - 1)) * separation
        return means
    if dim < 2:
        raise ValueError(f"layout polygon with {components} components needs dim >= 2, got {dim}")
    angles = 2.0 * np.pi * np.arange(components) / components
    radius = separation / (2.0 * np.sin(np.pi / components))
    means[:, 0], means[:, 1] = radius * np.cos(angles), radius * np.sin(angles)
    return means


def _residual_on_points(n_students):
    """Integrand of one component's expectation: rows [:n_students] of coords are the
    students, the rest the truth means, all relative to that component's mean."""

    def integrand(coords, points, weights):
        students, truth = coords[:, :n_students], coords[:, n_students:]
        posterior = softmax_weights(points, truth)  # (r, K, P)
        target = np.swapaxes(truth, -1, -2) @ posterior  # h relative to the mean: (r, k, P)
        return loss_and_gradient_on_points(students, points, weights, target=target)

    return integrand


def mixture_loss_and_gradient(mu, means, *, rule=LineRule()):
    """Population-exact loss and gradient against the mixture with these means.

    mu: (R, n, d) students; means: (K, d) or (R, K, d) truth means (scaled frame).
    Returns loss (R,) and gradient (R, n, d), float64.
    """
    mu = np.asarray(mu, dtype=np.float64)
    runs, n, d = mu.shape
    means = np.asarray(means, dtype=np.float64)
    means = np.broadcast_to(means, (runs, *means.shape[-2:]))
    components = means.shape[1]
    centres = np.concatenate([mu, means], axis=1)
    # one batch over (component j, run r): row j * R + r has reference m_j of run r
    centres = np.broadcast_to(centres, (components, *centres.shape)).reshape(components * runs, n + components, d)
    references = np.swapaxes(means, 0, 1).reshape(components * runs, d)
    loss, gradient = integrate_in_span(
        centres, references, _residual_on_points(n), rule=rule, group_sizes=(n, components)
    )
    return loss.reshape(components, runs).mean(axis=0), gradient.reshape(components, runs, n, d).mean(axis=0)


def component_distances(mu, means):
    """||mu_i - m_j||: (R, n, K) for mu (R, n, d) and means (K, d)."""
    return np.linalg.norm(np.asarray(mu)[:, :, None, :] - np.asarray(means)[None, None], axis=-1)


MIXTURE_GD = Dynamics(truth="mixture")


def component_outcomes(trajectory, *, truth, spec):
    """Which truth component each student reached, and which students are diverging: the
    classifier of :func:`scorematch.experiment.descend_and_classify` for a mixture truth.

    trajectory: a :class:`scorematch.dynamics.Trajectory` (distance (R, T, n): to the
    nearest mean; final (R, n, d)); truth: the means (K, d); spec: converge_tol,
    diverge_radius.  A student has converged to its nearest component when that final
    distance is below converge_tol; it is diverging when its final distance to every
    component exceeds diverge_radius and still grew over the last recorded interval (the
    single-Gaussian classifier's rule, per nearest component); it is at the mixture mean
    (the one-student optimum) when not converged and within converge_tol of the means'
    average.
    Returns a dict: per_component (R, K) int64 converged students per component,
    diverging (R,) int64, at_mixture_mean (R,) int64, recovered (R,) bool (every component
    has a converged student), split (R,) bool (recovered and every student converged).
    """
    truth = np.asarray(truth, dtype=np.float64)
    nearest = component_distances(trajectory.final, truth).argmin(axis=-1)
    tol = spec["converge_tol"]
    converged, diverging = converged_and_diverging(
        trajectory.distance, converge_tol=tol, diverge_radius=spec["diverge_radius"]
    )
    at_mean = (np.linalg.norm(trajectory.final - truth.mean(axis=0), axis=-1) < tol) & ~converged
    per_component = (converged[..., None] & (nearest[..., None] == np.arange(len(truth)))).sum(axis=1)
    recovered = (per_component > 0).all(axis=-1)
    return {
        "per_component": per_component.astype(np.int64),
        "diverging": diverging.sum(axis=-1).astype(np.int64),
        "at_mixture_mean": at_mean.sum(axis=-1).astype(np.int64),
        "recovered": recovered,
        "split": recovered & converged.all(axis=-1),
    }


# finer than the package's rule on every axis: at least 40 outer Gauss-Hermite nodes, and
# on the inner line and the outer line rule of k = 2 more Gauss-Legendre nodes on
# narrower panels
REFERENCE_RULE = LineRule(hermite_nodes=40, hermite_schedule=(), legendre_nodes=14, base_panel_width=2.0)


def rule_accuracy(mu, means, *, rule, reference=REFERENCE_RULE):
    """How far the integration rule is from a finer one at these states (the reference:
    :data:`REFERENCE_RULE`).

    mu: (R, n, d); means: (K, d).  Returns (3,): the largest over the runs of the relative
    loss difference |L - L_ref| / |L_ref|, of the relative gradient difference
    ||g - g_ref|| / ||g_ref|| (large near stationary states, where g_ref is small) and of
    the absolute gradient difference ||g - g_ref||.
    """
    loss, gradient = engine.evaluate(mu, means, rule=rule, mixture=True)
    loss_ref, gradient_ref = engine.evaluate(mu, means, rule=reference, mixture=True)
    tiny = np.finfo(np.float64).tiny
    gradient_gap = np.linalg.norm((gradient - gradient_ref).reshape(len(mu), -1), axis=-1)
    gradient_size = np.linalg.norm(gradient_ref.reshape(len(mu), -1), axis=-1)
    return np.array(
        [
            np.max(np.abs(loss - loss_ref) / np.maximum(np.abs(loss_ref), tiny)),
            np.max(gradient_gap / np.maximum(gradient_size, tiny)),
            np.max(gradient_gap),
        ]
    )


def simulate_case(settings, *, n, separation, sigmas, offsets):
    """One mixture case: n students from a cluster around the start point, GD, outcomes.

    settings: the `mixture` config keys components, dim, layout, hermite_nodes,
    noise_scale, start_distance, eta, n_steps, n_records, converge_tol, diverge_radius,
    hessian_step.  Truth: the K means of :func:`truth_means` at this separation; students
    (unscaled) mu_i(0) = start_distance e1 + sigma xi_i, xi = offsets (R, n, d) shared by
    every sigma (rows: sigma-major, see :func:`scorematch.phase.phase_initial`);
    everything then scaled by exp(-t).  GD and classification go through
    :func:`scorematch.experiment.descend_and_classify` with :func:`component_outcomes`.
    Returns a dict of arrays: those of descend_and_classify (tau (T,), loss (S R, T),
    distance (S R, T, n) to the nearest mean, initial and final (S R, n, d), target (K, d)
    the means, diverged_at, norm, centre, spread) and of component_outcomes, with
    sigma (S R,), hessian_max (S R,) (largest Hessian eigenvalue at the final state),
    rule_error_initial and rule_error_final (3,): :func:`rule_accuracy` of the case's rule
    against :data:`REFERENCE_RULE` at those states.
    """
    t = settings["noise_scale"]
    dim = settings["dim"]
    rule = integration_rule(settings)
    means = scale_to_noise(
        truth_means(components=settings["components"], separation=separation, dim=dim, layout=settings["layout"]),
        noise_scale=t,
    )
    start = np.zeros(dim)
    start[0] = settings["start_distance"]
    initial = scale_to_noise(start + phase_initial(sigmas, offsets), noise_scale=t)
    out = descend_and_classify(initial, means, settings, dynamics=MIXTURE_GD, rule=rule, classifier=component_outcomes)
    return {
        **out,
        "sigma": np.repeat(np.asarray(sigmas, dtype=np.float64), len(offsets)),
        "hessian_max": largest_hessian_eigenvalues(
            out["final"], means, step=settings["hessian_step"], rule=rule, loss_and_gradient=mixture_loss_and_gradient
        ),
        **{f"rule_error_{state}": rule_accuracy(out[state], means, rule=rule) for state in ("initial", "final")},
    }


def case_summary(case, *, level):
    """Outcome summary of one simulated case (one sigma): fractions with Clopper-Pearson
    intervals, students per component, diverging and stalled counts, Hessian check."""
    per_component = case["per_component"]
    return {
        "runs": int(len(per_component)),
        "recovered": fraction_with_interval(case["recovered"], level=level),
        "split": fraction_with_interval(case["split"], level=level),
        "component_reached": [
            fraction_with_interval(per_component[:, j] > 0, level=level) for j in range(per_component.shape[1])
        ],
        "students_per_component_mean": per_component.mean(axis=0).tolist(),
        "diverging_counts": value_counts(case["diverging"]),
        "at_mixture_mean_counts": value_counts(case["at_mixture_mean"]),
        "final_loss_median": float(np.median(case["loss"][:, -1])),
        "non_finite_runs": int((case["diverged_at"] >= 0).sum()),
        "hessian_max": {"median": float(np.median(case["hessian_max"])), "max": float(case["hessian_max"].max())},
        "rule_error": rule_error_summary(case),
    }


def rule_error_summary(case):
    """The case's rule against the reference rule (:func:`rule_accuracy`) at its initial and
    final states: {state: {loss_relative, gradient_relative, gradient_absolute}}."""
    names = ("loss_relative", "gradient_relative", "gradient_absolute")
    return {state: dict(zip(names, map(float, case[f"rule_error_{state}"]))) for state in ("initial", "final")}


def rate_summary(case, *, window, n_boot, rng, level):
    """Tail exponents of the loss over window (lo, hi): per-run median and quartiles for
    all runs, for the recovered runs with at least one diverging student, and the seed-mean
    exponent of that group with its bootstrap interval (rates.bootstrap_exponent)."""
    _, exponents = tail_fit(case["tau"], case["loss"], lo=window[0], hi=window[1])
    group = case["recovered"] & (case["diverging"] > 0)
    summary = {
        "window": [float(window[0]), float(window[1])],
        "all_runs": exponent_summary(exponents),
        "recovered_with_diverging": exponent_summary(exponents[group]),
        "recovered_with_diverging_mean_curve": None,
    }
    if group.sum() >= 2 and np.all(case["loss"][group] > 0):
        exponent, ci = bootstrap_exponent(
            case["tau"], case["loss"][group], lo=window[0], hi=window[1], n_boot=n_boot, rng=rng, level=level
        )
        summary["recovered_with_diverging_mean_curve"] = {
            "exponent": float(exponent),
            "ci": [float(ci[0]), float(ci[1])],
            "runs": int(group.sum()),
        }
    return summary


def exponent_summary(exponents):
    """Median, quartiles and count of the finite exponents (None when there are none)."""
    finite = np.asarray(exponents, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return {"runs_fitted": 0, "median": None, "q25": None, "q75": None}
    q25, median, q75 = np.quantile(finite, [0.25, 0.5, 0.75])
    return {"runs_fitted": int(finite.size), "median": float(median), "q25": float(q25), "q75": float(q75)}


def split_by_spread(case):
    """Split fraction per initial spread: sigmas (S,), fraction (S,), seeds per sigma."""
    sigmas = np.unique(case["sigma"])
    split = np.asarray(case["split"]).reshape(len(sigmas), -1)
    return sigmas, split.mean(axis=1), split.shape[1]


def kind_summary(kind, cases, *, level, split_level, tail, rng):
    """JSON-ready summary of one experiment kind ("exact", "over" or "small_init").

    cases: list of (n, separation, arrays of :func:`simulate_case`).  level: confidence
    level of every interval; split_level: the small-initialisation sigma* threshold
    (largest sigma with split fraction >= split_level, the phase diagram's definition;
    None for the other kinds); tail: {decades, min_points, n_boot} of the rates stage; rng: the bootstrap stream.
    """
    rows = []
    for n, separation, case in sorted(cases, key=lambda c: (c[0], c[1])):
        row = {"n": int(n), "separation": float(separation)}
        if kind == "small_init":
            sigmas, fraction, _ = split_by_spread(case)
            flags = np.asarray(case["split"]).reshape(len(sigmas), -1)
            row["by_sigma"] = [
                {"sigma": float(s), **fraction_with_interval(f, level=level)} for s, f in zip(sigmas, flags)
            ]
            value, status = critical_spread(sigmas, fraction, level=split_level)
            row["sigma_star"] = None if np.isnan(value) else value
            row["sigma_star_status"] = status
            row["hessian_max"] = float(case["hessian_max"].max())
            row["rule_error"] = rule_error_summary(case)
        else:
            row.update(case_summary(case, level=level))
            window = tail_window(case["tau"], decades=tail["decades"], min_points=tail["min_points"])
            row["rate"] = rate_summary(case, window=window, n_boot=tail["n_boot"], rng=rng, level=level)
        rows.append(row)
    summary = {"kind": kind, "cases": rows}
    if kind == "small_init":
        summary["laws"] = {
            str(n): critical_spread_law(
                [r["separation"] for r in rows if r["n"] == n],
                [np.nan if r["sigma_star"] is None else r["sigma_star"] for r in rows if r["n"] == n],
            )
            for n in sorted({r["n"] for r in rows})
        }
    return summary

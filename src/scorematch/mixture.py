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

from scorematch.claims import binomial_interval
from scorematch.dynamics import Dynamics, gradient_descent, log_spaced_steps
from scorematch.phase import critical_spread, fit_line, phase_initial
from scorematch.population import (
    integrate_in_span,
    loss_and_gradient_on_points,
    scale_to_noise,
    softmax_weights,
)
from scorematch.quadrature import LineRule
from scorematch.rates import bootstrap_exponent, tail_fit, tail_window
from scorematch.theorems import finite_difference_hessian


def truth_means(*, components, separation, dim):
    """(K, d) equally spaced means on the e1 axis, neighbours `separation` apart, centred
    at the origin: m_j = (j - (K - 1) / 2) * separation * e1."""
    means = np.zeros((components, dim))
    means[:, 0] = (np.arange(components) - 0.5 * (components - 1)) * separation
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


def mixture_loss(mu, means, *, rule=LineRule()):
    """Population-exact mixture loss (R,) for mu (R, n, d) and means (K, d) or (R, K, d)."""
    return mixture_loss_and_gradient(mu, means, rule=rule)[0]


def component_distances(mu, means):
    """||mu_i - m_j||: (R, n, K) for mu (R, n, d) and means (K, d)."""
    return np.linalg.norm(np.asarray(mu)[:, :, None, :] - np.asarray(means)[None, None], axis=-1)


MIXTURE_GD = Dynamics(truth="mixture")


def mixture_descent(initial, means, *, eta, record_at, rule=LineRule()):
    """Population-exact GD on the mixture loss, states recorded at record_at.

    The one place the mixture experiments call the descent path
    (:func:`scorematch.dynamics.gradient_descent` with a mixture truth, compiled): it
    advances from one recorded iteration to the next, so that the distances to every
    component are recorded here.  Plain GD keeps no state between steps beyond mu, so the
    intervals chain exactly.
    initial: (R, n, d); means: (K, d); record_at: (T,) sorted, starting at 0.
    Returns a dict: tau (T,), loss (R, T) (the mixture loss), distance (R, T, n, K),
    final (R, n, d), diverged_at (R,) int64 (first non-finite iteration, -1: none).
    """
    record_at = np.asarray(record_at, dtype=np.int64)
    mu = np.array(initial, dtype=np.float64)
    diverged_at = np.full(len(mu), -1, dtype=np.int64)
    states, losses = [], []
    for start, stop in zip(np.concatenate([[0], record_at[:-1]]), record_at):
        trajectory = gradient_descent(mu, means, eta=eta, record_at=[stop - start], dynamics=MIXTURE_GD, rule=rule)
        mu = trajectory.final
        newly = (diverged_at < 0) & (trajectory.diverged_at >= 0)
        diverged_at[newly] = start + trajectory.diverged_at[newly]
        states.append(mu)
        losses.append(trajectory.loss[:, -1])
    states = np.stack(states, axis=1)  # (R, T, n, d)
    return {
        "tau": record_at,
        "loss": np.stack(losses, axis=1),
        "distance": component_distances(states.reshape(-1, *states.shape[2:]), means).reshape(
            *states.shape[:3], len(means)
        ),
        "final": mu,
        "diverged_at": diverged_at,
    }


def component_outcomes(distance, *, converge_tol, diverge_radius):
    """Which truth component each student reached, and which students are diverging.

    distance: (R, T, n, K) recorded distances.  A student has converged to its nearest
    component when that final distance is below converge_tol; it is diverging when its
    final distance to every component exceeds diverge_radius and still grew over the last
    recorded interval (the single-Gaussian classifier's rule, per nearest component).
    Returns a dict: per_component (R, K) int64 converged students per component,
    diverging (R,) int64, recovered (R,) bool (every component has a converged student),
    split (R,) bool (recovered and every student converged).
    """
    final = distance[:, -1]
    nearest = final.argmin(axis=-1)
    closest = final.min(axis=-1)
    converged = closest < converge_tol
    diverging = (closest > diverge_radius) & (closest > distance[:, -2].min(axis=-1))
    components = distance.shape[-1]
    per_component = (converged[..., None] & (nearest[..., None] == np.arange(components))).sum(axis=1)
    recovered = (per_component > 0).all(axis=-1)
    return {
        "per_component": per_component.astype(np.int64),
        "diverging": diverging.sum(axis=-1).astype(np.int64),
        "recovered": recovered,
        "split": recovered & converged.all(axis=-1),
    }


def largest_hessian_eigenvalues(mu, means, *, step, rule=LineRule()):
    """Largest eigenvalue of the mixture loss Hessian at each configuration: (R,).

    mu: (R, n, d); means: (K, d).  Central differences of the exact gradient.
    """
    return np.array(
        [
            np.linalg.eigvalsh(
                finite_difference_hessian(m, means, step=step, rule=rule, loss_and_gradient=mixture_loss_and_gradient)[
                    0
                ]
            ).max()
            for m in np.asarray(mu, dtype=np.float64)
        ]
    )


def fraction_with_interval(flags, *, level):
    """{count, runs, fraction, ci_lo, ci_hi}: Clopper-Pearson interval of a fraction."""
    flags = np.asarray(flags, dtype=bool)
    count, runs = int(flags.sum()), int(flags.size)
    lo, hi = binomial_interval(count, runs, level=level)
    return {"count": count, "runs": runs, "fraction": count / runs, "ci_lo": lo, "ci_hi": hi}


def simulate_case(settings, *, n, separation, sigmas, offsets, rule=LineRule()):
    """One mixture case: n students from a cluster around the start point, GD, outcomes.

    settings: the `mixture` config keys components, dim, noise_scale, start_distance, eta,
    n_steps, n_records, converge_tol, diverge_radius, hessian_step.  Truth: the K means of
    :func:`truth_means` at this separation; students (unscaled) mu_i(0) = start_distance e1
    + sigma xi_i, xi = offsets (R, n, d) shared by every sigma (rows: sigma-major, see
    :func:`scorematch.phase.phase_initial`); everything then scaled by exp(-t).
    Returns a dict of arrays: means (K, d), sigma (S R,), tau (T,), loss (S R, T),
    distance (S R, T, n, K), initial and final (S R, n, d), per_component (S R, K),
    diverging, at_mixture_mean (S R,) int64, recovered, split (S R,) bool,
    hessian_max (S R,) (largest Hessian eigenvalue at the final state) and diverged_at
    (S R,) int64 (first non-finite iteration, -1: none).
    """
    t = settings["noise_scale"]
    dim = settings["dim"]
    means = scale_to_noise(
        truth_means(components=settings["components"], separation=separation, dim=dim), noise_scale=t
    )
    start = np.zeros(dim)
    start[0] = settings["start_distance"]
    initial = scale_to_noise(start + phase_initial(sigmas, offsets), noise_scale=t)
    out = mixture_descent(
        initial,
        means,
        eta=settings["eta"],
        record_at=log_spaced_steps(settings["n_steps"], n_records=settings["n_records"]),
        rule=rule,
    )
    tol = settings["converge_tol"]
    outcomes = component_outcomes(out["distance"], converge_tol=tol, diverge_radius=settings["diverge_radius"])
    converged = out["distance"][:, -1].min(axis=-1) < tol
    # the single-centre optimum: one student alone fits the mixture best at its mean
    at_mean = (np.linalg.norm(out["final"] - means.mean(axis=0), axis=-1) < tol) & ~converged
    return {
        "means": means,
        "sigma": np.repeat(np.asarray(sigmas, dtype=np.float64), len(offsets)),
        "tau": out["tau"],
        "loss": out["loss"],
        "distance": out["distance"],
        "initial": initial,
        "final": out["final"],
        **outcomes,
        "at_mixture_mean": at_mean.sum(axis=-1).astype(np.int64),
        "hessian_max": largest_hessian_eigenvalues(out["final"], means, step=settings["hessian_step"], rule=rule),
        "diverged_at": out["diverged_at"],
    }


def _counts(values):
    """{value: count} of an integer array (JSON-ready keys)."""
    labels, counts = np.unique(np.asarray(values), return_counts=True)
    return {str(int(label)): int(count) for label, count in zip(labels, counts)}


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
        "diverging_counts": _counts(case["diverging"]),
        "at_mixture_mean_counts": _counts(case["at_mixture_mean"]),
        "final_loss_median": float(np.median(case["loss"][:, -1])),
        "non_finite_runs": int((case["diverged_at"] >= 0).sum()),
        "hessian_max": {"median": float(np.median(case["hessian_max"])), "max": float(case["hessian_max"].max())},
    }


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


def critical_spread_law(separations, sigma_stars):
    """Least-squares ln sigma* against the separation over the finite sigma* (None if < 3)."""
    separations = np.asarray(separations, dtype=np.float64)
    sigma_stars = np.asarray(sigma_stars, dtype=np.float64)
    ok = np.isfinite(sigma_stars)
    if ok.sum() < 3:
        return None
    return fit_line(separations[ok], np.log(sigma_stars[ok]))


def kind_summary(kind, cases, *, level, split_level, tail, rng):
    """JSON-ready summary of one experiment kind ("exact", "over" or "small_init").

    cases: list of (n, separation, arrays of :func:`simulate_case`).  level: confidence
    level of every interval; split_level: the small-initialisation sigma* threshold
    (largest sigma with split fraction >= split_level, the phase diagram's definition);
    tail: {decades, min_points, n_boot} of the rates stage; rng: the bootstrap stream.
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

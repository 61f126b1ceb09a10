"""Numerics of the "past the paper" experiments.

- Phase diagram of the intermediate regime: outcome fractions per (initial spread sigma,
  distance M) cell, the empirical critical spread sigma*(M) and a least-squares law for
  log sigma* against M.
- Population gradient EM: the first term of the score-matching gradient only,
  2 E[w_i g] = -2 E[w_i (x - mu_i)] (Stein's identity), on the same quadrature rule.
- Noise scale: convergence relative to the start, for the all-converge fraction against t.
- Alternative dynamics from the same initial parameters: GD on the loss averaged over
  several noise levels, SGD and Adam, all as a :class:`scorematch.dynamics.Dynamics` of
  the one descent path.
- A per-method summary (tail exponents, outcomes) shared by the comparison figures.
"""

import numpy as np

from scorematch.dynamics import Dynamics, mark_diverged
from scorematch.population import integrate_in_span, population_loss_and_gradient, softmax_weights
from scorematch.quadrature import LineRule
from scorematch.rates import local_slopes, tail_fit

PHASE_LABELS = ("all", "one", "none", "other", "diverged")


# ------------------------------------------------------------------ phase diagram


def phase_initial(sigmas, offsets):
    """Initial parameters of a phase-diagram column: (S * R, n, d).

    sigmas: (S,) spreads; offsets: (R, n, d) standard-normal draws, one per seed, shared
    by every sigma (common random numbers: seed r at sigma s starts at s * offsets[r]).
    Row s * R + r is sigma index s, seed r.
    """
    sigmas = np.asarray(sigmas, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.float64)
    return (sigmas[:, None, None, None] * offsets[None]).reshape(-1, *offsets.shape[1:])


def phase_outcomes(final_distance, *, converge_tol, diverge_radius, diverged_at=None):
    """Outcome label per run from the final distances (..., n) to mu*.

    "all": every parameter within converge_tol; "one": exactly one within it and every
    other one beyond diverge_radius; "none": no parameter within converge_tol;
    "other": anything else (e.g. two of five converged); "diverged": the run stopped on
    non-finite numbers (diverged_at (...) >= 0, optional).
    Returns n_converged (...) int64 and outcome (...) str.
    """
    final_distance = np.asarray(final_distance, dtype=np.float64)
    converged = final_distance < converge_tol
    n_converged = converged.sum(-1)
    far = (converged | (final_distance > diverge_radius)).all(-1)
    outcome = np.where(
        converged.all(-1),
        "all",
        np.where((n_converged == 1) & far, "one", np.where(n_converged == 0, "none", "other")),
    )
    return n_converged.astype(np.int64), mark_diverged(outcome, diverged_at)


def outcome_fractions(outcome):
    """{label: (...) fraction over the last axis (seeds)} for every PHASE_LABELS label."""
    outcome = np.asarray(outcome)
    return {label: (outcome == label).mean(axis=-1) for label in PHASE_LABELS}


def critical_spread(sigmas, fraction_all, *, level=0.5):
    """Largest sigma with fraction_all >= level, interpolated in log sigma.

    sigmas: (S,) increasing; fraction_all: (S,).  Let i be the largest index with
    fraction_all[i] >= level.  The crossing is interpolated linearly in log sigma
    between sigmas[i] and sigmas[i + 1] (where the fraction is below level).
    Returns (sigma_star, status): status "ok"; "above_grid" (the last sigma still has
    fraction >= level: sigma* >= sigmas[-1], returned as NaN) or "below_grid" (no sigma
    reaches level: NaN).
    """
    sigmas = np.asarray(sigmas, dtype=np.float64)
    fraction_all = np.asarray(fraction_all, dtype=np.float64)
    if np.any(np.diff(sigmas) <= 0):
        raise ValueError("sigmas must be strictly increasing")
    above = np.flatnonzero(fraction_all >= level)
    if above.size == 0:
        return float("nan"), "below_grid"
    i = int(above[-1])
    if i == len(sigmas) - 1:
        return float("nan"), "above_grid"
    f0, f1 = fraction_all[i], fraction_all[i + 1]
    x0, x1 = np.log(sigmas[i]), np.log(sigmas[i + 1])
    x = x0 + (f0 - level) / (f0 - f1) * (x1 - x0)
    return float(np.exp(x)), "ok"


def fit_line(x, y):
    """Ordinary least squares y = intercept + slope x with standard errors.

    Returns a dict: slope, intercept, slope_se, intercept_se, n_points, residual_sd.
    Standard errors need at least 3 points (NaN otherwise); 2 points fit exactly.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError("need two 1-D arrays of equal length >= 2")
    n = len(x)
    xm, ym = x.mean(), y.mean()
    sxx = ((x - xm) ** 2).sum()
    if sxx == 0:
        raise ValueError("x has no spread")
    slope = ((x - xm) * (y - ym)).sum() / sxx
    intercept = ym - slope * xm
    residual = y - intercept - slope * x
    if n > 2:
        s2 = (residual**2).sum() / (n - 2)
        slope_se = np.sqrt(s2 / sxx)
        intercept_se = np.sqrt(s2 * (1.0 / n + xm**2 / sxx))
        residual_sd = np.sqrt(s2)
    else:
        slope_se = intercept_se = residual_sd = float("nan")
    return {
        "slope": float(slope),
        "intercept": float(intercept),
        "slope_se": float(slope_se),
        "intercept_se": float(intercept_se),
        "n_points": int(n),
        "residual_sd": float(residual_sd),
    }


# ------------------------------------------------------------------ gradient EM


def _em_direction_on_points(coords, points, weights):
    """Loss (R,) and EM direction (R, n, k) as weighted sums over integration points."""
    w = softmax_weights(points, coords)  # (R, n, P)
    g = np.swapaxes(coords, -1, -2) @ w  # (R, k, P)
    loss = (weights * (g**2).sum(axis=1)).sum(-1)
    return loss, 2.0 * (weights[:, None, :] * w) @ np.swapaxes(g, -1, -2)


def gradient_em_direction(mu, mu_star, *, rule=LineRule()):
    """Population gradient-EM direction 2 E[w_i(x) g(x)], g = sum_j w_j mu_j - mu*.

    The numpy reference of the descent's :data:`GRADIENT_EM` dynamics.  The first term of
    the score-matching gradient; by Stein's identity it equals
    -2 E[w_i(x) (x - mu_i)], x ~ N(mu*, I).  Same reduced k-dimensional quadrature as
    :func:`scorematch.population.population_loss_and_gradient`.
    mu: (R, n, d); mu_star: (d,) or (R, d).  Returns (R, n, d).
    """
    return integrate_in_span(mu, mu_star, _em_direction_on_points, rule=rule)[1]


GRADIENT_EM = Dynamics(direction="em")


# ------------------------------------------------------------------ noise scale


def relative_convergence(distance, *, ratio):
    """Parameters whose final distance to mu* is at most `ratio` times their initial one.

    distance: (R, T, n) recorded distances (scaled frame: an absolute tolerance would call
    every run converged once exp(-t) M is below it).  Returns n_converged (R,) int64 and
    all_converged (R,) bool.
    """
    distance = np.asarray(distance, dtype=np.float64)
    converged = distance[:, -1, :] <= ratio * distance[:, 0, :]
    return converged.sum(-1).astype(np.int64), converged.all(-1)


def noise_scale_summary(ts, fraction, threshold, section):
    """The noise-scale experiment's JSON summary.

    ts: (T,) increasing noise scales; fraction: (T,) all-converge fraction per t;
    threshold: the paper's sufficient t; section: the config section `noise_scale`.
    """
    # smallest t from which every larger grid t has fraction 1
    full = np.flatnonzero(fraction < 1.0)
    t_full = (
        float(ts[full[-1] + 1]) if full.size and full[-1] + 1 < len(ts) else (float(ts[0]) if not full.size else None)
    )
    return {
        "definition": (
            f"a parameter converges when its final distance to mu*_t is at most "
            f"{section['converge_ratio']} times its initial one; fraction of runs where all do"
        ),
        "sufficient_threshold_log_n_plus_log_M_plus_2": threshold,
        "smallest_t_with_fraction_1_from_there_on": t_full,
        "eta": section["eta"],
        "n_steps": section["n_steps"],
        "runs_per_t": section["runs"],
        "fractions": [{"t": float(t), "fraction_all": float(f)} for t, f in zip(ts, fraction)],
    }


# ------------------------------------------------------------------ alternative dynamics


def time_averaged_loss_and_gradient(mu, mu_star, *, noise_scales, rule=LineRule()):
    """The loss averaged over noise levels, (1/T) sum_t L_t, and its gradient.

    The numpy reference of the descent's Dynamics(noise_scales=...).
    The parameters mu_i are shared across levels: L_t(mu) = L(e^{-t} mu; e^{-t} mu*)
    (student and data scaled alike), so grad_mu L_t = e^{-t} (grad L)(e^{-t} mu).
    mu: (R, n, d) unscaled; mu_star: (d,); noise_scales: (T,) values of t, equal weights.
    Returns loss (R,) and gradient (R, n, d).
    """
    mu = np.asarray(mu, dtype=np.float64)
    runs, n, d = mu.shape
    scales = np.exp(-np.asarray(noise_scales, dtype=np.float64))  # (T,)
    levels = len(scales)
    targets = np.broadcast_to(scales[:, None, None] * np.asarray(mu_star, dtype=np.float64), (levels, runs, d))
    loss, gradient = population_loss_and_gradient(
        (scales[:, None, None, None] * mu).reshape(levels * runs, n, d), targets.reshape(levels * runs, d), rule=rule
    )
    gradient = gradient.reshape(levels, runs, n, d) * scales[:, None, None, None]
    return loss.reshape(levels, runs).mean(axis=0), gradient.mean(axis=0)


def method_summary(tau, loss, final_distance, *, window, converge_tol, diverge_radius, slope_window_decades):
    """Tail exponents and outcomes of one method's runs.

    tau: (T,); loss: (R, T); final_distance: (R, n); window: (lo, hi) of the tail fit.
    Returns the summary dict (per-run exponent median, quartiles, mean and standard error,
    exponent of the mean curve, final loss median, outcome counts) and the local slopes
    (centres (W,), slopes (R, W)).
    """
    lo, hi = window
    _, exponent = tail_fit(tau, loss, lo=lo, hi=hi)
    finite = exponent[np.isfinite(exponent)]
    _, mean_exponent = tail_fit(tau, loss.mean(axis=0), lo=lo, hi=hi)
    _, outcome = phase_outcomes(final_distance, converge_tol=converge_tol, diverge_radius=diverge_radius)
    labels, counts = np.unique(outcome, return_counts=True)
    summary = {
        "exponent_median": float(np.median(finite)) if finite.size else None,
        "exponent_q25_q75": [float(q) for q in np.quantile(finite, [0.25, 0.75])] if finite.size else None,
        "exponent_mean": float(finite.mean()) if finite.size else None,
        "exponent_se": float(finite.std(ddof=1) / np.sqrt(finite.size)) if finite.size > 1 else None,
        "exponent_of_mean_curve": float(mean_exponent[0]),
        "runs_fitted": int(finite.size),
        "final_loss_median": float(np.median(loss[:, -1])),
        "outcomes": dict(zip(labels.tolist(), map(int, counts))),
    }
    return summary, local_slopes(tau, loss, window_decades=slope_window_decades)


def alternative_dynamics(method, *, eta):
    """Dynamics and step size of one alternative method (config `alternatives`).

    method: {"kind": "time_averaged", "noise_scales": [...]} (full-batch GD on the averaged
    loss), {"kind": "sgd", "batch_size": B} (GD on a fresh minibatch each step) or
    {"kind": "adam", "batch_size": B, "learning_rate", "beta1", "beta2", "epsilon"} (Adam on
    minibatch gradients).  eta: the GD step size used by time_averaged and sgd.
    Returns (dynamics, step_size) for :func:`scorematch.dynamics.gradient_descent`
    (sgd and adam need one generator per run there).
    """
    kind = method["kind"]
    if kind == "time_averaged":
        return Dynamics(noise_scales=tuple(float(t) for t in method["noise_scales"])), eta
    if kind == "sgd":
        return Dynamics(batch_size=int(method["batch_size"])), eta
    if kind == "adam":
        dynamics = Dynamics(
            batch_size=int(method["batch_size"]),
            optimizer="adam",
            beta1=float(method["beta1"]),
            beta2=float(method["beta2"]),
            epsilon=float(method["epsilon"]),
        )
        return dynamics, method["learning_rate"]
    raise ValueError(f"alternatives: unknown method kind {kind!r} (allowed: time_averaged, sgd, adam)")

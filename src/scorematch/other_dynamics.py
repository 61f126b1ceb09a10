"""Dynamics other than score-matching GD from the same initial parameters, and the
per-method summary shared by the comparison figures.

- Population gradient EM: the first term of the score-matching gradient only,
  2 E[w_i g] = -2 E[w_i (x - mu_i)] (Stein's identity), on the same quadrature rule.
- GD on the loss averaged over several noise levels, SGD and Adam, all as a
  :class:`scorematch.dynamics.Dynamics` of the one descent path.
"""

import numpy as np

from scorematch.dynamics import Dynamics
from scorematch.outcomes import value_counts
from scorematch.population import integrate_in_span, population_loss_and_gradient, softmax_weights
from scorematch.quadrature import LineRule
from scorematch.rates import local_slopes, tail_fit


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


def method_summary(tau, loss, outcome, *, window, slope_window_decades):
    """Tail exponents and outcomes of one method's runs.

    tau: (T,); loss: (R, T); outcome: (R,) the labels stored with the runs
    (:func:`scorematch.outcomes.classify_outcomes`); window: (lo, hi) of the tail fit.
    Returns the summary dict (per-run exponent median, quartiles, mean and standard error,
    exponent of the mean curve, final loss median, outcome counts) and the local slopes
    (centres (W,), slopes (R, W)).
    """
    lo, hi = window
    _, exponent = tail_fit(tau, loss, lo=lo, hi=hi)
    finite = exponent[np.isfinite(exponent)]
    _, mean_exponent = tail_fit(tau, loss.mean(axis=0), lo=lo, hi=hi)
    summary = {
        "exponent_median": float(np.median(finite)) if finite.size else None,
        "exponent_q25_q75": [float(q) for q in np.quantile(finite, [0.25, 0.75])] if finite.size else None,
        "exponent_mean": float(finite.mean()) if finite.size else None,
        "exponent_se": float(finite.std(ddof=1) / np.sqrt(finite.size)) if finite.size > 1 else None,
        "exponent_of_mean_curve": float(mean_exponent[0]),
        "runs_fitted": int(finite.size),
        "final_loss_median": float(np.median(loss[:, -1])),
        "outcomes": value_counts(outcome),
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

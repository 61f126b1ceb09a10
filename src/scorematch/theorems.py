"""Numerics behind Theorem 3.1's experiment: the stationary point and its Hessian.

Everything here is pure (arrays in, arrays or JSON-ready dicts out); the claims are
evaluated in :mod:`scorematch.claims`.

Theorem 3.1 (stationary point).  With mu* = 0 and n >= 3 the symmetric line
configuration mu = (0, ..., 0, a e1, -a e1) has L(0) = 0 and L(a) -> 0 as a -> inf, so
L has an interior maximum a* along the line.  By the reflection symmetry the gradient
at any a lies in the line's tangent direction, so dL/da = 0 makes the full gradient
vanish.  :func:`locate_line_maximum` finds a* as the root of the exact dL/da (brentq),
:func:`finite_difference_hessian` differentiates the exact gradient centrally.
"""

import numpy as np
from scipy import optimize

from scorematch.population import population_loss, population_loss_and_gradient
from scorematch.quadrature import LineRule

# --------------------------------------------------------------------------------------
# Theorem 3.1: the stationary point of the symmetric line configuration


def line_configuration(a, *, n, d):
    """(R, n, d) configurations (0, ..., 0, a e1, -a e1) for each a in the (R,) array a."""
    a = np.atleast_1d(np.asarray(a, dtype=np.float64))
    mu = np.zeros((len(a), n, d))
    mu[:, -2, 0] = a
    mu[:, -1, 0] = -a
    return mu


def line_loss(a, *, n, d, rule=LineRule()):
    """L(a) along the symmetric line (mu* = 0): (R,) for the (R,) array a."""
    return population_loss(line_configuration(a, n=n, d=d), np.zeros(d), rule=rule)


def line_derivative(a, *, n, d, rule=LineRule()):
    """dL/da along the symmetric line from the exact gradient (chain rule): (R,)."""
    _, grad = population_loss_and_gradient(line_configuration(a, n=n, d=d), np.zeros(d), rule=rule)
    return grad[:, -2, 0] - grad[:, -1, 0]


def locate_line_maximum(*, n, d, scan, rule=LineRule(), xtol=1e-15):
    """The interior maximiser a* of L along the line.

    scan: (S,) increasing grid of a > 0 on which dL/da is evaluated; the first sign change
    from + to - brackets a*, which brentq then resolves to xtol (absolute) and rtol
    4 * machine epsilon.  Returns a dict {a_star, bracket, iterations, converged}.
    Raises ValueError if the grid has no + to - sign change.
    """
    scan = np.asarray(scan, dtype=np.float64)
    slope = line_derivative(scan, n=n, d=d, rule=rule)
    change = np.flatnonzero((slope[:-1] > 0) & (slope[1:] <= 0))
    if not len(change):
        raise ValueError("dL/da has no + to - sign change on the scan grid: no interior maximum")
    lo, hi = scan[change[0]], scan[change[0] + 1]
    a_star, info = optimize.brentq(
        lambda a: float(line_derivative([a], n=n, d=d, rule=rule)[0]),
        lo,
        hi,
        xtol=xtol,
        rtol=4 * np.finfo(float).eps,
        full_output=True,
    )
    return {
        "a_star": float(a_star),
        "bracket": [float(lo), float(hi)],
        "iterations": int(info.iterations),
        "converged": bool(info.converged),
    }


def finite_difference_hessian(mu, mu_star, *, step, rule=LineRule(), loss_and_gradient=population_loss_and_gradient):
    """Hessians (R, n*d, n*d) of L at each configuration of mu (R, n, d) by central
    differences of the exact gradient, all 2 n d shifted configurations of every run in one
    batch: column j is (grad(mu + h e_j) - grad(mu - h e_j)) / (2h).

    Returns the symmetrised Hessians and the largest asymmetry |H - H^T| of the raw ones
    (a check on the step).  loss_and_gradient(batch (B, n, d), mu_star, rule=rule) ->
    (loss, gradient (B, n, d)): the loss to differentiate (default the single-Gaussian
    population loss; mu_star is passed through, e.g. a mixture's means).
    """
    mu = np.asarray(mu, dtype=np.float64)
    runs, size = mu.shape[0], mu[0].size
    shifts = step * np.eye(size).reshape(size, *mu.shape[1:])
    batch = np.concatenate([mu[:, None] + shifts, mu[:, None] - shifts], axis=1)
    _, grads = loss_and_gradient(batch.reshape(-1, *mu.shape[1:]), mu_star, rule=rule)
    grads = grads.reshape(runs, 2, size, size)
    raw = (grads[:, 0] - grads[:, 1]) / (2 * step)
    transposed = np.swapaxes(raw, 1, 2)
    return 0.5 * (raw + transposed), float(np.abs(raw - transposed).max())


def largest_hessian_eigenvalues(mu, mu_star, *, step, rule=LineRule(), loss_and_gradient=population_loss_and_gradient):
    """(R,) largest eigenvalue of :func:`finite_difference_hessian` at each configuration."""
    hessians, _ = finite_difference_hessian(mu, mu_star, step=step, rule=rule, loss_and_gradient=loss_and_gradient)
    return np.linalg.eigvalsh(hessians)[:, -1]


def classify_stationary(eigenvalues, *, rel_tol):
    """'maximum', 'minimum', 'saddle' or 'degenerate' from Hessian eigenvalues.

    Eigenvalues within rel_tol * max|eigenvalue| of zero count as zero (flat directions,
    e.g. rotations about mu*); the classification uses the others.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    scale = np.abs(eigenvalues).max()
    positive = (eigenvalues > rel_tol * scale).any()
    negative = (eigenvalues < -rel_tol * scale).any()
    if positive and negative:
        return "saddle"
    if negative:
        return "maximum"
    if positive:
        return "minimum"
    return "degenerate"


def stationary_point(*, n, d, scan, hessian_step, zero_tol, rule=LineRule()):
    """Theorem 3.1's stationary point: a*, loss, full gradient norm, Hessian, class.

    Returns a JSON-ready dict with keys a_star, loss, grad_norm, hessian_eigenvalues,
    hessian_asymmetry, zero_eigenvalues (count), classification, line_curvature
    (d^2L/da^2 by central differences of dL/da), bracket, iterations, n, d.
    """
    found = locate_line_maximum(n=n, d=d, scan=scan, rule=rule)
    a_star = found["a_star"]
    mu = line_configuration([a_star], n=n, d=d)[0]
    mu_star = np.zeros(d)
    loss, grad = population_loss_and_gradient(mu[None], mu_star, rule=rule)
    hessians, asymmetry = finite_difference_hessian(mu[None], mu_star, step=hessian_step, rule=rule)
    eigenvalues = np.linalg.eigvalsh(hessians[0])
    scale = np.abs(eigenvalues).max()
    curvature = (
        line_derivative([a_star + hessian_step], n=n, d=d, rule=rule)[0]
        - line_derivative([a_star - hessian_step], n=n, d=d, rule=rule)[0]
    ) / (2 * hessian_step)
    return {
        "n": n,
        "d": d,
        "a_star": a_star,
        "loss": float(loss[0]),
        "grad_norm": float(np.linalg.norm(grad[0])),
        "line_derivative": float(line_derivative([a_star], n=n, d=d, rule=rule)[0]),
        "line_curvature": float(curvature),
        "hessian_eigenvalues": [float(v) for v in eigenvalues],
        "hessian_asymmetry": asymmetry,
        "zero_eigenvalues": int((np.abs(eigenvalues) <= zero_tol * scale).sum()),
        "classification": classify_stationary(eigenvalues, rel_tol=zero_tol),
        "bracket": found["bracket"],
        "iterations": found["iterations"],
        "brentq_converged": found["converged"],
    }


def perturbed_starts(a_star, *, n, d, size, generators):
    """(R, n, d) starts near the stationary point: a random direction of norm `size`
    per run (one generator per run)."""
    base = line_configuration([a_star], n=n, d=d)[0]
    starts = []
    for rng in generators:
        direction = rng.standard_normal((n, d))
        starts.append(base + size * direction / np.linalg.norm(direction))
    return np.stack(starts)

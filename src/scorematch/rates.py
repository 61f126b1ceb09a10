"""Convergence-rate fitting for loss curves recorded on a log-spaced grid.

Inputs shared by every function:

- ``tau``: (T,) recorded iteration counts, strictly increasing (int64 in the
  pipeline; any real dtype is accepted and converted to float64). ``tau[0]``
  may be 0.
- ``loss``: (runs, T) float64 loss values, one row per seed. A 1-D (T,) array
  is promoted to (1, T), i.e. treated as a single run, so results always
  carry a leading runs axis.

Conventions:

- Fits are least squares of ``log L`` on ``log tau`` with natural logs, so a
  curve ``C tau**b`` has intercept ``a = log C`` and exponent ``b``.
- Points with ``tau <= 0`` can never enter a log fit. Points whose loss is
  non-positive or non-finite (a diverged or underflowed run) are left out of
  that run's fit only; a per-run result backed by fewer than 3 usable points
  is NaN rather than an error, so one bad seed does not sink a sweep.
- Window edges are inclusive, with a slack of ``_EDGE_SLACK_DECADES`` so that
  a grid point sitting exactly on an edge (e.g. ``1e4`` for a two-decade
  window ending at ``1e6``) is not lost to rounding in ``10**-decades``.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import stats

# Edges are computed as hi * 10**-decades; the rounding error there is ~1e-16
# relative, far below any real grid spacing, so 1e-9 decades only rescues
# points that sit on an edge by construction.
_EDGE_SLACK_DECADES = 1e-9

# Two points always fit a line exactly and leave no residual to judge the fit
# by; three is the least that says anything about the slope.
_MIN_FIT_POINTS = 3


class _LineFit(NamedTuple):
    """Least-squares line fits along the last axis; every field has the batch shape."""

    slope: np.ndarray
    intercept: np.ndarray
    n_points: np.ndarray
    sxx: np.ndarray  # sum of squared deviations of x from its mean
    ssr: np.ndarray  # sum of squared residuals


# ---------------------------------------------------------------- validation


def _as_grid(tau) -> np.ndarray:
    """(T,) recorded iterations as float64, checked 1-D, finite, strictly increasing."""
    tau = np.asarray(tau)
    if tau.ndim != 1:
        raise ValueError(f"tau must be 1-D with shape (T,), got shape {tau.shape}")
    tau = tau.astype(np.float64)
    if not np.all(np.isfinite(tau)):
        raise ValueError("tau must be finite")
    if np.any(np.diff(tau) <= 0):
        raise ValueError("tau must be strictly increasing")
    return tau


def _as_curves(tau, loss) -> tuple[np.ndarray, np.ndarray]:
    """Validated (T,) grid and (runs, T) float64 loss; a (T,) loss becomes (1, T)."""
    tau = _as_grid(tau)
    loss = np.asarray(loss, dtype=np.float64)
    if loss.ndim == 1:
        loss = loss[np.newaxis, :]
    if loss.ndim != 2 or loss.shape[1] != tau.shape[0]:
        raise ValueError(f"loss must have shape (runs, T) or (T,) with T = {tau.shape[0]}, got shape {loss.shape}")
    if loss.shape[0] == 0:
        raise ValueError("loss holds no runs")
    return tau, loss


def _require_real(name: str, value, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return float(value)


def _require_count(name: str, value, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


# ------------------------------------------------------------------- helpers


def _log_loss(loss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log of (runs, K) loss and a (runs, K) mask of usable points.

    Unusable entries get log 1 = 0 instead of -inf/NaN so that zero weights
    really zero them out in the sums (0 * inf would be NaN).
    """
    usable = np.isfinite(loss) & (loss > 0)
    return np.log(np.where(usable, loss, 1.0)), usable


def _in_window(tau: np.ndarray, *, lo: float, hi: float) -> np.ndarray:
    """(T,) mask of positive recorded tau with lo <= tau <= hi (edges with slack)."""
    positive = tau > 0
    log10_tau = np.log10(np.where(positive, tau, 1.0))
    return (
        positive & (log10_tau >= np.log10(lo) - _EDGE_SLACK_DECADES) & (log10_tau <= np.log10(hi) + _EDGE_SLACK_DECADES)
    )


def _window_points(tau: np.ndarray, *, lo, hi) -> np.ndarray:
    """(T,) mask of the fit window [lo, hi]; raises if it cannot carry a fit."""
    lo = _require_real("lo", lo, positive=True)
    hi = _require_real("hi", hi, positive=True)
    if not lo < hi:
        raise ValueError(f"fit window needs lo < hi, got [{lo:.6g}, {hi:.6g}]")
    inside = _in_window(tau, lo=lo, hi=hi)
    if inside.sum() < _MIN_FIT_POINTS:
        raise ValueError(
            f"fit window [{lo:.6g}, {hi:.6g}] ({np.log10(hi / lo):.3g} decades) holds "
            f"{int(inside.sum())} recorded tau; at least {_MIN_FIT_POINTS} are required"
        )
    return inside


def _fit_lines(x, y, weight) -> _LineFit:
    """Least-squares lines y = intercept + slope * x along the last axis.

    x, y, weight broadcast to a common shape (..., K); weight is boolean and
    marks the points that enter each fit (y must be finite everywhere).
    Deviations from the per-fit means are formed explicitly instead of using
    the one-pass sum formulas, whose cancellation would cost digits when the
    window is narrow compared with |log tau|. Fits with fewer than
    _MIN_FIT_POINTS points (or no spread in x) come back as NaN.
    """
    x, y, weight = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), weight)
    w = weight.astype(np.float64)
    n_points = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = (w * x).sum(axis=-1) / n_points
        y_mean = (w * y).sum(axis=-1) / n_points
        dx = w * (x - x_mean[..., np.newaxis])
        dy = y - y_mean[..., np.newaxis]
        sxx = (dx * dx).sum(axis=-1)
        slope = (dx * dy).sum(axis=-1) / sxx
        residual = w * (dy - slope[..., np.newaxis] * dx)
        ssr = (residual * residual).sum(axis=-1)
    intercept = y_mean - slope * x_mean
    enough = (n_points >= _MIN_FIT_POINTS) & (sxx > 0)
    return _LineFit(
        slope=np.where(enough, slope, np.nan),
        intercept=np.where(enough, intercept, np.nan),
        n_points=n_points,
        sxx=sxx,
        ssr=np.where(enough, ssr, np.nan),
    )


def _t_interval(fit: _LineFit, *, level: float) -> np.ndarray:
    """(2,) ordinary-least-squares t interval for the slope of one fit."""
    dof = fit.n_points - 2
    standard_error = np.sqrt(fit.ssr / dof / fit.sxx)
    half_width = stats.t.ppf(0.5 + level / 2, dof) * standard_error
    return np.array([fit.slope - half_width, fit.slope + half_width], dtype=np.float64)


# ------------------------------------------------------------ public surface


def local_slopes(tau, loss, *, window_decades=1 / 3) -> tuple[np.ndarray, np.ndarray]:
    """Sliding-window log-log slopes d log L / d log tau.

    Each positive recorded tau c is a candidate centre; its window holds the
    recorded tau with |log10(tau / c)| <= window_decades / 2 (one-sided near
    the ends of the grid). Windows with fewer than 3 recorded positive tau are
    dropped; the choice depends on tau alone, so every run shares the same
    centres. Within a kept window a run's non-positive or non-finite losses
    are skipped, and if fewer than 3 usable points remain that entry is NaN.
    window_decades: full window width in decades.

    Returns centres (W,), a subset of the positive tau, and slopes (runs, W).
    """
    tau, loss = _as_curves(tau, loss)
    half_width = _require_real("window_decades", window_decades, positive=True) / 2
    positive = tau > 0
    grid = tau[positive]
    log10_grid = np.log10(grid)
    log_loss, usable = _log_loss(loss[:, positive])

    # The grid is sorted, so each window is a contiguous run of indices.
    first = np.searchsorted(log10_grid, log10_grid - half_width - _EDGE_SLACK_DECADES, side="left")
    stop = np.searchsorted(log10_grid, log10_grid + half_width + _EDGE_SLACK_DECADES, side="right")
    kept = stop - first >= _MIN_FIT_POINTS
    first, stop, centres = first[kept], stop[kept], grid[kept]

    # Gather all windows into a padded (W, widest) block so every run and
    # window is fitted in one vectorised pass; padding slots get weight 0.
    widest = int((stop - first).max(initial=0))
    members = first[:, np.newaxis] + np.arange(widest)
    in_window = members < stop[:, np.newaxis]
    members = np.minimum(members, max(grid.size - 1, 0))
    fit = _fit_lines(
        np.log(grid)[members],
        log_loss[:, members],
        in_window & usable[:, members],
    )
    return centres, fit.slope


def tail_window(tau, *, decades, end=None, min_points=8) -> tuple[float, float]:
    """The tail fit window: the last `decades` decades of the recorded grid.

    Rule: hi = end if given, else the last recorded tau; lo = hi * 10**-decades;
    both edges inclusive. The window is accepted only if the positive recorded
    grid reaches down to lo, i.e. log10(hi / smallest positive tau) >=
    decades, and at least `min_points` recorded tau lie in [lo, hi]; else
    ValueError naming the window, its width in decades and what was required.
    end, if given, must lie within the positive recorded range.
    """
    tau = _as_grid(tau)
    decades = _require_real("decades", decades, positive=True)
    min_points = _require_count("min_points", min_points, minimum=_MIN_FIT_POINTS)
    grid = tau[tau > 0]
    if grid.size == 0:
        raise ValueError("tau holds no positive recorded iteration")
    if end is None:
        hi = float(grid[-1])
    else:
        hi = _require_real("end", end, positive=True)
        if not grid[0] <= hi <= grid[-1]:
            raise ValueError(f"end = {hi:.6g} lies outside the recorded range [{grid[0]:.6g}, {grid[-1]:.6g}]")
    lo = hi * 10.0 ** (-decades)

    span = float(np.log10(hi / grid[0]))
    if span < decades - _EDGE_SLACK_DECADES:
        raise ValueError(
            f"tail window [{lo:.6g}, {hi:.6g}] is {decades:g} decades wide, but the "
            f"recorded grid spans only {span:.3g} decades below tau = {hi:.6g} "
            f"(smallest positive tau {grid[0]:.6g}); at least {decades:g} decades "
            f"are required"
        )
    n_inside = int(_in_window(tau, lo=lo, hi=hi).sum())
    if n_inside < min_points:
        raise ValueError(
            f"tail window [{lo:.6g}, {hi:.6g}] ({decades:g} decades) holds only "
            f"{n_inside} recorded tau; at least min_points = {min_points} are required"
        )
    return lo, hi


def tail_fit(tau, loss, *, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Per-run power-law fit log L = a + b log tau over the window [lo, hi], which must
    hold at least 3 positive recorded tau.

    Returns intercept a (runs,) and exponent b (runs,), NaN for a run with fewer than 3
    usable losses.
    """
    tau, loss = _as_curves(tau, loss)
    inside = _window_points(tau, lo=lo, hi=hi)
    log_loss, usable = _log_loss(loss[:, inside])
    fit = _fit_lines(np.log(tau[inside]), log_loss, usable)
    return fit.intercept, fit.slope


def bootstrap_exponent(tau, loss, *, lo, hi, n_boot, rng, level=0.95) -> tuple[np.float64, np.ndarray]:
    """Exponent of the seed-mean curve over [lo, hi] with a confidence interval.

    The seed-mean curve is the geometric mean over runs, exp(mean_r log L_r).
    Grid points where any run's loss is non-positive or non-finite are dropped
    for all runs, so every resample is fitted on the same points. Because the
    least-squares slope is linear in log L, the exponent of a resample's mean
    curve equals the mean of its runs' exponents; resamples are evaluated that
    way, which is exact and avoids refitting.

    Interval:
    - runs >= 2: percentile interval ((1 - level)/2, (1 + level)/2), i.e.
      (2.5, 97.5) by default, over `n_boot` resamples of the runs drawn with
      replacement from `rng`.
    - runs == 1: resampling one run gives back the point, so instead the
      ordinary least-squares t interval (n - 2 degrees of freedom) from the
      single regression's residuals is returned and `rng` is not used. The
      residuals of a real loss curve are correlated along tau (curvature,
      shared noise), so read this interval as a lower bound on the
      uncertainty.

    Returns the exponent (float64 scalar) and ci (2,): (lower, upper).
    """
    tau, loss = _as_curves(tau, loss)
    n_boot = _require_count("n_boot", n_boot, minimum=1)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    level = _require_real("level", level)
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")

    inside = _window_points(tau, lo=lo, hi=hi)
    log_loss, usable = _log_loss(loss[:, inside])
    shared = usable.all(axis=0)
    if shared.sum() < _MIN_FIT_POINTS:
        raise ValueError(
            f"fit window [{lo:.6g}, {hi:.6g}] holds {int(shared.sum())} points where "
            f"every run has a positive finite loss; at least {_MIN_FIT_POINTS} are required"
        )
    log_tau = np.log(tau[inside][shared])
    log_loss = log_loss[:, shared]
    every_point = np.ones(log_tau.shape, dtype=bool)

    mean_curve = _fit_lines(log_tau, log_loss.mean(axis=0), every_point)
    runs = log_loss.shape[0]
    if runs == 1:
        return np.float64(mean_curve.slope), _t_interval(mean_curve, level=level)

    per_run = _fit_lines(log_tau, log_loss, every_point).slope
    picks = rng.integers(0, runs, size=(n_boot, runs))
    resampled = per_run[picks].mean(axis=1)
    tail_percent = 50.0 * (1.0 - level)
    ci = np.percentile(resampled, [tail_percent, 100.0 - tail_percent])
    return np.float64(mean_curve.slope), ci.astype(np.float64)


def log_corrected_fit(tau, loss, *, lo, hi, level=0.95) -> tuple[np.float64, np.ndarray, np.float64, np.float64]:
    """Fit L = C / (tau (ln tau)**p) to one curve over [lo, hi], beside the power law.

    The log-corrected form is the line log(tau L) = log C - p log(ln tau), fitted by the
    same least squares as the power law log L = a + b log tau; both have two parameters
    and are fitted to the same points, so their residual sums of squares (in log L)
    compare directly: the smaller one describes the tail better.

    loss: one curve (e.g. the seed mean); tau <= 1 (where ln tau <= 0) is left out.
    Returns p (NaN with fewer than 3 usable points), its OLS t interval ci (2,) at
    `level` (residuals along tau are correlated: read it as a lower bound on the
    uncertainty) and the residual sums of squares of log L, log-corrected and power law.
    """
    tau, loss = _as_curves(tau, loss)
    if loss.shape[0] != 1:
        raise ValueError(f"log_corrected_fit takes one curve, got {loss.shape[0]} runs")
    inside = _window_points(tau, lo=lo, hi=hi) & (tau > 1)
    log_loss, usable = _log_loss(loss[:, inside])
    log_tau = np.log(tau[inside])
    corrected = _fit_lines(np.log(log_tau), log_loss[0] + log_tau, usable[0])
    power = _fit_lines(log_tau, log_loss[0], usable[0])
    lower, upper = -_t_interval(corrected, level=level)[::-1]
    return (
        np.float64(-corrected.slope),
        np.array([lower, upper], dtype=np.float64),
        np.float64(corrected.ssr),
        np.float64(power.ssr),
    )

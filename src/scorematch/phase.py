"""Phase diagram of the intermediate regime: initial parameters of a column, the
empirical critical spread sigma*(M) and a least-squares law for log sigma* against M."""

import numpy as np
from scipy import stats


def phase_initial(sigmas, offsets):
    """Initial parameters of a phase-diagram column: (S * R, n, d).

    sigmas: (S,) spreads; offsets: (R, n, d) standard-normal draws, one per seed, shared
    by every sigma (common random numbers: seed r at sigma s starts at s * offsets[r]).
    Row s * R + r is sigma index s, seed r.
    """
    sigmas = np.asarray(sigmas, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.float64)
    return (sigmas[:, None, None, None] * offsets[None]).reshape(-1, *offsets.shape[1:])


def critical_spread(sigmas, fraction, *, level=0.5):
    """Largest sigma with fraction >= level, interpolated in log sigma: the critical spread
    sigma* of the phase diagram (all-converge fraction) and of the mixture (split fraction).

    sigmas: (S,) increasing; fraction: (S,).  Let i be the largest index with
    fraction[i] >= level.  The crossing is interpolated linearly in log sigma
    between sigmas[i] and sigmas[i + 1] (where the fraction is below level).
    Returns (sigma_star, status): status "ok"; "above_grid" (the last sigma still has
    fraction >= level: sigma* >= sigmas[-1], returned as NaN) or "below_grid" (no sigma
    reaches level: NaN).
    """
    sigmas = np.asarray(sigmas, dtype=np.float64)
    fraction = np.asarray(fraction, dtype=np.float64)
    if np.any(np.diff(sigmas) <= 0):
        raise ValueError("sigmas must be strictly increasing")
    above = np.flatnonzero(fraction >= level)
    if above.size == 0:
        return float("nan"), "below_grid"
    i = int(above[-1])
    if i == len(sigmas) - 1:
        return float("nan"), "above_grid"
    f0, f1 = fraction[i], fraction[i + 1]
    x0, x1 = np.log(sigmas[i]), np.log(sigmas[i + 1])
    x = x0 + (f0 - level) / (f0 - f1) * (x1 - x0)
    return float(np.exp(x)), "ok"


def fit_line(x, y):
    """Ordinary least squares y = intercept + slope x with standard errors
    (:func:`scipy.stats.linregress`).

    x, y: (N,) with N >= 3 (a line through two points has no uncertainty to report).
    Returns a dict: slope, intercept, slope_se, intercept_se, n_points, residual_sd.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"fit_line needs two 1-D arrays of equal length >= 3, got shapes {x.shape}, {y.shape}")
    fit = stats.linregress(x, y)
    residual = y - fit.intercept - fit.slope * x
    return {
        "slope": float(fit.slope),
        "intercept": float(fit.intercept),
        "slope_se": float(fit.stderr),
        "intercept_se": float(fit.intercept_stderr),
        "n_points": len(x),
        "residual_sd": float(np.sqrt((residual**2).sum() / (len(x) - 2))),
    }

"""Phase diagrams of the intermediate regime: the settings of each diagram (d, eta),
initial parameters of a column, the empirical critical spread sigma*(M), the least-squares
law of log sigma* against M per diagram and the joint law across diagrams."""

import numpy as np

# keys of the phase section that define the grid of a diagram, not the runs of one column
PHASE_GRID_KEYS = ("n_components", "distances", "sigma_log10")


def phase_diagrams(section):
    """The resolved settings of every diagram of a phase section: {name: settings}.

    Each diagram's keys override the section-level ones; n_steps = gd_time / eta (the same
    GD time at every step size) must be a whole number.  settings has every section key
    but `diagrams`, plus dim, eta and n_steps.  Raises ValueError naming the diagram.
    """
    shared = {key: value for key, value in section.items() if key != "diagrams"}
    resolved = {}
    for name, overrides in section["diagrams"].items():
        settings = {**shared, **overrides}
        steps = settings["gd_time"] / settings["eta"]
        if abs(steps - round(steps)) > 1e-9 * steps:
            raise ValueError(
                f"phase.diagrams.{name}: gd_time / eta = {settings['gd_time']} / {settings['eta']} = {steps:g} "
                "is not a whole number of steps; choose eta dividing gd_time"
            )
        resolved[name] = {**settings, "n_steps": int(round(steps))}
    return resolved


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


def fit_linear_model(design, y, *, names):
    """Ordinary least squares y = design @ beta with standard errors.

    design: (N, P) of full column rank with N > P (residual degrees of freedom to estimate
    the noise); y: (N,); names: P coefficient names.  Standard errors from
    s^2 (X^T X)^-1 with s^2 = residual sum of squares / (N - P).
    Returns a dict: coefficients {name: value}, standard_errors {name: se}, n_points,
    dof (N - P), residual_sd (s).
    """
    design = np.asarray(design, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if design.ndim != 2 or y.shape != (design.shape[0],) or len(names) != design.shape[1]:
        raise ValueError(f"fit_linear_model: design {design.shape}, y {y.shape} and {len(names)} names do not match")
    n_points, n_terms = design.shape
    if n_points <= n_terms or np.linalg.matrix_rank(design) < n_terms:
        raise ValueError(
            f"fit_linear_model: {n_terms} terms need a full-rank design with more than {n_terms} points, "
            f"got {n_points} points of rank {np.linalg.matrix_rank(design)}"
        )
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    variance = (residual**2).sum() / (n_points - n_terms)
    se = np.sqrt(variance * np.diag(np.linalg.inv(design.T @ design)))
    return {
        "coefficients": dict(zip(names, beta.tolist())),
        "standard_errors": dict(zip(names, se.tolist())),
        "n_points": n_points,
        "dof": n_points - n_terms,
        "residual_sd": float(np.sqrt(variance)),
    }


def fit_line(x, y):
    """Ordinary least squares y = intercept + slope x with standard errors
    (:func:`fit_linear_model` with the design [1, x]).

    x, y: (N,) with N >= 3 (a line through two points has no uncertainty to report).
    Returns a dict: slope, intercept, slope_se, intercept_se, n_points, residual_sd.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"fit_line needs two 1-D arrays of equal length >= 3, got shapes {x.shape}, {y.shape}")
    fit = fit_linear_model(np.column_stack([np.ones_like(x), x]), y, names=["intercept", "slope"])
    value, se = fit["coefficients"], fit["standard_errors"]
    return {
        "slope": value["slope"],
        "intercept": value["intercept"],
        "slope_se": se["slope"],
        "intercept_se": se["intercept"],
        "n_points": fit["n_points"],
        "residual_sd": fit["residual_sd"],
    }


def joint_law(points, *, reference_eta, reference_dim):
    """The joint law of the critical spread across diagrams, by :func:`fit_linear_model`:

        ln sigma* = a_n + b_n M + c_eta ln(eta / eta0) + c_M_eta M ln(eta / eta0)
                    + c_d ln(d / d0) + c_M_d M ln(d / d0)

    with an intercept a_n and slope b_n per n (indicator terms), so that a_n + b_n M is the
    law at the reference (eta0, d0), c_M_eta says how the rate in M moves with eta and c_M_d
    how it moves with d.  The eta terms enter only when the points have two etas or more, the d
    terms likewise.

    points: dicts with n, M, eta, dim, sigma_star (sigma* inside the grid).
    Returns the fit of :func:`fit_linear_model` plus model (the formula) and reference.
    """
    n = np.array([p["n"] for p in points])
    m = np.array([p["M"] for p in points], dtype=np.float64)
    log_eta = np.log(np.array([p["eta"] for p in points], dtype=np.float64) / reference_eta)
    log_dim = np.log(np.array([p["dim"] for p in points], dtype=np.float64) / reference_dim)
    columns, names = [], []
    for value in sorted(set(n.tolist())):
        columns += [(n == value).astype(np.float64), (n == value) * m]
        names += [f"a_n{value}", f"b_n{value}"]
    model = "ln sigma* = a_n + b_n M"
    for term, values, label in [
        ("eta", log_eta, f"ln(eta / {reference_eta:g})"),
        ("d", log_dim, f"ln(d / {reference_dim:g})"),
    ]:
        if np.ptp(values) > 0:
            columns += [values, m * values]
            names += [f"c_{term}", f"c_M_{term}"]
            model += f" + c_{term} {label} + c_M_{term} M {label}"
    fit = fit_linear_model(np.column_stack(columns), np.log([p["sigma_star"] for p in points]), names=names)
    return {"model": model, "reference": {"eta": reference_eta, "dim": reference_dim}, **fit}


def critical_spread_law(x, sigma_stars):
    """Least-squares ln sigma* against x over the finite sigma*: :func:`fit_line`, or None
    with fewer than 3 (a line through two points has no uncertainty to report)."""
    x = np.asarray(x, dtype=np.float64)
    sigma_stars = np.asarray(sigma_stars, dtype=np.float64)
    ok = np.isfinite(sigma_stars)
    return fit_line(x[ok], np.log(sigma_stars[ok])) if ok.sum() >= 3 else None


def critical_spread_laws(columns, *, level, labels):
    """Per n: sigma*(M) of every column and the law ln sigma* = a + b M over the M with
    sigma* inside the grid (at least 3 of them, else None), beside the same fit against M^3.

    columns: dicts with n_components, distance, sigmas (S,) and fraction_<label> (S,) for
    every label in labels (fraction_all defines sigma*).
    Returns {str(n): {sigmas, columns: [{M, sigma_star, status, fraction_<label>}],
    fit_ln_sigma_vs_M, fit_ln_sigma_vs_M3}}.
    """
    by_n = {}
    for n in sorted({int(c["n_components"]) for c in columns}):
        cols = sorted((c for c in columns if int(c["n_components"]) == n), key=lambda c: float(c["distance"]))
        rows = []
        for c in cols:
            value, status = critical_spread(c["sigmas"], c["fraction_all"], level=level)
            rows.append(
                {
                    "M": float(c["distance"]),
                    "sigma_star": None if np.isnan(value) else value,
                    "status": status,
                    **{f"fraction_{label}": np.asarray(c[f"fraction_{label}"]).tolist() for label in labels},
                }
            )
        m = np.array([r["M"] for r in rows])
        stars = [np.nan if r["sigma_star"] is None else r["sigma_star"] for r in rows]
        by_n[str(n)] = {
            "sigmas": np.asarray(cols[0]["sigmas"]).tolist(),
            "columns": rows,
            "fit_ln_sigma_vs_M": critical_spread_law(m, stars),
            # the theorem's bound has M^3 in the exponent: the same fit against M^3 for comparison
            "fit_ln_sigma_vs_M3": critical_spread_law(m**3, stars),
        }
    return by_n

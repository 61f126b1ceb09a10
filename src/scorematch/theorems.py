"""Numerics behind the theorem experiments: stationary points, Hessians and verdicts.

Everything here is pure (arrays in, arrays or JSON-ready dicts out).  A verdict is a
record {experiment, claim, quantity, threshold, value, holds}; extra keys (e.g. a
confidence interval) may follow.  Thresholds always come from the config, never from
here.

Theorem 3.1 (stationary point).  With mu* = 0 and n >= 3 the symmetric line
configuration mu = (0, ..., 0, a e1, -a e1) has L(0) = 0 and L(a) -> 0 as a -> inf, so
L has an interior maximum a* along the line.  By the reflection symmetry the gradient
at any a lies in the line's tangent direction, so dL/da = 0 makes the full gradient
vanish.  :func:`locate_line_maximum` finds a* as the root of the exact dL/da (brentq),
:func:`finite_difference_hessian` differentiates the exact gradient centrally.
"""

import math

import numpy as np
from scipy import optimize, stats

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


def full_gradient(mu, mu_star, *, rule=LineRule()):
    """Loss and flattened gradient (n*d,) of one configuration mu (n, d)."""
    loss, grad = population_loss_and_gradient(np.asarray(mu)[None], mu_star, rule=rule)
    return float(loss[0]), grad[0].ravel()


def finite_difference_hessian(
    mu, mu_star, *, step, rule=LineRule(), loss_and_gradient=population_loss_and_gradient
):
    """Hessian (n*d, n*d) of L at mu (n, d) by central differences of the exact gradient.

    Column j is (grad(mu + h e_j) - grad(mu - h e_j)) / (2h); all 2 n d perturbed
    configurations go through the engine as one batch.  Returns the symmetrised Hessian
    and the largest asymmetry |H - H^T| of the raw one (a check on the step).
    loss_and_gradient(batch (B, n, d), mu_star, rule=rule) -> (loss, gradient (B, n, d)):
    the loss to differentiate (default the single-Gaussian population loss; mu_star is
    passed through, e.g. a mixture's means).
    """
    mu = np.asarray(mu, dtype=np.float64)
    size = mu.size
    shifts = step * np.eye(size).reshape(size, *mu.shape)
    batch = np.concatenate([mu[None] + shifts, mu[None] - shifts])
    _, grads = loss_and_gradient(batch, mu_star, rule=rule)
    grads = grads.reshape(2, size, size)
    raw = (grads[0] - grads[1]) / (2 * step)  # raw[j] = d grad / d theta_j
    raw = raw.T
    return 0.5 * (raw + raw.T), float(np.abs(raw - raw.T).max())


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
    loss, grad = full_gradient(mu, mu_star, rule=rule)
    hessian, asymmetry = finite_difference_hessian(mu, mu_star, step=hessian_step, rule=rule)
    eigenvalues = np.linalg.eigvalsh(hessian)
    scale = np.abs(eigenvalues).max()
    curvature = (
        line_derivative([a_star + hessian_step], n=n, d=d, rule=rule)[0]
        - line_derivative([a_star - hessian_step], n=n, d=d, rule=rule)[0]
    ) / (2 * hessian_step)
    return {
        "n": n,
        "d": d,
        "a_star": a_star,
        "loss": loss,
        "grad_norm": float(np.linalg.norm(grad)),
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


# --------------------------------------------------------------------------------------
# Verdict records


def verdict(experiment, claim, quantity, threshold, value, holds, **extra):
    """One JSON-ready verdict record; a value that is None or not finite never holds."""
    value = _clean(value)
    return {
        "experiment": experiment,
        "claim": claim,
        "quantity": quantity,
        "threshold": _clean(threshold),
        "value": value,
        "holds": bool(holds) and value is not None,
        **{k: _clean(v) for k, v in extra.items()},
    }


def _clean(value):
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def thm3_1_verdict(point, *, grad_tol, min_loss):
    """Theorem 3.1: a stationary point with nonzero loss (grad_norm < grad_tol while
    loss > min_loss)."""
    holds = point["grad_norm"] < grad_tol and point["loss"] > min_loss
    return [
        verdict(
            "thm3_1",
            "stationary point with nonzero loss at (0, a* e1, -a* e1)",
            f"full gradient norm at a* = {point['a_star']:.12g} (loss {point['loss']:.6g} "
            f"must exceed {min_loss:g}; Hessian: {point['classification']})",
            grad_tol,
            point["grad_norm"],
            holds,
            loss=point["loss"],
            classification=point["classification"],
        )
    ]


# --------------------------------------------------------------------------------------
# Theorem 2.1: large noise


def large_noise_threshold(*, n, initial_distance):
    """The noise level above which Theorem 2.1 applies: log n + log M + 2."""
    return math.log(n) + math.log(initial_distance) + 2.0


def unscaled_initial_distance(arrays):
    """M: the largest unscaled initial distance ||mu_i(0) - mu*|| over runs and i."""
    return float(arrays["distance"][:, 0, :].max())


def log_log_growth(tau, values, *, decades):
    """Per-run least-squares slope of log(values) against log(tau) over the last
    `decades` decades of the (T,) grid; values (R, T).  NaN where a value is not positive."""
    tau = np.asarray(tau, dtype=np.float64)
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    window = (tau > 0) & (tau >= tau[-1] * 10.0 ** (-decades))
    x = np.log(tau[window])
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(np.where(values[:, window] > 0, values[:, window], np.nan))
    x = x - x.mean()
    return ((y - y.mean(axis=1, keepdims=True)) * x).sum(axis=1) / (x**2).sum()


def thm2_1_verdicts(cases, *, converge_ratio, growth_decades, sqrt_growth_tol):
    """Theorem 2.1 for every case at or above the noise threshold.

    cases: {name: (spec, arrays)}.  Converging: the largest distance to mu*_t fell below
    converge_ratio times its initial value and still decreases over the last
    growth_decades (negative log-log slope).  Bounded:
    the log-log slope of sqrt(tau) L over the last growth_decades is <= sqrt_growth_tol.
    Returns (records, summary rows for every case, also those below the threshold).
    """
    records, rows = [], []
    for name, (spec, arrays) in cases.items():
        t = spec["noise_scale"]
        unscaled = unscaled_initial_distance(arrays) * math.exp(t)
        threshold = large_noise_threshold(n=spec["n_components"], initial_distance=unscaled)
        distance = arrays["distance"]
        largest = distance.max(axis=-1)
        ratio = float((largest[:, -1] / largest[:, 0]).max())
        distance_slope = float(np.nanmax(log_log_growth(arrays["tau"], largest, decades=growth_decades)))
        growth = float(
            np.nanmax(log_log_growth(arrays["tau"], np.sqrt(arrays["tau"]) * arrays["loss"], decades=growth_decades))
        )
        covered = t >= threshold
        rows.append(
            {"case": name, "t": t, "t_threshold": threshold, "covered": covered,
             "distance_ratio": ratio, "distance_slope": distance_slope, "sqrt_growth": growth,
             "final_loss": float(arrays["loss"][:, -1].max())}
        )
        if not covered:
            continue
        experiment = f"thm2_1/{name}"
        records.append(
            verdict(
                experiment,
                "large noise: all parameters converge to mu*_t",
                f"max_i ||mu_i(T) - mu*_t|| / max_i ||mu_i(0) - mu*_t|| at t = {t:g} "
                f">= log n + log M + 2 = {threshold:.3f} (and still decreasing: log-log "
                f"slope over the last {growth_decades:g} decade(s) {distance_slope:.3g} < 0)",
                converge_ratio,
                ratio,
                ratio < converge_ratio and distance_slope < 0,
                distance_slope=distance_slope,
            )
        )
        records.append(
            verdict(
                experiment,
                "large noise: sqrt(tau) L(tau) stays bounded",
                f"log-log slope of sqrt(tau) L over the last {growth_decades:g} decade(s) "
                f"(t = {t:g})",
                sqrt_growth_tol,
                growth,
                growth <= sqrt_growth_tol,
            )
        )
    return records, rows


# --------------------------------------------------------------------------------------
# Theorem 3.2: exponentially small initialisation


def critical_spread(spreads, all_converged):
    """The largest spread s such that every run with spread <= s had all parameters
    converge (None when even the smallest spread failed).

    spreads, all_converged: (R,) per run.
    """
    spreads = np.asarray(spreads, dtype=np.float64)
    all_converged = np.asarray(all_converged, dtype=bool)
    levels = np.unique(spreads)
    good = np.array([all_converged[spreads == s].all() for s in levels])
    if not good[0]:
        return None
    failing = np.flatnonzero(~good)
    return float(levels[-1] if not len(failing) else levels[failing[0] - 1])


def thm3_2_verdicts(cases, *, spreads_of):
    """Theorem 3.2 for each M0 case: at the smallest spread every run has all n
    parameters converged.  spreads_of(spec) -> (R,) spreads.

    Returns (records, rows); rows report, per case and spread, the fraction of runs with
    all converged and the critical spread.
    """
    records, rows = [], []
    for name, (spec, arrays) in cases.items():
        spreads = spreads_of(spec)
        n = spec["n_components"]
        all_conv = arrays["n_converged"] == n
        smallest = spreads.min()
        fraction = float(all_conv[spreads == smallest].mean())
        critical = critical_spread(spreads, all_conv)
        for s in np.unique(spreads):
            rows.append({"case": name, "M0": spec["target_norm"], "eta": spec["eta"],
                         "spread": float(s), "runs": int((spreads == s).sum()),
                         "fraction_all_converged": float(all_conv[spreads == s].mean()),
                         "critical_spread": critical})
        records.append(
            verdict(
                f"thm3_2/{name}",
                "exponentially small init: all parameters converge",
                f"fraction of runs with all {n} converged at spread {smallest:g} "
                f"(M0 = {spec['target_norm']:g}, eta = {spec['eta']:g}; critical spread "
                f"{'none' if critical is None else format(critical, 'g')})",
                1.0,
                fraction,
                fraction >= 1.0,
                critical_spread=critical,
            )
        )
    return records, rows


# --------------------------------------------------------------------------------------
# Theorem 3.4: the counterexample


def thm3_4_verdicts(cases, *, decades):
    """Theorem 3.4 per case: the parameter ahead toward mu* (the one with the smallest
    initial distance) converges, all others diverge.

    Converged: final distance < the run's converge_tol.  Diverging: final distance >
    the run's diverge_radius and the log-log slope of the distance over the last
    `decades` is positive (still growing).  The value is the number of runs violating
    the claim (threshold 0).
    """
    records = []
    for name, (spec, arrays) in cases.items():
        distance = arrays["distance"]
        ahead = distance[:, 0, :].argmin(axis=-1)
        final = distance[:, -1, :]
        runs, n = final.shape
        others = np.ones((runs, n), bool)
        others[np.arange(runs), ahead] = False
        ahead_converged = final[np.arange(runs), ahead] < spec["converge_tol"]
        others_out = (final > spec["diverge_radius"]) | ~others
        slopes = np.stack(
            [log_log_growth(arrays["tau"], distance[:, :, i], decades=decades) for i in range(n)],
            axis=-1,
        )
        growing = (slopes > 0) | ~others
        min_other_slope = float(np.where(others, slopes, np.inf).min())
        violated = int((~(ahead_converged & (others_out & growing).all(axis=-1))).sum())
        ok = violated == 0
        records.append(
            verdict(
                f"thm3_4/{name}",
                "counterexample: the parameter ahead converges, the others diverge",
                f"runs violating it (ahead: final distance < {spec['converge_tol']:g}; others: "
                f"> {spec['diverge_radius']:g} and growing, smallest log-log slope of their "
                f"distance over the last {decades:g} decade(s) {min_other_slope:.3g})",
                0,
                violated,
                ok,
                min_other_slope=min_other_slope,
            )
        )
    return records


# --------------------------------------------------------------------------------------
# Theorem 3.5 / Corollary 3.6: random init far away


def binomial_interval(successes, trials, *, level):
    """Clopper-Pearson interval for a binomial proportion: (lo, hi)."""
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def thm3_5_verdicts(cases, *, min_fraction, level):
    """Corollary 3.6 per case: the fraction of seeds with exactly one parameter converged
    and all others diverging ('one' outcome), with a Clopper-Pearson interval.

    Holds when the point estimate is at least min_fraction (the 'with high probability'
    of the statement).  Returns (records, rows with the n_converged distribution).
    """
    records, rows = [], []
    for name, (spec, arrays) in cases.items():
        outcome = arrays["outcome"]
        runs = len(outcome)
        ones = int((outcome == "one").sum())
        lo, hi = binomial_interval(ones, runs, level=level)
        counts = np.bincount(arrays["n_converged"], minlength=spec["n_components"] + 1)
        rows.append({"case": name, "M": spec["target_norm"], "d": spec["dim"],
                     "n": spec["n_components"], "runs": runs, "fraction_one": ones / runs,
                     "ci_lo": lo, "ci_hi": hi,
                     "n_converged_counts": [int(c) for c in counts]})
        records.append(
            verdict(
                f"thm3_5/{name}",
                "random far init: w.h.p. exactly one converges, the others diverge",
                f"fraction of {runs} seeds with exactly one converged and the rest diverging "
                f"(M = {spec['target_norm']:g}, d = {spec['dim']}; {level:.0%} Clopper-Pearson "
                f"[{lo:.3f}, {hi:.3f}]; n_converged counts {counts.tolist()})",
                min_fraction,
                ones / runs,
                ones / runs >= min_fraction,
                ci_lo=lo,
                ci_hi=hi,
            )
        )
    return records, rows


# --------------------------------------------------------------------------------------
# Figure 1 (outcomes; the slope is a rates-stage verdict)


def fig1_verdicts(cases, *, all_cases, one_cases):
    """Figure 1 outcomes: every run of the all_cases has all parameters converged; every
    run of the one_cases has exactly one converged and the others diverging."""
    records = []
    for name, (spec, arrays) in cases.items():
        n = spec["n_components"]
        counts = arrays["n_converged"].tolist()
        if name in all_cases:
            value = float((arrays["n_converged"] == n).mean())
            claim = f"small M: all {n} parameters converge"
        elif name in one_cases:
            value = float((arrays["outcome"] == "one").mean())
            claim = "large M: exactly one converges, the others diverge"
        else:
            continue
        records.append(
            verdict(
                f"fig1/{name}",
                claim,
                f"fraction of runs with that outcome (M = {spec['target_norm']:g}; "
                f"n_converged per run {counts})",
                1.0,
                value,
                value >= 1.0,
            )
        )
    return records


# --------------------------------------------------------------------------------------
# Dispatch and tables


def experiment_verdicts(experiment, cases, settings, *, spreads_of=None):
    """Verdict records and summary rows of one GD experiment.

    cases: {case: (spec, arrays)}; settings: the experiment's `theorems` config section.
    Returns (records, rows).
    """
    if experiment == "thm2_1":
        return thm2_1_verdicts(cases, **settings)
    if experiment == "thm3_2":
        return thm3_2_verdicts(cases, spreads_of=spreads_of)
    if experiment == "thm3_4":
        return thm3_4_verdicts(cases, **settings), []
    if experiment == "thm3_5":
        return thm3_5_verdicts(cases, **settings)
    if experiment == "fig1":
        return fig1_verdicts(cases, **settings), []
    raise ValueError(f"no verdicts defined for experiment {experiment!r}")


VERDICT_COLUMNS = ("experiment", "claim", "quantity", "threshold", "value", "holds")


def collect_records(documents):
    """Flatten verdict documents: a record, or {verdicts: [records], ...}."""
    records = []
    for document in documents:
        records.extend(document["verdicts"] if "verdicts" in document else [document])
    return records


def _format(value):
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def verdict_markdown(records):
    """A Markdown table of verdict records (columns VERDICT_COLUMNS)."""
    lines = [
        "| " + " | ".join(VERDICT_COLUMNS) + " |",
        "| " + " | ".join("---" for _ in VERDICT_COLUMNS) + " |",
    ]
    for record in records:
        cells = [_format(record.get(key)).replace("|", "\\|") for key in VERDICT_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    held = sum(bool(r["holds"]) for r in records)
    return "\n".join(lines) + f"\n\n{held} of {len(records)} verdicts hold.\n"

"""Measured convergence rates of recorded loss curves, and their comparison with theory.

Two steps, kept apart so that changing a threshold never refits:

- :func:`fit_case` measures (no thresholds): the tail exponent of the seed-mean curve with
  a confidence interval, the log-log growth of tau**p L over fixed windows, the band ratio
  of tau L and the local slopes.  Everything is JSON-ready.
- :func:`verdict_records` compares one fitted case with one theorem statement, given
  thresholds fixed in the config (section ``rates.thresholds``) before any run is looked at.

Windows (all end at the last recorded tau, see :func:`scorematch.rates.tail_window`):

- ``tail``   the last ``tail_decades`` decades (1.5 to 2 after warm-up): exponent, CI,
             and the growth of tau**(1+eps) L (Theorem 3.7);
- ``growth`` the last ``growth_decades`` (one decade): growth of sqrt(tau) L (Thm 2.1);
- ``band``   the last ``band_decades`` (two decades): max/min of tau L (Thm 3.5).

The seed-mean curve is the geometric mean over runs, exp(mean_r log L_r), as in
:func:`scorematch.rates.bootstrap_exponent`.

Comparisons (``rates.experiments.<experiment>.<case>`` lists them) and their claims:

=============  ===================  ===================================================
comparison     claim                holds when
=============  ===================  ===================================================
thm2_1         thm2_1_growth        slope of log(sqrt(tau) L) over the growth window
                                    <= sqrt_growth_tol (sqrt(tau) L stays bounded)
thm2_1         thm2_1_exponent      tail exponent <= -1/2 + exponent_tol (the O(tau^-1/2)
                                    upper bound; the measured value is the report)
thm3_5         thm3_5_exponent      |tail exponent + 1| <= exponent_tol
thm3_5         thm3_5_band          max/min of tau L over the band window <= band_ratio_max
thm3_7         thm3_7_eps<eps>      slope of log(tau^(1+eps) L) over the tail > 0
fig1_slope     fig1_slope           |tail exponent + 1| <= exponent_tol (slope about -1)
=============  ===================  ===================================================
"""

from __future__ import annotations

import math

import numpy as np

from scorematch.rates import (
    band_ratio,
    bootstrap_exponent,
    local_slopes,
    scaled_loss_growth,
    tail_fit,
    tail_window,
)

COMPARISONS = ("thm2_1", "thm3_5", "thm3_7", "fig1_slope")


def eps_label(eps):
    """The claim suffix of one epsilon, e.g. 0.05 -> 'eps0.05'."""
    return f"eps{eps:g}"


def comparison_claims(comparison, *, eps):
    """The claim names one comparison produces (one verdict record each)."""
    if comparison == "thm2_1":
        return ["thm2_1_growth", "thm2_1_exponent"]
    if comparison == "thm3_5":
        return ["thm3_5_exponent", "thm3_5_band"]
    if comparison == "thm3_7":
        return [f"thm3_7_{eps_label(e)}" for e in eps]
    if comparison == "fig1_slope":
        return ["fig1_slope"]
    raise ValueError(f"unknown comparison {comparison!r}; known: {list(COMPARISONS)}")


def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


def _list(array):
    return [_finite_or_none(v) for v in np.asarray(array, dtype=np.float64).ravel()]


def seed_mean_curve(loss):
    """(T,) geometric mean over runs of (runs, T) loss; NaN where any run is unusable."""
    loss = np.atleast_2d(np.asarray(loss, dtype=np.float64))
    usable = np.all(np.isfinite(loss) & (loss > 0), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.exp(np.mean(np.log(np.where(usable, loss, 1.0)), axis=0))
    return np.where(usable, mean, np.nan)


def fit_case(
    tau,
    loss,
    *,
    tail_decades,
    growth_decades,
    band_decades,
    slope_window_decades,
    min_tail_points,
    n_boot,
    level,
    eps,
    rng,
):
    """Measured rates of one case's (runs, T) loss on the (T,) grid tau: a JSON-ready dict.

    Keys: n_runs, windows {tail, growth, band: [lo, hi]}, exponent (seed-mean curve over
    the tail), ci [lo, hi] at `level` (bootstrap over runs, or the OLS t interval for one
    run), run_exponents, sqrt_growth (slope of log(sqrt(tau) L) over the growth window),
    growth_exponent (the loss slope there), band_ratio_tau_L (max/min of tau L over the
    band window), lower_bound_growth {eps label: slope of log(tau^(1+eps) L) over the
    tail}, tail_loss_min / tail_loss_max (seed-mean loss inside the tail window),
    local_slopes {centres, mean, runs}.
    """
    tau = np.asarray(tau)
    loss = np.atleast_2d(np.asarray(loss, dtype=np.float64))
    mean = seed_mean_curve(loss)
    tail = tail_window(tau, decades=tail_decades, min_points=min_tail_points)
    growth = tail_window(tau, decades=growth_decades, min_points=3)
    band = tail_window(tau, decades=band_decades, min_points=3)

    exponent, ci = bootstrap_exponent(
        tau, loss, lo=tail[0], hi=tail[1], n_boot=n_boot, rng=rng, level=level
    )
    _, run_exponents = tail_fit(tau, loss, lo=tail[0], hi=tail[1])
    _, growth_exponent = tail_fit(tau, mean, lo=growth[0], hi=growth[1])
    sqrt_growth = scaled_loss_growth(tau, mean, power=0.5, lo=growth[0], hi=growth[1])
    band = tuple(band)
    ratio = band_ratio(tau, mean, power=1.0, lo=band[0], hi=band[1])
    lower = {
        eps_label(e): _finite_or_none(
            scaled_loss_growth(tau, mean, power=1.0 + e, lo=tail[0], hi=tail[1])[0]
        )
        for e in eps
    }
    centres, run_slopes = local_slopes(tau, loss, window_decades=slope_window_decades)
    _, mean_slopes = local_slopes(tau, mean, window_decades=slope_window_decades)
    in_tail = (tau >= tail[0]) & (tau <= tail[1])
    return {
        "n_runs": int(loss.shape[0]),
        "windows": {
            "tail": list(tail),
            "growth": list(growth),
            "band": list(band),
        },
        "tail_points": int(np.sum(in_tail)),
        "exponent": _finite_or_none(exponent),
        "ci": _list(ci),
        "level": float(level),
        "run_exponents": _list(run_exponents),
        "growth_exponent": _finite_or_none(growth_exponent[0]),
        "sqrt_growth": _finite_or_none(sqrt_growth[0]),
        "band_ratio_tau_L": _finite_or_none(ratio[0]),
        "lower_bound_growth": lower,
        "tail_loss_min": _finite_or_none(np.nanmin(mean[in_tail])),
        "tail_loss_max": _finite_or_none(np.nanmax(mean[in_tail])),
        "local_slopes": {
            "centres": _list(centres),
            "mean": _list(mean_slopes[0]),
            "runs": [_list(row) for row in run_slopes],
        },
    }


def _record(experiment, claim, quantity, threshold, value):
    return {
        "experiment": experiment,
        "claim": claim,
        "quantity": quantity,
        "threshold": threshold,
        "value": value,
    }


def verdict_records(experiment, fit, comparison, *, thresholds, eps):
    """The verdict records {experiment, claim, quantity, threshold, value, holds} of one
    comparison for one fitted case (`experiment` names it, e.g. 'fig1/M6').

    thresholds: {exponent_tol, sqrt_growth_tol, band_ratio_max}.  A value that could not
    be measured (None) never holds.
    """
    exponent_tol = thresholds["exponent_tol"]
    b = fit["exponent"]
    tail = fit["windows"]["tail"]
    tail_text = f"tail window [{tail[0]:.4g}, {tail[1]:.4g}]"
    records = []
    if comparison == "thm2_1":
        g = fit["windows"]["growth"]
        records.append(
            _record(
                experiment,
                "thm2_1_growth",
                f"log-log slope of sqrt(tau) L over [{g[0]:.4g}, {g[1]:.4g}] "
                "(sqrt(tau) L bounded: slope <= threshold)",
                thresholds["sqrt_growth_tol"],
                fit["sqrt_growth"],
            )
            | {"holds": _le(fit["sqrt_growth"], thresholds["sqrt_growth_tol"])}
        )
        records.append(
            _record(
                experiment,
                "thm2_1_exponent",
                f"tail exponent over {tail_text} (O(tau^-1/2): exponent <= threshold)",
                -0.5 + exponent_tol,
                b,
            )
            | {"holds": _le(b, -0.5 + exponent_tol)}
        )
    elif comparison in ("thm3_5", "fig1_slope"):
        claim = "thm3_5_exponent" if comparison == "thm3_5" else "fig1_slope"
        deviation = None if b is None else abs(b + 1.0)
        records.append(
            _record(
                experiment,
                claim,
                f"|tail exponent + 1| over {tail_text} (exponent {b})",
                exponent_tol,
                deviation,
            )
            | {"holds": _le(deviation, exponent_tol)}
        )
        if comparison == "thm3_5":
            w = fit["windows"]["band"]
            records.append(
                _record(
                    experiment,
                    "thm3_5_band",
                    f"max/min of tau L over [{w[0]:.4g}, {w[1]:.4g}]",
                    thresholds["band_ratio_max"],
                    fit["band_ratio_tau_L"],
                )
                | {"holds": _le(fit["band_ratio_tau_L"], thresholds["band_ratio_max"])}
            )
    elif comparison == "thm3_7":
        for e in eps:
            value = fit["lower_bound_growth"][eps_label(e)]
            records.append(
                _record(
                    experiment,
                    f"thm3_7_{eps_label(e)}",
                    f"log-log slope of tau^(1+{e:g}) L over {tail_text} (increasing: > 0)",
                    0.0,
                    value,
                )
                | {"holds": value is not None and value > 0.0}
            )
    else:
        raise ValueError(f"unknown comparison {comparison!r}; known: {list(COMPARISONS)}")
    return records


def _le(value, threshold):
    return value is not None and value <= threshold


def table_rows(experiment, fits):
    """Rows (dicts) of results/rates.csv for one experiment's {case: fit}."""
    rows = []
    for case, fit in fits.items():
        rows.append(
            {
                "experiment": experiment,
                "case": case,
                "n_runs": fit["n_runs"],
                "tail_lo": fit["windows"]["tail"][0],
                "tail_hi": fit["windows"]["tail"][1],
                "tail_points": fit["tail_points"],
                "exponent": fit["exponent"],
                "ci_lo": fit["ci"][0],
                "ci_hi": fit["ci"][1],
                "sqrt_growth": fit["sqrt_growth"],
                "band_ratio_tau_L": fit["band_ratio_tau_L"],
                "tail_loss_min": fit["tail_loss_min"],
            }
        )
    return rows


# Keys in which a minibatch case may differ from the exact case it is compared with.
_PROTOCOL_KEYS = ("mode", "batch_size", "seed_name")


def check_minibatch_pairing(exact_name, exact_spec, minibatch_name, minibatch_spec):
    """Raise ValueError unless the minibatch case is the exact case in minibatch mode.

    Same run specification apart from mode, batch_size and seed_name; minibatch mode;
    and the minibatch case draws its initial parameters from the exact case's streams
    (seed_name equal to the exact case's name, or the exact case's own seed_name).
    """
    if exact_spec.get("mode") != "exact" or minibatch_spec.get("mode") != "minibatch":
        raise ValueError(
            f"{exact_name} must run in exact mode and {minibatch_name} in minibatch mode, "
            f"got {exact_spec.get('mode')!r} and {minibatch_spec.get('mode')!r}"
        )
    keys = (set(exact_spec) | set(minibatch_spec)) - set(_PROTOCOL_KEYS)
    differ = sorted(k for k in keys if exact_spec.get(k) != minibatch_spec.get(k))
    if differ:
        raise ValueError(
            f"{minibatch_name} differs from {exact_name} in {differ}: "
            f"{ {k: (exact_spec.get(k), minibatch_spec.get(k)) for k in differ} }; "
            "only mode, batch_size and seed_name may differ"
        )
    exact_seed = exact_spec.get("seed_name", exact_name)
    if minibatch_spec.get("seed_name", minibatch_name) != exact_seed:
        raise ValueError(
            f"{minibatch_name} must start from {exact_name}'s initial parameters: "
            f"set seed_name: {exact_seed}"
        )

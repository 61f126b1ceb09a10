"""Measured convergence rates of recorded loss curves (no thresholds: the claims in
:mod:`scorematch.claims` compare these measurements with the theorems).

:func:`fit_case` measures, over the tail window (:func:`scorematch.rates.tail_window`),
the tail exponent b of the seed-mean curve (the geometric mean over runs, as in
:func:`scorematch.rates.bootstrap_exponent`), L ~ tau**b, with a confidence interval; the
log-corrected form L ~ C / (tau (ln tau)**p) beside it; and local slopes.  A grid too
short for the tail window, or a window without three points where every run has a
usable loss, gives a fit whose ``error`` names why and whose measured values are None.
"""

from __future__ import annotations

import math

import numpy as np

from scorematch.rates import (
    bootstrap_exponent,
    local_slopes,
    log_corrected_fit,
    tail_fit,
    tail_window,
)
from scorematch.seeding import case_seed_name


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


def fit_case(tau, loss, *, tail_decades, slope_window_decades, min_tail_points, n_boot, level, rng):
    """Measured rates of one case's (runs, T) loss on the (T,) grid tau: a JSON-ready dict.

    Keys: n_runs, error (None, or why nothing could be measured), windows {tail: [lo, hi]},
    tail_points, exponent (seed-mean curve over the tail), ci [lo, hi] at `level`
    (bootstrap over runs, or the OLS t interval for one run), level, run_exponents,
    log_corrected {p, ci, ssr, ssr_power, better: 'log_corrected' or 'power'},
    slope_start / slope_end (local slope of the seed-mean curve at the first and last
    window centre inside the tail), tail_loss_min / tail_loss_max, local_slopes
    {centres, mean, runs}.
    """
    tau = np.asarray(tau)
    loss = np.atleast_2d(np.asarray(loss, dtype=np.float64))
    mean = seed_mean_curve(loss)
    centres, run_slopes = local_slopes(tau, loss, window_decades=slope_window_decades)
    _, mean_slopes = local_slopes(tau, mean, window_decades=slope_window_decades)
    fit = {
        "n_runs": int(loss.shape[0]),
        "error": None,
        "windows": {"tail": [None, None]},
        "tail_points": 0,
        "exponent": None,
        "ci": [None, None],
        "level": float(level),
        "run_exponents": [None] * loss.shape[0],
        "log_corrected": {"p": None, "ci": [None, None], "ssr": None, "ssr_power": None, "better": None},
        "slope_start": None,
        "slope_end": None,
        "tail_loss_min": None,
        "tail_loss_max": None,
        "local_slopes": {
            "centres": _list(centres),
            "mean": _list(mean_slopes[0]),
            "runs": [_list(r) for r in run_slopes],
        },
    }
    try:
        lo, hi = tail_window(tau, decades=tail_decades, min_points=min_tail_points)
        exponent, ci = bootstrap_exponent(tau, loss, lo=lo, hi=hi, n_boot=n_boot, rng=rng, level=level)
    except ValueError as error:
        return fit | {"error": str(error)}
    _, run_exponents = tail_fit(tau, loss, lo=lo, hi=hi)
    p, p_ci, ssr, ssr_power = log_corrected_fit(tau, mean, lo=lo, hi=hi, level=level)
    in_tail = (tau >= lo) & (tau <= hi)
    slopes_in_tail = mean_slopes[0][(centres >= lo) & (centres <= hi) & np.isfinite(mean_slopes[0])]
    better = None
    if math.isfinite(ssr) and math.isfinite(ssr_power):
        better = "log_corrected" if ssr < ssr_power else "power"
    return fit | {
        "windows": {"tail": [float(lo), float(hi)]},
        "tail_points": int(np.sum(in_tail)),
        "exponent": _finite_or_none(exponent),
        "ci": _list(ci),
        "run_exponents": _list(run_exponents),
        "log_corrected": {
            "p": _finite_or_none(p),
            "ci": _list(p_ci),
            "ssr": _finite_or_none(ssr),
            "ssr_power": _finite_or_none(ssr_power),
            "better": better,
        },
        "slope_start": _finite_or_none(slopes_in_tail[0]) if len(slopes_in_tail) else None,
        "slope_end": _finite_or_none(slopes_in_tail[-1]) if len(slopes_in_tail) else None,
        "tail_loss_min": _finite_or_none(np.nanmin(mean[in_tail])),
        "tail_loss_max": _finite_or_none(np.nanmax(mean[in_tail])),
    }


def table_rows(experiment, fits):
    """Rows (dicts) of results/rates.csv for one experiment's {case: fit}."""
    return [
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
            "slope_start": fit["slope_start"],
            "slope_end": fit["slope_end"],
            "log_p": fit["log_corrected"]["p"],
            "log_p_ci_lo": fit["log_corrected"]["ci"][0],
            "log_p_ci_hi": fit["log_corrected"]["ci"][1],
            "ssr_power": fit["log_corrected"]["ssr_power"],
            "ssr_log_corrected": fit["log_corrected"]["ssr"],
            "better_form": fit["log_corrected"]["better"],
            "tail_loss_min": fit["tail_loss_min"],
            "error": fit["error"],
        }
        for case, fit in fits.items()
    ]


# Keys in which a minibatch case may differ from the exact case it is compared with (a
# shorter minibatch run is the same run's beginning: same start, same eta).
_PROTOCOL_KEYS = ("mode", "batch_size", "seed_name", "n_steps", "n_records")


def check_minibatch_pairing(exact_name, exact_spec, minibatch_name, minibatch_spec):
    """Raise ValueError unless the minibatch case is the exact case in minibatch mode.

    Same run specification apart from mode, batch_size, seed_name and the run length
    (n_steps, n_records); minibatch mode;
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
            f"only {', '.join(_PROTOCOL_KEYS)} may differ"
        )
    exact_seed = case_seed_name(exact_spec, exact_name)
    if case_seed_name(minibatch_spec, minibatch_name) != exact_seed:
        raise ValueError(
            f"{minibatch_name} must start from {exact_name}'s initial parameters: set seed_name: {exact_seed}"
        )

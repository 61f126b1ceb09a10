"""The step-size experiment: base cases rerun across eta (past the paper).

A base case's run specification is kept except for eta, the number of runs, steps and
records; the runs start from the base case's initial parameters (its seed streams).
:func:`step_size_row` summarises one (base case, eta) job: the fraction of runs per
outcome, the tail exponent of the loss and eta times the largest Hessian eigenvalue at
the final states (linear stability needs it below 2).
"""

import numpy as np

from scorematch.experiment import integration_rule
from scorematch.outcomes import OUTCOME_LABELS
from scorematch.rate_summary import fit_case
from scorematch.seeding import case_seed_name
from scorematch.theorems import largest_hessian_eigenvalues


def sweep_spec(base_spec, *, base_name, eta, runs, n_steps, n_records):
    """The run specification of one sweep job: the base case's starts (its seed streams;
    runs beyond the base case's draw further streams of the same name)."""
    return {
        **base_spec,
        "eta": eta,
        "runs": runs,
        "n_steps": n_steps,
        "n_records": n_records,
        "seed_name": case_seed_name(base_spec, base_name),
    }


def step_size_row(base, eta, spec, arrays, *, fit_settings, hessian_step, hessian_runs, rng):
    """One JSON-ready row: base, eta, runs, fraction_<outcome> for OUTCOME_LABELS, exponent,
    ci, fit_error, lambda_max (the largest over the first `hessian_runs` runs with finite
    final states) and eta_lambda."""
    outcome = np.asarray(arrays["outcome"])
    finite = np.isfinite(arrays["final"]).all(axis=(1, 2)) & np.isfinite(arrays["loss"]).all(axis=1)
    diverged = (outcome == "diverged") | ~finite
    fractions = {f"fraction_{label}": float(((outcome == label) & ~diverged).mean()) for label in OUTCOME_LABELS[:3]}
    fractions["fraction_diverged"] = float(diverged.mean())
    usable = arrays["loss"][finite] if finite.any() else arrays["loss"][:1]
    fit = fit_case(arrays["tau"], usable, rng=rng, **fit_settings)
    lam = None
    if finite.any():
        lam = float(
            largest_hessian_eigenvalues(
                arrays["final"][finite][:hessian_runs],
                arrays["target"],
                step=hessian_step,
                rule=integration_rule(spec),
            ).max()
        )
    return {
        "base": base,
        "eta": float(eta),
        "runs": int(len(outcome)),
        **fractions,
        "exponent": fit["exponent"],
        "ci_lo": fit["ci"][0],
        "ci_hi": fit["ci"][1],
        "fit_error": fit["error"],
        "lambda_max": lam,
        "eta_lambda": None if lam is None else float(eta * lam),
    }


def file_base(case_name):
    """'experiment/case' -> 'experiment--case' (one path component for the sweep files)."""
    return case_name.replace("/", "--", 1)


def case_of_file_base(base):
    """The inverse of :func:`file_base`."""
    return base.replace("--", "/", 1)

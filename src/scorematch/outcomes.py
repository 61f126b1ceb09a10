"""Outcome labels of a batch of descent runs from their distances to mu*."""

import numpy as np

PHASE_LABELS = ("all", "one", "none", "other", "diverged")


OUTCOME_LABELS = ("all", "one", "other", "diverged")


def classify_outcomes(distance, *, converge_tol, diverge_radius, diverged_at=None):
    """Number of converged parameters and an outcome label per run.

    distance: (R, T, n) recorded distances to mu*.  A parameter has converged when its
    final distance is below converge_tol; it is diverging when its final distance exceeds
    diverge_radius and still grew over the last recorded interval.
    diverged_at: optional (R,) iteration at which the run's numbers stopped being finite
    (-1: never), from :class:`Trajectory`.
    Returns n_converged (R,) int64 and outcome (R,) str: "diverged" (the run stopped on
    non-finite numbers), else "all" (every parameter converged), "one" (exactly one
    converged, all others diverging) or "other".
    """
    final = distance[:, -1, :]
    converged = final < converge_tol
    diverging = (final > diverge_radius) & (final > distance[:, -2, :])
    n_converged = converged.sum(axis=-1)
    one = (n_converged == 1) & (converged | diverging).all(axis=-1)
    outcome = np.where(converged.all(axis=-1), "all", np.where(one, "one", "other"))
    return n_converged.astype(np.int64), mark_diverged(outcome, diverged_at)


def mark_diverged(outcome, diverged_at):
    """outcome (R,) str with "diverged" wherever diverged_at (R,) >= 0 (None: unchanged)."""
    if diverged_at is None:
        return outcome
    return np.where(np.asarray(diverged_at) >= 0, "diverged", outcome)


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

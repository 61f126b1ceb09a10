"""The one outcome classifier of a batch of descent runs, from their distances to mu*.

Every experiment (the score-matching cases, the phase diagram, gradient EM and the other
dynamics) labels a run with one of OUTCOME_LABELS when it is run, and stores the label;
summaries read the stored label.  "other" includes runs where no parameter converged.
"""

import numpy as np

OUTCOME_LABELS = ("all", "one", "other", "diverged")


def classify_outcomes(distance, *, converge_tol, diverge_radius, diverged_at=None):
    """Number of converged parameters and an outcome label per run.

    distance: (..., T, n) recorded distances to mu* (T >= 2).  A parameter has converged
    when its final distance is below converge_tol; it is diverging when its final distance exceeds
    diverge_radius and still grew over the last recorded interval.
    diverged_at: optional (...) iteration at which the run's numbers stopped being finite
    (-1: never), from :class:`Trajectory`.
    Returns n_converged (...) int64 and outcome (...) str: "diverged" (the run stopped on
    non-finite numbers), else "all" (every parameter converged), "one" (exactly one
    converged, all others diverging) or "other".
    """
    final = distance[..., -1, :]
    converged = final < converge_tol
    diverging = (final > diverge_radius) & (final > distance[..., -2, :])
    n_converged = converged.sum(axis=-1)
    one = (n_converged == 1) & (converged | diverging).all(axis=-1)
    outcome = np.where(converged.all(axis=-1), "all", np.where(one, "one", "other"))
    if diverged_at is not None:
        outcome = np.where(np.asarray(diverged_at) >= 0, "diverged", outcome)
    return n_converged.astype(np.int64), outcome


def outcome_fractions(outcome):
    """{label: (...) fraction over the last axis (seeds)} for every OUTCOME_LABELS label."""
    outcome = np.asarray(outcome)
    return {label: (outcome == label).mean(axis=-1) for label in OUTCOME_LABELS}

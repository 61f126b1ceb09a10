"""The one outcome classifier of a batch of descent runs, from their distances to mu*.

Every experiment (the score-matching cases, the phase diagram, gradient EM and the other
dynamics) labels a run with one of OUTCOME_LABELS when it is run, and stores the label;
summaries read the stored label.  "other" includes runs where no parameter converged.
"""

import numpy as np

OUTCOME_LABELS = ("all", "one", "other", "diverged")


def converged_and_diverging(distance, *, converge_tol, diverge_radius):
    """Per parameter, from distances (..., T, n) to mu* (T >= 2): converged (..., n), its
    final distance below converge_tol, and diverging (..., n), its final distance beyond
    diverge_radius and still growing over the last recorded interval."""
    final = distance[..., -1, :]
    return final < converge_tol, (final > diverge_radius) & (final > distance[..., -2, :])


def classify_outcomes(distance, *, converge_tol, diverge_radius, diverged_at=None):
    """Number of converged parameters and an outcome label per run.

    distance: (..., T, n) recorded distances to mu* (:func:`converged_and_diverging`).
    diverged_at: optional (...) iteration at which the run's numbers stopped being finite
    (-1: never), from :class:`Trajectory`.
    Returns n_converged (...) int64 and outcome (...) str: "diverged" (the run stopped on
    non-finite numbers), else "all" (every parameter converged), "one" (exactly one
    converged, all others diverging) or "other".
    """
    converged, diverging = converged_and_diverging(distance, converge_tol=converge_tol, diverge_radius=diverge_radius)
    n_converged = converged.sum(axis=-1)
    one = (n_converged == 1) & (converged | diverging).all(axis=-1)
    outcome = np.where(converged.all(axis=-1), "all", np.where(one, "one", "other"))
    if diverged_at is not None:
        outcome = np.where(np.asarray(diverged_at) >= 0, "diverged", outcome)
    return n_converged.astype(np.int64), outcome


def value_counts(values):
    """{value: number of entries} of the distinct values of an array (outcome labels,
    counts of students), in increasing order; JSON-ready."""
    labels, counts = np.unique(np.asarray(values), return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist()))


def outcome_fractions(outcome):
    """{label: (...) fraction over the last axis (seeds)} for every OUTCOME_LABELS label."""
    outcome = np.asarray(outcome)
    return {label: (outcome == label).mean(axis=-1) for label in OUTCOME_LABELS}

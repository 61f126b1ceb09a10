"""The noise-scale experiment: convergence relative to the start, and the
all-converge fraction against the noise scale t."""

import numpy as np


def relative_convergence(distance, *, ratio):
    """Parameters whose final distance to mu* is at most `ratio` times their initial one.

    distance: (R, T, n) recorded distances (scaled frame: an absolute tolerance would call
    every run converged once exp(-t) M is below it).  Returns n_converged (R,) int64 and
    all_converged (R,) bool.
    """
    distance = np.asarray(distance, dtype=np.float64)
    converged = distance[:, -1, :] <= ratio * distance[:, 0, :]
    return converged.sum(-1).astype(np.int64), converged.all(-1)


def noise_scale_summary(ts, fraction, threshold, section):
    """The noise-scale experiment's JSON summary.

    ts: (T,) increasing noise scales; fraction: (T,) all-converge fraction per t;
    threshold: the paper's sufficient t; section: the config section `noise_scale`.
    """
    # smallest t from which every larger grid t has fraction 1
    full = np.flatnonzero(fraction < 1.0)
    t_full = (
        float(ts[full[-1] + 1]) if full.size and full[-1] + 1 < len(ts) else (float(ts[0]) if not full.size else None)
    )
    return {
        "definition": (
            f"a parameter converges when its final distance to mu*_t is at most "
            f"{section['converge_ratio']} times its initial one; fraction of runs where all do"
        ),
        "sufficient_threshold_log_n_plus_log_M_plus_2": threshold,
        "smallest_t_with_fraction_1_from_there_on": t_full,
        "eta": section["eta"],
        "n_steps": section["n_steps"],
        "runs_per_t": section["runs"],
        "fractions": [{"t": float(t), "fraction_all": float(f)} for t, f in zip(ts, fraction)],
    }

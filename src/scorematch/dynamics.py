"""Gradient descent on the student vectors, batched over independent runs.

The engine is agnostic to how the gradient is obtained: population-exact
(:func:`exact_gradient`) or a fresh Gaussian minibatch each step
(:func:`minibatch_gradient`, the paper's experimental protocol).  The recorded loss is
always the population-exact loss of the current parameters, so both modes are compared
on the same scale.
"""

from dataclasses import dataclass

import numpy as np

from scorematch.population import (
    minibatch_loss_and_gradient,
    population_loss,
    population_loss_and_gradient,
)
from scorematch.quadrature import LineRule


@dataclass(frozen=True)
class Trajectory:
    """What a batch of GD runs records.

    tau: (T,) recorded iteration counts (log-spaced, starting at 0).
    loss: (R, T) population loss at those iterations.
    distance: (R, T, n) ||mu_i - mu*|| at those iterations.
    norm: (R, T, n) ||mu_i|| at those iterations.
    final: (R, n, d) parameters after the last step.
    centre: (R, T, d) cluster centre A = mean_i mu_i at those iterations.
    spread: (R, T) cluster spread max_i ||mu_i - A|| at those iterations.
    """

    tau: np.ndarray
    loss: np.ndarray
    distance: np.ndarray
    norm: np.ndarray
    final: np.ndarray
    centre: np.ndarray
    spread: np.ndarray


def log_spaced_steps(n_steps, *, n_records):
    """Iteration counts 0, then about n_records log-spaced values up to n_steps: (T,) int64."""
    grid = np.unique(np.round(np.logspace(0, np.log10(max(n_steps, 1)), n_records)).astype(np.int64))
    return np.concatenate([[0], grid[grid <= n_steps]])


def exact_gradient(mu_star, *, rule=LineRule()):
    """Step function for population-exact GD: (mu (R, n, d), step) -> gradient (R, n, d)."""

    def gradient(mu, step):
        return population_loss_and_gradient(mu, mu_star, rule=rule)[1]

    return gradient


def minibatch_gradient(mu_star, *, batch_size, generators):
    """Step function for minibatch GD: a fresh N(mu*, I) batch for every run and step.

    generators: one numpy Generator per run, so a run's samples do not depend on which
    other runs share its batch.
    """

    def gradient(mu, step):
        dim = mu.shape[-1]
        samples = np.stack([rng.standard_normal((batch_size, dim)) for rng in generators])
        return minibatch_loss_and_gradient(mu, mu_star, samples=samples)[1]

    return gradient


def gradient_descent(
    mu_initial, mu_star, *, eta, record_at, step_gradient, rule=LineRule(), on_record=None
):
    """Fixed-step gradient descent mu <- mu - eta * grad, batched over runs.

    mu_initial: (R, n, d); mu_star: (d,); record_at: (T,) sorted iteration counts, the last
    one the number of steps; step_gradient: (mu, step) -> (R, n, d).
    on_record: optional callable (step, loss (R,)) for progress reporting.
    Returns a :class:`Trajectory`.
    """
    mu = np.array(mu_initial, dtype=np.float64)
    record_at = np.asarray(record_at, dtype=np.int64)
    losses, distances, norms, centres, spreads = [], [], [], [], []
    step = 0
    for target in record_at:
        while step < target:
            mu -= eta * step_gradient(mu, step)
            step += 1
        loss = population_loss(mu, mu_star, rule=rule)
        losses.append(loss)
        distances.append(np.linalg.norm(mu - mu_star, axis=-1))
        norms.append(np.linalg.norm(mu, axis=-1))
        centre = mu.mean(axis=1)
        centres.append(centre)
        spreads.append(np.linalg.norm(mu - centre[:, None, :], axis=-1).max(axis=-1))
        if on_record is not None:
            on_record(step, loss)
    return Trajectory(
        tau=record_at,
        loss=np.stack(losses, axis=1),
        distance=np.stack(distances, axis=1),
        norm=np.stack(norms, axis=1),
        final=mu,
        centre=np.stack(centres, axis=1),
        spread=np.stack(spreads, axis=1),
    )


OUTCOME_LABELS = ("all", "one", "other")


def classify_outcomes(distance, *, converge_tol, diverge_radius):
    """Number of converged parameters and an outcome label per run.

    distance: (R, T, n) recorded distances to mu*.  A parameter has converged when its
    final distance is below converge_tol; it is diverging when its final distance exceeds
    diverge_radius and still grew over the last recorded interval.
    Returns n_converged (R,) int64 and outcome (R,) str: "all" (every parameter
    converged), "one" (exactly one converged, all others diverging) or "other".
    """
    final = distance[:, -1, :]
    converged = final < converge_tol
    diverging = (final > diverge_radius) & (final > distance[:, -2, :])
    n_converged = converged.sum(axis=-1)
    one = (n_converged == 1) & (converged | diverging).all(axis=-1)
    outcome = np.where(converged.all(axis=-1), "all", np.where(one, "one", "other"))
    return n_converged.astype(np.int64), outcome

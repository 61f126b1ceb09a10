"""Gradient descent on the student vectors, batched over independent runs.

One descent path for every dynamics: :func:`gradient_descent` advances all runs in
compiled code (:mod:`scorematch.engine`) between two recorded iterations.  What a step
does is a :class:`Dynamics`: the population-exact score-matching gradient, a fresh
Gaussian minibatch each step (the paper's experimental protocol), the gradient-EM
direction, the loss averaged over noise levels, plain steps or Adam, against a single
Gaussian or an equal-weight Gaussian-mixture truth.  The recorded loss is
always the population-exact loss of the current parameters, so all of them are compared
on the same scale.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np

from scorematch import engine
from scorematch.quadrature import LineRule

# Monte Carlo samples drawn at once (all runs, several steps): bounds memory at ~32 MB
_SAMPLE_BLOCK_VALUES = 1 << 22


@dataclass(frozen=True)
class Dynamics:
    """What one descent step does.

    direction: "gradient" (the score-matching gradient) or "em" (its first term
        2 E[w_i g] = -2 E[w_i (x - mu_i)]: population gradient EM).
    batch_size: 0 for population-exact expectations; B > 0 for a fresh N(0, I) minibatch
        of B samples per run and step, drawn from the run's own generator.
    noise_scales: () for the loss at the descent's own frame; (t_1, ..., t_T) for the loss
        averaged over those noise levels, (1/T) sum_t L(e^-t mu; e^-t mu*) (exact only).
    optimizer: "gd" (mu <- mu - eta D) or "adam" (eta the learning rate, with beta1,
        beta2, epsilon; Kingma and Ba 2015).
    truth: "gaussian" (N(mu*, I), mu* given as (d,) or (R, d)) or "mixture" (the
        equal-weight mixture of N(m_l, I), means given as (K, d) or (R, K, d); the
        score-matching gradient of population-exact expectations only).
    """

    direction: str = "gradient"
    batch_size: int = 0
    noise_scales: tuple[float, ...] = ()
    optimizer: str = "gd"
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    truth: str = "gaussian"

    def __post_init__(self):
        if self.direction not in ("gradient", "em"):
            raise ValueError(f"direction {self.direction!r}: allowed gradient, em")
        if self.optimizer not in ("gd", "adam"):
            raise ValueError(f"optimizer {self.optimizer!r}: allowed gd, adam")
        if self.batch_size < 0:
            raise ValueError(f"batch_size must be >= 0, got {self.batch_size}")
        if self.truth not in ("gaussian", "mixture"):
            raise ValueError(f"truth {self.truth!r}: allowed gaussian, mixture")
        if self.truth == "mixture" and (self.batch_size or self.direction != "gradient"):
            raise ValueError(
                "a mixture truth takes population-exact gradient steps only (batch_size 0, direction gradient)"
            )
        if self.batch_size and self.noise_scales:
            raise ValueError("the loss averaged over noise levels is exact only (batch_size 0)")


EXACT = Dynamics()


@dataclass(frozen=True)
class Trajectory:
    """What a batch of GD runs records.

    tau: (T,) recorded iteration counts (log-spaced, starting at 0).
    loss: (R, T) population loss at those iterations.
    distance: (R, T, n) ||mu_i - mu*|| at those iterations (a mixture truth: the distance
        to the nearest mean).
    norm: (R, T, n) ||mu_i|| at those iterations.
    final: (R, n, d) parameters after the last step.
    centre: (R, T, d) cluster centre A = mean_i mu_i at those iterations.
    spread: (R, T) cluster spread max_i ||mu_i - A|| at those iterations.
    diverged_at: (R,) int64 the first iteration whose parameters, loss or step direction
        were not finite (the run stopped there and kept its state one step earlier), -1
        for runs that stayed finite.
    """

    tau: np.ndarray
    loss: np.ndarray
    distance: np.ndarray
    norm: np.ndarray
    final: np.ndarray
    centre: np.ndarray
    spread: np.ndarray
    diverged_at: np.ndarray


def trajectory_arrays(trajectory, *, initial, target):
    """The arrays a result file of one descent stores, as a dict name -> array.

    tau, loss, distance, final and diverged_at of the :class:`Trajectory`; initial
    (R, n, d) and target (d,) as given.
    """
    return {
        "tau": trajectory.tau,
        "loss": trajectory.loss,
        "distance": trajectory.distance,
        "initial": initial,
        "final": trajectory.final,
        "target": target,
        "diverged_at": trajectory.diverged_at,
    }


def log_spaced_steps(n_steps, *, n_records):
    """Iteration counts 0, then about n_records log-spaced values up to n_steps: (T,) int64."""
    grid = np.unique(np.round(np.logspace(0, np.log10(max(n_steps, 1)), n_records)).astype(np.int64))
    return np.concatenate([[0], grid[grid <= n_steps]])


def gradient_descent(
    mu_initial,
    mu_star,
    *,
    eta,
    record_at,
    dynamics=EXACT,
    generators=None,
    rule=LineRule(),
    on_record=None,
    on_diverge=None,
):
    """Descent from mu_initial, batched over independent runs, compiled between records.

    mu_initial: (R, n, d); mu_star: (d,) or (R, d) (dynamics.truth "mixture": the means
    (K, d) or (R, K, d)); record_at: (T,) sorted iteration
    counts, the last one the number of steps; dynamics: what a step does.
    generators: one numpy Generator per run (minibatch dynamics only): run r's samples for
    step tau are generators[r].standard_normal((B, d)) drawn in step order, so a run's
    numbers do not depend on the batch it shares.
    on_record: optional callable (step, loss (R,)) for progress reporting; on_diverge:
    optional callable (run, step) called once for each run that diverges.
    A run whose parameters, loss or direction stop being finite is a result, not an
    error: it stops, keeps its last finite state and reports diverged_at.
    Returns a :class:`Trajectory`.
    """
    mu = np.array(mu_initial, dtype=np.float64, order="C")
    runs, n, d = mu.shape
    record_at = np.asarray(record_at, dtype=np.int64)
    mixture = dynamics.truth == "mixture"
    truth = engine.batch_truth(mu_star, runs=runs, dim=d, mixture=mixture)
    tables = engine.rule_tables(rule, group_sizes=engine.truth_groups(n, truth.shape[1]))
    if dynamics.batch_size and (generators is None or len(generators) != runs):
        raise ValueError("minibatch dynamics need one generator per run")
    scales = np.exp(-np.asarray(dynamics.noise_scales, dtype=np.float64)) if dynamics.noise_scales else np.ones(1)
    adam = (float(dynamics.beta1), float(dynamics.beta2), float(dynamics.epsilon))
    state = (mu, mu.copy(), np.zeros_like(mu), np.zeros_like(mu), np.full(runs, -1, dtype=np.int64))
    losses, distances, norms, centres, spreads = [], [], [], [], []
    step = 0
    for target in record_at:
        while step < target:
            n_steps = _steps_in_block(target - step, dynamics.batch_size * runs * d)
            samples = _sample_block(generators, dynamics.batch_size, n_steps, d, alive=state[4] < 0)
            newly = state[4] < 0
            with _threads_for(runs):
                engine._advance(
                    state,
                    truth,
                    step,
                    n_steps,
                    float(eta),
                    scales,
                    samples,
                    dynamics.direction == "em",
                    dynamics.optimizer == "adam",
                    adam,
                    tables,
                )
            if on_diverge is not None:
                for r in np.flatnonzero(newly & (state[4] >= 0)):
                    on_diverge(int(r), int(state[4][r]))
            step += n_steps
        with _threads_for(runs):
            loss, _ = engine.evaluate(mu, truth, rule=rule, mixture=True)
        losses.append(loss)
        distances.append(np.linalg.norm(mu[:, :, None, :] - truth[:, None, :, :], axis=-1).min(axis=-1))
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
        diverged_at=state[4].copy(),
    )


@contextmanager
def _threads_for(runs):
    """At most one thread per run: more would only wait (the count never changes a result)."""
    threads = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, runs)))
    try:
        yield
    finally:
        numba.set_num_threads(threads)


def _steps_in_block(remaining, values_per_step):
    """How many steps to hand to the compiled loop at once (all of them for exact steps)."""
    if values_per_step == 0:
        return int(remaining)
    return int(max(1, min(remaining, _SAMPLE_BLOCK_VALUES // values_per_step)))


def _sample_block(generators, batch_size, n_steps, dim, *, alive):
    """(R, n_steps, B, d) standard-normal samples, each run from its own generator in step
    order (live runs only; a diverged run's stream is no longer read); (R, 1, 0, d) for exact steps."""
    runs = len(alive)
    if batch_size == 0:
        return np.zeros((runs, 1, 0, dim))
    samples = np.zeros((runs, n_steps, batch_size, dim))
    for r in np.flatnonzero(alive):
        samples[r] = generators[r].standard_normal((n_steps, batch_size, dim))
    return samples

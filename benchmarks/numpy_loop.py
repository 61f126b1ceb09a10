"""The numpy engine's GD loop: one call of the numpy reference per step.

Imports only :mod:`scorematch.population`, so it also times an earlier version of the
package: ``PYTHONPATH=<that version's src> python benchmarks/numpy_loop.py MU.npy STEPS ETA REPEATS``
prints the seconds per step of that version (mu* = 0, mu from the .npy file).
"""

import sys
import time

import numpy as np

from scorematch.population import population_loss_and_gradient


def best_seconds_per_step(block, *, steps, repeats):
    """The best of `repeats` wall times of block() (which runs `steps` steps), per step:
    timeit's convention, the minimum is the time least disturbed by other load."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        block()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def numpy_seconds_per_step(mu, *, steps, eta, repeats):
    """Wall time per step of `steps` plain GD steps on mu (R, n, d), mu* = 0: the best of
    `repeats` timed blocks, after one untimed step (the first call of a process pays
    one-off costs)."""
    current = mu.copy()
    mu_star = np.zeros(mu.shape[-1])

    def block():
        for _ in range(steps):
            current[...] -= eta * population_loss_and_gradient(current, mu_star)[1]

    current -= eta * population_loss_and_gradient(current, mu_star)[1]
    return best_seconds_per_step(block, steps=steps, repeats=repeats)


if __name__ == "__main__":
    mu_file, steps, eta, repeats = sys.argv[1:]
    print(numpy_seconds_per_step(np.load(mu_file), steps=int(steps), eta=float(eta), repeats=int(repeats)))

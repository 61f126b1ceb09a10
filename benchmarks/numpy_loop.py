"""The numpy engine's GD loop: one call of the numpy reference per step.

Imports only :mod:`scorematch.population`, so it also times an earlier version of the
package: ``PYTHONPATH=<that version's src> python benchmarks/numpy_loop.py MU.npy STEPS ETA``
prints the seconds per step of that version (mu* = 0, mu from the .npy file).
"""

import sys
import time

import numpy as np

from scorematch.population import population_loss_and_gradient


def numpy_seconds_per_step(mu, *, steps, eta):
    """Wall time per step of `steps` plain GD steps on mu (R, n, d), mu* = 0 (after one
    untimed step: the first call of a process pays one-off costs)."""
    current = mu.copy()
    mu_star = np.zeros(mu.shape[-1])
    current -= eta * population_loss_and_gradient(current, mu_star)[1]
    start = time.perf_counter()
    for _ in range(steps):
        current -= eta * population_loss_and_gradient(current, mu_star)[1]
    return (time.perf_counter() - start) / steps


if __name__ == "__main__":
    print(numpy_seconds_per_step(np.load(sys.argv[1]), steps=int(sys.argv[2]), eta=float(sys.argv[3])))

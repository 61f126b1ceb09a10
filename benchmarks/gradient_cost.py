"""Per-step cost and accuracy: population-exact gradient vs Monte Carlo minibatches.

Run on demand:  .venv/bin/python benchmarks/gradient_cost.py
Prints one table: setting, estimator, runs, seconds per step, and the relative error of
the gradient (max-abs error / max-abs gradient, median over runs) against a reference:
the exact rule with 40 outer nodes whatever the spread (k = 3) or scipy's adaptive quadrature (k = 1).
"""

import time

import numpy as np
from scipy import integrate

from scorematch.population import minibatch_loss_and_gradient, population_loss_and_gradient
from scorematch.quadrature import LineRule

N, D = 5, 3


def settings(runs, rng):
    """Three configurations of n = 5 vectors in d = 3 (relative to mu* = 0)."""
    collinear = np.zeros((runs, N, D))
    collinear[:, :, 0] = np.concatenate([rng.normal(0, 1e-3, (runs, 1)), -rng.uniform(6, 10, (runs, N - 1))], 1)
    near_collinear = collinear.copy()
    near_collinear[:, 1:, 1:] = rng.uniform(-0.02, 0.02, (runs, N - 1, D - 1))
    spread = rng.normal(0, 0.5, (runs, N, D))
    return {"collinear k=1 (tail)": collinear, "near-collinear k=3 (tail)": near_collinear, "spread k=3": spread}


def reference_gradient(mu):
    if np.all(mu[..., 1:] == 0):
        return np.stack([quad_gradient_1d(m[:, 0]) for m in mu])[..., None] * np.eye(D)[0]
    return population_loss_and_gradient(mu, np.zeros(D), rule=LineRule(hermite_nodes=40, hermite_schedule=()))[1]


def quad_gradient_1d(c):
    def component(i):
        def f(y):
            logits = y * c - 0.5 * c**2
            w = np.exp(logits - logits.max())
            w /= w.sum()
            g = w @ c
            return 2 * w[i] * (g + (c[i] - g) * g * (y - c[i])) * np.exp(-0.5 * y * y) / np.sqrt(2 * np.pi)

        cuts = sorted({0.5 * (a + b) for a in c for b in c if a != b})
        return integrate.quad(f, -30, 30, points=[x for x in cuts if -30 < x < 30], limit=500, epsrel=1e-12, epsabs=0)[0]

    return np.array([component(i) for i in range(len(c))])


def seconds_per_call(fn, *, repeats):
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def relative_error(grad, ref):
    scale = np.abs(ref).reshape(len(ref), -1).max(-1)
    return float(np.median(np.abs(grad - ref).reshape(len(ref), -1).max(-1) / scale))


def main():
    rng = np.random.default_rng(0)
    rows = []
    for runs in (1, 256):
        for name, mu in settings(runs, rng).items():
            ref = reference_gradient(mu[: min(runs, 8)])
            exact = lambda: population_loss_and_gradient(mu, np.zeros(D))  # noqa: E731
            t = seconds_per_call(exact, repeats=3 if runs > 1 else 20)
            rows.append((name, "exact", runs, t, relative_error(exact()[1][: len(ref)], ref)))
            for batch in (1_000, 10_000, 100_000):
                if runs * batch > 3_000_000:
                    continue
                samples = lambda: rng.standard_normal((runs, batch, D))  # noqa: E731
                mc = lambda: minibatch_loss_and_gradient(mu, np.zeros(D), samples=samples())  # noqa: E731
                t = seconds_per_call(mc, repeats=3)
                rows.append((name, f"Monte Carlo B={batch:g}", runs, t, relative_error(mc()[1][: len(ref)], ref)))
    print(f"{'setting':28s} {'estimator':22s} {'runs':>5s} {'s/step':>10s} {'rel. error':>10s}")
    for name, estimator, runs, t, err in rows:
        print(f"{name:28s} {estimator:22s} {runs:5d} {t:10.2e} {err:10.1e}")


if __name__ == "__main__":
    main()

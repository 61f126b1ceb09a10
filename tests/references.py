"""Independent references for the population loss and gradient: scipy adaptive quadrature
of the definitions in x-space (x ~ (1/K) sum_j N(m_j, I), student and truth scores
softmax-weighted over -|x - c|^2 / 2; a single Gaussian truth is K = 1), never the
package's integration rule; and central differences of a loss."""

import numpy as np
from scipy import integrate


def softmax(logits):
    logits = logits - logits.max()
    w = np.exp(logits)
    return w / w.sum()


def x_space_integrands(x, mu, means):
    """Density-weighted loss and gradient integrands at x (d,), from the definitions."""
    w = softmax(-0.5 * ((x - mu) ** 2).sum(-1))
    v = softmax(-0.5 * ((x - means) ** 2).sum(-1))
    f, h = w @ mu, v @ means
    err = f - h
    density = np.mean(np.exp(-0.5 * ((x - means) ** 2).sum(-1))) / (2 * np.pi) ** (len(x) / 2)
    grad = 2 * w[:, None] * (err + (x - mu) * ((mu - f) @ err)[:, None])
    return (err @ err) * density, grad * density


def midpoints(values):
    return {0.5 * (a + b) for a in values for b in values if a != b}


def reference_1d(mu, means):
    """Adaptive quadrature in d = 1 with breakpoints at the pairwise midpoints."""
    mu, means = np.asarray(mu, float), np.asarray(means, float)
    lo, hi = means.min() - 40, means.max() + 40
    points = sorted(p for p in midpoints(mu) | midpoints(means) | set(means) if lo < p < hi)

    def quad(index):
        def f(x):
            loss, grad = x_space_integrands(np.array([x]), mu[:, None], means[:, None])
            return loss if index < 0 else grad[index, 0]

        return integrate.quad(f, lo, hi, points=points, limit=2000, epsabs=0, epsrel=1e-12)[0]

    return quad(-1), np.array([quad(i) for i in range(len(mu))])


def reference_2d(mu, means):
    """Nested adaptive quadrature in d = 2: the inner integral over x1 breaks at every
    crossing of two students' or two means' logits on the slice."""

    def cuts(centres, x2):
        out = []
        for i in range(len(centres)):
            for j in range(i + 1, len(centres)):
                a = centres[i, 0] - centres[j, 0]
                if abs(a) > 1e-12:
                    rhs = 0.5 * ((centres[i] ** 2).sum() - (centres[j] ** 2).sum()) - x2 * (
                        centres[i, 1] - centres[j, 1]
                    )
                    out.append(rhs / a)
        return out

    lo, hi = means[:, 0].min() - 30, means[:, 0].max() + 30

    def slice_integral(x2, index, axis):
        def f(x1):
            loss, grad = x_space_integrands(np.array([x1, x2]), mu, means)
            return loss if index < 0 else grad[index, axis]

        points = sorted(c for c in cuts(mu, x2) + cuts(means, x2) if lo < c < hi)
        return integrate.quad(f, lo, hi, points=points or None, limit=400, epsabs=0, epsrel=1e-12)[0]

    def outer(index, axis=0):
        return integrate.quad(lambda x2: slice_integral(x2, index, axis), -12, 12, epsabs=0, epsrel=1e-11, limit=200)[0]

    return outer(-1), np.array([[outer(i, a) for a in range(2)] for i in range(len(mu))])


def central_differences(loss, mu, *, h):
    """(mu.shape) central differences (loss(mu + h e) - loss(mu - h e)) / 2h of a scalar loss."""
    fd = np.zeros_like(mu)
    for index in np.ndindex(mu.shape):
        step = np.zeros_like(mu)
        step[index] = h
        fd[index] = (loss(mu + step) - loss(mu - step)) / (2 * h)
    return fd

"""Theorem numerics: the stationary point, the Hessian and the cluster init.

Expected values come from independent computations (a dense trapezoid rule for the
loss, second differences of the loss, closed forms), never from the code under test.
"""

import math

import numpy as np
import pytest

from scorematch.experiment import cluster_offsets, initial_parameters
from scorematch.population import population_loss
from scorematch.theorems import (
    classify_stationary,
    finite_difference_hessian,
    line_configuration,
    stationary_point,
)

N, D = 3, 2


def independent_line_loss(a):
    """L(0, a, -a) with mu* = 0 in one dimension by a dense trapezoid rule on [-14, 14].

    The integrand is analytic with Gaussian decay, so the trapezoid rule converges
    geometrically; no code of the package is used.
    """
    y = np.linspace(-14.0, 14.0, 400_001)
    c = np.array([0.0, a, -a])
    logits = y[:, None] * c - 0.5 * c**2
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    w /= w.sum(axis=1, keepdims=True)
    g = w @ c
    density = np.exp(-0.5 * y**2) / math.sqrt(2 * math.pi)
    return np.trapezoid(g**2 * density, y)


@pytest.fixture(scope="module")
def point():
    return stationary_point(n=N, d=D, scan=np.linspace(0.25, 8.0, 32), hessian_step=1e-5, zero_tol=1e-6)


def test_stationary_point_is_a_critical_point_of_the_independent_loss(point):
    a = point["a_star"]
    h = 1e-4
    slope = (independent_line_loss(a + h) - independent_line_loss(a - h)) / (2 * h)
    # a root to 10 digits: the slope at a* is O(h^2 L''') plus rounding, far below the
    # slope one part in 1e-6 away from a* (|L''| ~ 0.7)
    assert abs(slope) < 1e-8
    # and it is a maximum along the line, with the loss the independent rule gives
    left, right = independent_line_loss(a - 1e-3), independent_line_loss(a + 1e-3)
    centre = independent_line_loss(a)
    assert centre > left and centre > right
    assert point["loss"] == pytest.approx(centre, rel=1e-10)
    assert point["loss"] > 1e-3


def test_full_gradient_vanishes_at_the_stationary_point(point):
    assert point["grad_norm"] < 1e-9
    assert len(point["hessian_eigenvalues"]) == N * D


def test_hessian_is_symmetric_and_matches_second_differences_of_the_loss(point):
    mu = line_configuration([point["a_star"]], n=N, d=D)[0]
    mu_star = np.zeros(D)
    hessians, asymmetry = finite_difference_hessian(mu[None], mu_star, step=1e-5)
    hessian = hessians[0]
    assert asymmetry < 1e-8
    np.testing.assert_array_equal(hessian, hessian.T)
    h = 1e-3
    size = mu.size
    basis = np.eye(size).reshape(size, *mu.shape)
    configs = []
    for i in range(size):
        for j in range(size):
            for si, sj in [(1, 1), (1, -1), (-1, 1), (-1, -1)]:
                configs.append(mu + h * (si * basis[i] + sj * basis[j]))
    losses = population_loss(np.stack(configs), mu_star).reshape(size, size, 4)
    second = (losses[..., 0] - losses[..., 1] - losses[..., 2] + losses[..., 3]) / (4 * h * h)
    np.testing.assert_allclose(hessian, second, atol=2e-5)
    # the curvature along the symmetric line: d^2 L / da^2 = 2 e^T H e, e = (0, e1, -e1)/sqrt 2
    a, step = point["a_star"], 1e-3
    line_second = (
        independent_line_loss(a + step) - 2 * independent_line_loss(a) + independent_line_loss(a - step)
    ) / step**2
    e = np.zeros((N, D))
    e[1, 0], e[2, 0] = 1.0, -1.0
    e = e.ravel()
    assert e @ hessian @ e == pytest.approx(line_second, rel=1e-4)


def test_classification_of_eigenvalue_signs():
    assert classify_stationary([-1.0, 2.0, 1e-12], rel_tol=1e-6) == "saddle"
    assert classify_stationary([-1.0, -2.0, 1e-12], rel_tol=1e-6) == "maximum"
    assert classify_stationary([1.0, 2.0], rel_tol=1e-6) == "minimum"
    assert classify_stationary([1e-12, -1e-12, 1.0], rel_tol=1e-6) == "minimum"


def test_cluster_init_has_exact_centre_and_spread():
    rng = np.random.default_rng(3)
    offsets = cluster_offsets(rng, n=4, d=3)
    np.testing.assert_allclose(offsets.mean(axis=0), 0.0, atol=1e-15)
    assert np.linalg.norm(offsets, axis=-1).max() == pytest.approx(1.0, rel=1e-15)
    spec = dict(
        n_components=4, dim=3, noise_scale=0.0, init=dict(kind="cluster", centre_norm=2.0, spreads=[1e-3, 1e-9])
    )
    mu = initial_parameters(spec, [np.random.default_rng(i) for i in range(4)])
    centre = mu.mean(axis=1)
    np.testing.assert_allclose(centre, [[2.0, 0, 0]] * 4, atol=1e-15)
    spread = np.linalg.norm(mu - centre[:, None], axis=-1).max(axis=-1)
    np.testing.assert_allclose(spread, [1e-3, 1e-9, 1e-3, 1e-9], rtol=1e-6)
    with pytest.raises(ValueError):
        initial_parameters(spec, [np.random.default_rng(i) for i in range(3)])

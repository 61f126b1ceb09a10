"""Gradient-descent engine, outcome labels and per-run seeding."""

import numpy as np
import pytest

from scorematch.dynamics import (
    classify_outcomes,
    exact_gradient,
    gradient_descent,
    log_spaced_steps,
    minibatch_gradient,
)
from scorematch.experiment import run_specification
from scorematch.population import population_loss_and_gradient
from scorematch.seeding import STREAM_INIT, run_generators

SPEC = dict(
    dim=2,
    n_components=3,
    noise_scale=0.0,
    target_norm=1.0,
    init=dict(kind="gaussian", mean_norm=0.0, sigma=0.05),
    eta=1.0,
    n_steps=60,
    n_records=10,
    runs=4,
    mode="exact",
    batch_size=64,
    converge_tol=0.05,
    diverge_radius=3.0,
    hermite_nodes=16,
)


def test_log_spaced_steps_start_at_zero_and_end_at_n_steps():
    steps = log_spaced_steps(1000, n_records=30)
    assert steps[0] == 0 and steps[-1] == 1000
    assert np.all(np.diff(steps) > 0)
    # 30 points over 3 decades: consecutive ratio 10**(3/29) ~ 1.27 where rounding to
    # integers no longer matters
    tail = steps[steps >= 20]
    ratios = tail[1:] / tail[:-1]
    assert ratios.max() < 1.3 and ratios.min() > 1.2


def test_one_step_is_a_plain_gradient_step():
    rng = np.random.default_rng(0)
    mu0 = rng.normal(size=(2, 3, 2))
    mu_star = np.array([0.2, 0.0])
    _, grad = population_loss_and_gradient(mu0, mu_star)
    trajectory = gradient_descent(
        mu0, mu_star, eta=0.3, record_at=np.array([0, 1]), step_gradient=exact_gradient(mu_star)
    )
    np.testing.assert_allclose(trajectory.final, mu0 - 0.3 * grad, rtol=1e-14)
    np.testing.assert_allclose(trajectory.distance[:, 0], np.linalg.norm(mu0 - mu_star, axis=-1))


def test_descent_from_close_start_decreases_the_loss_to_near_zero():
    arrays = run_specification(dict(SPEC, n_steps=400), root_seed=1, name="t/close")
    loss = arrays["loss"]
    assert np.all(loss[:, -1] < 1e-3 * loss[:, 0])
    assert np.all(arrays["n_converged"] == 3) and np.all(arrays["outcome"] == "all")


def test_classify_outcomes_labels():
    # runs x records x parameters
    distance = np.array(
        [
            [[1.0, 1.0, 1.0], [0.01, 0.02, 0.0]],  # all converged
            [[1.0, 4.0, 4.0], [0.01, 5.0, 6.0]],  # one converged, two diverging
            [[1.0, 6.0, 4.0], [0.01, 5.0, 6.0]],  # one converged, but one far and shrinking
            [[1.0, 4.0, 4.0], [0.01, 0.02, 6.0]],  # two converged
        ]
    )
    n_converged, outcome = classify_outcomes(distance, converge_tol=0.05, diverge_radius=3.0)
    assert n_converged.tolist() == [3, 1, 1, 2]
    assert outcome.tolist() == ["all", "one", "other", "other"]


def test_runs_are_independent_of_the_batch_they_share():
    four = run_specification(SPEC, root_seed=7, name="t/batch")
    two = run_specification(dict(SPEC, runs=2), root_seed=7, name="t/batch")
    np.testing.assert_array_equal(four["initial"][:2], two["initial"])
    np.testing.assert_allclose(four["final"][:2], two["final"], rtol=1e-12, atol=1e-15)


def test_seed_and_name_determine_the_runs():
    a = run_specification(SPEC, root_seed=7, name="t/a")
    again = run_specification(SPEC, root_seed=7, name="t/a")
    other_seed = run_specification(SPEC, root_seed=8, name="t/a")
    other_name = run_specification(SPEC, root_seed=7, name="t/b")
    np.testing.assert_array_equal(a["final"], again["final"])
    np.testing.assert_array_equal(a["loss"], again["loss"])
    assert not np.array_equal(a["initial"], other_seed["initial"])
    assert not np.array_equal(a["initial"], other_name["initial"])


def test_streams_for_init_and_sampling_differ():
    init = run_generators(3, "x", n_runs=1, stream=STREAM_INIT)[0].standard_normal(4)
    sampling = run_generators(3, "x", n_runs=1, stream=STREAM_INIT + 1)[0].standard_normal(4)
    assert not np.array_equal(init, sampling)


def test_minibatch_mode_is_seeded_and_approaches_exact_with_large_batches():
    spec = dict(SPEC, mode="minibatch", batch_size=20000, n_steps=30, runs=2)
    a = run_specification(spec, root_seed=3, name="t/mb")
    b = run_specification(spec, root_seed=3, name="t/mb")
    np.testing.assert_array_equal(a["final"], b["final"])
    exact = run_specification(dict(spec, mode="exact"), root_seed=3, name="t/mb")
    np.testing.assert_array_equal(exact["initial"], a["initial"])
    gap = np.abs(a["final"] - exact["final"]).max()
    travelled = np.abs(exact["final"] - exact["initial"]).max()
    assert gap < 0.05 * travelled


def test_minibatch_gradient_matches_monte_carlo_by_hand():
    mu = np.array([[[0.0, 0.0], [1.0, 0.5]]])
    mu_star = np.array([0.5, 0.0])
    rng = np.random.default_rng(2)
    grad = minibatch_gradient(mu_star, batch_size=5, generators=[np.random.default_rng(2)])(mu, 0)
    z = rng.standard_normal((5, 2))
    x = z + mu_star
    expected = np.zeros((2, 2))
    for sample in x:
        logits = -0.5 * ((sample - mu[0]) ** 2).sum(-1)
        w = np.exp(logits - logits.max())
        w /= w.sum()
        f = w @ mu[0]
        for i in range(2):
            expected[i] += 2 * w[i] * ((f - mu_star) + (sample - mu[0, i]) * ((mu[0, i] - f) @ (f - mu_star)))
    np.testing.assert_allclose(grad[0], expected / 5, rtol=1e-12)


@pytest.mark.parametrize("noise_scale", [0.0, 1.5])
def test_noise_scale_shrinks_target_and_initial_vectors(noise_scale):
    spec = dict(SPEC, noise_scale=noise_scale, n_steps=1, runs=1)
    arrays = run_specification(spec, root_seed=0, name="t/noise")
    base = run_specification(dict(spec, noise_scale=0.0), root_seed=0, name="t/noise")
    np.testing.assert_allclose(arrays["target"], np.exp(-noise_scale) * base["target"])
    np.testing.assert_allclose(arrays["initial"], np.exp(-noise_scale) * base["initial"])

"""Gradient-descent engine, outcome labels and per-run seeding."""

import numba
import numpy as np
import pytest

from scorematch.dynamics import Dynamics, gradient_descent, log_spaced_steps
from scorematch.engine import sampled
from scorematch.experiment import run_specification
from scorematch.outcomes import classify_outcomes
from scorematch.population import minibatch_loss_and_gradient, population_loss_and_gradient
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
    trajectory = gradient_descent(mu0, mu_star, eta=0.3, record_at=np.array([0, 1]))
    np.testing.assert_allclose(trajectory.final, mu0 - 0.3 * grad, rtol=1e-13)
    assert trajectory.diverged_at.tolist() == [-1, -1]
    np.testing.assert_allclose(trajectory.distance[:, 0], np.linalg.norm(mu0 - mu_star, axis=-1))


def test_descent_from_close_start_decreases_the_loss_to_near_zero():
    arrays = run_specification(dict(SPEC, n_steps=400), root_seed=1, name="t/close")
    loss = arrays["loss"]
    assert np.all(loss[:, -1] < 1e-3 * loss[:, 0])
    assert np.all(arrays["n_converged"] == 3) and np.all(arrays["outcome"] == "all")


def test_classify_outcomes_marks_diverged_runs():
    distance = np.array([[[1.0, 1.0], [0.01, 0.02]], [[1.0, 1.0], [0.01, 0.02]]])
    n_converged, outcome = classify_outcomes(
        distance, converge_tol=0.05, diverge_radius=3.0, diverged_at=np.array([-1, 17])
    )
    assert n_converged.tolist() == [2, 2]
    assert outcome.tolist() == ["all", "diverged"]


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
    np.testing.assert_array_equal(four["final"][:2], two["final"])


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


def _monte_carlo_by_hand(mu, mu_star, z):
    """Minibatch loss gradient written out from the paper's formula, one sample at a time."""
    expected = np.zeros_like(mu)
    for sample in z + mu_star:
        logits = -0.5 * ((sample - mu) ** 2).sum(-1)
        w = np.exp(logits - logits.max())
        w /= w.sum()
        f = w @ mu
        for i in range(len(mu)):
            expected[i] += 2 * w[i] * ((f - mu_star) + (sample - mu[i]) * ((mu[i] - f) @ (f - mu_star)))
    return expected / len(z)


def test_minibatch_step_matches_monte_carlo_by_hand():
    mu = np.array([[[0.0, 0.0], [1.0, 0.5]]])
    mu_star = np.array([0.5, 0.0])
    z = np.random.default_rng(2).standard_normal((5, 2))
    expected = _monte_carlo_by_hand(mu[0], mu_star, z)
    _, grad = sampled(mu, mu_star, samples=z[None])
    np.testing.assert_allclose(grad[0], expected, rtol=1e-12)
    trajectory = gradient_descent(
        mu,
        mu_star,
        eta=0.1,
        record_at=np.array([0, 1]),
        dynamics=Dynamics(batch_size=5),
        generators=[np.random.default_rng(2)],
    )
    np.testing.assert_allclose(trajectory.final[0], mu[0] - 0.1 * expected, rtol=1e-12)


def test_compiled_minibatch_estimate_equals_the_numpy_one():
    rng = np.random.default_rng(4)
    mu = rng.normal(size=(3, 4, 3))
    mu_star = rng.normal(size=3)
    samples = rng.standard_normal((3, 1000, 3))
    loss, grad = sampled(mu, mu_star, samples=samples)
    ref_loss, ref_grad = minibatch_loss_and_gradient(mu, mu_star, samples=samples)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-13)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-14 * np.abs(ref_grad).max())


def test_minibatch_samples_follow_each_runs_stream_in_step_order():
    """Drawing a block of steps at once gives the per-step draws of the run's stream."""
    mu = np.random.default_rng(1).normal(scale=0.5, size=(2, 3, 2))
    mu_star = np.array([1.0, 0.0])
    dynamics = Dynamics(batch_size=7)
    trajectory = gradient_descent(
        mu,
        mu_star,
        eta=0.2,
        record_at=np.array([0, 3]),
        dynamics=dynamics,
        generators=[np.random.default_rng(10 + r) for r in range(2)],
    )
    for r in range(2):
        rng = np.random.default_rng(10 + r)
        current = mu[r].copy()
        for _ in range(3):
            current = current - 0.2 * _monte_carlo_by_hand(current, mu_star, rng.standard_normal((7, 2)))
        np.testing.assert_allclose(trajectory.final[r], current, rtol=1e-11)


SPREAD_START = np.random.default_rng(21).normal(scale=1.0, size=(5, 4, 3))


def _bytes_of(trajectory):
    return b"".join(
        np.ascontiguousarray(a).tobytes() for a in (trajectory.final, trajectory.loss, trajectory.diverged_at)
    )


@pytest.mark.parametrize("dynamics", [Dynamics(), Dynamics(batch_size=50, optimizer="adam")])
def test_a_run_is_bit_identical_alone_in_any_batch_and_thread_count(dynamics):
    mu_star = np.array([2.0, 0.0, 0.0])
    record_at = np.array([0, 3, 10])

    def descend(rows, threads):
        numba.set_num_threads(threads)
        try:
            return gradient_descent(
                SPREAD_START[rows],
                mu_star,
                eta=0.3,
                record_at=record_at,
                dynamics=dynamics,
                generators=[np.random.default_rng(100 + r) for r in rows],
            )
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

    alone = [descend([r], 1) for r in range(5)]
    batch = descend([4, 2, 0, 3, 1], numba.config.NUMBA_NUM_THREADS)
    for position, r in enumerate([4, 2, 0, 3, 1]):
        in_batch = (batch.final[position], batch.loss[position], batch.diverged_at[position])
        assert b"".join(np.ascontiguousarray(a).tobytes() for a in in_batch) == _bytes_of(alone[r])


def test_runs_in_another_process_with_other_threads_are_bit_identical(tmp_path):
    """NUMBA_NUM_THREADS=1 in a fresh process gives the same bytes as this process."""
    import subprocess
    import sys

    mu_star = np.array([2.0, 0.0, 0.0])
    here = gradient_descent(SPREAD_START, mu_star, eta=0.3, record_at=np.array([0, 5]))
    script = (
        "import numpy as np, sys\n"
        "from scorematch.dynamics import gradient_descent\n"
        "mu = np.random.default_rng(21).normal(scale=1.0, size=(5, 4, 3))\n"
        "t = gradient_descent(mu, np.array([2.0, 0.0, 0.0]), eta=0.3, record_at=np.array([0, 5]))\n"
        "sys.stdout.write(t.final.tobytes().hex())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "NUMBA_NUM_THREADS": "1"},
    )
    assert bytes.fromhex(out.stdout) == here.final.tobytes()


@pytest.mark.parametrize(
    "mu, mu_star",
    [
        # Figure 1's setting (n = 5, d = 3, mu* = 6 e1, sigma = 0.01) at a step far too large
        (0.01 * np.random.default_rng(5).standard_normal((1, 5, 3)), np.array([6.0, 0.0, 0.0])),
        (np.array([[[0.0], [0.5], [-0.3]]]), np.array([4.0])),  # d = 1
    ],
)
def test_a_diverging_run_is_a_result_and_leaves_its_batch_alone(mu, mu_star):
    # companions that stay put at this step size: every parameter at mu* (loss and gradient 0)
    calm = np.broadcast_to(mu_star, (2, *mu.shape[1:]))
    batch = np.concatenate([calm[:1], mu, calm[1:]])
    reported = []
    spec = dict(eta=50.0, record_at=log_spaced_steps(400, n_records=12))
    trajectory = gradient_descent(batch, mu_star, **spec, on_diverge=lambda r, s: reported.append((r, s)))
    assert trajectory.diverged_at[0] == -1 and trajectory.diverged_at[2] == -1
    step = trajectory.diverged_at[1]
    assert 0 < step < 400
    assert reported == [(1, int(step))]
    assert np.all(np.isfinite(trajectory.final)) and np.all(np.isfinite(trajectory.loss))
    _, outcome = classify_outcomes(
        trajectory.distance, converge_tol=0.05, diverge_radius=3.0, diverged_at=trajectory.diverged_at
    )
    assert outcome[1] == "diverged"
    for r in (0, 2):
        alone = gradient_descent(batch[r : r + 1], mu_star, **spec)
        assert alone.final.tobytes() == trajectory.final[r : r + 1].tobytes()
        assert alone.loss.tobytes() == trajectory.loss[r : r + 1].tobytes()


@pytest.mark.parametrize("noise_scale", [0.0, 1.5])
def test_noise_scale_shrinks_target_and_initial_vectors(noise_scale):
    spec = dict(SPEC, noise_scale=noise_scale, n_steps=1, runs=1)
    arrays = run_specification(spec, root_seed=0, name="t/noise")
    base = run_specification(dict(spec, noise_scale=0.0), root_seed=0, name="t/noise")
    np.testing.assert_allclose(arrays["target"], np.exp(-noise_scale) * base["target"])
    np.testing.assert_allclose(arrays["initial"], np.exp(-noise_scale) * base["initial"])

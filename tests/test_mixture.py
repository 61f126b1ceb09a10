"""Mixture-truth loss and gradient against independent computations.

References are computed here in x-space from the definitions (x ~ (1/K) sum_j N(m_j, I),
student and truth scores softmax-weighted over -|x - c|^2 / 2) with scipy's adaptive
quadrature, breakpoints at every pairwise midpoint of the students and of the truth
means; never with the package's integration rule.

The compiled engine's mixture truth is checked against the numpy reference of this
package (the same rule, so to rounding: 1e-13), which the quadrature tests pin down.

Tolerances: 1e-8 relative where the rule is population-exact today (k = 1: every
collinear configuration; near-collinear k = 2); gradients against central differences
at 1e-6 relative; invariances at 1e-9.  A spread k >= 2 configuration is not
population-exact with the current outer Gauss-Hermite rule and is not tested against a
reference here.
"""

import numpy as np
import pytest
from references import central_differences, reference_1d, reference_2d
from scipy.stats import special_ortho_group

from scorematch import engine
from scorematch.dynamics import Dynamics
from scorematch.mixture import (
    component_outcomes,
    mixture_descent,
    mixture_loss,
    mixture_loss_and_gradient,
    truth_means,
)
from scorematch.population import population_loss_and_gradient

RTOL = 1e-8


def evaluate(mu, means):
    loss, grad = mixture_loss_and_gradient(np.asarray(mu, float)[None], np.asarray(means, float))
    return loss[0], grad[0]


def embed(values, d):
    out = np.zeros((len(values), d))
    out[:, 0] = values
    return out


# (students, truth means) on one line
COLLINEAR_CASES = {
    "recovered": ([-2.0, 2.0], [-2.0, 2.0]),
    "near_recovered": ([-2.01, 1.98, 2.003], [-2.0, 2.0]),
    "both_on_one_side": ([5.0, 6.5], [-2.0, 2.0]),
    "close_means": ([0.3, -0.2, 1.1], [-0.5, 0.5]),
    "one_far_tail": ([-3.0, 3.0, 11.0, 12.5], [-3.0, 3.0]),
    "students_between": ([-0.1, 0.1], [-4.0, 4.0]),
    "tight_pair_far_left": ([-9.0, -9.001, 4.0], [-1.0, 4.0]),
    "three_means": ([-4.2, 0.1, 3.9, 7.0], [-4.0, 0.0, 4.0]),
    "far_tail_R12": ([-1.0, 1.0, 12.0, 12.4, 13.0], [-1.0, 1.0]),
}


@pytest.mark.parametrize("name", list(COLLINEAR_CASES))
def test_collinear_against_adaptive_quadrature(name):
    students, means = map(np.array, COLLINEAR_CASES[name])
    ref_loss, ref_grad = reference_1d(students, means)
    loss, grad = evaluate(embed(students, 3), embed(means, 3))
    assert loss == pytest.approx(ref_loss, rel=RTOL)
    np.testing.assert_allclose(grad[:, 0], ref_grad, rtol=RTOL, atol=RTOL * np.abs(ref_grad).max())
    np.testing.assert_array_equal(grad[:, 1:], 0.0)


def test_tail_case_reaches_small_losses():
    """far_tail_R12 must really probe the tail regime (loss far below the O(1) scale)."""
    students, means = map(np.array, COLLINEAR_CASES["far_tail_R12"])
    assert reference_1d(students, means)[0] < 1e-6


def test_near_collinear_two_dimensional():
    """Students slightly off the axis of the means (k = 2): nested adaptive quadrature."""
    rng = np.random.default_rng(4)
    mu = embed([-2.5, 0.4, 2.2], 2)
    mu[:, 1] = rng.uniform(-0.05, 0.05, 3)
    means = embed([-2.0, 2.0], 2)
    loss, grad = evaluate(mu, means)
    ref_loss, ref_grad = reference_2d(mu, means)
    assert loss == pytest.approx(ref_loss, rel=1e-8)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-7, atol=1e-8 * np.abs(ref_grad).max())


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_one_component_equals_single_gaussian_bitwise_when_n_at_least_d(n):
    rng = np.random.default_rng(n)
    for d in range(1, n + 1 if n < 3 else 4):
        mu = rng.normal(scale=3.0, size=(8, n, d))
        mean = rng.normal(size=d)
        single = population_loss_and_gradient(mu, mean)
        mixed = mixture_loss_and_gradient(mu, mean[None])
        np.testing.assert_array_equal(mixed[0], single[0])
        np.testing.assert_array_equal(mixed[1], single[1])


@pytest.mark.parametrize("n, d", [(1, 2), (1, 3), (2, 3)])
def test_one_component_equals_single_gaussian_when_n_below_d(n, d):
    """n < d: the span basis comes from an (n + 1) x d matrix (the mean's own zero row)
    instead of n x d, so LAPACK may return other signs: equal to rounding only."""
    rng = np.random.default_rng(10 * n + d)
    mu = rng.normal(scale=3.0, size=(8, n, d))
    mean = rng.normal(size=d)
    single_loss, single_grad = population_loss_and_gradient(mu, mean)
    loss, grad = mixture_loss_and_gradient(mu, mean[None])
    np.testing.assert_allclose(loss, single_loss, rtol=1e-14)
    np.testing.assert_allclose(grad, single_grad, rtol=0, atol=1e-14 * np.abs(single_grad).max())


@pytest.mark.parametrize("d, scale", [(1, 0.3), (1, 3.0), (2, 1.0)])
def test_gradient_matches_central_differences(d, scale):
    rng = np.random.default_rng(20 + d)
    mu = rng.normal(scale=scale, size=(1, 3, d))
    means = truth_means(components=2, separation=3.0, dim=d)
    _, grad = mixture_loss_and_gradient(mu, means)
    h = 1e-5 * max(scale, 1.0)
    fd = central_differences(lambda m: mixture_loss(m, means)[0], mu, h=h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8 * np.abs(fd).max())


@pytest.mark.parametrize("seed, n, d, k", [(0, 2, 1, 2), (1, 3, 2, 2), (2, 4, 3, 2), (3, 3, 3, 3)])
def test_translation_rotation_permutation_invariance(seed, n, d, k):
    rng = np.random.default_rng(seed)
    mu = rng.normal(scale=1.5, size=(n, d))
    means = rng.normal(scale=2.0, size=(k, d))
    loss, grad = evaluate(mu, means)
    shift = rng.normal(scale=5.0, size=d)
    rotation = special_ortho_group.rvs(d, random_state=rng) if d > 1 else -np.ones((1, 1))
    students, components = rng.permutation(n), rng.permutation(k)
    scale = np.abs(grad).max()
    for other_mu, other_means, expected_grad in [
        (mu + shift, means + shift, grad),
        (mu @ rotation.T, means @ rotation.T, grad @ rotation.T),
        (mu[students], means[components], grad[students]),
    ]:
        other_loss, other_grad = evaluate(other_mu, other_means)
        assert other_loss == pytest.approx(loss, rel=1e-9)
        np.testing.assert_allclose(other_grad, expected_grad, atol=1e-9 * scale)


def test_students_on_the_means_have_zero_loss_and_gradient():
    means = truth_means(components=3, separation=2.5, dim=2)
    loss, grad = evaluate(means[[2, 0, 1]], means)
    assert loss == pytest.approx(0.0, abs=1e-28)
    np.testing.assert_allclose(grad, 0.0, atol=1e-14)


def test_truth_means_are_centred_and_spaced():
    np.testing.assert_array_equal(
        truth_means(components=3, separation=2.0, dim=2), [[-2.0, 0.0], [0.0, 0.0], [2.0, 0.0]]
    )


def test_component_outcomes_counts_students_per_component():
    # 2 runs, 2 records, 3 students, 2 components
    distance = np.array(
        [
            [[[1.0, 5.0], [5.0, 1.0], [4.0, 8.0]], [[0.01, 5.0], [5.0, 0.02], [4.5, 8.5]]],
            [[[1.0, 5.0], [1.0, 5.0], [6.0, 2.0]], [[0.01, 5.0], [0.03, 5.0], [6.0, 0.04]]],
        ]
    )
    out = component_outcomes(distance, converge_tol=0.05, diverge_radius=3.0)
    np.testing.assert_array_equal(out["per_component"], [[1, 1], [2, 1]])
    np.testing.assert_array_equal(out["diverging"], [1, 0])
    np.testing.assert_array_equal(out["recovered"], [True, True])
    np.testing.assert_array_equal(out["split"], [False, True])


def _random_cases():
    rng = np.random.default_rng(30)
    cases = []
    for components, n, d, scale in [(2, 3, 2, 2.0), (2, 4, 3, 2.0), (3, 5, 3, 3.0), (2, 2, 3, 0.02), (3, 3, 2, 6.0)]:
        cases.append((rng.normal(scale=scale, size=(3, n, d)), rng.normal(scale=2.0, size=(components, d))))
    for students, means in COLLINEAR_CASES.values():
        cases.append((embed(students, 2)[None], embed(means, 2)))
    return cases


@pytest.mark.parametrize("case", range(len(_random_cases())))
def test_compiled_mixture_evaluates_the_same_rule_as_the_numpy_reference(case):
    mu, means = _random_cases()[case]
    loss, grad = engine.evaluate(mu, means, mixture=True)
    ref_loss, ref_grad = mixture_loss_and_gradient(mu, means)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-13)
    scale = np.abs(ref_grad).reshape(len(mu), -1).max(-1)
    assert np.all(np.abs(grad - ref_grad).reshape(len(mu), -1).max(-1) <= 1e-13 * scale)


def test_compiled_one_component_mixture_is_the_single_gaussian_bitwise():
    rng = np.random.default_rng(31)
    mu = rng.normal(scale=2.0, size=(4, 3, 2))
    mean = rng.normal(size=2)
    mixed = engine.evaluate(mu, mean[None], mixture=True)
    single = engine.evaluate(mu, mean)
    np.testing.assert_array_equal(mixed[0], single[0])
    np.testing.assert_array_equal(mixed[1], single[1])


def test_mixture_descent_takes_the_reference_gradient_steps():
    """Compiled GD on the mixture against plain numpy steps mu <- mu - eta grad."""
    means = truth_means(components=2, separation=3.0, dim=2)
    mu = np.random.default_rng(32).normal(scale=2.0, size=(3, 3, 2))
    out = mixture_descent(mu, means, eta=0.4, record_at=[0, 1, 3, 6])
    reference = mu.copy()
    for step in range(1, 7):
        reference = reference - 0.4 * mixture_loss_and_gradient(reference, means)[1]
        if step in (1, 3, 6):
            record = [1, 3, 6].index(step) + 1
            np.testing.assert_allclose(
                out["distance"][:, record], np.linalg.norm(reference[:, :, None] - means, axis=-1), rtol=1e-12
            )
    np.testing.assert_allclose(out["final"], reference, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(out["loss"][:, -1], mixture_loss(reference, means), rtol=1e-12)
    np.testing.assert_array_equal(out["diverged_at"], -1)


@pytest.mark.parametrize("fields", [{"batch_size": 16}, {"direction": "em"}])
def test_mixture_truth_takes_exact_gradient_steps_only(fields):
    with pytest.raises(ValueError, match="mixture truth"):
        Dynamics(truth="mixture", **fields)


def test_readme_lines_show_each_case_with_its_interval_and_sigma_star():
    from scorematch.mixture import fraction_with_interval
    from scorematch.readme_tables import mixture_lines

    recovered = fraction_with_interval([True] * 3 + [False] * 37, level=0.95)
    rate = {"recovered_with_diverging_mean_curve": {"exponent": -1.2, "ci": [-1.3, -1.1], "runs": 3}}
    summaries = {
        "exact": {
            "cases": [
                {"n": 2, "separation": 4.0, "recovered": recovered, "diverging_counts": {"0": 3, "1": 37}, "rate": rate}
            ]
        },
        "small_init": {"cases": [{"n": 2, "separation": 8.0, "sigma_star": None, "sigma_star_status": "above_grid"}]},
    }
    text = "\n".join(mixture_lines(summaries))
    assert f"| 2 | 4 | 3/40 [{recovered['ci_lo']:.2f}, {recovered['ci_hi']:.2f}] | 0: 3, 1: 37 |" in text
    assert "-1.200 [-1.300, -1.100] (3 runs)" in text
    assert "| 2 | 8 | - (above_grid) |" in text

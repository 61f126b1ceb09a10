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

from types import SimpleNamespace

import numpy as np
import pytest
from references import central_differences, reference_1d, reference_2d
from scipy.stats import special_ortho_group

from scorematch import engine
from scorematch.dynamics import Dynamics
from scorematch.experiment import descend_and_classify
from scorematch.mixture import MIXTURE_GD, component_outcomes, mixture_loss_and_gradient, rule_accuracy, truth_means
from scorematch.population import population_loss_and_gradient
from scorematch.quadrature import LineRule

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
    fd = central_differences(lambda m: mixture_loss_and_gradient(m, means)[0][0], mu, h=h)
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


@pytest.mark.parametrize("components", [3, 4])
def test_polygon_means_are_a_centred_regular_polygon_of_that_side(components):
    means = truth_means(components=components, separation=2.5, dim=3, layout="polygon")
    np.testing.assert_allclose(means.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_array_equal(means[:, 2], 0.0)
    sides = np.linalg.norm(means - np.roll(means, 1, axis=0), axis=-1)
    np.testing.assert_allclose(sides, 2.5, rtol=1e-14)
    # vertex 0 on +e1, every vertex at the same distance from the centre
    assert means[0, 1] == 0.0 and means[0, 0] > 0
    np.testing.assert_allclose(np.linalg.norm(means, axis=-1), means[0, 0], rtol=1e-14)


def test_polygon_of_three_needs_a_plane():
    with pytest.raises(ValueError, match="needs dim >= 2"):
        truth_means(components=3, separation=1.0, dim=1, layout="polygon")


def test_component_outcomes_counts_students_per_component():
    # 2 runs, 2 records, 3 students, means -2 and 2 on a line; distances to the nearest mean
    means = np.array([[-2.0], [2.0]])
    final = np.array([[[-1.99], [2.01], [8.5]], [[0.0], [2.0], [2.04]]])
    distance = np.array([[[1.0, 1.0, 4.0], [0.01, 0.01, 6.5]], [[2.0, 1.0, 1.0], [2.0, 0.0, 0.04]]])
    out = component_outcomes(
        SimpleNamespace(distance=distance, final=final),
        truth=means,
        spec={"converge_tol": 0.05, "diverge_radius": 3.0},
    )
    np.testing.assert_array_equal(out["per_component"], [[1, 1], [0, 2]])
    np.testing.assert_array_equal(out["diverging"], [1, 0])
    np.testing.assert_array_equal(out["at_mixture_mean"], [0, 1])
    np.testing.assert_array_equal(out["recovered"], [True, False])
    np.testing.assert_array_equal(out["split"], [False, False])


def test_rule_accuracy_is_rounding_on_a_line_and_positive_off_it():
    line = truth_means(components=3, separation=2.0, dim=2)
    mu = np.zeros((2, 3, 2))
    mu[..., 0] = [[-1.0, 0.5, 3.0], [4.0, 5.0, 6.0]]
    assert np.all(rule_accuracy(mu, line, rule=LineRule())[:2] < 1e-12)
    triangle = truth_means(components=3, separation=4.0, dim=2, layout="polygon")
    mu[..., 1] = [[1.0, -1.0, 2.0], [0.5, 0.0, -0.5]]
    errors = rule_accuracy(mu, triangle, rule=LineRule(hermite_nodes=4, hermite_schedule=(), pole_error=None))
    assert np.all(errors > 1e-8)


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
    """Compiled GD on the mixture (through descend_and_classify) against plain numpy steps
    mu <- mu - eta grad, recorded at iterations 1, 2, 3, 6."""
    means = truth_means(components=2, separation=3.0, dim=2)
    mu = np.random.default_rng(32).normal(scale=2.0, size=(3, 3, 2))
    spec = {"eta": 0.4, "n_steps": 6, "n_records": 4, "converge_tol": 0.05, "diverge_radius": 3.0}
    out = descend_and_classify(mu, means, spec, dynamics=MIXTURE_GD, classifier=component_outcomes)
    np.testing.assert_array_equal(out["tau"], [0, 1, 2, 3, 6])
    reference = mu.copy()
    for step in range(1, 7):
        reference = reference - 0.4 * mixture_loss_and_gradient(reference, means)[1]
        if step in (1, 2, 3, 6):
            record = [1, 2, 3, 6].index(step) + 1
            np.testing.assert_allclose(
                out["distance"][:, record],
                np.linalg.norm(reference[:, :, None] - means, axis=-1).min(axis=-1),
                rtol=1e-12,
            )
    np.testing.assert_allclose(out["final"], reference, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(out["loss"][:, -1], mixture_loss_and_gradient(reference, means)[0], rtol=1e-12)
    np.testing.assert_array_equal(out["diverged_at"], -1)
    assert out["per_component"].shape == (3, 2) and out["recovered"].dtype == bool


@pytest.mark.parametrize("fields", [{"batch_size": 16}, {"direction": "em"}])
def test_mixture_truth_takes_exact_gradient_steps_only(fields):
    with pytest.raises(ValueError, match="mixture truth"):
        Dynamics(truth="mixture", **fields)


def test_readme_lines_show_each_case_with_its_interval_and_sigma_star():
    from scorematch.claims import fraction_with_interval
    from scorematch.readme_tables import mixture_lines

    recovered = fraction_with_interval([True] * 3 + [False] * 37, level=0.95)
    split = fraction_with_interval([True] * 2 + [False] * 38, level=0.95)
    rate = {"recovered_with_diverging_mean_curve": {"exponent": -1.2, "ci": [-1.3, -1.1], "runs": 3}}
    settings = {"components": 2, "layout": "line", "dim": 1, "eta": 0.5, "n_steps": 100, "level": 0.95}
    errors = {"loss_relative": 2e-6, "gradient_relative": 0.5, "gradient_absolute": 3e-4}
    by_sigma = [{"sigma": s, **fraction_with_interval([s < 0.05] * 4, level=0.95)} for s in (0.01, 0.1, 1.0)]
    law = {"intercept": -1.0, "intercept_se": 0.1, "slope": -0.5, "slope_se": 0.05, "n_points": 3, "residual_sd": 0.2}
    sections = {
        "mixture": {
            "exact": {
                "settings": settings,
                "cases": [
                    {
                        "n": 2,
                        "separation": 4.0,
                        "recovered": recovered,
                        "split": split,
                        "diverging_counts": {"0": 3, "1": 37},
                        "rate": rate,
                    }
                ],
            },
            "small_init": {
                "settings": {**settings, "small_init": {"level": 0.5}},
                "cases": [
                    {"n": 2, "separation": 8.0, "sigma_star": None, "sigma_star_status": "above_grid", "by_sigma": []},
                    {"n": 2, "separation": 4.0, "sigma_star": 0.05, "sigma_star_status": "ok", "by_sigma": by_sigma},
                ],
                "laws": {"2": law},
            },
        },
        "mixture_K3_triangle": {
            "exact": {
                "settings": {**settings, "components": 3, "layout": "polygon", "dim": 2, "hermite_nodes": 16},
                "cases": [
                    {
                        "n": 3,
                        "separation": 4.0,
                        "recovered": recovered,
                        "split": split,
                        "diverging_counts": {"1": 40},
                        "rate": rate,
                        "rule_error": {"initial": errors, "final": errors},
                    }
                ],
            }
        },
    }
    text = "\n".join(mixture_lines(sections))
    assert (
        f"| 2 | 4 | 3/40 [{recovered['ci_lo']:.2f}, {recovered['ci_hi']:.2f}] "
        f"| 2/40 [{split['ci_lo']:.2f}, {split['ci_hi']:.2f}] | 0: 3, 1: 37 |"
    ) in text
    assert "| 0: 3, 1: 37 | -1.200 [-1.300, -1.100] (3 runs) |" in text
    assert "| 2 | 8 | - (above_grid) |" in text
    ci = by_sigma[1]
    assert f"1e-02: 4/4 [{by_sigma[0]['ci_lo']:.2f}, 1.00], 1e-01: 0/4 [0.00, {ci['ci_hi']:.2f}]" in text
    assert "n = 2: ln sigma* = -1.00 (+-0.10) -0.500 (+-0.050) Delta over 3 separations" in text
    assert "`mixture_K3_triangle` `exact`: K = 3 (polygon), d = 2" in text
    assert "spread tier 16 outer nodes" in text and "loss 2.0e-06 relative, gradient 3.0e-04 absolute" in text

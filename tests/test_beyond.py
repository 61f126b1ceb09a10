"""Numerics of the "past the paper" experiments: outcomes, phase diagram, other dynamics, noise scale."""

import numpy as np
import pytest
from scipy import integrate, stats
from workflow_copy import REPO

from scorematch.config import ConfigError, deep_merge, load_config, validate_config
from scorematch.dynamics import Dynamics, gradient_descent
from scorematch.other_dynamics import (
    GRADIENT_EM,
    alternative_dynamics,
    gradient_em_direction,
    method_summary,
    time_averaged_loss_and_gradient,
)
from scorematch.outcomes import classify_outcomes, outcome_fractions
from scorematch.phase import (
    critical_spread,
    critical_spread_laws,
    fit_line,
    fit_linear_model,
    joint_law,
    phase_diagrams,
    phase_initial,
)
from scorematch.population import minibatch_loss_and_gradient, population_loss_and_gradient
from scorematch.readme_tables import phase_lines


def _monte_carlo_em(mu, mu_star, n_samples, rng):
    """-2 E[w_i (x - mu_i)] with x ~ N(mu*, I), posterior weights written out here:
    w_i proportional to exp(-|x - mu_i|^2 / 2) (equal mixing weights).
    Returns mean (n, d) and standard error (n, d)."""
    d = mu.shape[-1]
    x = mu_star + rng.standard_normal((n_samples, d))
    sq = ((x[:, None, :] - mu[None, :, :]) ** 2).sum(-1)  # (N, n)
    logit = -0.5 * sq
    logit -= logit.max(axis=1, keepdims=True)
    w = np.exp(logit)
    w /= w.sum(axis=1, keepdims=True)
    samples = -2.0 * w[:, :, None] * (x[:, None, :] - mu[None, :, :])  # (N, n, d)
    return samples.mean(0), samples.std(0, ddof=1) / np.sqrt(n_samples)


@pytest.mark.parametrize(
    "mu, mu_star",
    [
        (np.array([[0.3], [-1.2], [2.0]]), np.array([1.5])),  # collinear, k = 1
        (np.array([[0.5, 0.2], [-1.0, 0.7], [1.1, -0.4]]), np.array([1.0, 0.5])),  # k = 2
    ],
)
def test_gradient_em_matches_monte_carlo_of_stein_form(mu, mu_star):
    rng = np.random.default_rng(7)
    mean, se = _monte_carlo_em(mu, mu_star, 400_000, rng)
    direction = gradient_em_direction(mu[None], mu_star)[0]
    assert direction.shape == mu.shape
    assert np.all(np.abs(direction - mean) <= 5 * se + 1e-12), (direction, mean, se)


def test_gradient_em_is_not_the_full_gradient():
    # away from the mixture fixed points the second term of the score-matching gradient
    # is nonzero: the EM direction must differ from the full gradient
    mu = np.array([[[0.3], [-1.2], [2.0]]])
    full = population_loss_and_gradient(mu, np.array([1.5]))[1]
    em = gradient_em_direction(mu, np.array([1.5]))
    assert np.abs(full - em).max() > 1e-3


def test_gradient_em_vanishes_at_target():
    mu = np.full((1, 3, 2), 0.7)
    assert np.abs(gradient_em_direction(mu, np.array([0.7, 0.7]))).max() < 1e-12


@pytest.mark.parametrize(
    "fraction, expected",
    [
        ([1.0, 1.0, 0.75, 0.25], 10**-1.5),  # interpolated in log sigma
        ([1.0, 0.2, 0.6, 0.0], 10 ** (-2 + 0.1 / 0.6)),  # non-monotone: the largest crossing, after 1e-2
    ],
)
def test_critical_spread_interpolates_the_largest_crossing_in_log_sigma(fraction, expected):
    value, status = critical_spread(np.array([1e-4, 1e-3, 1e-2, 1e-1]), fraction)
    assert status == "ok"
    assert value == pytest.approx(expected, rel=1e-12)


def test_critical_spread_edges():
    sigmas = np.array([1e-3, 1e-2, 1e-1])
    value, status = critical_spread(sigmas, [0.4, 0.1, 0.0])
    assert status == "below_grid" and np.isnan(value)
    value, status = critical_spread(sigmas, [1.0, 0.9, 0.5])
    assert status == "above_grid" and np.isnan(value)
    with pytest.raises(ValueError):
        critical_spread(sigmas[::-1], [1.0, 0.5, 0.0])


def test_fit_line_recovers_known_line_and_error():
    rng = np.random.default_rng(3)
    x = np.linspace(1.0, 8.0, 400)
    noise_sd = 0.5
    y = 2.0 - 3.0 * x + noise_sd * rng.standard_normal(x.size)
    fit = fit_line(x, y)
    expected_se = noise_sd / np.sqrt(((x - x.mean()) ** 2).sum())
    assert abs(fit["slope"] + 3.0) < 4 * expected_se
    assert fit["slope_se"] == pytest.approx(expected_se, rel=0.15)
    assert abs(fit["intercept"] - 2.0) < 4 * fit["intercept_se"]
    assert fit["residual_sd"] == pytest.approx(noise_sd, rel=0.15)
    exact = fit_line([1.0, 2.0, 4.0], [1.0, -1.0, -5.0])
    assert exact["slope"] == pytest.approx(-2.0)
    assert exact["intercept"] == pytest.approx(3.0)
    assert exact["slope_se"] == pytest.approx(0.0, abs=1e-12)


def test_fit_linear_model_matches_linregress_and_monte_carlo_spread():
    rng = np.random.default_rng(5)
    x = np.linspace(0.0, 4.0, 12)
    z = np.cos(3.0 * x)
    design = np.column_stack([np.ones_like(x), x, z])
    truth = np.array([1.0, -2.0, 0.5])
    # two columns: scipy's linregress is an independent computation of the same fit
    y = design @ truth + 0.3 * rng.standard_normal(x.size)
    line = fit_linear_model(design[:, :2], y, names=["a", "b"])
    reference = stats.linregress(x, y)
    assert line["coefficients"]["b"] == pytest.approx(reference.slope, rel=1e-12)
    assert line["standard_errors"]["b"] == pytest.approx(reference.stderr, rel=1e-10)
    assert line["standard_errors"]["a"] == pytest.approx(reference.intercept_stderr, rel=1e-10)
    # three columns: the reported standard errors match the spread of the estimates over
    # many noise draws (noise sd 0.3 known), and the mean estimate is the truth
    draws = [
        fit_linear_model(design, design @ truth + 0.3 * rng.standard_normal(x.size), names=["a", "b", "c"])
        for _ in range(2000)
    ]
    estimates = np.array([[d["coefficients"][k] for k in "abc"] for d in draws])
    reported = np.array([[d["standard_errors"][k] for k in "abc"] for d in draws])
    np.testing.assert_allclose(estimates.mean(axis=0), truth, atol=4 * estimates.std(axis=0).max() / np.sqrt(2000))
    np.testing.assert_allclose(estimates.std(axis=0), np.sqrt((reported**2).mean(axis=0)), rtol=0.06)
    assert np.mean([d["residual_sd"] for d in draws]) == pytest.approx(0.3, rel=0.05)
    with pytest.raises(ValueError, match="full-rank"):
        fit_linear_model(np.column_stack([x, 2 * x]), y, names=["a", "b"])


def test_joint_law_recovers_an_exact_law_across_eta_and_dim():
    law = {
        "a_n2": 1.0,
        "b_n2": -1.0,
        "a_n3": 2.0,
        "b_n3": -1.5,
        "c_eta": 0.4,
        "c_M_eta": 0.1,
        "c_d": -0.3,
        "c_M_d": 0.05,
    }
    points = []
    for n in (2, 3):
        for eta, dim in [(0.5, 1), (0.25, 1), (0.125, 1), (0.5, 3)]:
            for m in (2.0, 4.0, 6.0):
                le, ld = np.log(eta / 0.5), np.log(dim)
                y = law[f"a_n{n}"] + law[f"b_n{n}"] * m + law["c_eta"] * le + law["c_M_eta"] * m * le
                y += law["c_d"] * ld + law["c_M_d"] * m * ld
                points.append({"n": n, "M": m, "eta": eta, "dim": dim, "sigma_star": np.exp(y)})
    fit = joint_law(points, reference_eta=0.5, reference_dim=1)
    assert fit["coefficients"] == pytest.approx(law, abs=1e-10)
    assert fit["residual_sd"] < 1e-10
    # one eta and one dim: their terms are left out (they would not be identifiable)
    single = joint_law([p for p in points if p["eta"] == 0.5 and p["dim"] == 1], reference_eta=0.5, reference_dim=1)
    assert sorted(single["coefficients"]) == ["a_n2", "a_n3", "b_n2", "b_n3"]


def test_phase_diagrams_resolve_overrides_and_the_step_rule():
    section = {"n_components": [2, 3, 5], "runs": 16, "gd_time": 2000, "level": 0.5}
    section["diagrams"] = {"a": {"dim": 1, "eta": 0.5}, "b": {"dim": 3, "eta": 0.125, "runs": 8}}
    resolved = phase_diagrams(section)
    assert resolved["a"]["n_steps"] == 4000 and resolved["a"]["runs"] == 16
    assert resolved["b"]["n_steps"] == 16000 and resolved["b"]["runs"] == 8 and resolved["b"]["dim"] == 3
    assert "diagrams" not in resolved["a"]
    section["diagrams"]["c"] = {"dim": 1, "eta": 0.3}
    with pytest.raises(ValueError, match="phase.diagrams.c: gd_time / eta"):
        phase_diagrams(section)


def test_critical_spread_laws_fit_the_columns_inside_the_grid():
    sigmas = np.logspace(-6, 0, 7)
    columns = []
    for m in (1.0, 2.0, 3.0, 4.0):
        # all-converge fraction 1 up to sigma = 10^(1 - m), 0 above: the crossing interpolates
        # to the half-way point (in log sigma) between that grid sigma and the next
        fraction = (np.log10(sigmas) <= 1.0 - m + 1e-9).astype(float)
        columns.append({"n_components": 2, "distance": m, "sigmas": sigmas, "fraction_all": fraction})
    laws = critical_spread_laws(columns, level=0.5, labels=["all"])
    rows = laws["2"]["columns"]
    assert [r["status"] for r in rows] == ["above_grid", "ok", "ok", "ok"]
    expected = [10.0 ** (1.5 - m) for m in (2.0, 3.0, 4.0)]
    assert [r["sigma_star"] for r in rows[1:]] == pytest.approx(expected, rel=1e-12)
    fit = laws["2"]["fit_ln_sigma_vs_M"]
    assert fit["slope"] == pytest.approx(-np.log(10.0), rel=1e-12)
    assert fit["n_points"] == 3


def test_phase_initial_layout_shares_offsets():
    offsets = np.arange(2 * 3 * 1, dtype=float).reshape(2, 3, 1) + 1.0
    mu = phase_initial([1e-3, 1.0], offsets)
    assert mu.shape == (4, 3, 1)
    np.testing.assert_array_equal(mu[1], 1e-3 * offsets[1])
    np.testing.assert_array_equal(mu[2], offsets[0])


def test_outcome_labels_of_a_phase_column():
    final = np.array(
        [
            [0.01, 0.02, 0.03],  # all
            [0.01, 9.0, 10.0],  # one
            [5.0, 9.0, 10.0],  # other: none converged
            [0.01, 0.02, 10.0],  # other: two converged
            [0.01, 1.0, 10.0],  # other: one converged, one stuck in between
        ]
    )
    # (sigma, seed, T, n): one sigma, five seeds, distances growing over the last interval
    distance = np.stack([final / 2, final], axis=1)[None]
    n_conv, outcome = classify_outcomes(distance, converge_tol=0.05, diverge_radius=3.0)
    assert n_conv.tolist() == [[3, 1, 0, 2, 1]]
    assert outcome.tolist() == [["all", "one", "other", "other", "other"]]
    fractions = outcome_fractions(outcome)
    assert fractions["other"] == pytest.approx([0.6])
    assert sum(fractions.values()) == pytest.approx([1.0])


def test_method_summary_counts_the_stored_outcomes():
    tau = np.concatenate([[0], np.logspace(0, 3, 20)])
    loss = np.broadcast_to(1.0 / (1.0 + tau), (3, len(tau)))
    summary, _ = method_summary(
        tau, loss, np.array(["one", "diverged", "one"]), window=(100.0, 1000.0), slope_window_decades=0.5
    )
    assert summary["outcomes"] == {"diverged": 1, "one": 2}
    assert summary["exponent_median"] == pytest.approx(-1.0, abs=0.01)


def test_relative_convergence():
    from scorematch.noise_scale import relative_convergence

    distance = np.array(
        [
            [[4.0, 2.0], [1.0, 0.5], [0.1, 1.2]],  # run 0 (T=3): 0.1 <= 2, 1.2 > 0.5 * 2
            [[4.0, 2.0], [1.0, 0.5], [0.1, 0.9]],  # run 1: both halved
        ]
    )
    n_conv, all_conv = relative_convergence(distance, ratio=0.5)
    assert n_conv.tolist() == [1, 2]
    assert all_conv.tolist() == [False, True]


def _loss_by_quadrature(mu, mu_star, t):
    """L_t for d = 1 written out: E_{x ~ N(e^-t mu*, 1)} (sum_i w_i e^-t mu_i - e^-t mu*)^2,
    w = softmax(-(x - e^-t mu_i)^2 / 2), by adaptive quadrature."""
    scale = np.exp(-t)
    means, target = scale * mu, scale * mu_star

    def integrand(x):
        logit = -0.5 * (x - means) ** 2
        w = np.exp(logit - logit.max())
        w /= w.sum()
        density = np.exp(-0.5 * (x - target) ** 2) / np.sqrt(2 * np.pi)
        return density * (w @ means - target) ** 2

    points = sorted(set(np.concatenate([means, [target]]).tolist()))
    return integrate.quad(integrand, target - 14, target + 14, points=points, limit=500, epsabs=0, epsrel=1e-12)[0]


TIME_AVERAGED_CASES = [
    (np.array([0.4, -0.9, 3.0]), 2.0, [0.0, 0.5, 2.0]),
    (np.array([0.0, 6.0, 9.5]), 0.0, [0.0, 0.25, 1.0, 3.0]),  # a far parameter: small loss
]


@pytest.mark.parametrize("mu, mu_star, noise_scales", TIME_AVERAGED_CASES)
def test_time_averaged_loss_matches_quadrature_of_each_level(mu, mu_star, noise_scales):
    loss, _ = time_averaged_loss_and_gradient(mu[None, :, None], np.array([mu_star]), noise_scales=noise_scales)
    reference = np.mean([_loss_by_quadrature(mu, mu_star, t) for t in noise_scales])
    assert loss[0] == pytest.approx(reference, rel=1e-8)


@pytest.mark.parametrize("mu, mu_star, noise_scales", TIME_AVERAGED_CASES)
def test_time_averaged_gradient_matches_finite_differences(mu, mu_star, noise_scales):
    point = mu[None, :, None]
    _, gradient = time_averaged_loss_and_gradient(point, np.array([mu_star]), noise_scales=noise_scales)
    h = 1e-5
    for i in range(len(mu)):
        shift = np.zeros_like(point)
        shift[0, i, 0] = h
        up, _ = time_averaged_loss_and_gradient(point + shift, np.array([mu_star]), noise_scales=noise_scales)
        down, _ = time_averaged_loss_and_gradient(point - shift, np.array([mu_star]), noise_scales=noise_scales)
        assert gradient[0, i, 0] == pytest.approx((up[0] - down[0]) / (2 * h), rel=1e-6, abs=1e-10)


def test_adam_descent_matches_a_hand_written_adam_on_the_numpy_reference():
    mu = np.array([[[0.3, 0.1], [1.0, -0.2], [-2.0, 0.4]]])
    mu_star = np.array([1.5, 0.0])
    lr, beta1, beta2, epsilon, batch = 0.05, 0.9, 0.999, 1e-8, 64
    dynamics, step_size = alternative_dynamics(
        {"kind": "adam", "batch_size": batch, "learning_rate": lr, "beta1": beta1, "beta2": beta2, "epsilon": epsilon},
        eta=0.5,
    )
    assert step_size == lr
    trajectory = gradient_descent(
        mu, mu_star, eta=lr, record_at=np.array([0, 25]), dynamics=dynamics, generators=[np.random.default_rng(3)]
    )
    # Kingma and Ba (2015), Algorithm 1, on the numpy minibatch gradient of the same samples
    rng = np.random.default_rng(3)
    x, m, v = mu.copy(), np.zeros_like(mu), np.zeros_like(mu)
    for step in range(25):
        _, g = minibatch_loss_and_gradient(x, mu_star, samples=rng.standard_normal((1, batch, 2)))
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        x = x - lr * (m / (1 - beta1 ** (step + 1))) / (np.sqrt(v / (1 - beta2 ** (step + 1))) + epsilon)
    np.testing.assert_allclose(trajectory.final, x, rtol=1e-10)


def test_adam_first_step_moves_each_coordinate_by_the_learning_rate():
    mu = np.array([[[0.3, 0.1], [1.0, -0.2]]])
    mu_star = np.array([1.5, 0.0])
    dynamics = Dynamics(batch_size=1000, optimizer="adam", beta1=0.9, beta2=0.999, epsilon=1e-12)
    trajectory = gradient_descent(
        mu, mu_star, eta=0.01, record_at=np.array([0, 1]), dynamics=dynamics, generators=[np.random.default_rng(0)]
    )
    np.testing.assert_allclose(np.abs(trajectory.final - mu), 0.01, rtol=1e-6)


def test_gradient_em_and_time_averaged_descents_take_their_reference_steps():
    mu = np.array([[[0.3], [-1.2], [2.0]], [[0.1], [0.5], [-0.4]]])
    mu_star = np.array([1.5])
    em = gradient_descent(mu, mu_star, eta=0.2, record_at=np.array([0, 1]), dynamics=GRADIENT_EM)
    np.testing.assert_allclose(em.final, mu - 0.2 * gradient_em_direction(mu, mu_star), rtol=1e-13)
    noise_scales = [0.0, 0.5, 2.0]
    dynamics, eta = alternative_dynamics({"kind": "time_averaged", "noise_scales": noise_scales}, eta=0.2)
    averaged = gradient_descent(mu, mu_star, eta=eta, record_at=np.array([0, 1]), dynamics=dynamics)
    _, gradient = time_averaged_loss_and_gradient(mu, mu_star, noise_scales=noise_scales)
    np.testing.assert_allclose(averaged.final, mu - 0.2 * gradient, rtol=1e-13)


def test_sgd_with_a_large_batch_approaches_the_exact_gradient():
    mu = np.array([[[0.3], [1.0], [-2.0]]])
    mu_star = np.array([1.5])
    dynamics, eta = alternative_dynamics({"kind": "sgd", "batch_size": 400_000}, eta=0.5)
    assert eta == 0.5
    sgd = gradient_descent(
        mu, mu_star, eta=eta, record_at=np.array([0, 1]), dynamics=dynamics, generators=[np.random.default_rng(3)]
    )
    exact = mu - eta * population_loss_and_gradient(mu, mu_star)[1]
    # Monte Carlo error ~ 1/sqrt(batch) ~ 2e-3 relative to O(1) gradient entries
    np.testing.assert_allclose(sgd.final, exact, atol=1e-2)
    assert not np.allclose(sgd.final, exact, atol=1e-12)  # sampled, not the exact gradient


def test_alternative_dynamics_names_unknown_kind():
    with pytest.raises(ValueError, match="unknown method kind 'rmsprop'.*time_averaged, sgd, adam"):
        alternative_dynamics({"kind": "rmsprop"}, eta=0.1)


@pytest.mark.parametrize(
    "fraction, expected",
    [([0.5, 1.0, 0.5, 1.0], 3.0), ([1.0, 1.0, 1.0, 1.0], 0.0), ([1.0, 1.0, 1.0, 0.75], None)],
)
def test_noise_scale_summary_smallest_t_with_fraction_one_from_there_on(fraction, expected):
    from scorematch.noise_scale import noise_scale_summary

    section = {"converge_ratio": 0.1, "eta": 0.5, "n_steps": 10, "runs": 4}
    summary = noise_scale_summary(np.array([0.0, 1.0, 2.0, 3.0]), np.array(fraction), 4.5, section)
    assert summary["smallest_t_with_fraction_1_from_there_on"] == expected
    assert [row["fraction_all"] for row in summary["fractions"]] == fraction


def test_phase_diagram_keys_are_validated_by_path():
    paper = load_config([REPO / "config.yaml"])
    unknown = deep_merge(paper, {"phase": {"diagrams": {"d3_eta0.5": {"n_steps": 100}}}})
    with pytest.raises(ConfigError, match=r"phase/diagrams/d3_eta0.5/n_steps"):
        validate_config(unknown)
    missing = deep_merge(paper, {"phase": {"diagrams": {"extra": {"dim": 2}}}})
    with pytest.raises(ConfigError, match=r"phase/diagrams/extra.*'eta' is a required property"):
        validate_config(missing)


def test_phase_lines_show_each_diagram_law_and_the_joint_fit():
    fit = {"intercept": 2.0, "intercept_se": 0.1, "slope": -1.5, "slope_se": 0.05, "residual_sd": 0.2}
    column = {"M": 4.0, "status": "ok"}
    summary = {
        "step_rule": "same GD time",
        "definition": "sigma* def",
        "diagrams": {
            "d1_eta0.5": {"dim": 1, "eta": 0.5, "n_steps": 4000, "runs_per_cell": 16, "by_n": {}},
            "d3_eta0.5": {"dim": 3, "eta": 0.5, "n_steps": 4000, "runs_per_cell": 8, "by_n": {}},
        },
        "joint_fit": {
            "model": "ln sigma* = a_n + b_n M",
            "coefficients": {"a_n2": 2.0, "b_n2": -1.5},
            "standard_errors": {"a_n2": 0.1, "b_n2": 0.05},
            "n_points": 5,
            "dof": 3,
            "residual_sd": 0.25,
        },
    }
    summary["diagrams"]["d1_eta0.5"]["by_n"]["2"] = {
        "columns": [column, {"M": 1.0, "status": "above_grid"}],
        "fit_ln_sigma_vs_M": fit,
        "fit_ln_sigma_vs_M3": fit,
    }
    summary["diagrams"]["d3_eta0.5"]["by_n"]["2"] = {
        "columns": [column],
        "fit_ln_sigma_vs_M": None,
        "fit_ln_sigma_vs_M3": None,
    }
    text = "\n".join(phase_lines(summary))
    assert (
        "| d1_eta0.5 | 1 | 0.5 | 4000 | 16 | 2 | 4 | 2.00 (+-0.10) -1.500 (+-0.050) M | 0.20 | 0.20 | 1 (above_grid) |"
        in text
    )
    assert "| 2 | -1.500 (+-0.050) | - |" in text
    assert "a_n2 = 2.000 (+-0.100), b_n2 = -1.500 (+-0.050); residual sd 0.25" in text
    summary["joint_fit"] = None
    assert "too few sigma* inside the grid" in "\n".join(phase_lines(summary))

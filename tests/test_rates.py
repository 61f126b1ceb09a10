"""Tests for scorematch.rates.

Expected values come from the synthetic construction (exact or noisy power
laws with a warm-up), never from the code under test. Noise tolerances are
derived from the ordinary-least-squares standard error sigma / sqrt(Sxx) of
the construction, with Sxx computed from the grid itself.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scorematch.rates import bootstrap_exponent, local_slopes, tail_fit, tail_window

# 40 points per decade over six decades, rounded to integers as the pipeline
# records them, with tau = 0 (the initial loss) in front.
GRID = np.concatenate([[0], np.unique(np.round(np.logspace(0, 6, 241)).astype(np.int64))])
LO, HI = 1e4, 1e6  # two-decade tail, both edges on GRID
NOISE_SIGMA = 0.05  # sd of log L noise


def power_law(tau, *, exponent, scale):
    """(T,) exact C tau**b; tau = 0 gets the tau = 1 value (it must be ignored)."""
    t = np.where(tau > 0, tau, 1).astype(np.float64)
    return scale * t**exponent


def warm_up_factor(tau, *, kind, tau0, exponent=-1.0):
    """(T,) multiplicative warm-up on top of C tau**b.

    "transient": 1 + (tau0/tau)^2, a steeper start fading into the power law.
    "plateau": L = C max(tau, tau0)**b, flat before tau0.
    """
    t = np.where(tau > 0, tau, 1).astype(np.float64)
    if kind == "transient":
        return 1.0 + (tau0 / t) ** 2
    return (np.maximum(t, tau0) / t) ** exponent


def noisy_curves(rng, *, exponent, scale, runs, sigma=NOISE_SIGMA, kind="transient", tau0=30.0):
    """(runs, T) C tau**b * warm-up * exp(sigma * N(0, 1)), i.i.d. over runs and tau."""
    clean = power_law(GRID, exponent=exponent, scale=scale) * warm_up_factor(
        GRID, kind=kind, tau0=tau0, exponent=exponent
    )
    return clean * np.exp(sigma * rng.standard_normal((runs, GRID.size)))


def window_log_tau(lo=LO, hi=HI):
    inside = (GRID >= lo) & (GRID <= hi)
    return np.log(GRID[inside].astype(np.float64))


def slope_standard_error(sigma, lo=LO, hi=HI):
    x = window_log_tau(lo, hi)
    return sigma / np.sqrt(np.sum((x - x.mean()) ** 2))


def warm_up_bias_bounds(*, kind, tau0, exponent=-1.0, lo=LO, hi=HI):
    """Bounds on the slope and intercept shift the warm-up can cause in [lo, hi].

    A perturbation |delta(x)| <= eps of log L moves the OLS slope by at most
    eps * sum|dx| / Sxx and the intercept by eps + |mean x| * that.
    """
    x = window_log_tau(lo, hi)
    tau = np.exp(x)
    eps = np.max(np.abs(np.log(warm_up_factor(tau, kind=kind, tau0=tau0, exponent=exponent))))
    dx = x - x.mean()
    slope_bias = eps * np.sum(np.abs(dx)) / np.sum(dx**2)
    return slope_bias, eps + abs(x.mean()) * slope_bias


# ------------------------------------------------------------- local_slopes


def expected_centres(tau, window_decades):
    """Brute-force list of centres whose window holds >= 3 positive tau."""
    positive = tau[tau > 0].astype(np.float64)
    keep = [c for c in positive if np.sum(np.abs(np.log10(positive / c)) <= window_decades / 2 + 1e-9) >= 3]
    return np.array(keep)


@pytest.mark.parametrize("exponent", [-0.5, -1.0, -1.7])
def test_local_slopes_of_exact_power_law_equal_exponent(exponent):
    loss = np.vstack([power_law(GRID, exponent=exponent, scale=c) for c in (1e-3, 1.0, 250.0)])
    loss[:, 0] = np.inf  # the tau = 0 entry must never enter a fit
    centres, slopes = local_slopes(GRID, loss)
    np.testing.assert_array_equal(centres, expected_centres(GRID, 1 / 3))
    assert slopes.shape == (3, centres.size)
    assert np.max(np.abs(slopes - exponent)) < 1e-12


@pytest.mark.parametrize("window_decades", [1 / 3, 1.0])
def test_local_slopes_window_width_on_broken_power_law(window_decades):
    # log L has slope -0.5 up to tau_break and -1.5 after (continuous), so a
    # window lying wholly on one side reads that side's slope exactly, and a
    # window straddling the break reads something strictly in between.
    tau_break = 1000.0
    t = np.where(GRID > 0, GRID, 1).astype(np.float64)
    loss = np.where(t <= tau_break, t**-0.5, tau_break * t**-1.5)
    centres, slopes = local_slopes(GRID, loss, window_decades=window_decades)
    reach = 10 ** (window_decades / 2 + 1e-6)
    below = centres * reach <= tau_break
    above = centres / reach >= tau_break
    assert below.any() and above.any()
    np.testing.assert_allclose(slopes[0, below], -0.5, atol=1e-12)
    np.testing.assert_allclose(slopes[0, above], -1.5, atol=1e-12)
    # windows straddling the break by at least 0.05 decade on each side mix
    straddle = (centres * 10 ** (window_decades / 2 - 0.05) > tau_break) & (
        centres / 10 ** (window_decades / 2 - 0.05) < tau_break
    )
    assert straddle.any()
    assert np.all((slopes[0, straddle] < -0.5 - 1e-3) & (slopes[0, straddle] > -1.5 + 1e-3))


def test_local_slopes_drops_sparse_windows_with_consistent_shapes():
    tau = np.array([0, 1, 10, 100, 1000])  # one point per decade: no window has 3
    centres, slopes = local_slopes(tau, np.ones((4, tau.size)))
    assert centres.shape == (0,)
    assert slopes.shape == (4, 0)


def test_local_slopes_skip_unusable_losses_per_run():
    exponent = -1.3
    clean = power_law(GRID, exponent=exponent, scale=2.0)
    loss = np.vstack([clean, clean])
    hole = (GRID >= 100) & (GRID <= 200)
    loss[1, hole] = 0.0
    loss[1, GRID == 300] = np.nan
    loss[1, GRID == 400] = -1.0
    centres, slopes = local_slopes(GRID, loss)

    positive = GRID[GRID > 0].astype(np.float64)
    usable = np.isfinite(loss[1, GRID > 0]) & (loss[1, GRID > 0] > 0)
    usable_count = np.array([np.sum(usable & (np.abs(np.log10(positive / c)) <= 1 / 6 + 1e-9)) for c in centres])
    assert np.max(np.abs(slopes[0] - exponent)) < 1e-12
    assert np.all(np.isnan(slopes[1, usable_count < 3]))
    assert (usable_count < 3).any()
    assert np.max(np.abs(slopes[1, usable_count >= 3] - exponent)) < 1e-12


def test_one_dimensional_loss_is_one_run():
    loss = power_law(GRID, exponent=-1.0, scale=1.0)
    centres, slopes = local_slopes(GRID, loss)
    assert slopes.shape == (1, centres.size)
    intercept, exponent = tail_fit(GRID, loss, lo=LO, hi=HI)
    assert intercept.shape == exponent.shape == (1,)


# -------------------------------------------------------------- tail_window


def test_tail_window_is_last_decades_of_grid():
    assert tail_window(GRID, decades=2) == pytest.approx((1e4, 1e6), rel=1e-12)
    assert tail_window(GRID, decades=1.5) == pytest.approx((1e6 / 10**1.5, 1e6), rel=1e-12)
    assert tail_window(GRID, decades=2, end=1e5) == pytest.approx((1e3, 1e5), rel=1e-12)


def test_tail_window_rejects_grid_spanning_too_few_decades():
    tau = GRID[(GRID >= 10) & (GRID <= 1000)]  # exactly two decades
    assert tail_window(tau, decades=2) == pytest.approx((10.0, 1000.0), rel=1e-12)
    with pytest.raises(ValueError, match=r"2\.5 decades") as info:
        tail_window(tau, decades=2.5)
    message = str(info.value)
    assert "[3.16228, 1000]" in message  # names the window
    assert "spans only 2 decades" in message


def test_tail_window_rejects_too_few_points_inside():
    tau = np.array([0, 1, 100, 200, 500, 1000, 2000, 5000, 10000])  # 7 in [100, 1e4]
    assert tail_window(tau, decades=2, min_points=7) == pytest.approx((100.0, 1e4))
    with pytest.raises(ValueError, match=r"2 decades.*only 7 .*min_points = 8"):
        tail_window(tau, decades=2)
    denser = np.sort(np.append(tau, 3000))
    assert tail_window(denser, decades=2) == pytest.approx((100.0, 1e4))


def test_tail_window_keeps_a_grid_point_sitting_on_the_lower_edge():
    # decades = log10(hi / first) puts the lower edge on the first recorded tau
    # up to rounding (here hi * 10**-decades lands a hair above 6494); the
    # window must still reach it, so all 8 points count and the span suffices.
    first, last = 6494, 913322
    tau = np.unique(np.round(np.geomspace(first, last, 8)).astype(np.int64))
    lo, hi = tail_window(tau, decades=np.log10(last / first), min_points=8)
    assert lo == pytest.approx(first, rel=1e-12) and hi == last
    _, fitted = tail_fit(tau, tau.astype(float) ** -1.0, lo=lo, hi=hi)
    assert fitted[0] == pytest.approx(-1.0, abs=1e-12)


def test_tail_window_rejects_end_outside_grid():
    with pytest.raises(ValueError, match="outside the recorded range"):
        tail_window(GRID, decades=1, end=2e6)


@pytest.mark.parametrize(
    "tau, loss",
    [
        (GRID[np.newaxis, :], np.ones(GRID.size)),  # tau not 1-D
        (GRID[::-1], np.ones(GRID.size)),  # decreasing
        (GRID, np.ones(GRID.size - 1)),  # length mismatch
        (GRID, np.ones((2, 2, GRID.size))),  # 3-D loss
    ],
)
def test_malformed_inputs_are_rejected(tau, loss):
    with pytest.raises(ValueError):
        tail_fit(tau, loss, lo=LO, hi=HI)


def test_window_without_enough_points_is_rejected():
    with pytest.raises(ValueError, match="at least 3"):
        tail_fit(GRID, np.ones(GRID.size), lo=1e6, hi=1.01e6)


# ----------------------------------------------------------------- tail_fit


@pytest.mark.parametrize("kind, tau0", [("transient", 30.0), ("plateau", 300.0)])
@pytest.mark.parametrize("exponent", [-0.5, -1.0, -1.7])
def test_tail_fit_recovers_exponent_from_noisy_curves(exponent, kind, tau0):
    rng = np.random.default_rng(1234)
    scale = 7.0
    loss = noisy_curves(rng, exponent=exponent, scale=scale, runs=16, kind=kind, tau0=tau0)
    intercept, fitted = tail_fit(GRID, loss, lo=LO, hi=HI)

    x = window_log_tau()
    se_slope = slope_standard_error(NOISE_SIGMA)
    se_intercept = NOISE_SIGMA * np.sqrt(1 / x.size + x.mean() ** 2 / np.sum((x - x.mean()) ** 2))
    slope_bias, intercept_bias = warm_up_bias_bounds(kind=kind, tau0=tau0, exponent=exponent)
    # 5 standard errors: a Gaussian estimate strays that far with p ~ 6e-7
    assert np.all(np.abs(fitted - exponent) <= 5 * se_slope + slope_bias)
    assert np.all(np.abs(intercept - np.log(scale)) <= 5 * se_intercept + intercept_bias)


def test_tail_fit_includes_the_warm_up_when_asked_to():
    # Guard that the window really limits the fit: the same curve fitted over
    # the warm-up is visibly steeper than the true exponent.
    loss = power_law(GRID, exponent=-1.0, scale=1.0) * warm_up_factor(GRID, kind="transient", tau0=30.0)
    _, tail = tail_fit(GRID, loss, lo=LO, hi=HI)
    _, early = tail_fit(GRID, loss, lo=1.0, hi=100.0)
    slope_bias, _ = warm_up_bias_bounds(kind="transient", tau0=30.0)
    assert abs(tail[0] + 1.0) <= slope_bias + 1e-12
    assert early[0] < -1.5


def test_tail_fit_ignores_unusable_losses():
    exponent = -0.8
    clean = power_law(GRID, exponent=exponent, scale=3.0)
    loss = np.vstack([clean, clean, np.zeros_like(clean)])
    in_tail = np.flatnonzero((GRID >= LO) & (GRID <= HI))
    loss[1, in_tail[[0, 5, 10, 20]]] = [0.0, -2.0, np.nan, np.inf]
    intercept, fitted = tail_fit(GRID, loss, lo=LO, hi=HI)
    np.testing.assert_allclose(fitted[:2], exponent, atol=1e-12)
    np.testing.assert_allclose(intercept[:2], np.log(3.0), atol=1e-10)
    assert np.isnan(fitted[2]) and np.isnan(intercept[2])


@settings(max_examples=40, deadline=None)
@given(
    exponent=st.floats(-2.5, -0.2),
    log10_scale=st.floats(-3.0, 3.0),
    tau0=st.floats(1.0, 50.0),
)
def test_exponent_recovery_property(exponent, log10_scale, tau0):
    scale = 10.0**log10_scale
    loss = power_law(GRID, exponent=exponent, scale=scale) * warm_up_factor(GRID, kind="transient", tau0=tau0)
    lo, hi = tail_window(GRID, decades=2)
    intercept, fitted = tail_fit(GRID, loss, lo=lo, hi=hi)
    slope_bias, intercept_bias = warm_up_bias_bounds(kind="transient", tau0=tau0, lo=lo, hi=hi)
    assert abs(fitted[0] - exponent) <= slope_bias + 1e-10
    assert abs(intercept[0] - np.log(scale)) <= intercept_bias + 1e-9


# ------------------------------------------------------- bootstrap_exponent


def test_bootstrap_point_is_exponent_of_geometric_mean_curve():
    rng = np.random.default_rng(7)
    loss = noisy_curves(rng, exponent=-1.0, scale=1.0, runs=12, sigma=0.3)
    in_tail = np.flatnonzero((GRID >= LO) & (GRID <= HI))
    loss[3, in_tail[4]] = 0.0  # this point must be dropped for every run
    shared = np.setdiff1d(in_tail, in_tail[4])
    expected = np.polyfit(np.log(GRID[shared].astype(float)), np.log(loss[:, shared]).mean(axis=0), 1)[0]
    exponent, ci = bootstrap_exponent(GRID, loss, lo=LO, hi=HI, n_boot=500, rng=np.random.default_rng(0))
    assert exponent == pytest.approx(expected, abs=1e-12)
    assert ci.shape == (2,) and ci[0] <= exponent <= ci[1]


@pytest.mark.parametrize("exponent", [-0.5, -1.0, -1.7])
def test_bootstrap_ci_covers_true_exponent(exponent):
    # With 20 runs the percentile bootstrap of a mean is close to a 95%
    # interval (a little below, since it uses the plug-in variance of 20
    # slopes: about 0.93). Over 200 independent replications the observed
    # coverage has sd ~ 0.018, so [0.85, 0.99] only fails for a biased or
    # miscalibrated interval; and no miss may be gross (beyond one full CI
    # width from the nearer edge, a > 5 sd event).
    rng = np.random.default_rng(2024)
    covered = 0
    replications = 200
    for _ in range(replications):
        loss = noisy_curves(rng, exponent=exponent, scale=2.0, runs=20)
        point, ci = bootstrap_exponent(GRID, loss, lo=LO, hi=HI, n_boot=400, rng=rng)
        assert ci[0] <= point <= ci[1]
        covered += ci[0] <= exponent <= ci[1]
        assert ci[0] - (ci[1] - ci[0]) <= exponent <= ci[1] + (ci[1] - ci[0])
    assert 0.85 <= covered / replications <= 0.99


def test_bootstrap_ci_shrinks_as_runs_increase():
    rng = np.random.default_rng(99)
    mean_width = {}
    for runs in (4, 16, 64):
        widths = []
        for _ in range(20):
            loss = noisy_curves(rng, exponent=-0.5, scale=1.0, runs=runs)
            _, ci = bootstrap_exponent(GRID, loss, lo=LO, hi=HI, n_boot=1000, rng=rng)
            widths.append(ci[1] - ci[0])
        mean_width[runs] = np.mean(widths)
    # the width scales like 1/sqrt(runs): a factor 2 per fourfold increase
    assert mean_width[16] < 0.7 * mean_width[4]
    assert mean_width[64] < 0.7 * mean_width[16]
    # and for many runs it matches 2 * 1.96 * sd(per-run slope) / sqrt(runs)
    expected = 2 * 1.96 * slope_standard_error(NOISE_SIGMA) * np.sqrt(63 / 64) / 8
    assert mean_width[64] == pytest.approx(expected, rel=0.25)


def test_single_run_uses_residual_t_interval():
    exponent = -1.0
    loss = noisy_curves(np.random.default_rng(5), exponent=exponent, scale=1.0, runs=1)
    rng = np.random.default_rng(6)
    state_before = rng.bit_generator.state
    point, ci = bootstrap_exponent(GRID, loss[0], lo=LO, hi=HI, n_boot=100, rng=rng)
    assert rng.bit_generator.state == state_before  # no resampling with one run
    assert ci[0] < exponent < ci[1]
    n = window_log_tau().size
    expected_half_width = stats.t.ppf(0.975, n - 2) * slope_standard_error(NOISE_SIGMA)
    # the residual sd estimates sigma to ~1/sqrt(2(n-2)) ~ 8% relative
    assert (ci[1] - ci[0]) / 2 == pytest.approx(expected_half_width, rel=0.3)


def test_single_run_interval_is_the_textbook_ols_t_interval():
    # A short window (5 points, 3 degrees of freedom) where t and normal
    # quantiles differ by 60%; compare with scipy's independent regression.
    loss = noisy_curves(np.random.default_rng(17), exponent=-0.5, scale=1.0, runs=1, sigma=0.2)
    start = int(np.flatnonzero(GRID == 100000)[0])
    lo, hi = float(GRID[start]), float(GRID[start + 4])  # five consecutive grid points
    inside = (GRID >= lo) & (GRID <= hi)
    reference = stats.linregress(np.log(GRID[inside].astype(float)), np.log(loss[0, inside]))
    half_width = stats.t.ppf(0.975, 3) * reference.stderr
    point, ci = bootstrap_exponent(GRID, loss, lo=lo, hi=hi, n_boot=10, rng=np.random.default_rng(0))
    assert point == pytest.approx(reference.slope, abs=1e-12)
    np.testing.assert_allclose(ci, [reference.slope - half_width, reference.slope + half_width], rtol=1e-9)


def test_bootstrap_depends_only_on_the_generator_passed_in():
    loss = noisy_curves(np.random.default_rng(3), exponent=-1.0, scale=1.0, runs=8)

    def run(seed):
        return bootstrap_exponent(GRID, loss, lo=LO, hi=HI, n_boot=300, rng=np.random.default_rng(seed))[1]

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))

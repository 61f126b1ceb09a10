"""Tests for scorematch.rate_summary (rate measurements) and the rates stage of the
workflow.

Curves are synthetic with known exponents; every expected value is derived from the
construction (e.g. tau**-1.1 over two decades has tau L ranging by 10**0.2), never read
off the code under test.
"""

import numpy as np
import pytest
from workflow_copy import REPO, snakemake

from scorematch.rate_summary import (
    check_minibatch_pairing,
    fit_case,
    seed_mean_curve,
    table_rows,
)

# the pipeline's recording grid shape: 0, then log-spaced integers up to 1e6
GRID = np.concatenate([[0], np.unique(np.round(np.logspace(0, 6, 241)).astype(np.int64))])
SETTINGS = dict(tail_decades=2.0, slope_window_decades=1 / 3, min_tail_points=8, n_boot=200, level=0.95)


def power_law(exponent, scale=1.0):
    t = np.where(GRID > 0, GRID, 1).astype(np.float64)
    return scale * t**exponent


def fit(loss, seed=0):
    return fit_case(GRID, loss, rng=np.random.default_rng(seed), **SETTINGS)


def test_fit_of_exact_inverse_tau():
    loss = np.vstack([power_law(-1.0, scale=c) for c in (0.5, 2.0, 7.0)])
    result = fit(loss)
    assert result["n_runs"] == 3 and result["error"] is None
    assert result["windows"]["tail"] == pytest.approx([1e4, 1e6])
    assert result["exponent"] == pytest.approx(-1.0, abs=1e-10)
    assert result["ci"][0] <= -1.0 + 1e-10 and result["ci"][1] >= -1.0 - 1e-10
    assert result["ci"][1] - result["ci"][0] < 1e-8
    assert result["slope_start"] == pytest.approx(-1.0, abs=1e-10)
    assert result["slope_end"] == pytest.approx(-1.0, abs=1e-10)
    # 1/tau is the log-corrected form with p = 0
    assert result["log_corrected"]["p"] == pytest.approx(0.0, abs=1e-9)
    # tau**-1.2 is a power law: the power form fits exactly, the log-corrected one does not
    assert fit(power_law(-1.2))["log_corrected"]["better"] == "power"
    # seed-mean curve is the geometric mean: scale (0.5 * 2 * 7)**(1/3) / tau
    assert result["tail_loss_min"] == pytest.approx(7.0 ** (1 / 3) * 1e-6, rel=1e-9)
    assert np.allclose(result["local_slopes"]["mean"], -1.0, atol=1e-10)
    assert len(result["local_slopes"]["runs"]) == 3


def test_log_corrected_fit_recovers_known_p():
    # L = 3 / (tau (ln tau)^p) with multiplicative noise of 1%: p recovered within its
    # interval, and the log-corrected form describes the tail better than a power law
    t = np.where(GRID > 1, GRID, 2).astype(np.float64)
    noise = np.exp(0.01 * np.random.default_rng(5).standard_normal(GRID.shape))
    for p in (0.5, 1.5):
        result = fit(3.0 / (t * np.log(t) ** p) * noise)
        corrected = result["log_corrected"]
        assert corrected["ci"][0] < p < corrected["ci"][1]
        assert corrected["p"] == pytest.approx(p, abs=0.1)
        assert corrected["better"] == "log_corrected"


def test_too_short_grid_is_an_error_not_a_fit():
    short = GRID[GRID <= 50]
    result = fit_case(short, 1.0 / np.where(short > 0, short, 1), rng=np.random.default_rng(0), **SETTINGS)
    assert "decades" in result["error"]
    assert result["exponent"] is None and result["log_corrected"]["p"] is None


def test_fit_exponent_of_seed_mean_is_mean_of_run_exponents():
    # geometric mean of tau**-0.9 and tau**-1.1 is tau**-1 exactly
    loss = np.vstack([power_law(-0.9), power_law(-1.1)])
    result = fit(loss)
    assert result["exponent"] == pytest.approx(-1.0, abs=1e-10)
    assert result["run_exponents"] == pytest.approx([-0.9, -1.1], abs=1e-10)
    # two runs: the bootstrap interval spans resamples between the two run exponents
    assert -1.1 - 1e-10 <= result["ci"][0] < -1.0 < result["ci"][1] <= -0.9 + 1e-10


def test_fit_is_json_ready_with_unusable_points():
    loss = power_law(-1.0)
    loss[-1] = 0.0  # an underflowed point must not make NaN leak into JSON
    result = fit(loss)
    import json

    json.dumps(result, allow_nan=False)
    assert result["exponent"] == pytest.approx(-1.0, abs=1e-10)


def test_seed_mean_curve_is_geometric_and_marks_unusable_points():
    loss = np.array([[1.0, 4.0, 0.0], [9.0, 1.0, 2.0]])
    mean = seed_mean_curve(loss)
    assert mean[:2] == pytest.approx([3.0, 2.0])
    assert np.isnan(mean[2])


def test_table_rows():
    rows = table_rows("fig1", {"M6": fit(power_law(-1.0))})
    assert len(rows) == 1
    assert rows[0]["experiment"] == "fig1" and rows[0]["case"] == "M6"
    assert rows[0]["exponent"] == pytest.approx(-1.0, abs=1e-10)
    assert rows[0]["tail_lo"] == pytest.approx(1e4)


EXACT = {"dim": 3, "eta": 1.0, "mode": "exact", "batch_size": 10000, "n_steps": 100}


def test_minibatch_pairing():
    good = EXACT | {"mode": "minibatch", "batch_size": 1000, "seed_name": "fig1/M6"}
    check_minibatch_pairing("fig1/M6", EXACT, "mb/b1e3", good)
    with pytest.raises(ValueError, match="eta"):
        check_minibatch_pairing("fig1/M6", EXACT, "mb/b1e3", good | {"eta": 0.5})
    with pytest.raises(ValueError, match="seed_name"):
        check_minibatch_pairing("fig1/M6", EXACT, "mb/b1e3", {k: v for k, v in good.items() if k != "seed_name"})
    with pytest.raises(ValueError, match="minibatch mode"):
        check_minibatch_pairing("fig1/M6", EXACT, "mb/b1e3", good | {"mode": "exact"})


def test_rates_rule_outputs_in_dry_run():
    out = snakemake(REPO, "-n", "--forceall", "--nolock").stdout  # fails unless snakemake exits 0
    for rule in ("fit_rates", "gather_rates", "plot_rates", "plot_rates_minibatch", "claims"):
        assert f"rule {rule}:" in out
    for path in (
        "results/rates/fig1.json",
        "results/rates/rates_minibatch.json",
        "results/rates.csv",
        "results/rates/thm3_5.json",
        "results/claims.json",
        "figures/rates_slopes.pdf",
        "figures/rates_scaled.png",
        "figures/rates_minibatch.pdf",
        "results/rates_minibatch/b1e3.npz",
    ):
        assert path in out, path


def test_seed_name_reuses_initial_parameters():
    from scorematch.experiment import run_specification

    spec = {
        "dim": 3,
        "n_components": 5,
        "noise_scale": 0.0,
        "target_norm": 6.0,
        "init": {"kind": "gaussian", "mean_norm": 0.0, "sigma": 0.01},
        "eta": 1.0,
        "n_steps": 3,
        "n_records": 3,
        "runs": 2,
        "mode": "exact",
        "batch_size": 10,
        "converge_tol": 0.05,
        "diverge_radius": 3.0,
        "hermite_nodes": 16,
    }
    exact = run_specification(spec, root_seed=1, name="fig1/M6")
    minibatch = spec | {"mode": "minibatch", "seed_name": "fig1/M6"}
    paired = run_specification(minibatch, root_seed=1, name="mb/b10")
    own = run_specification(spec | {"mode": "minibatch"}, root_seed=1, name="mb/b10")
    np.testing.assert_array_equal(paired["initial"], exact["initial"])
    assert not np.allclose(own["initial"], exact["initial"])

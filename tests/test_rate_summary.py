"""Tests for scorematch.rate_summary (rate summaries and theory verdicts) and the rates
stage of the workflow.

Curves are synthetic with known exponents; every expected value is derived from the
construction (e.g. tau**-1.1 over two decades has tau L ranging by 10**0.2), never read
off the code under test.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scorematch.rate_summary import (
    check_minibatch_pairing,
    comparison_claims,
    fit_case,
    seed_mean_curve,
    table_rows,
    verdict_records,
)

REPO = Path(__file__).resolve().parents[1]
# the pipeline's recording grid shape: 0, then log-spaced integers up to 1e6
GRID = np.concatenate([[0], np.unique(np.round(np.logspace(0, 6, 241)).astype(np.int64))])
EPS = [0.05, 0.1, 0.2]
THRESHOLDS = {"exponent_tol": 0.05, "sqrt_growth_tol": 0.05, "band_ratio_max": 2.0}
SETTINGS = dict(
    tail_decades=2.0,
    growth_decades=1.0,
    band_decades=2.0,
    slope_window_decades=1 / 3,
    min_tail_points=8,
    n_boot=200,
    level=0.95,
    eps=EPS,
)


def power_law(exponent, scale=1.0):
    t = np.where(GRID > 0, GRID, 1).astype(np.float64)
    return scale * t**exponent


def fit(loss, seed=0):
    return fit_case(GRID, loss, rng=np.random.default_rng(seed), **SETTINGS)


def by_claim(records):
    return {r["claim"]: r for r in records}


def test_fit_of_exact_inverse_tau():
    loss = np.vstack([power_law(-1.0, scale=c) for c in (0.5, 2.0, 7.0)])
    result = fit(loss)
    assert result["n_runs"] == 3
    assert result["windows"]["tail"] == pytest.approx([1e4, 1e6])
    assert result["windows"]["growth"] == pytest.approx([1e5, 1e6])
    assert result["exponent"] == pytest.approx(-1.0, abs=1e-10)
    assert result["ci"][0] <= -1.0 + 1e-10 and result["ci"][1] >= -1.0 - 1e-10
    assert result["ci"][1] - result["ci"][0] < 1e-8
    assert result["sqrt_growth"] == pytest.approx(-0.5, abs=1e-10)
    assert result["band_ratio_tau_L"] == pytest.approx(1.0, abs=1e-10)
    for e in EPS:
        assert result["lower_bound_growth"][f"eps{e:g}"] == pytest.approx(e, abs=1e-10)
    # seed-mean curve is the geometric mean: scale (0.5 * 2 * 7)**(1/3) / tau
    assert result["tail_loss_min"] == pytest.approx(7.0 ** (1 / 3) * 1e-6, rel=1e-9)
    assert np.allclose(result["local_slopes"]["mean"], -1.0, atol=1e-10)
    assert len(result["local_slopes"]["runs"]) == 3


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


@pytest.mark.parametrize(
    "exponent, growth_holds, exponent_holds",
    [(-0.5, True, True), (-0.4, False, False), (-1.0, True, True)],
)
def test_thm2_1_verdicts(exponent, growth_holds, exponent_holds):
    records = by_claim(
        verdict_records("x/y", fit(power_law(exponent)), "thm2_1", thresholds=THRESHOLDS, eps=EPS)
    )
    assert set(records) == {"thm2_1_growth", "thm2_1_exponent"}
    growth = records["thm2_1_growth"]
    assert growth["value"] == pytest.approx(exponent + 0.5, abs=1e-10)
    assert growth["threshold"] == 0.05
    assert growth["holds"] is growth_holds
    assert records["thm2_1_exponent"]["value"] == pytest.approx(exponent, abs=1e-10)
    assert records["thm2_1_exponent"]["holds"] is exponent_holds
    for record in records.values():
        assert set(record) == {"experiment", "claim", "quantity", "threshold", "value", "holds"}
        assert record["experiment"] == "x/y"


@pytest.mark.parametrize(
    "exponent, exponent_holds, band_holds",
    [
        (-1.0, True, True),
        (-1.04, True, True),
        (-1.1, False, True),  # tau L ranges by 10**0.2 = 1.58 over two decades
        (-1.2, False, False),  # 10**0.4 = 2.51 > 2
        (-0.9, False, True),
    ],
)
def test_thm3_5_verdicts(exponent, exponent_holds, band_holds):
    records = by_claim(
        verdict_records("x/y", fit(power_law(exponent)), "thm3_5", thresholds=THRESHOLDS, eps=EPS)
    )
    assert records["thm3_5_exponent"]["value"] == pytest.approx(abs(exponent + 1), abs=1e-10)
    assert records["thm3_5_exponent"]["holds"] is exponent_holds
    assert records["thm3_5_band"]["value"] == pytest.approx(10 ** (2 * abs(exponent + 1)), rel=1e-9)
    assert records["thm3_5_band"]["holds"] is band_holds


def test_thm3_7_verdicts_on_inverse_tau_log_tau():
    # L = 1 / (tau ln tau): tau^(1+eps) L = tau^eps / ln tau has log-log slope
    # eps - 1 / ln tau, and 1 / ln tau lies in [0.072, 0.109] on [1e4, 1e6]: it falls
    # for eps = 0.05 and rises for eps = 0.2.
    t = np.where(GRID > 1, GRID, 2).astype(np.float64)
    loss = 1.0 / (t * np.log(t))
    records = by_claim(verdict_records("x/y", fit(loss), "thm3_7", thresholds=THRESHOLDS, eps=EPS))
    assert set(records) == {"thm3_7_eps0.05", "thm3_7_eps0.1", "thm3_7_eps0.2"}
    assert records["thm3_7_eps0.05"]["holds"] is False
    assert records["thm3_7_eps0.05"]["value"] < 0.05 - 0.072
    assert records["thm3_7_eps0.2"]["holds"] is True
    assert records["thm3_7_eps0.2"]["value"] > 0.2 - 0.109
    assert all(r["threshold"] == 0.0 for r in records.values())


def test_fig1_slope_after_warm_up():
    # a steep warm-up (1 + (30 / tau)^2) fades long before the two-decade tail
    t = np.where(GRID > 0, GRID, 1).astype(np.float64)
    loss = (1.0 + (30.0 / t) ** 2) / t
    (record,) = verdict_records("x/y", fit(loss), "fig1_slope", thresholds=THRESHOLDS, eps=EPS)
    assert record["claim"] == "fig1_slope"
    assert record["holds"] is True
    assert record["value"] < 1e-4
    (steep,) = verdict_records(
        "x/y", fit(power_law(-1.7)), "fig1_slope", thresholds=THRESHOLDS, eps=EPS
    )
    assert steep["holds"] is False
    assert steep["value"] == pytest.approx(0.7, abs=1e-10)


def test_unmeasured_value_never_holds():
    result = fit(power_law(-1.0))
    result = {**result, "exponent": None, "band_ratio_tau_L": None, "sqrt_growth": None}
    for comparison in ("thm2_1", "thm3_5", "fig1_slope"):
        records = verdict_records("x/y", result, comparison, thresholds=THRESHOLDS, eps=EPS)
        assert not any(r["holds"] for r in records)


def test_comparison_claims_match_records():
    result = fit(power_law(-1.0))
    for comparison in ("thm2_1", "thm3_5", "thm3_7", "fig1_slope"):
        records = verdict_records("x/y", result, comparison, thresholds=THRESHOLDS, eps=EPS)
        assert [r["claim"] for r in records] == comparison_claims(comparison, eps=EPS)
    with pytest.raises(ValueError, match="unknown comparison"):
        comparison_claims("thm9", eps=EPS)


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
    snakemake = Path(sys.executable).with_name("snakemake")
    completed = subprocess.run(
        [str(snakemake), "-n", "--forceall", "--nolock", "--configfile", "workflow/configs/small.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    out = completed.stdout
    for rule in ("fit_rates", "rate_verdict", "gather_rates", "plot_rates", "plot_rates_minibatch"):
        assert f"rule {rule}:" in out
    for path in (
        "results/rates/fig1.json",
        "results/rates/rates_minibatch.json",
        "results/rates.csv",
        "results/rates/verdicts/fig1--M6--fig1_slope.json",
        "results/rates/verdicts/fig1--M6--thm3_7_eps0.05.json",
        "figures/rates_slopes.pdf",
        "figures/rates_scaled.png",
        "figures/rates_minibatch.pdf",
        "results/rates_minibatch/b1e3.npz",
    ):
        assert path in out, path


def test_seed_name_reuses_initial_parameters():
    from scorematch.experiment import run_specification

    spec = {
        "dim": 3, "n_components": 5, "noise_scale": 0.0, "target_norm": 6.0,
        "init": {"kind": "gaussian", "mean_norm": 0.0, "sigma": 0.01}, "eta": 1.0,
        "n_steps": 3, "n_records": 3, "runs": 2, "mode": "exact", "batch_size": 10,
        "converge_tol": 0.05, "diverge_radius": 3.0, "hermite_nodes": 16,
    }
    exact = run_specification(spec, root_seed=1, name="fig1/M6")
    minibatch = spec | {"mode": "minibatch", "seed_name": "fig1/M6"}
    paired = run_specification(minibatch, root_seed=1, name="mb/b10")
    own = run_specification(spec | {"mode": "minibatch"}, root_seed=1, name="mb/b10")
    np.testing.assert_array_equal(paired["initial"], exact["initial"])
    assert not np.allclose(own["initial"], exact["initial"])

"""The step-size experiment's summary row: outcome fractions, non-finite runs counted as
diverged, and eta * lambda_max against the closed form 2 / n at the all-converged state."""

import numpy as np
import pytest

from scorematch.step_size import case_of_file_base, file_base, step_size_row, sweep_spec

FIT = dict(tail_decades=1.0, slope_window_decades=1 / 3, min_tail_points=4, n_boot=50, level=0.95)


def test_row_fractions_and_stability_product():
    n, d = 3, 2
    tau = np.concatenate([[0], np.unique(np.round(np.logspace(0, 3, 30)).astype(np.int64))])
    loss = np.tile(1.0 / np.maximum(tau, 1), (4, 1))
    loss[3, -1] = np.inf  # a run that blew up
    target = np.array([1.0, 0.0])
    final = np.broadcast_to(target, (4, n, d)).copy()
    final[3] = np.nan
    arrays = {
        "tau": tau,
        "loss": loss,
        "final": final,
        "target": target,
        "outcome": np.array(["all", "all", "one", "other"]),
    }
    row = step_size_row(
        "e/c",
        0.4,
        {"hermite_nodes": 16},
        arrays,
        fit_settings=FIT,
        hessian_step=1e-5,
        hessian_runs=2,
        rng=np.random.default_rng(0),
    )
    assert [row[f"fraction_{outcome}"] for outcome in ("all", "one", "other", "diverged")] == [0.5, 0.25, 0.0, 0.25]
    assert row["lambda_max"] == pytest.approx(2.0 / n, rel=1e-6)
    assert row["eta_lambda"] == pytest.approx(0.4 * 2.0 / n, rel=1e-6)
    assert row["exponent"] == pytest.approx(-1.0, abs=1e-9)


def test_sweep_spec_keeps_the_base_starts():
    base = {"eta": 0.25, "runs": 200, "n_steps": 10, "n_records": 5, "dim": 3}
    spec = sweep_spec(base, base_name="thm3_5/M6", eta=1.1, runs=20, n_steps=100, n_records=9)
    assert spec == {"eta": 1.1, "runs": 20, "n_steps": 100, "n_records": 9, "dim": 3, "seed_name": "thm3_5/M6"}
    assert case_of_file_base(file_base("thm3_5/M6_d3")) == "thm3_5/M6_d3"

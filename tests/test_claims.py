"""The claims registry and its evaluation into four states.

Expected values come from closed forms (the Hessian at the all-converged state is
(2 / n^2) 1 1^T (x) I, largest eigenvalue 2 / n; one parameter at mu* with the others far
away gives L ~ |c_1|^2, eigenvalue 2), from Clopper-Pearson closed forms, and from
synthetic curves with known local slopes; never from the code under test.
"""

import re

import numpy as np
import pytest
from workflow_copy import REPO

from scorematch.claims import (
    HYPOTHESES,
    STATES,
    binomial_interval,
    claims_markdown,
    evaluate,
    measured_on,
    noise_scale_threshold,
    registry,
    state_counts,
)
from scorematch.config import load_config, resolve_case
from scorematch.rate_summary import fit_case
from scorematch.theorems import largest_hessian_eigenvalues

CONFIG = load_config([REPO / "config.yaml"])
SETTINGS = CONFIG["claims"]
CLAIMS = {c.id: c for c in registry(eps=SETTINGS["thresholds"]["eps"])}
GRID = np.concatenate([[0], np.unique(np.round(np.logspace(0, 6, 241)).astype(np.int64))])
FIT = dict(tail_decades=2.0, slope_window_decades=1 / 3, min_tail_points=8, n_boot=100, level=0.95)


def measured(**overrides):
    """A case inside every hypothesis (step size, noise scale, far init, one ahead)."""
    base = {
        "runs": 1,
        "n": 5,
        "d": 3,
        "eta": 0.25,
        "lambda_max": 2.1,
        "noise_scale": 5.5,
        "noise_threshold": 4.5,
        "init_kind": "gaussian",
        "far_distance": 6.0,
        "init_sigma": 1.0,
        "smallest_spread": 1e-12,
        "spread_bound": 0.0,
        "one_ahead": True,
        "count_all": 0,
        "runs_smallest_spread": 1,
        "count_all_smallest_spread": 1,
        "undecided_smallest_spread": 0,
        "count_one": 1,
        "count_lead": 1,
        "undecided": 0,
        "distance_ratio": 0.01,
        "fit": None,
    }
    return base | overrides


def curve_fit(loss):
    return fit_case(GRID, loss, rng=np.random.default_rng(0), **FIT)


def tau():
    return np.where(GRID > 1, GRID, 2).astype(np.float64)


# ------------------------------------------------------------------ Hessian


@pytest.mark.parametrize("n, d", [(3, 1), (5, 3)])
def test_hessian_at_the_all_converged_state_has_largest_eigenvalue_2_over_n(n, d):
    mu_star = np.zeros(d)
    mu_star[0] = 1.5
    final = np.broadcast_to(mu_star, (1, n, d)).copy()
    lam = largest_hessian_eigenvalues(final, mu_star, step=1e-5)
    assert lam == pytest.approx([2.0 / n], rel=1e-6)


def test_hessian_with_one_converged_and_the_others_far_is_about_2():
    # d = 1, mu* = 0: one parameter at mu*, two at 40 and -40 (weights ~ exp(-800))
    final = np.array([[[0.0], [40.0], [-40.0]]])
    assert largest_hessian_eigenvalues(final, np.zeros(1), step=1e-5) == pytest.approx([2.0], rel=1e-6)


# ------------------------------------------------------------------ states


def test_step_size_outside_names_the_hypothesis_and_its_value():
    row = evaluate(CLAIMS["fig1_one_converges"], "M6", measured(eta=1.0, lambda_max=2.1), SETTINGS)
    assert row["status"] == "outside"
    assert "step_size" in row["reason"] and "2.1" in row["reason"]


def test_noise_scale_outside_below_the_threshold():
    row = evaluate(CLAIMS["thm2_1_converge"], "t1.5", measured(noise_scale=1.5), SETTINGS)
    assert row["status"] == "outside" and "noise_scale" in row["reason"] and "t = 1.5" in row["reason"]
    assert evaluate(CLAIMS["thm2_1_converge"], "t5.5", measured(), SETTINGS)["status"] == "holds"


def test_exponentially_small_init_is_outside_in_float64():
    spread_bound = np.exp(-1e6 * 3 * 2 * 2.0**3) / (108 * 3 * 2)
    assert spread_bound == 0.0
    row = evaluate(
        CLAIMS["thm3_2_all_converge"],
        "M2",
        measured(runs=4, runs_smallest_spread=2, count_all_smallest_spread=1, spread_bound=spread_bound),
        SETTINGS,
    )
    assert row["status"] == "outside" and "exponentially_small_init" in row["reason"]
    assert row["value"] == 0.5  # one of the two smallest-spread runs


def test_every_run_claims_hold_fail_and_need_decided_runs():
    claim = CLAIMS["thm3_4_counterexample"]
    assert evaluate(claim, "c", measured(runs=2, count_lead=2), SETTINGS)["status"] == "holds"
    assert evaluate(claim, "c", measured(runs=2, count_lead=0), SETTINGS)["status"] == "fails"
    # one run still undecided: counted either way, the verdict differs
    row = evaluate(claim, "c", measured(runs=2, count_lead=1, undecided=1), SETTINGS)
    assert row["status"] == "inconclusive" and "too few steps" in row["reason"]
    # fails whatever the undecided run turns out to be
    assert evaluate(claim, "c", measured(runs=3, count_lead=1, undecided=1), SETTINGS)["status"] == "fails"


def test_with_high_probability_uses_the_clopper_pearson_interval():
    claim = CLAIMS["cor3_6_one_converges"]  # fraction >= 0.9 at 95%
    assert evaluate(claim, "M6", measured(runs=200, count_one=200), SETTINGS)["status"] == "holds"
    assert evaluate(claim, "M6", measured(runs=200, count_one=100), SETTINGS)["status"] == "fails"
    # 19 of 20: the interval [0.75, 0.999] contains 0.9
    row = evaluate(claim, "M6", measured(runs=20, count_one=19), SETTINGS)
    assert row["status"] == "inconclusive" and "too few seeds" in row["reason"]


def test_clopper_pearson_interval_closed_forms():
    # 0 successes: upper = 1 - (alpha/2)^(1/n); all successes: lower = (alpha/2)^(1/n)
    lo, hi = binomial_interval(0, 10, level=0.95)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025**0.1, rel=1e-9)
    lo, hi = binomial_interval(200, 200, level=0.95)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 200), rel=1e-9)


def test_a_steady_tail_is_conclusive():
    steep = measured(fit=curve_fit(tau() ** -1.2))
    assert evaluate(CLAIMS["thm3_5_rate"], "M6", steep, SETTINGS)["status"] == "holds"
    # tau^1.05 L = tau^-0.15 falls: Theorem 3.7 fails conclusively on a steady -1.2
    row = evaluate(CLAIMS["thm3_7_eps0.05"], "M6", steep, SETTINGS)
    assert row["status"] == "fails" and row["value"] == pytest.approx(-0.15, abs=1e-9)
    inverse = measured(fit=curve_fit(tau() ** -1.0))
    assert evaluate(CLAIMS["thm3_7_eps0.05"], "M6", inverse, SETTINGS)["status"] == "holds"
    assert evaluate(CLAIMS["fig1_slope"], "M6", inverse, SETTINGS)["status"] == "holds"


def test_a_tail_whose_slope_still_moves_is_inconclusive():
    # L = 1 / (tau (ln tau)^2): local slope -1 - 2 / ln tau moves from -1.217 (1e4) to
    # -1.145 (1e6), by 0.07 > 0.05, towards -1: neither Thm 3.5 nor Thm 3.7 is decided
    t = tau()
    moving = measured(fit=curve_fit(1.0 / (t * np.log(t) ** 2)))
    for claim in ("thm3_5_rate", "thm3_7_eps0.05", "fig1_slope"):
        row = evaluate(CLAIMS[claim], "M6", moving, SETTINGS)
        assert row["status"] == "inconclusive", claim
        assert "local slope still moves" in row["reason"]


def test_a_drift_away_from_the_threshold_keeps_the_verdict():
    # exp(-tau / 1e5) tail: the slope falls (steepens) away from Thm 2.1's bound
    t = tau()
    fast = measured(fit=curve_fit(np.exp(-t / 1e5) / t))
    assert evaluate(CLAIMS["thm2_1_rate"], "t5.5", fast, SETTINGS)["status"] == "holds"


def test_a_moving_tail_never_fails():
    # L = tau^-0.3 (1 + (3e4 / tau)^2): the local slope flattens from -2.1 (1e4) towards
    # -0.3, away from Thm 3.5's bound but still moving: no failure, inconclusive
    t = tau()
    flattening = measured(fit=curve_fit(t**-0.3 * (1.0 + (3e4 / t) ** 2)))
    row = evaluate(CLAIMS["thm3_5_rate"], "M6", flattening, SETTINGS)
    assert row["status"] == "inconclusive" and "a failure needs a settled tail" in row["reason"]
    # the same tail settled at -0.3 fails
    settled = measured(fit=curve_fit(t**-0.3))
    assert evaluate(CLAIMS["thm3_5_rate"], "M6", settled, SETTINGS)["status"] == "fails"


def test_fig1_slope_after_warm_up_holds():
    t = tau()
    row = evaluate(CLAIMS["fig1_slope"], "M6", measured(fit=curve_fit((1.0 + (30.0 / t) ** 2) / t)), SETTINGS)
    assert row["status"] == "holds" and row["value"] < 1e-4


def test_too_few_steps_for_the_tail_window_is_inconclusive():
    short = GRID[GRID <= 50]
    fit = fit_case(short, 1.0 / np.where(short > 0, short, 1), rng=np.random.default_rng(0), **FIT)
    row = evaluate(CLAIMS["thm3_5_rate"], "M6", measured(fit=fit), SETTINGS)
    assert row["status"] == "inconclusive" and row["reason"].startswith("too few steps")


def test_summary_counts_every_state():
    rows = [
        {
            "claim": "a",
            "experiment": "e",
            "case": "c",
            "status": s,
            "value": 1.0,
            "comparator": "<",
            "threshold": 2.0,
            "reason": "r|s",
        }
        for s in ("holds", "holds", "outside")
    ]
    assert state_counts(rows) == {"holds": 2, "fails": 0, "outside": 1, "inconclusive": 0}
    table = claims_markdown(rows)
    assert "holds 2, fails 0, outside 1, inconclusive 0" in table and "r\\|s" in table


# ------------------------------------------------------------------ registry


def test_registry_entries_are_complete_and_measured_on_config_cases():
    ids = [c.id for c in CLAIMS.values()]
    assert len(ids) == len(set(ids))
    for claim in CLAIMS.values():
        assert claim.statement and claim.quantity and claim.figure and claim.source
        assert set(claim.hypotheses) <= set(HYPOTHESES)
        assert claim.comparator in ("<=", "<", ">=", ">", "==")
        if isinstance(claim.threshold, str):
            assert claim.threshold in SETTINGS["thresholds"]
        if claim.experiment != "thm3_1":
            assert "step_size" in claim.hypotheses, claim.id
            assert measured_on(claim, list(CONFIG[claim.experiment]["cases"]))
    assert {f"thm3_7_eps{e:g}" for e in SETTINGS["thresholds"]["eps"]} <= set(ids)
    with pytest.raises(ValueError, match="does not have"):
        measured_on(CLAIMS["fig1_slope"], ["M3"])


def test_every_theorem_experiment_follows_the_one_step_size_rule():
    eta = SETTINGS["step_size"]["eta"]
    assert eta * 2.25 < SETTINGS["step_size"]["max_eta_lambda"] < 2
    for experiment in {c.experiment for c in CLAIMS.values()} - {"thm3_1"}:
        for case in CONFIG[experiment]["cases"]:
            assert resolve_case(CONFIG, experiment, case)["eta"] == eta, (experiment, case)
    assert CONFIG["thm3_1"]["eta"] == eta


def test_no_dispatch_on_theorem_names_outside_the_registry():
    pattern = re.compile(r"""==\s*["'](thm\d|fig1|cor\d)|["'](thm\d|fig1|cor\d)[^"']*["']\s*:\s*\(?lambda""")
    files = [*REPO.glob("scripts/*.py"), *REPO.glob("src/scorematch/*.py"), *REPO.glob("workflow/report/*.rst")]
    offenders = [str(f) for f in files if f.name != "claims.py" and pattern.search(f.read_text())]
    assert offenders == []
    assert STATES == ("holds", "fails", "outside", "inconclusive")


def test_noise_scale_threshold():
    assert noise_scale_threshold(n=3, initial_distance=4.0) == pytest.approx(np.log(12.0) + 2.0)


def test_a_generated_block_replaces_only_the_text_between_its_markers():
    from scorematch.readme_tables import replace_between_markers

    text = "head\n<b>\nold line\n<e>\ntail\n"
    assert replace_between_markers(text, "new line\n", markers=("<b>", "<e>")) == "head\n<b>\nnew line\n<e>\ntail\n"
    with pytest.raises(ValueError, match="'<x>'"):
        replace_between_markers(text, "new line\n", markers=("<x>", "<e>"))
    with pytest.raises(ValueError, match="once"):
        replace_between_markers(text + "<b>\n", "new line\n", markers=("<b>", "<e>"))


def test_a_readme_without_the_markers_is_left_as_it_was(tmp_path):
    from scorematch.readme_tables import rewrite_readme_block

    readme = tmp_path / "README.md"
    readme.write_text("head\n<b>\nold line\n<e>\ntail\n")
    rewrite_readme_block(readme, "new line\n", markers=("<b>", "<e>"))
    assert readme.read_text() == "head\n<b>\nnew line\n<e>\ntail\n"
    with pytest.raises(ValueError, match="'<x>'"):
        rewrite_readme_block(readme, "other\n", markers=("<x>", "<e>"))
    assert readme.read_text() == "head\n<b>\nnew line\n<e>\ntail\n"
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]


def test_the_readme_holds_each_generated_block_once_in_order():
    from scorematch.readme_tables import GENERATED_BLOCKS

    readme = (REPO / "README.md").read_text()
    assert GENERATED_BLOCKS
    for begin, end in GENERATED_BLOCKS:
        assert readme.count(begin) == 1 and readme.count(end) == 1
        assert readme.index(begin) < readme.index(end)

"""The registry of the paper's claims and their evaluation into four verdict states.

Every claim is one :class:`Claim`: an id, the statement in words, the experiment cases it
is measured on, the measured quantity, comparator and threshold (a key of the config's
``claims.thresholds``, fixed from the statements), the figure it belongs to, and its
hypotheses as predicates on the measured run.  :func:`evaluate` turns one claim and one
case's measurements into a row with one of four states:

- ``holds`` / ``fails``: inside every hypothesis and the measurement is conclusive;
- ``outside``: a hypothesis does not hold (the reason names it and its measured value);
- ``inconclusive``: the reason names why (the tail's local slope still moves towards the
  threshold by more than ``slope_drift_tol``, or in any direction where the claim would
  fail; the confidence interval contains the
  threshold, i.e. too few seeds; runs still undecided or a grid too short, i.e. too few
  steps).

Only ``holds`` and ``fails`` are evidence about the paper.  Measurements of one case come
from :func:`case_measurements` (GD runs) or Theorem 3.1's stationary_point.json.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from scorematch.experiment import cluster_spread_of_runs, integration_rule
from scorematch.outcomes import converged_and_diverging
from scorematch.theorems import largest_hessian_eigenvalues

STATES = ("holds", "fails", "outside", "inconclusive")
EVIDENCE = ("holds", "fails")  # the states that are evidence about the paper
CLAIM_COLUMNS = (
    "claim",
    "source",
    "experiment",
    "case",
    "status",
    "quantity",
    "comparator",
    "value",
    "threshold",
    "hypotheses",
    "reason",
    "figure",
    "statement",
)

# --------------------------------------------------------------------------------------
# Measurements


def noise_scale_threshold(*, n, initial_distance):
    """Theorem 2.1's noise level: log n + log M + 2 (M the unscaled initial distance)."""
    return math.log(n) + math.log(initial_distance) + 2.0


def binomial_interval(successes, trials, *, level):
    """Clopper-Pearson interval for a binomial proportion: (lo, hi)."""
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def fraction_with_interval(flags, *, level):
    """{count, runs, fraction, ci_lo, ci_hi}: the fraction of true flags (any shape) and its
    Clopper-Pearson interval."""
    flags = np.asarray(flags, dtype=bool)
    count, runs = int(flags.sum()), int(flags.size)
    lo, hi = binomial_interval(count, runs, level=level)
    return {"count": count, "runs": runs, "fraction": count / runs, "ci_lo": lo, "ci_hi": hi}


def case_measurements(spec, arrays, fit, *, settings):
    """Everything the claims read from one GD case: a JSON-ready dict.

    spec: the resolved run specification; arrays: its results; fit: its rate fit (or
    None); settings: the config's ``claims`` section.
    """
    n, d = spec["n_components"], spec["dim"]
    step_size = settings["step_size"]
    checked = arrays["final"][: step_size["hessian_runs"]]
    lam = largest_hessian_eigenvalues(
        checked, arrays["target"], step=step_size["hessian_step"], rule=integration_rule(spec)
    )
    converged, diverging = converged_and_diverging(
        arrays["distance"], converge_tol=spec["converge_tol"], diverge_radius=spec["diverge_radius"]
    )
    # neither converged nor diverging: the run needs more steps to be classified
    undecided = ~(converged | diverging).all(axis=-1)
    initial = arrays["distance"][:, 0, :]
    ahead = initial.argmin(axis=-1)
    one_ahead = (np.sort(initial, axis=-1)[:, 1] > np.sort(initial, axis=-1)[:, 0]).all()
    lead_ok = converged[np.arange(len(ahead)), ahead] & (arrays["outcome"] == "one")
    largest = arrays["distance"].max(axis=-1)
    t = spec["noise_scale"]
    unscaled = float(arrays["distance"][:, 0, :].max()) * math.exp(t)
    init = spec["init"]
    spreads = cluster_spread_of_runs(spec) if init["kind"] == "cluster" else np.full(len(undecided), np.nan)
    smallest = spreads == np.min(spreads)
    return {
        "runs": int(len(arrays["outcome"])),
        "n": n,
        "d": d,
        "eta": spec["eta"],
        "lambda_max": float(np.max(lam)),
        "noise_scale": t,
        "noise_threshold": noise_scale_threshold(n=n, initial_distance=unscaled),
        "init_kind": init["kind"],
        "far_distance": float(abs(spec["target_norm"] - init.get("mean_norm", np.nan))),
        "init_sigma": float(init.get("sigma", np.nan)),
        "smallest_spread": float(np.min(spreads)),
        "spread_bound": math.exp(-1e6 * n * d * spec["target_norm"] ** 3) / (108 * n * d),
        "one_ahead": bool(one_ahead),
        "count_all": int(converged.all(axis=-1).sum()),
        "runs_smallest_spread": int(smallest.sum()),
        "count_all_smallest_spread": int(converged.all(axis=-1)[smallest].sum()),
        "undecided_smallest_spread": int(undecided[smallest].sum()),
        "count_one": int((arrays["outcome"] == "one").sum()),
        "count_lead": int(lead_ok.sum()),
        "undecided": int(undecided.sum()),
        "distance_ratio": float((largest[:, -1] / largest[:, 0]).max()),
        "fit": fit,
    }


# --------------------------------------------------------------------------------------
# Hypotheses: name -> (text, predicate(measured, settings) -> (holds, measured value))


def _step_size(m, s):
    value = m["eta"] * m["lambda_max"]
    return value <= s["step_size"]["max_eta_lambda"], (
        f"eta * lambda_max = {m['eta']:g} * {m['lambda_max']:.4g} = {value:.4g} "
        f"(<= {s['step_size']['max_eta_lambda']:g})"
    )


def _noise_scale(m, s):
    return m["noise_scale"] >= m["noise_threshold"], (
        f"t = {m['noise_scale']:g} (>= log n + log M + 2 = {m['noise_threshold']:.4g})"
    )


def _exponentially_small(m, s):
    return m["smallest_spread"] <= m["spread_bound"], (
        f"smallest initial spread {m['smallest_spread']:.3g} (<= exp(-10^6 n d M0^3) / "
        f"(108 n d) = {m['spread_bound']:.3g})"
    )


def _one_ahead(m, s):
    return m["one_ahead"], f"one parameter strictly closest to mu* at the start: {m['one_ahead']}"


def _far_random(m, s):
    ok = m["init_kind"] == "gaussian" and m["init_sigma"] == 1.0 and m["far_distance"] >= s["far_distance_min"]
    return ok, (
        f"mu_i(0) ~ N(mu_0, I) with ||mu_0 - mu*|| = {m['far_distance']:g} "
        f"(>= {s['far_distance_min']:g}; init {m['init_kind']}, sigma {m['init_sigma']:g})"
    )


HYPOTHESES: dict[str, Callable] = {
    "step_size": _step_size,
    "noise_scale": _noise_scale,
    "exponentially_small_init": _exponentially_small,
    "one_ahead": _one_ahead,
    "far_random_init": _far_random,
}

# --------------------------------------------------------------------------------------
# Measures: (measured, thresholds) -> (value, interval or None, undecided reason or None)


def _fraction(count_key, *, with_interval, runs_key="runs", undecided_key="undecided"):
    """Fraction of runs with an outcome.  The undecided part carries, for runs not yet
    classified, the best case: the fraction (or its interval) counting them as successes."""

    def measure(m, t):
        runs, count, undecided = m[runs_key], m[count_key], m[undecided_key]
        if with_interval:
            interval = binomial_interval(count, runs, level=t["level"])
            best = binomial_interval(count + undecided, runs, level=t["level"])
        else:
            interval, best = None, (count + undecided) / runs
        undecided_text = None
        if undecided:
            undecided_text = (
                f"too few steps: {undecided} of {runs} runs have parameters neither converged nor diverging"
            )
        return count / runs, interval, (undecided_text, best)

    return measure


def _exponent_plus(offset):
    def measure(m, t):
        fit = m["fit"]
        if fit["error"] is not None:
            return None, None, (f"too few steps: {fit['error']}", None)
        b, ci = fit["exponent"], fit["ci"]
        shift = offset(t)
        return b + shift, [ci[0] + shift, ci[1] + shift], (None, None)

    return measure


def _slope_deviation(m, t):
    fit = m["fit"]
    if fit["error"] is not None:
        return None, None, (f"too few steps: {fit['error']}", None)
    b, (lo, hi) = fit["exponent"], fit["ci"]
    # the interval of |b + 1|: from 0 when the exponent's interval contains -1
    near = 0.0 if lo <= -1.0 <= hi else min(abs(lo + 1.0), abs(hi + 1.0))
    return abs(b + 1.0), [near, max(abs(lo + 1.0), abs(hi + 1.0))], (None, None)


def _scalar(key):
    def measure(m, t):
        return m[key], None, (None, None)

    return measure


# --------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class Claim:
    """One claim of the paper.

    cases: case names of `experiment` it is measured on (None: every case).
    comparator: '<=', '<', '>=', '>' or '=='; threshold: a key of claims.thresholds, or a
    number.  rate: the value is a tail growth whose drift the inconclusive check reads;
    scaled_power: the p of tau^p L whose growth the claim reads (the scaled-loss figure
    draws its cases in that panel).
    """

    id: str
    source: str
    statement: str
    experiment: str
    cases: tuple | None
    quantity: str
    measure: Callable
    comparator: str
    threshold: str | float
    figure: str
    hypotheses: tuple = ()
    rate: bool = False
    scaled_power: float | None = None


def registry(*, eps):
    """Every claim, in report order; eps: Theorem 3.7's epsilons (claims.thresholds.eps)."""
    step = ("step_size",)
    claims = [
        Claim(
            "thm2_1_converge",
            "Theorem 2.1",
            "large noise: GD converges, every parameter reaches mu*_t",
            "thm2_1",
            None,
            "largest final / initial distance to mu*_t over runs",
            _scalar("distance_ratio"),
            "<",
            "converge_ratio",
            "thm2_1",
            step + ("noise_scale",),
        ),
        Claim(
            "thm2_1_rate",
            "Theorem 2.1",
            "large noise: L(tau) = O(1/sqrt(tau)), i.e. sqrt(tau) L bounded",
            "thm2_1",
            None,
            "log-log slope of sqrt(tau) L over the tail (exponent + 1/2)",
            _exponent_plus(lambda t: 0.5),
            "<=",
            "growth_tol",
            "rates_scaled",
            step + ("noise_scale",),
            True,
            0.5,
        ),
        Claim(
            "thm3_1_stationary",
            "Theorem 3.1",
            "(0, a* e1, -a* e1) is a stationary point: the full gradient vanishes",
            "thm3_1",
            ("stationary",),
            "full gradient norm at a*",
            _scalar("grad_norm"),
            "<",
            "grad_tol",
            "thm3_1",
        ),
        Claim(
            "thm3_1_nonzero_loss",
            "Theorem 3.1",
            "the stationary point has nonzero loss",
            "thm3_1",
            ("stationary",),
            "loss at a*",
            _scalar("loss"),
            ">",
            "min_loss",
            "thm3_1",
        ),
        Claim(
            "thm3_2_all_converge",
            "Theorem 3.2",
            "exponentially small init: every parameter converges to mu*",
            "thm3_2",
            None,
            "fraction of the smallest-spread runs with all parameters converged",
            _fraction(
                "count_all_smallest_spread",
                with_interval=False,
                runs_key="runs_smallest_spread",
                undecided_key="undecided_smallest_spread",
            ),
            "==",
            1.0,
            "thm3_2",
            step + ("exponentially_small_init",),
        ),
        Claim(
            "thm3_4_counterexample",
            "Theorem 3.4",
            "the parameter ahead converges to mu*, the others diverge",
            "thm3_4",
            None,
            "fraction of runs where the parameter ahead converged and the others diverge",
            _fraction("count_lead", with_interval=False),
            "==",
            1.0,
            "thm3_4",
            step + ("one_ahead",),
        ),
        Claim(
            "cor3_6_one_converges",
            "Corollary 3.6",
            "random far init: with high probability exactly one parameter converges, the others diverge",
            "thm3_5",
            None,
            "fraction of seeds with exactly one converged (Clopper-Pearson interval)",
            _fraction("count_one", with_interval=True),
            ">=",
            "min_fraction",
            "thm3_5",
            step + ("far_random_init",),
        ),
        Claim(
            "thm3_5_rate",
            "Theorem 3.5",
            "random far init: L(tau) = O(1/tau), i.e. tau L bounded over the tail",
            "thm3_5",
            None,
            "log-log slope of tau L over the tail (exponent + 1)",
            _exponent_plus(lambda t: 1.0),
            "<=",
            "growth_tol",
            "rates_scaled",
            step + ("far_random_init",),
            True,
            1.0,
        ),
    ]
    for e in eps:
        claims.append(
            Claim(
                f"thm3_7_eps{e:g}",
                "Theorem 3.7",
                f"lower bound: tau^(1+{e:g}) L(tau) eventually grows",
                "thm3_5",
                None,
                f"log-log slope of tau^(1+{e:g}) L over the tail (exponent + 1 + {e:g})",
                _exponent_plus(lambda t, e=e: 1.0 + e),
                ">",
                0.0,
                "rates_scaled",
                step + ("far_random_init",),
                True,
                1.0 + e,
            )
        )
    claims += [
        Claim(
            "fig1_all_converge",
            "Figure 1",
            "small M: all parameters converge (read over seeds: with high probability)",
            "fig1_seeds",
            ("M3",),
            "fraction of seeds with all parameters converged (Clopper-Pearson interval)",
            _fraction("count_all", with_interval=True),
            ">=",
            "min_fraction",
            "fig1_seeds",
            step,
        ),
        Claim(
            "fig1_one_converges",
            "Figure 1",
            "large M: exactly one parameter converges, the others diverge (read over seeds: with high probability)",
            "fig1_seeds",
            ("M6",),
            "fraction of seeds with exactly one converged (Clopper-Pearson interval)",
            _fraction("count_one", with_interval=True),
            ">=",
            "min_fraction",
            "fig1_seeds",
            step,
        ),
        Claim(
            "fig1_slope",
            "Figure 1",
            "large M: the log-log loss slope is about -1 after a warm-up",
            "fig1",
            ("M6",),
            "|tail exponent + 1|",
            _slope_deviation,
            "<=",
            "exponent_tol",
            "rates_slopes",
            step,
            True,
            1.0,
        ),
        Claim(
            "fig1_slope_minibatch",
            "Figure 1",
            "the same slope about -1 in the paper's minibatch protocol",
            "rates_minibatch",
            ("b1e3", "b1e4"),
            "|tail exponent + 1|",
            _slope_deviation,
            "<=",
            "exponent_tol",
            "rates_minibatch",
            step,
            True,
            1.0,
        ),
    ]
    return claims


# Each theorem experiment's figure: the drawing scripts/plot_theorem.py uses, what it
# shows (the caption adds the claims measured on it) and its title.
EXPERIMENT_FIGURES = {
    "thm2_1": (
        "noise_sweep",
        "One far-away start at a sweep of noise scales t: distances to "
        "mu*_t, the loss and sqrt(tau) L per t (dashed: below log n + log M + 2).",
        r"Theorem 2.1 (large noise): one far start, swept over the noise scale $t$",
    ),
    "thm3_2": (
        "cluster",
        "A cluster at the origin with spreads down to 1e-12, mu* at distance "
        "M0: the cluster centre A(tau) and the spread max_i ||mu_i - A||.",
        "Theorem 3.2: exponentially small initialisation",
    ),
    "thm3_4": (
        "counterexample",
        "Collinear starts near the origin with one parameter ahead toward mu*: the distance of every parameter to mu*.",
        "Theorem 3.4: the parameter ahead converges, the others diverge",
    ),
    "fig1_seeds": (
        "outcomes",
        "Figure 1's setting (n = 5, d = 3, mu_i(0) ~ N(0, sigma^2 I), mu* = M e1) over many "
        "seeds: the number of converged parameters per seed (Clopper-Pearson intervals) and the loss.",
        r"Figure 1's two regimes over seeds: $n = 5$, $d = 3$, $\mu_i(0) \sim N(0, \sigma^2 I)$",
    ),
    "thm3_5": (
        "outcomes",
        "mu_i(0) ~ N(mu_0, I) far from mu*: the number of converged "
        "parameters per seed (Clopper-Pearson interval for exactly one) and the loss.",
        "Theorem 3.5 / Corollary 3.6: random initialisation far away",
    ),
}


def figure_caption(figure, *, eps, description=""):
    """A figure's caption: its description, then the claims measured on it."""
    shown = [f"{c.id} ({c.source}: {c.statement})" for c in registry(eps=eps) if c.figure == figure]
    claims = (" Claims measured on it (verdicts in results/claims.md): " + "; ".join(shown) + ".") if shown else ""
    return description + claims


def scaled_loss_panels(*, eps):
    """The scaled-loss figure's panels: [{power, title, experiments}], one per p of
    tau^p L that a claim reads, with the claims' sources and experiments."""
    panels = {}
    for claim in registry(eps=eps):
        if claim.scaled_power is None:
            continue
        panel = panels.setdefault(claim.scaled_power, {"power": claim.scaled_power, "sources": [], "experiments": []})
        for key, value in (("sources", claim.source), ("experiments", claim.experiment)):
            if value not in panel[key]:
                panel[key].append(value)
    return [
        {"power": p["power"], "title": ", ".join(p["sources"]), "experiments": p["experiments"]}
        for p in sorted(panels.values(), key=lambda p: p["power"])
    ]


def measured_on(claim, experiment_cases):
    """The case names of a claim, checked against the experiment's config cases."""
    if claim.cases is None:
        return list(experiment_cases)
    missing = [c for c in claim.cases if c not in experiment_cases]
    if missing:
        raise ValueError(
            f"claim {claim.id} is measured on cases {missing} that config section "
            f"{claim.experiment!r} does not have (it has {list(experiment_cases)})"
        )
    return list(claim.cases)


# --------------------------------------------------------------------------------------
# Evaluation

_COMPARE = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}


def _drift_reason(claim, value, threshold, fit, tol, *, holds):
    """Why a rate value is not conclusive yet (None if it is): its local slope still moves
    by more than tol across the tail window, towards the threshold (or at all, for a
    two-sided quantity), or in any direction when the claim would fail (a short tail whose
    slope still moves is no failure)."""
    start, end = fit["slope_start"], fit["slope_end"]
    if start is None or end is None:
        return "too few steps: no local slope inside the tail window"
    change = end - start
    two_sided = claim.measure is _slope_deviation
    toward = two_sided or (threshold - value) * change > 0
    if abs(change) > tol and (toward or not holds):
        where = "towards the threshold" if toward else "a failure needs a settled tail"
        return (
            f"local slope still moves from {start:.4g} to {end:.4g} across the tail window "
            f"(change {change:+.3g}, tolerance {tol:g}), {where}"
        )
    return None


def evaluate(claim, case, measured, settings):
    """One row of results/claims.csv (a JSON-ready dict, keys CLAIM_COLUMNS + interval)."""
    thresholds = settings["thresholds"]
    threshold = thresholds[claim.threshold] if isinstance(claim.threshold, str) else claim.threshold
    checks = [(name, *HYPOTHESES[name](measured, settings)) for name in claim.hypotheses]
    value, interval, (undecided, best) = claim.measure(measured, thresholds)
    if value is not None and not math.isfinite(value):
        value, undecided = None, undecided or f"the measured value is {value}"
    row = {
        "claim": claim.id,
        "source": claim.source,
        "experiment": claim.experiment,
        "case": case,
        "quantity": claim.quantity,
        "comparator": claim.comparator,
        "value": None if value is None else float(value),
        "threshold": float(threshold),
        "interval": None if interval is None else [float(v) for v in interval],
        "hypotheses": "; ".join(f"{name}: {text}" for name, _, text in checks),
        "figure": claim.figure,
        "statement": claim.statement,
    }
    outside = [f"{name}: {text}" for name, ok, text in checks if not ok]
    compare = _COMPARE[claim.comparator]
    if outside:
        return row | {"status": "outside", "reason": "; ".join(outside)}
    if value is None:
        return row | {"status": "inconclusive", "reason": undecided}
    if undecided is not None:
        # runs still undecided: conclusive only if counting them either way gives one verdict
        if interval is not None:
            decided = compare(interval[0], threshold) or not compare(best[1], threshold)
        else:
            decided = compare(value, threshold) == compare(best, threshold)
        if not decided:
            return row | {"status": "inconclusive", "reason": undecided}
    if interval is not None and min(interval) < threshold < max(interval) and claim.comparator != "==":
        return row | {
            "status": "inconclusive",
            "reason": (
                f"too few seeds: the {thresholds['level']:.0%} interval [{interval[0]:.4g}, {interval[1]:.4g}] "
                f"contains the threshold {threshold:g}"
            ),
        }
    holds = compare(value, threshold)
    if claim.rate:
        reason = _drift_reason(claim, value, threshold, measured["fit"], settings["slope_drift_tol"], holds=holds)
        if reason is not None:
            return row | {"status": "inconclusive", "reason": reason}
    return row | {
        "status": "holds" if holds else "fails",
        "reason": f"{value:.4g} {claim.comparator} {threshold:g} is {str(holds).lower()}",
    }


def state_counts(rows):
    """{state: number of rows} for every state (zeros included)."""
    return {state: sum(r["status"] == state for r in rows) for state in STATES}


def _cell(value):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")


def claims_markdown(rows):
    """The claims table as Markdown, with the counts per state first."""
    counts = state_counts(rows)
    columns = ("claim", "experiment", "case", "status", "value", "comparator", "threshold", "reason")
    lines = [
        "Counts per state: "
        + ", ".join(f"{state} {counts[state]}" for state in STATES)
        + f" (of {len(rows)}; only holds and fails are evidence about the paper).",
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    lines += ["| " + " | ".join(_cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# The README's generated block


def measured_block(claims_document, step_size_rows, *, config_name, commit):
    """Markdown for the README's "What the run measured" block: the config and the commit
    (from the claims table's provenance) the results were made with, counts per state, one
    line per claim row (status, value, reason), and the step-size experiment's table."""
    rows = claims_document["claims"]
    counts = claims_document["counts"]
    lines = [
        f"Config: `{config_name}`; commit {commit[:7]}. Counts per state: "
        + ", ".join(f"{state} {counts[state]}" for state in STATES)
        + f" (of {len(rows)} rows; only holds and fails are evidence).",
        "",
        "| claim | case | status | value | threshold | reason |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{r['claim']}` | {r['experiment']}/{r['case']} | {r['status']} | {_cell(r['value'])} "
        f"| {r['comparator']} {_cell(r['threshold'])} | {_cell(r['reason'])} |"
        for r in rows
    ]
    if step_size_rows:
        lines += [
            "",
            "Step-size experiment (fractions of runs per outcome, tail exponent, eta * lambda_max at the end):",
            "",
            "| case | eta | all | one | other | diverged | exponent | eta * lambda_max |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {r['base']} | {r['eta']:g} | {r['fraction_all']:.2f} | {r['fraction_one']:.2f} "
            f"| {r['fraction_other']:.2f} | {r['fraction_diverged']:.2f} | {_cell(r['exponent'])} "
            f"| {_cell(r['eta_lambda'])} |"
            for r in step_size_rows
        ]
    return "\n".join(lines) + "\n"

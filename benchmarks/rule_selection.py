"""The default integration rule, chosen by one accuracy criterion stated before any cost.

Run on demand:  .venv/bin/python benchmarks/rule_selection.py   (a few minutes on 2 cores:
the independent references are computed first, with scipy)

Criterion (also in scorematch.quadrature.LineRule and the README): the default rule is the
cheapest rule of the family below whose worst relative error on loss and gradient over the
exact classes is <= 1e-10 (a 100x margin under the 1e-8 that population-exact means).
- Exact classes and their independent references: the k = 1 collinear and tail cases of
  tests/test_population.py and the collinear mixture cases of tests/test_mixture.py
  (scipy adaptive quadrature), the near-collinear tail case of tests/test_population.py
  (nested adaptive quadrature in 2-D), the `clustered` and `fig1_M6` classes of
  tests/data/span_references.npz (nested adaptive quadrature, k = 2 and 3).
- Errors: |L - L_ref| / |L_ref| and max |grad - grad_ref| / max |grad_ref| (absolute
  errors where the reference is 0).
- Family: Gauss-Legendre nodes per panel in LEGENDRE_NODES, base panel width in
  BASE_WIDTHS, grading offsets in GRADINGS, grading reach in GRADING_REACHES (half_width
  stays 11: it sets how deep in the tail a crossing is still resolved), and the outer Gauss-Hermite nodes of the
  smallest-spread tier (spread <= 0.03) in FIRST_TIER_NODES.
- Cost: integration nodes of positive weight per evaluation (the compiled engine's work)
  on the k = 1 collinear-tail runs of benchmarks/gradient_cost.py for the line rule, then
  outer nodes per axis for the first tier; equal costs keep the family's listed order.
- The first tier must also meet the bound, against the same line rule with 40 outer nodes
  (the outer rule's own convergence; a k = 3 state has no cheap independent reference),
  on the benchmark's near-collinear k = 3 run and on that run with its outer coordinates
  scaled up to the tier's spread limit.

Prints the line rules by cost up to the first accepted one (nodes, worst error and its
case), the first-tier counts up to the first accepted one, then the chosen rule's error
per class.
"""

import sys
from dataclasses import replace
from itertools import product
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gradient_cost import nodes_per_evaluation, settings  # noqa: E402
from references import reference_1d, reference_2d  # noqa: E402
from test_mixture import COLLINEAR_CASES as MIXTURE_CASES  # noqa: E402
from test_population import COLLINEAR_CASES  # noqa: E402

from scorematch.mixture import mixture_loss_and_gradient  # noqa: E402
from scorematch.population import population_loss_and_gradient  # noqa: E402
from scorematch.quadrature import LineRule  # noqa: E402

CRITERION = 1e-10
LEGENDRE_NODES = (5, 6, 7, 8, 9, 10)
# 22 / width panels over [-11, 11]: 4, 5, 6, 7, 8, 9, 11
BASE_WIDTHS = (2.0, 2.45, 2.75, 3.15, 3.7, 4.4, 5.5)
GRADINGS = (
    (0.5, 1.5, 4.0, 10.0, 25.0),
    (0.5, 2.0, 6.0, 18.0),
    (1.0, 3.0, 8.0, 20.0),
    (1.0, 3.0, 9.0, 27.0),
    (0.75, 2.5, 7.0),
    (1.0, 4.0, 12.0),
    (1.5, 5.0, 15.0),
    (1.0, 4.0),
    (2.0, 8.0),
    (3.0,),
)
GRADING_REACHES = (np.inf, 4.0, 2.0, 1.0)
FIRST_TIER_NODES = (2, 3, 4)
SPAN_REFERENCES = np.load(ROOT / "tests" / "data" / "span_references.npz")
EXACT_SPAN_CLASSES = ("clustered", "fig1_M6")


def embed(values, d):
    out = np.zeros((len(values), d))
    out[:, 0] = values
    return out


def near_collinear_tail():
    """The state of tests/test_population.py::test_near_collinear_three_dimensional_tail."""
    rng = np.random.default_rng(7)
    mu = embed([0.0, -8.0, -8.4, -9.0, -10.0], 3)
    mu[1:, 1] = rng.uniform(-0.05, 0.05, 4)
    return mu


def exact_classes():
    """(name, kind, mu (n, d), truth, reference loss, reference gradient (n, d)) per case;
    kind 'gaussian' (truth mu* (d,)) or 'mixture' (truth means (K, d))."""
    cases = []
    for name, values in COLLINEAR_CASES.items():
        loss, grad = reference_1d(np.array(values), [0.0])
        cases.append((name, "gaussian", embed(values, 1), np.zeros(1), loss, grad[:, None]))
    for name, (students, means) in MIXTURE_CASES.items():
        loss, grad = reference_1d(np.array(students), np.array(means))
        cases.append((f"mixture_{name}", "mixture", embed(students, 1), embed(means, 1), loss, grad[:, None]))
    mu = near_collinear_tail()
    loss, grad = reference_2d(mu[:, :2], np.zeros((1, 2)))
    cases.append(("near_collinear_tail", "gaussian", mu[:, :2], np.zeros(2), loss, grad))
    for name in sorted({key.split("/")[0] for key in SPAN_REFERENCES.files}):
        if name.startswith(EXACT_SPAN_CLASSES):
            fields = [SPAN_REFERENCES[f"{name}/{field}"] for field in ("mu", "mu_star", "loss", "gradient")]
            cases.append((name, "gaussian", *fields))
    return cases


def errors(case, rule):
    """Relative loss error and gradient error (max-abs over max-abs) of the numpy reference rule."""
    _, kind, mu, truth, ref_loss, ref_grad = case
    evaluate = mixture_loss_and_gradient if kind == "mixture" else population_loss_and_gradient
    loss, grad = evaluate(mu[None], truth, rule=rule)
    # a zero reference (students on the means) is held to absolute error
    loss_scale = abs(ref_loss) or 1.0
    grad_scale = np.abs(ref_grad).max() or 1.0
    return abs(loss[0] - ref_loss) / loss_scale, np.abs(grad[0] - ref_grad).max() / grad_scale


def with_first_tier(rule, nodes):
    schedule = ((rule.hermite_schedule[0][0], nodes),) + rule.hermite_schedule[1:]
    return replace(rule, hermite_schedule=schedule)


def outer_rule_error(mu, rule):
    """Worst relative loss and gradient error for mu (1, n, d) (mu* = 0) against the same
    line rule with 40 outer Gauss-Hermite nodes."""
    reference = replace(rule, hermite_nodes=40, hermite_schedule=(), pole_error=None, truncation_error=None)
    ref_loss, ref_grad = population_loss_and_gradient(mu, np.zeros(mu.shape[-1]), rule=reference)
    loss, grad = population_loss_and_gradient(mu, np.zeros(mu.shape[-1]), rule=rule)
    return max(abs(loss[0] - ref_loss[0]) / ref_loss[0], np.abs(grad - ref_grad).max() / np.abs(ref_grad).max())


def worst(cases, rule):
    """(worst error, its case) over the cases."""
    measured = [(max(errors(case, rule)), case[0]) for case in cases]
    return max(measured)


def main():
    cases = exact_classes()
    benchmark = dict(settings(np.random.default_rng(0)))
    k1_runs = np.concatenate([benchmark["k=1 collinear tail, 1 run"], benchmark["k=1 collinear tail, 200 runs"][:20]])
    near_collinear = benchmark["k=3 near-collinear, 1 run"]
    candidates = []
    for nodes, width, grading, reach in product(LEGENDRE_NODES, BASE_WIDTHS, GRADINGS, GRADING_REACHES):
        line_rule = LineRule(legendre_nodes=nodes, base_panel_width=width, grading=grading, grading_reach=reach)
        # the line rule is chosen with the most first-tier outer nodes, then the tier
        rule = with_first_tier(line_rule, max(FIRST_TIER_NODES))
        candidates.append((nodes_per_evaluation(k1_runs, rule=rule), rule))
    candidates.sort(key=lambda item: item[0])
    print(f"{'k=1 nodes':>9s} {'worst err':>9s} {'worst case':28s} rule (L, base width, grading, reach)")
    chosen = None
    for cost, rule in candidates:
        error, name = worst(cases, rule)
        accepted = error <= CRITERION
        print(
            f"{cost:9.1f} {error:9.1e} {name:28s} "
            f"{rule.legendre_nodes} {rule.base_panel_width} {rule.grading} {rule.grading_reach}"
            + ("" if accepted else "  rejected")
        )
        if accepted:
            chosen = rule
            break
    # the tier must also hold at its spread limit: the benchmark's near-collinear run with
    # its outer coordinates scaled up to the limit
    limit = chosen.hermite_schedule[0][0]
    at_limit = near_collinear.copy()
    at_limit[..., 1:] *= limit / np.abs(at_limit[..., 1:]).max()
    for nodes in FIRST_TIER_NODES:
        rule = with_first_tier(chosen, nodes)
        error, name = worst(cases, rule)
        outer_errors = [outer_rule_error(mu, rule) for mu in (near_collinear, at_limit)]
        print(
            f"first tier {nodes} outer nodes: "
            f"k=3 near-collinear nodes {nodes_per_evaluation(near_collinear, rule=rule):.0f}, "
            f"worst err {error:.1e} ({name}); against 40 outer nodes: benchmark run {outer_errors[0]:.1e}, "
            f"at spread {limit} {outer_errors[1]:.1e}"
        )
        if max(error, *outer_errors) <= CRITERION:
            chosen = rule
            break
    print(f"chosen: {chosen}")
    for case in cases:
        loss_error, grad_error = errors(case, chosen)
        print(f"  {case[0]:34s} loss {loss_error:8.1e}  gradient {grad_error:8.1e}")


if __name__ == "__main__":
    main()

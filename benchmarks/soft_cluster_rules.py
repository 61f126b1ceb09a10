"""Candidate outer rules for soft clusters in k = 2, 3, against the references of
tests/data/span_references.npz: the measurement behind the package's outer rule, which is
"GH model+tier pruned" with the result's scale taken from its own sums, heaviest outer
nodes first (`scorematch.quadrature.LineRule.truncation_error`), instead of from the rule
before it as here, and with the count of this script's model (the sigmoid's simple pole,
computed here): the package's count (`scorematch.quadrature.outer_node_counts`) has since
taken the gradient's order-3 pole, after the soft pairs of the reference file showed the
simple pole too optimistic.  Counts here are not clipped to the package's cap of 200
nodes per axis.

Run on demand:  nice -n 10 .venv/bin/python benchmarks/soft_cluster_rules.py

The rule before it, for k >= 2, integrated the crossing-aware graded Gauss-Legendre line rule
(`scorematch.quadrature.line_nodes`) along the leading singular direction for every node of
a tensor Gauss-Hermite rule on the other k - 1 axes.  On the `thm3_5_M6_d3` states (one
centre near the origin, four in a soft cluster spread by O(1) across the outer axes) and on
`spread_1_d2` its 16 outer nodes per axis leave errors up to 1e-4.  The transitions between
two soft-cluster members a, b are sigmoids across the outer axes of steepness
s_j = |c_a,j - c_b,j| on axis j; the sigmoid's complex poles sit delta_j = pi / s_j off the
real axis, and a q-node standard-normal Gauss-Hermite rule (weight exp(-y^2 / 2)) errs by
about exp(-2 delta sqrt(q)) on such a function (the exp(-2 delta sqrt(2 q)) of the weight
exp(-x^2) rewritten for y = sqrt(2) x).  The inner line rule is the package's default in
every candidate; only the outer rule changes.

Candidates (all written down before any of them was measured):
  - "default": the package's rule before "GH model+tier" (on every outer axis the spread
    tier of the largest |outer coordinate| over all axes), for comparison.
  - "GH model" (candidate 1): per outer axis j its own Gauss-Hermite count
    q_j = ceil((ln(1 / EPS_MODEL) / (2 delta_j))^2), at least Q_FLOOR, with
    s_j = the largest |c_a,j - c_b,j| over all pairs a < b (conservative: pairs whose
    transition the inner rule resolves are counted too) and delta_j = pi / s_j.
    EPS_MODEL = 1e-10 is the package's own 100x margin under 1e-8; Q_FLOOR = 3 is the
    package's smallest outer tier.  Neither is read off these cases.
  - "GH model rotated" (candidate 2): the same count model after rotating the outer axes
    (k = 3) to the principal axes of the pair differences' outer projections
    (eigenvectors of sum_{a<b} P(c_a - c_b) P(c_a - c_b)^T), so that the steepest soft
    transitions lie along one outer axis and the other axis sees only the gentle ones.
  - "GH model pruned" (candidate 4): "GH model" with the outer tensor nodes of smallest
    product weight dropped while the dropped weight, times a bound on the integrand's
    scale, stays below PRUNE_EPS = 1e-10 of the result's scale.  Integrand scale:
    S = m^2 (1 + m) (1 + m + H) with m = max_i |c_i| and H the inner half-width plus the
    outer rule's largest |y| (bounds |g|^2 and the gradient integrand
    w_i g + w_i ((c_i - g) . g)(z - c_i) wherever the rule puts a point).  Result scale:
    min(loss, max-abs gradient) of the package's default rule (an engine would need its
    own estimate; the default rule is within 2e-4 of the reference on every state, ample
    for a threshold).
Candidate 3 (a graded Gauss-Legendre outer rule with breakpoints at the soft ties, the
iterated rule of the k = 2 prototype) is not measured here: with the package's own panel
constants every soft tie is "sharp" (steepness times base panel width >= 1) and gets
graded panels, i.e. hundreds of nodes per outer axis and 1e4 to 1e5 outer nodes in k = 3,
before any accuracy is known; its k = 2 figure (7.7e3 points at 2e-10 on spread 1) is
stated in the README.

Acceptance criterion (fixed before measuring): relative loss error <= 1e-8 and gradient
error (max-abs error over max-abs reference gradient, `span_accuracy.relative_errors`)
<= 1e-8 on every case of span_references.npz except the far_* cases (optional; a
candidate whose rule would exceed MAX_POINTS points on a case is not evaluated there and
the row says so).  Among accepted candidates the one with the fewest mean points per
evaluation over the acceptance cases is preferred.

Added after the first measurement (so not chosen before seeing these cases; no constant
was changed: EPS_MODEL and PRUNE_EPS are as above).  "GH model" failed on the low-spread
outer axis: its floor of 3 nodes there (run-0 states, pair steepness 0.17 to 0.19, where
the pole term predicts no error) erred by up to 1.4e-7, and 7 nodes at steepness 0.73
(run1_tau100) by 2.8e-8.  On the steep axis the pole term is within a factor of 30, either
way, of span_accuracy.py's 16, 32 and 64 node errors on run 1 at tau >= 10 and run 0 at
tau = 1000 (far above them at tau = 0), and the errors measured here sit up to 100x above
EPS_MODEL.  Two repairs:
  - "GH model+tier" (and "... pruned"): per axis the larger of the model count and the
    package's own outer schedule (`LineRule.hermite_schedule`, chosen by the package's
    criterion on other cases) applied to that axis's spread max_i |c_i,j| alone.
  - "GH two-term" (and "... pruned"): per axis the smallest q with both the pole term and
    the Gauss-Hermite remainder q! / (2q)! f^(2q), f^(2q) ~ s_j^(2q) (a sigmoid's
    exponential tail exp(s y)), <= EPS_MODEL; no floor.
"GH model rotated" gives the same counts as "GH model" on every acceptance case: the span
basis's outer axes are already the principal axes of the pair differences there.

Measured on the cases above (before the held-out cases existed): "GH model+tier pruned"
and "GH two-term pruned" pass the criterion (worst 2.6e-9 and 9.7e-9, the latter on the
gradient of thm3_5_M6_d3_run1_tau1000 with no margin left), at 1.95x and 1.10x the default
rule's points on the eight thm3_5_M6_d3 states of runs 0, 1 (means of the per-state
ratios); "GH model" (1.4e-7) and the default (1.3e-4) do not.  The far_* cases need 800 to
2400 nodes per axis by these models (sharp far transitions are not soft poles): not
evaluated.

Held-out cases (HELD_OUT, added to the reference file after everything above was fixed;
criterion, candidates and constants unchanged): thm3_5_M6_d3 runs 2, 3 at tau = 10, 100,
1000 and spread_1_d3.  The run-2 states spread across both outer axes (94x81 to 188x106
nodes by the model), so the unpruned candidates exceed MAX_POINTS there (2.1e6 to 8.3e6
points) and are not accepted.  "GH model+tier pruned" (worst 3.5e-12, 7.8e-11) and
"GH two-term pruned" (1.1e-10, 4.2e-9, both on spread_1_d3) pass on every held-out case,
at 7.9x the default rule's points on the six held-out trajectory states (4.6 to 13; 3.7e5
to 1.4e6 points); over all fourteen thm3_5_M6_d3 states 4.5x and 4.0x.  "GH model pruned"
fails again on the thin axis (spread_1_d3, 6 nodes: 1.1e-7).

Prints one row per case and candidate (points per evaluation, loss error, gradient error)
and one summary line per candidate (worst errors and mean points), over all acceptance
cases and over the held-out cases alone.
"""

import sys
import time
from math import lgamma
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from far_class_rules import span_coordinates  # noqa: E402
from span_accuracy import REFERENCES, case_names, relative_errors  # noqa: E402

from scorematch.population import hermite_grid, loss_and_gradient_on_points  # noqa: E402
from scorematch.quadrature import LineRule, line_nodes, outer_node_counts, spread_tier_counts  # noqa: E402

EPS_MODEL = 1e-10
Q_FLOOR = 3
PRUNE_EPS = 1e-10
MAX_POINTS = 2_000_000
# numpy's hermegauss overflows beyond about 300 nodes
MAX_HERMITE = 300
ACCEPTANCE = 1e-8
INNER_RULE = LineRule()
# the spread tier alone (see default_counts)
DEFAULT_RULE = LineRule(pole_error=None)
# outer slices integrated per numpy call (bounds memory)
SLICES_PER_CHUNK = 256
# cases added to the reference file after every candidate above was measured (name prefixes)
HELD_OUT = ("thm3_5_M6_d3_run2_", "thm3_5_M6_d3_run3_", "spread_1_d3")


def pair_steepness(outer):
    """Largest |c_a,j - c_b,j| over pairs a < b, per outer axis: (k - 1,) from outer (n, k - 1)."""
    i, j = np.triu_indices(len(outer), k=1)
    return np.abs(outer[i] - outer[j]).max(axis=0, initial=0.0)


def model_counts(outer):
    """Gauss-Hermite nodes per outer axis with exp(-2 delta sqrt(q)) <= EPS_MODEL, delta = pi / s,
    at least Q_FLOOR: (k - 1,) from outer (n, k - 1) (the sigmoid's simple pole; the
    package's count has since taken the gradient's order-3 pole)."""
    with np.errstate(divide="ignore"):
        delta = np.pi / pair_steepness(outer)
    return np.maximum(np.ceil((np.log(1.0 / EPS_MODEL) / (2.0 * delta)) ** 2), Q_FLOOR).astype(np.int64)


def two_term_counts(steepness):
    """Gauss-Hermite nodes per outer axis with both error terms <= EPS_MODEL: the pole term
    exp(-2 delta sqrt(q)) and the Gauss-Hermite remainder q! / (2q)! f^(2q) with
    f^(2q) ~ s^(2q) (the sigmoid's exponential tail exp(s y)); at least 1 node."""
    counts = []
    for s in steepness:
        q = 1
        while s > 0 and max(np.exp(-2.0 * np.pi / s * np.sqrt(q)), remainder_term(q, s)) > EPS_MODEL:
            q += 1
        counts.append(q)
    return np.array(counts, dtype=np.int64)


def remainder_term(q, s):
    """q! / (2q)! s^(2q) for s > 0 (computed in logs)."""
    return np.exp(lgamma(q + 1) - lgamma(2 * q + 1) + 2 * q * np.log(s))


def slice_rule_points(coords, outer_nodes, outer_weights):
    """The package's line rule along axis 0 at every outer node: points (P, k), weights (P,).

    coords: (n, k); outer_nodes (S, k - 1), outer_weights (S,) any rule on the outer axes.
    """
    intercepts = outer_nodes @ coords[:, 1:].T - 0.5 * (coords**2).sum(-1)
    slopes = np.broadcast_to(coords[:, 0], intercepts.shape)
    nodes, weights = line_nodes(intercepts, slopes, rule=INNER_RULE)
    per_slice = nodes.shape[1]
    points = np.concatenate([nodes[..., None], np.repeat(outer_nodes[:, None, :], per_slice, axis=1)], axis=-1)
    return points.reshape(-1, coords.shape[1]), (weights * outer_weights[:, None]).ravel()


def integrate_outer_rule(coords, outer_nodes, outer_weights):
    """Loss, gradient (n, k) in the frame of coords, and points of positive weight."""
    loss, grad, points = 0.0, np.zeros_like(coords), 0
    for start in range(0, len(outer_nodes), SLICES_PER_CHUNK):
        part = slice(start, start + SLICES_PER_CHUNK)
        z, w = slice_rule_points(coords, outer_nodes[part], outer_weights[part])
        part_loss, part_grad = loss_and_gradient_on_points(coords[None], z[None], w[None])
        loss, grad, points = loss + part_loss[0], grad + part_grad[0], points + int((w > 0).sum())
    return loss, grad, points


def outer_rotation(outer):
    """Rotation (m, m) whose columns are the principal axes of the pair differences of outer (n, m)."""
    i, j = np.triu_indices(len(outer), k=1)
    diff = outer[i] - outer[j]
    _, vectors = np.linalg.eigh(diff.T @ diff)
    return vectors[:, ::-1]


def integrand_scale(coords, outer_nodes):
    """Bound on |integrand| (loss and gradient) over the inner line at any of outer_nodes."""
    m = np.sqrt((coords**2).sum(-1)).max()
    reach = INNER_RULE.half_width + np.sqrt((outer_nodes**2).sum(-1)).max(initial=0.0)
    return m**2 * (1.0 + m) * (1.0 + m + reach)


def pruned(outer_nodes, outer_weights, *, budget):
    """Drop the smallest product weights while their sum stays <= budget."""
    order = np.argsort(outer_weights, kind="stable")
    dropped = np.cumsum(outer_weights[order]) <= budget
    keep = np.sort(order[~dropped])
    return outer_nodes[keep], outer_weights[keep]


def candidate_counts(coords):
    """Outer Gauss-Hermite counts per candidate: name -> (frame rotation (k, k), counts (k - 1,), pruned)."""
    k = coords.shape[1]
    identity = np.eye(k)
    outer = coords[:, 1:]
    counts = model_counts(outer)
    rotation = identity.copy()
    rotation[1:, 1:] = outer_rotation(outer)
    tier_counts = np.maximum(model_counts(outer), spread_tier_counts(outer[None], rule=INNER_RULE)[0])
    two_term = two_term_counts(pair_steepness(outer))
    return {
        "GH model": (identity, counts, False),
        "GH model rotated": (rotation, model_counts(outer @ rotation[1:, 1:]), False),
        "GH model pruned": (identity, counts, True),
        "GH model+tier": (identity, tier_counts, False),
        "GH model+tier pruned": (identity, tier_counts, True),
        "GH two-term": (identity, two_term, False),
        "GH two-term pruned": (identity, two_term, True),
    }


def outer_rule(coords, counts, *, prune, default_scale):
    """Outer nodes (S, k - 1) and weights (S,) of a candidate (see the module docstring)."""
    nodes, weights = hermite_grid(counts)
    if not prune:
        return nodes, weights
    return pruned(nodes, weights, budget=PRUNE_EPS * default_scale / integrand_scale(coords, nodes))


def default_counts(outer):
    """The rule before "GH model+tier": on every outer axis the spread tier of the largest
    |outer coordinate| over all axes, (k - 1,) from outer (n, k - 1)."""
    joint = outer_node_counts(np.abs(outer).reshape(1, -1, 1), rule=DEFAULT_RULE)[0, 0]
    return np.full(outer.shape[1], joint)


def rule_points(coords, outer_nodes, outer_weights):
    """Points of positive weight of the line rule at every outer node (for the MAX_POINTS check)."""
    points = 0
    for start in range(0, len(outer_nodes), SLICES_PER_CHUNK):
        part = slice(start, start + SLICES_PER_CHUNK)
        _, w = slice_rule_points(coords, outer_nodes[part], outer_weights[part])
        points += int((w > 0).sum())
    return points


def case_rows(name):
    """Per candidate of case name: (outer nodes label, points or None, loss err, grad err)."""
    mu, mu_star = REFERENCES[f"{name}/mu"], REFERENCES[f"{name}/mu_star"]
    coords, basis = span_coordinates(mu, mu_star)
    default_nodes, default_weights = hermite_grid(default_counts(coords[:, 1:]))
    loss, grad, default_points = integrate_outer_rule(coords, default_nodes, default_weights)
    rows = {"default": ("tier", default_points, *relative_errors(name, loss, grad @ basis))}
    scale = min(loss, np.abs(grad).max())
    for label, (rotation, counts, prune) in candidate_counts(coords).items():
        outer_label = "x".join(str(q) for q in counts)
        if counts.max() > MAX_HERMITE:
            rows[label] = (outer_label, None, np.nan, np.nan)
            continue
        rotated = coords @ rotation
        outer_nodes, outer_weights = outer_rule(rotated, counts, prune=prune, default_scale=scale)
        # the budget applies to the candidate's own rule (after pruning, if it prunes)
        budget_points = rule_points(rotated, outer_nodes, outer_weights)
        if budget_points > MAX_POINTS:
            rows[label] = (f"{outer_label} ({len(outer_nodes)}; {budget_points} points)", None, np.nan, np.nan)
            continue
        c_loss, c_grad, points = integrate_outer_rule(rotated, outer_nodes, outer_weights)
        grad_d = (c_grad @ rotation.T) @ basis
        rows[label] = (f"{outer_label} ({len(outer_nodes)})", points, *relative_errors(name, c_loss, grad_d))
    return rows


def print_summary(results, accepted_cases):
    """Worst errors and points per candidate over accepted_cases (results: name -> rows).

    A case where a candidate is over the point budget is not evaluated: the candidate is
    not accepted, and its errors and points are over the cases where it was evaluated.
    """
    print(
        "| candidate | over budget (cases) | worst loss err | worst grad err | accepted (<= 1e-8) | mean points "
        "| mean points thm3_5_M6_d3 | points / default, thm3_5_M6_d3 (min-max) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label in results[accepted_cases[0]]:
        evaluated = [name for name in accepted_cases if results[name][label][1] is not None]
        thm = [name for name in evaluated if name.startswith("thm3_5")]
        loss_error = max(results[name][label][2] for name in evaluated)
        grad_error = max(results[name][label][3] for name in evaluated)
        points = np.array([results[name][label][1] for name in evaluated], dtype=np.float64)
        thm_points = np.array([results[name][label][1] for name in thm], dtype=np.float64)
        ratio = thm_points / np.array([results[name]["default"][1] for name in thm])
        over_budget = len(accepted_cases) - len(evaluated)
        accepted = "yes" if over_budget == 0 and max(loss_error, grad_error) <= ACCEPTANCE else "no"
        print(
            f"| {label} | {over_budget} | {loss_error:.1e} | {grad_error:.1e} | {accepted} | {points.mean():.3g} "
            f"| {thm_points.mean():.3g} | {ratio.mean():.2f} ({ratio.min():.2f}-{ratio.max():.2f}) |"
        )


def main():
    start = time.perf_counter()
    print("| case | candidate | outer nodes (kept) | points | loss err | grad err |")
    print("| --- | --- | --- | --- | --- | --- |")
    results = {}
    for name in case_names():
        results[name] = case_rows(name)
        for label, (outer_label, points, loss_error, grad_error) in results[name].items():
            if points is None:
                print(f"| {name} | {label} | {outer_label} | over budget | not evaluated | - |")
                continue
            print(f"| {name} | {label} | {outer_label} | {points} | {loss_error:.1e} | {grad_error:.1e} |")
    accepted_cases = [name for name in results if not name.startswith("far_")]
    print("\nAll acceptance cases:")
    print_summary(results, accepted_cases)
    print("\nHeld-out cases only:")
    print_summary(results, [name for name in accepted_cases if name.startswith(HELD_OUT)])
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

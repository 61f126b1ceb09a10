"""Deterministic integration rules for standard-Gaussian expectations of softmax integrands.

The population loss reduces (see :mod:`scorematch.population`) to an expectation over
y ~ N(0, I_k) of a function of the softmax weights w_i(y) = softmax_i(y . C_i - |C_i|^2 / 2).
Along any line the logits are affine in the coordinate, so the weights switch between
components through sigmoid transitions centred where two logits cross, with width
1 / |slope difference|.  When parameters drift far away those transitions sit deep in the
Gaussian tail and are sharp; a fixed Gauss-Hermite rule misses them.  The rules here put
panel edges at every crossing (graded geometrically around it) so a Gauss-Legendre rule
on each panel sees only smooth pieces.

In k > 1 dimensions the rule is iterated: the first axis (the leading singular direction
of the C_i, along which the sharp transitions lie) uses the adaptive line rule per slice,
the remaining k - 1 axes a tensor Gauss-Hermite rule with its own node count per axis
(:func:`outer_node_counts`).  The slice integral is smooth in the outer coordinates
because the inner rule resolves the transition exactly; what is left across an outer axis
are the soft transitions between parameters that differ along it.  Where two parameters
of a group lie too far apart across the one outer axis of k = 2 for the capped
Gauss-Hermite rule (:func:`uses_outer_line_rule`), that axis takes a line rule of its own
(:func:`outer_line_rule`): the slice integral then bends sharply wherever two visible
transitions meet (:func:`transition_meetings`), and graded Gauss-Legendre panels follow
those places as the inner rule follows crossings.  The outer nodes of smallest
weight are left out while their weight, times a bound on the integrand, is negligible
against the result (:func:`outer_weight_classes`, :func:`exponent_classes`,
:func:`integrand_bound`).
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_SQRT_2PI = np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class LineRule:
    """Parameters of the adaptive 1-D rule and of the outer Gauss-Hermite rule.

    The defaults follow one accuracy criterion, stated before any cost was measured: the
    default rule is the cheapest rule of a family (Gauss-Legendre nodes per panel, base
    panel width, grading offsets, grading reach, outer nodes of the smallest-spread tier)
    whose worst relative error on loss and gradient over the exact classes is <= 1e-10, a
    100x margin under the 1e-8 that population-exact means.  Exact classes: the k = 1
    collinear and tail cases of tests/test_population.py and the collinear mixture cases of
    tests/test_mixture.py (scipy adaptive quadrature), the near-collinear tail case of
    tests/test_population.py (nested adaptive quadrature), the `clustered` and `fig1_M6`
    classes of tests/data/span_references.npz (k = 2 and 3); cost: nodes per evaluation
    on the k = 1 and near-collinear k = 3 runs of benchmarks/gradient_cost.py.  The
    family, the measurement and the choice: benchmarks/rule_selection.py.

    half_width: the line is integrated over [-half_width, half_width]; the Gaussian mass
        outside is 2 * Phi(-half_width) (about 4e-28 at the default 11).
    base_panel_width: the widest panel allowed away from crossings.
    legendre_nodes: Gauss-Legendre nodes per panel.
    grading: offsets (in units of the transition width) of the extra panel edges placed
        on each side of every logit crossing.
    grading_reach: graded edges farther than this from their crossing are left out (there
        the base panels already see a smooth transition).
    max_crossings: how many crossings per line get graded edges: of the sharp ones
        (transition width 1 / steepness at most a base panel's width; a wider transition
        is smooth on the base panels), those closest to the upper envelope of the logits.
        None means n - 1, the most breakpoints an upper envelope of n lines can have;
        crossings off the envelope are invisible (both weights are exponentially small
        there).
    hermite_nodes: Gauss-Hermite nodes on an outer axis (k > 1) across which the
        parameters spread beyond every limit of hermite_schedule (the spread tier's
        largest count).
    hermite_schedule: (spread, nodes) pairs: when every parameter's coordinate on an
        outer axis is at most `spread` in absolute value, `nodes` nodes on that axis
        suffice for the spread tier (the slice integrals then vary slowly).  The first
        tier's count follows the criterion above (also checked against 40 outer nodes at
        its spread limit).
    pole_error: the error per outer axis the soft-transition count aims at (see
        :func:`outer_node_counts`); None leaves the counts to the spread tier alone (a
        fixed-count rule, e.g. hermite_schedule=() for a comparison rule).
    max_hermite_nodes: the most nodes on one outer axis; a larger count is clipped to it.
        200 keeps numpy's Gauss-Hermite tables accurate (they are to 1e-15 up to about
        300 nodes and overflow beyond 360).
    truncation_error: the outer tensor nodes are summed by weight class, heaviest first
        (:func:`outer_weight_classes`), and a run stops after the first class past which
        the weight left, times a bound on the integrand (:func:`integrand_bound`), is at
        most truncation_error times the scale of its sums so far (the smaller of |scalar|
        and the largest |vector| entry).  The sums left out then change the result by at
        most truncation_error times its own scale (to first order).  None sums every node.
    outer_line: whether k = 2 beyond the cap takes :func:`outer_line_rule` on its outer
        axis (False: the capped Gauss-Hermite rule, the rule before; for comparisons).
    """

    half_width: float = 11.0
    base_panel_width: float = 3.7
    legendre_nodes: int = 10
    grading: tuple[float, ...] = (1.0, 3.0, 8.0, 20.0)
    grading_reach: float = 4.0
    max_crossings: int | None = None
    hermite_nodes: int = 16
    hermite_schedule: tuple[tuple[float, int], ...] = ((0.03, 3), (0.08, 6), (0.15, 8))
    pole_error: float | None = 1e-10
    max_hermite_nodes: int = 200
    truncation_error: float | None = 1e-10
    outer_line: bool = True

    def __post_init__(self):
        largest = max([self.hermite_nodes] + [nodes for _, nodes in self.hermite_schedule])
        if largest > self.max_hermite_nodes:
            raise ValueError(
                f"LineRule: {largest} outer Gauss-Hermite nodes asked for (hermite_nodes or "
                f"hermite_schedule); at most max_hermite_nodes = {self.max_hermite_nodes} are allowed"
            )
        if self.pole_error is not None and not 0.0 < self.pole_error < 1.0:
            raise ValueError(f"LineRule: pole_error = {self.pole_error}; allowed: None or 0 < pole_error < 1")


def gauss_hermite_standard(n_nodes):
    """Nodes (q,) and weights (q,) with sum w f(x) ~ E[f(Y)], Y ~ N(0, 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    return nodes, weights / _SQRT_2PI


@lru_cache(maxsize=4)
def gauss_hermite_tables(max_nodes):
    """Every standard-normal Gauss-Hermite rule of 1 to max_nodes nodes: nodes and weights
    (max_nodes + 1, max_nodes), row q the q-node rule (:func:`gauss_hermite_standard`)
    zero padded, row 0 empty.  Cached: built once per process (about a second for 200)."""
    nodes = np.zeros((max_nodes + 1, max_nodes))
    weights = np.zeros((max_nodes + 1, max_nodes))
    for q in range(1, max_nodes + 1):
        nodes[q, :q], weights[q, :q] = gauss_hermite_standard(q)
    return nodes, weights


@lru_cache(maxsize=4)
def gauss_hermite_log2_weights(max_nodes):
    """log2 of :func:`gauss_hermite_tables`' weights (max_nodes + 1, max_nodes), -inf in the
    padding: the weight classes of the outer nodes are sums of these, in axis order."""
    with np.errstate(divide="ignore"):
        return np.log2(gauss_hermite_tables(max_nodes)[1])


def gauss_legendre(rule):
    """Gauss-Legendre nodes (L,) and weights (L,) on [-1, 1], L = rule.legendre_nodes."""
    return np.polynomial.legendre.leggauss(rule.legendre_nodes)


def base_edges(rule):
    """Uniform panel edges (E0,) on [-half_width, half_width], panels at most base_panel_width."""
    h = rule.half_width
    n_base = int(np.ceil(2 * h / rule.base_panel_width))
    return np.linspace(-h, h, n_base + 1)


def grading_offsets(rule):
    """Offsets (1 + 2G,) of a crossing's edges in units of its transition width: 0, +grading, -grading."""
    grading = np.asarray(rule.grading, dtype=np.float64)
    return np.concatenate([[0.0], grading, -grading])


def outer_node_choices(rule):
    """The outer Gauss-Hermite schedule as arrays: spread limits (m,) and node counts (m + 1,).

    A run whose outer coordinates are all at most limits[j] in absolute value (first such j)
    uses counts[j] nodes per outer axis; a run beyond every limit uses counts[m] =
    rule.hermite_nodes.
    """
    limits = np.array([limit for limit, _ in rule.hermite_schedule], dtype=np.float64)
    counts = [min(nodes, rule.hermite_nodes) for _, nodes in rule.hermite_schedule]
    return limits, np.array(counts + [rule.hermite_nodes], dtype=np.int64)


def pole_log_error(rule):
    """ln(1 / rule.pole_error), the numerator of the soft-transition count (0 when the
    rule has no pole_error); one float shared by the numpy and the compiled rule."""
    return 0.0 if rule.pole_error is None else math.log(1.0 / rule.pole_error)


# fixed-point steps of the soft-transition count: the map's slope at the root is
# 1 / (delta sqrt(q)), about 2 / ln(1 / pole_error) (0.09 at the default 1e-10), so each
# step gains a digit and 30 reach the float64 root
POLE_COUNT_ITERATIONS = 30


def spread_tier_counts(outer_coords, *, rule):
    """The spread tier's Gauss-Hermite count on each outer axis, per run: (R, k - 1) int64
    from outer_coords (R, n, k - 1), rule.hermite_schedule applied to the axis's spread
    max_i |c_i,j| (the first limit it is within; rule.hermite_nodes beyond them all)."""
    outer_coords = np.asarray(outer_coords, dtype=np.float64)
    limits, counts = outer_node_choices(rule)
    spread = np.abs(outer_coords).max(axis=1, initial=0.0)
    # index of the first limit the spread is within; len(limits) (the default) if none
    within = np.concatenate([spread[..., None] <= limits, np.ones((*spread.shape, 1), dtype=bool)], axis=-1)
    return counts[within.argmax(axis=-1)]


def soft_transition_counts(outer_coords, *, rule, group_sizes=None):
    """The Gauss-Hermite count the soft-transition model asks for on each outer axis, per
    run, not clipped: (R, k - 1) float (see :func:`outer_node_counts`; 0 where no pair of a
    softmax group differs along the axis, where the spread tier's nodes do not reach the
    pole, or where the rule has no pole_error; inf for a non-finite steepness)."""
    outer_coords = np.asarray(outer_coords, dtype=np.float64)
    steepness = np.zeros((outer_coords.shape[0], outer_coords.shape[2]))
    for group in _group_slices(outer_coords.shape[1], group_sizes):
        a, b = np.triu_indices(group.stop - group.start, k=1)
        members = outer_coords[:, group]
        steepness = np.maximum(steepness, np.abs(members[:, a] - members[:, b]).max(axis=1, initial=0.0))
    log_error = pole_log_error(rule)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        delta = np.pi / steepness
        target = log_error + np.log(4.0 * delta) + 0.5 * delta * delta
        # from above q = 1 the steps rise to the root; where the root is below 1, one node
        # meets the model and the steps stay at 1
        root = np.maximum(target / (2.0 * delta), 1.0)
        for _ in range(POLE_COUNT_ITERATIONS):
            root = np.maximum((target + 2.0 * np.log(root)) / (2.0 * delta), 1.0)
        counts = np.ceil(root * root)
    seen = delta <= 2.0 * np.sqrt(spread_tier_counts(outer_coords, rule=rule))
    counts = np.where(seen & (log_error > 0.0), counts, 0.0)
    return np.where(np.isfinite(steepness), counts, np.inf)


def outer_node_counts(outer_coords, *, rule, group_sizes=None):
    """Gauss-Hermite nodes on each outer axis, per run.

    outer_coords: (R, n, k - 1) the parameters' coordinates on the outer axes (rows in
    consecutive softmax groups of sizes group_sizes, default one group).
    On axis j the count is the larger of two, clipped to rule.max_hermite_nodes:
      - the spread tier (:func:`spread_tier_counts`);
      - the soft-transition count (:func:`soft_transition_counts`): two parameters a, b of
        one softmax group switch across axis j through a sigmoid of steepness
        s = |c_a,j - c_b,j| whose complex poles sit delta = pi / s off the real axis.  The
        gradient's integrand holds such a pole to order 3 (a weight's derivative, order 2,
        times the residual, order 1), and a q-node standard-normal Gauss-Hermite rule errs
        on an order-m pole at x0 + i delta by about
        2 pi |c| (2 sqrt(q))^(m - 1) / (m - 1)! exp((delta^2 - x0^2) / 2) exp(-2 delta sqrt(q));
        the coefficient c relative to the gradient's scale is about 1 / s, and x0 = 0 is
        the worst place.  The count is the smallest q with
        4 delta q exp(delta^2 / 2 - 2 delta sqrt(q)) <= rule.pole_error for the steepest
        pair (the root of 2 delta sqrt(q) - ln q = ln(1 / pole_error) + ln(4 delta) +
        delta^2 / 2 by fixed-point steps, rounded up).  The form holds for a pole within
        the nodes' reach, delta <= 2 sqrt(q); a pole beyond the reach of the spread tier's
        nodes is left to the tier (0 then), as is every axis when s = 0 or pole_error is
        None.
    A non-finite steepness leaves the axis to the spread tier.  Each run gets its own
    counts, so a run's rule does not depend on the batch it shares.
    Returns (R, k - 1) int64.
    """
    tier = spread_tier_counts(outer_coords, rule=rule)
    model = soft_transition_counts(outer_coords, rule=rule, group_sizes=group_sizes)
    model = np.where(np.isfinite(model), np.minimum(model, rule.max_hermite_nodes), 0.0)
    return np.maximum(tier, model.astype(np.int64))


def uses_outer_line_rule(outer_coords, *, rule, group_sizes=None):
    """Whether a run's outer axis takes :func:`outer_line_rule` instead of Gauss-Hermite:
    (R,) bool from outer_coords (R, n, k - 1).  True for k = 2 when the soft-transition
    count exceeds the cap: the Gauss-Hermite rule the error model asks for cannot be had
    (between parameters far apart the slice integral's transitions are kinks where two
    logit transitions meet, not soft poles)."""
    outer_coords = np.asarray(outer_coords, dtype=np.float64)
    if outer_coords.shape[2] != 1 or not rule.outer_line:
        return np.zeros(outer_coords.shape[0], dtype=bool)
    model = soft_transition_counts(outer_coords, rule=rule, group_sizes=group_sizes)[:, 0]
    return np.isfinite(model) & (model > rule.max_hermite_nodes)


def transition_meetings(coords, *, group_sizes=None):
    """Where two visible logit transitions meet in a 2-D span: the slice integral across
    the outer axis (axis 1) bends there.

    coords: (n, 2), rows in consecutive softmax groups.  A transition of a group is the line
    where two of its logits tie; it is visible at a point where those logits are the group's
    largest (up to 1e-9 of the largest logit's size).  Two transitions (of one group or of
    two) meet where their lines cross, if each is visible there.  Returns location (M,) of
    each meeting on axis 1 and its steepness (M,) across that axis: the reciprocal of the
    outer distance over which the two transitions, each of width 1 / |normal_0| along axis
    0, overlap, |u_1 / u_0 - v_1 / v_0| min(|u_0|, |v_0|) for normals u, v (|u_1| when
    u_0 = 0).
    """
    coords = np.asarray(coords, dtype=np.float64)
    half_sq = 0.5 * (coords**2).sum(-1)
    lines = []  # (group slice, a, b)
    for group in _group_slices(len(coords), group_sizes):
        for a, b in zip(*np.triu_indices(group.stop - group.start, k=1)):
            lines.append((group, group.start + a, group.start + b))
    locations, steepness = [], []
    for first in range(len(lines)):
        for second in range(first + 1, len(lines)):
            u = coords[lines[first][1]] - coords[lines[first][2]]
            v = coords[lines[second][1]] - coords[lines[second][2]]
            determinant = u[0] * v[1] - u[1] * v[0]
            if determinant == 0.0:
                continue
            ru = half_sq[lines[first][1]] - half_sq[lines[first][2]]
            rv = half_sq[lines[second][1]] - half_sq[lines[second][2]]
            y = np.array([(ru * v[1] - rv * u[1]) / determinant, (u[0] * rv - v[0] * ru) / determinant])
            if all(_visible(coords, half_sq, line, y) for line in (lines[first], lines[second])):
                locations.append(y[1])
                steepness.append(_meeting_steepness(u, v))
    return np.array(locations, dtype=np.float64), np.array(steepness, dtype=np.float64)


def _visible(coords, half_sq, line, y):
    """Whether the transition line (group, a, b) is on its group's upper envelope at y (2,)."""
    group, a, _ = line
    logits = coords[group] @ y - half_sq[group]
    mine = coords[a] @ y - half_sq[a]
    return logits.max() - mine <= 1e-9 * max(1.0, abs(mine))


def _meeting_steepness(u, v):
    """Steepness across axis 1 of the meeting of transitions with normals u, v (2,)."""
    if u[0] == 0.0 or v[0] == 0.0:
        return max(abs(u[1]) if u[0] == 0.0 else 0.0, abs(v[1]) if v[0] == 0.0 else 0.0)
    return abs(u[1] / u[0] - v[1] / v[0]) * min(abs(u[0]), abs(v[0]))


def outer_line_rule(coords, *, rule, group_sizes=None):
    """Gauss-Legendre nodes on the outer axis of a 2-D span, panels graded like the line
    rule's around every place the slice integral bends: nodes (T,) and weights (T,)
    (N(0, 1) density included, zero-width panels left out).

    coords: (n, 2), rows in consecutive softmax groups.  The panel edges are the line rule's
    (:func:`panel_edges`) for the logits along axis 1 through the origin (where a transition
    crosses that axis) and, around each meeting of two visible transitions
    (:func:`transition_meetings`), edges at location + grading_offsets / steepness within
    grading_reach (a meeting flatter than a base panel gets none, as a crossing).
    """
    coords = np.asarray(coords, dtype=np.float64)
    h = rule.half_width
    half_sq = 0.5 * (coords**2).sum(-1)
    axis_edges = panel_edges(-half_sq[None], coords[None, :, 1], rule=rule, group_sizes=group_sizes)[0]
    location, steepness = transition_meetings(coords, group_sizes=group_sizes)
    sharp = is_sharp(steepness, rule=rule)
    meeting_edges = graded_edges(location[sharp], steepness[sharp], rule=rule).ravel()
    meeting_edges = meeting_edges[~np.isnan(meeting_edges)]
    edges = np.sort(np.concatenate([axis_edges, np.clip(meeting_edges, -h, h)]))
    nodes, weights = panel_nodes(edges[None], rule=rule)
    keep = np.repeat(edges[1:] > edges[:-1], rule.legendre_nodes)
    return nodes[0, keep], weights[0, keep]


# Weight classes of the outer tensor nodes: class c holds the nodes whose product weight is
# within a factor 2^-c .. 2^-(c+1) of the largest; the last class takes every lighter node
# (at most 200^2 nodes below 2^-64 of the largest weigh less than 1e-14 of it together).
WEIGHT_CLASSES = 65


def outer_weight_classes(counts, *, max_nodes):
    """Weight class (see WEIGHT_CLASSES) of every node of the tensor Gauss-Hermite rule with
    counts (m,) nodes per axis, in :func:`scorematch.population.hermite_grid`'s order (last
    axis fastest): floor(L_max - L) clipped to WEIGHT_CLASSES - 1, with L the node's log2
    weight summed in axis order and L_max the sum of the axes' largest.  max_nodes: the
    rule's max_hermite_nodes (the table the compiled engine reads).  Returns (prod(counts),)
    int64.
    """
    table = gauss_hermite_log2_weights(max_nodes)
    log2_weight = np.zeros(1)
    largest = 0.0
    for q in counts:
        axis = table[int(q), : int(q)]
        log2_weight = (log2_weight[:, None] + axis[None, :]).ravel()
        largest += axis.max()
    return np.minimum(np.floor(largest - log2_weight), WEIGHT_CLASSES - 1).astype(np.int64)


def exponent_classes(weights):
    """Weight classes of positive weights (T,): the difference of binary exponents (frexp)
    between the largest weight and each, clipped to WEIGHT_CLASSES - 1, so class c holds
    weights within about 2^-(c-1) .. 2^-(c+1) of the largest (exact in any
    implementation).  Returns (T,) int64."""
    exponents = np.frexp(weights)[1]
    return np.minimum(exponents.max() - exponents, WEIGHT_CLASSES - 1).astype(np.int64)


def tensor_reach(counts, *, rule):
    """How far from the origin the points of the rule with outer Gauss-Hermite counts (m,)
    can lie: half_width plus the norm of the outer nodes' largest coordinates."""
    nodes = gauss_hermite_tables(rule.max_hermite_nodes)[0]
    reach_sq = 0.0
    for q in counts:
        reach_sq += nodes[int(q), int(q) - 1] ** 2
    return rule.half_width + math.sqrt(reach_sq)


def integrand_bound(coords, *, reach):
    """A bound on the integrands' absolute values at every point z with |z| <= reach: (R,)
    from coords (R, n, k) (every softmax group's rows).

    With m = max_i |c_i| the softmax means g, h lie in the ball of radius m, so the
    residual |e| = |g - h| <= 2 m, the loss integrand |e|^2 <= 4 m^2, the gradient's
    2 |w_i e + w_i ((c_i - g) . e) (z - c_i)| <= 4 m + 8 m^2 (|z| + m) and gradient EM's
    2 |w_i g| <= 2 m.  8 (1 + m)^2 (1 + m + reach) exceeds each.  reach: see
    :func:`tensor_reach`; the outer line rule's points lie within 2 half_width.
    """
    m = np.sqrt((np.asarray(coords, dtype=np.float64) ** 2).sum(-1)).max(-1)
    return 8.0 * (1.0 + m) ** 2 * (1.0 + m + reach)


def crossing_points(intercepts, slopes):
    """Where pairs of affine logits l_i(y) = intercepts_i + slopes_i * y cross.

    intercepts, slopes: (B, n).
    Returns location (B, P), steepness (B, P) and envelope gap (B, P) for the
    P = n(n-1)/2 pairs i < j (in the order of np.triu_indices).  steepness = |slope_i - slope_j| (1 / transition width);
    envelope gap = max_m l_m - l_i at the crossing, 0 when the crossing lies on the upper
    envelope (a visible transition), large when both logits are dominated there.
    Parallel logits give location +inf and steepness 0.
    """
    i, j = np.triu_indices(intercepts.shape[-1], k=1)
    slope_gap = slopes[:, i] - slopes[:, j]
    steepness = np.abs(slope_gap)
    with np.errstate(divide="ignore", invalid="ignore"):
        location = np.where(steepness > 0, (intercepts[:, j] - intercepts[:, i]) / slope_gap, np.inf)
    finite = np.where(np.isfinite(location), location, 0.0)
    logits_at = intercepts[:, None, :] + slopes[:, None, :] * finite[..., None]
    gap = logits_at.max(axis=-1) - (intercepts[:, i] + slopes[:, i] * finite)
    gap = np.where(np.isfinite(location), gap, np.inf)
    return location, steepness, gap


def crossings_kept(n_components, *, rule):
    """How many crossings per line receive graded edges."""
    return n_components - 1 if rule.max_crossings is None else rule.max_crossings


def _group_slices(n_logits, group_sizes):
    """Column slices of consecutive softmax groups (default: one group of all logits)."""
    sizes = (n_logits,) if group_sizes is None else tuple(group_sizes)
    if sum(sizes) != n_logits:
        raise ValueError(f"group_sizes {sizes} do not add up to the {n_logits} logits")
    starts = np.cumsum((0,) + sizes)
    return [slice(a, b) for a, b in zip(starts[:-1], starts[1:])]


def _graded_crossing_edges(intercepts, slopes, *, rule):
    """Graded edges (B, m) around the retained crossings of one softmax group, unclipped.

    The retained crossings are the sharp ones (transition width 1 / steepness at most a
    base panel's width) with the smallest envelope gap (against this group's own
    envelope), ties going to the earlier pair.
    """
    location, steepness, gap = crossing_points(intercepts, slopes)
    # a transition wider than a base panel is smooth on the base panels and needs no edges;
    # ranking it with the sharp ones could push a sharp one out (near-coincident parameters
    # have many near-visible, almost flat crossings)
    sharp = is_sharp(steepness, rule=rule)
    location, gap = np.where(sharp, location, np.inf), np.where(sharp, gap, np.inf)
    n_keep = min(crossings_kept(intercepts.shape[1], rule=rule), location.shape[1])
    if n_keep < location.shape[1]:
        keep = np.argsort(gap, axis=1, kind="stable")[:, :n_keep]
        location = np.take_along_axis(location, keep, axis=1)
        steepness = np.take_along_axis(steepness, keep, axis=1)
    return graded_edges(location, steepness, rule=rule).reshape(len(intercepts), -1)


def is_sharp(steepness, *, rule):
    """Whether transitions of these steepnesses (any shape) get graded edges: a transition
    wider than a base panel is smooth on the base panels."""
    base = base_edges(rule)
    return steepness * (base[1] - base[0]) >= 1.0


def graded_edges(location, steepness, *, rule):
    """Graded edges (..., 1 + 2G) around transitions at location (...) of steepness (...):
    location + grading_offsets / steepness, NaN where the offset lies beyond grading_reach
    (and for a flat or parallel transition, location inf, steepness 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = grading_offsets(rule) / steepness[..., None]
        return np.where(np.abs(distance) <= rule.grading_reach, location[..., None] + distance, np.nan)


def panel_edges(intercepts, slopes, *, rule, group_sizes=None):
    """Sorted panel edges (B, E) on [-half_width, half_width] for each line.

    Base edges are uniform; each retained crossing adds edges at
    location + grading_offsets / steepness, clipped to the domain.
    Edges that fall outside the domain collapse onto its ends (zero-width panels with
    zero weight), which keeps the shape fixed across a batch.
    group_sizes: the columns form consecutive softmax groups of these sizes (default one
    group); only crossings within a group are transitions, and each group's crossings are
    ranked against that group's own upper envelope.
    """
    h = rule.half_width
    base = np.broadcast_to(base_edges(rule), (intercepts.shape[0], len(base_edges(rule))))
    graded = np.concatenate(
        [
            _graded_crossing_edges(intercepts[:, group], slopes[:, group], rule=rule)
            for group in _group_slices(intercepts.shape[1], group_sizes)
        ],
        axis=1,
    )
    graded = np.nan_to_num(graded, nan=h, posinf=h, neginf=-h)
    edges = np.concatenate([base, np.clip(graded, -h, h)], axis=1)
    return np.sort(edges, axis=1)


def line_nodes(intercepts, slopes, *, rule, group_sizes=None):
    """Nodes and weights for E[F(Y)], Y ~ N(0, 1), F a function of the logits.

    intercepts, slopes: (B, n) affine logits along the line; group_sizes: their softmax
    groups (see :func:`panel_edges`).
    Returns nodes (B, Q) and weights (B, Q) (Gaussian density included).
    """
    return panel_nodes(panel_edges(intercepts, slopes, rule=rule, group_sizes=group_sizes), rule=rule)


def panel_nodes(edges, *, rule):
    """Gauss-Legendre nodes (B, Q) and weights (B, Q) (N(0, 1) density included) on the
    panels between consecutive sorted edges (B, E), rule.legendre_nodes per panel; a
    zero-width panel's nodes get weight zero."""
    t, w = gauss_legendre(rule)
    centre = 0.5 * (edges[:, 1:] + edges[:, :-1])
    half = 0.5 * (edges[:, 1:] - edges[:, :-1])
    nodes = (centre[..., None] + half[..., None] * t).reshape(len(edges), -1)
    weights = (half[..., None] * w).reshape(len(edges), -1)
    return nodes, weights * np.exp(-0.5 * nodes**2) / _SQRT_2PI

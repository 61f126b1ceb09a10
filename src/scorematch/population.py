"""Population score-matching loss and its gradient for the over-parameterized student.

Everything here works in the scaled frame of one noise level t (the paper, Sections 3+):
the parameters are the scaled vectors mu_{i,t} and the data law is N(mu*_t, I_d).  Use
:func:`scale_to_noise` to pass from unscaled vectors to that frame.

With c_i = mu_i - mu* and z = x - mu* ~ N(0, I_d),

    L = E || g(z) ||^2,   g(z) = sum_i w_i(z) c_i,   w_i = softmax_i(z . c_i - |c_i|^2 / 2),
    grad_{mu_i} L = 2 E[ w_i g + w_i ((c_i - g) . g) (z - c_i) ].

The weights depend on z only through its projection on span{c_i}, and the component of z
orthogonal to the span is independent of it with mean zero, so both expectations are
exactly k-dimensional (k = rank{c_i}); :func:`population_loss_and_gradient` evaluates them
with the deterministic rule of :mod:`scorematch.quadrature`.
"""

import numpy as np

from scorematch.quadrature import (
    WEIGHT_CLASSES,
    LineRule,
    crossings_kept,
    exponent_classes,
    gauss_hermite_standard,
    integrand_bound,
    line_nodes,
    outer_line_rule,
    outer_node_counts,
    outer_weight_classes,
    tensor_reach,
    uses_outer_line_rule,
)

# Largest number of (run, point, component) entries handled in one array operation;
# bounds memory at a few hundred MB while keeping numpy's per-call overhead small.
_CHUNK_ENTRIES = 400_000
# Outer slices integrated in one pass: a run with more (large soft-transition counts) is
# integrated alone, over blocks of this many slices.
_SLICE_BLOCK = 4096


def scale_to_noise(vectors, *, noise_scale):
    """Vectors of any shape scaled by exp(-t): the frame of noise level t."""
    return np.exp(-noise_scale) * np.asarray(vectors, dtype=np.float64)


def softmax_weights(points, coords):
    """Softmax weights w_i at each point, in log-sum-exp form.

    points: (R, P, k); coords: (R, n, k).  Returns (R, n, P): components on the middle
    axis so that the reductions over them run along contiguous memory.
    """
    logits = coords @ np.swapaxes(points, -1, -2) - 0.5 * (coords**2).sum(-1)[..., None]
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def loss_and_gradient_on_points(coords, points, weights, *, target=None):
    """Loss and gradient as weighted sums over integration points.

    coords: (R, n, k) parameters relative to mu* in some orthonormal frame.
    points: (R, P, k) points z in that frame; weights: (R, P) (sum to ~1).
    target: (R, k, P) what the student's mean g(z) = sum_i w_i c_i is compared with at
    each point; None means 0 (a single Gaussian: its score's mean term is mu* itself,
    the origin of the frame).  The residual is e = g - target and
    grad_i = 2 E[ w_i e + w_i ((c_i - g) . e) (z - c_i) ].
    Works for any frame: the reduced k-dimensional one or the full d-dimensional one
    (Monte Carlo samples with weights 1 / P).
    Returns loss (R,) and gradient (R, n, k) in the same frame.
    """
    w = softmax_weights(points, coords)
    g = np.swapaxes(coords, -1, -2) @ w
    residual = g if target is None else g - target
    loss = (weights * (residual**2).sum(axis=1)).sum(-1)
    # (c_i - g) . e for every component i and point
    curvature = coords @ residual - (g * residual).sum(axis=1)[:, None, :]
    weighted_w = weights[:, None, :] * w
    weighted_term = weighted_w * curvature
    grad = (
        weighted_w @ np.swapaxes(residual, -1, -2) + weighted_term @ points - weighted_term.sum(-1)[..., None] * coords
    )
    return loss, 2.0 * grad


def span_basis(relative):
    """Orthonormal bases of span{c_i}, one per run, leading singular direction first.

    relative: (R, n, d).  Returns basis (R, m, d), m = min(n, d), the right singular
    vectors by decreasing singular value, and rank (R,) int64: the run's numerical rank
    (numpy's matrix_rank tolerance), at least 1.  Rows beyond a run's rank are directions
    its integrand does not depend on.
    """
    _, singular, vt = np.linalg.svd(relative, full_matrices=False)
    tol = singular.max(axis=-1, keepdims=True) * max(relative.shape[-2:]) * np.finfo(float).eps
    rank = np.maximum(1, (singular > tol).sum(axis=-1))
    return vt, rank.astype(np.int64)


def hermite_grid(counts):
    """Tensor Gauss-Hermite rule for N(0, I_m) with counts[j] nodes on axis j (m = len(counts)):
    nodes (prod(counts), m), last axis fastest, and weights (prod(counts),).

    m = 0 gives the single empty node with weight 1.
    """
    rules = [gauss_hermite_standard(int(q)) for q in counts]
    dims = len(rules)
    grids = np.meshgrid(*[x for x, _ in rules], indexing="ij")
    nodes = np.stack(grids, -1).reshape(-1, dims) if dims else np.zeros((1, 0))
    weights = np.ones(len(nodes))
    for axis_weights in np.meshgrid(*[w for _, w in rules], indexing="ij"):
        weights = weights * axis_weights.ravel()
    return nodes, weights


def quadrature_points(coords, *, rule, outer, outer_weights, group_sizes=None):
    """Integration points and weights for E_{y ~ N(0, I_k)}[F(y)] adapted to coords.

    coords: (R, n, k), the centres of consecutive softmax groups of sizes group_sizes
    (default one group); outer (S, k - 1) and outer_weights (S,): a rule on axes 1..k-1
    (:func:`hermite_grid`, :func:`scorematch.quadrature.outer_line_rule`; k = 1: one empty
    node of weight 1).
    Returns points (R, S P, k) and weights (R, S P): the adaptive line rule on axis 0
    through every outer node.
    """
    runs, n, k = coords.shape
    half_sq = 0.5 * (coords**2).sum(-1)
    slices = len(outer)
    intercepts = np.einsum("sk,rnk->rsn", outer, coords[..., 1:]) - half_sq[:, None, :]
    slopes = np.broadcast_to(coords[:, None, :, 0], intercepts.shape)
    nodes, weights = line_nodes(
        intercepts.reshape(runs * slices, n),
        slopes.reshape(runs * slices, n),
        rule=rule,
        group_sizes=group_sizes,
    )
    per_slice = nodes.shape[1]
    points = np.concatenate(
        [
            nodes.reshape(runs, slices, per_slice, 1),
            np.broadcast_to(outer[None, :, None, :], (runs, slices, per_slice, k - 1)),
        ],
        axis=-1,
    ).reshape(runs, slices * per_slice, k)
    weights = (weights.reshape(runs, slices, per_slice) * outer_weights[None, :, None]).reshape(runs, -1)
    return points, weights


def relative_to_target(mu, mu_star):
    """c_i = mu_i - mu*: (R, n, d) from mu (R, n, d) and mu_star (d,) or (R, d)."""
    mu = np.asarray(mu, dtype=np.float64)
    mu_star = np.broadcast_to(np.asarray(mu_star, dtype=np.float64), (mu.shape[0], mu.shape[2]))
    return mu - mu_star[:, None, :]


def integrate_in_span(mu, mu_star, integrand, *, rule, group_sizes=None):
    """Expectations over x ~ N(mu*, I_d) computed in the span of the c_i = mu_i - mu*.

    mu: (R, n, d); mu_star: (d,) or (R, d).  Each run is integrated with its own rank k and
    its own outer node counts (so its numbers do not depend on the batch); runs sharing all
    are vectorised together.  integrand(coords, points, weights) gets a chunk of runs in
    span coordinates, coords (r, n, k), with integration points (r, P, k) and weights
    (r, P), and returns (scalar (r,), vectors (r, m, k)) with m <= n (e.g. only the
    students of a mixture's two groups).
    group_sizes: the rows of mu form consecutive softmax groups of these sizes (default
    one group, the students); the rule resolves the transitions within each group.
    Returns scalar (R,) and the vectors rotated back to R^d, (R, m, d).
    """
    relative = relative_to_target(mu, mu_star)
    basis, rank = span_basis(relative)
    runs, n, d = relative.shape
    sizes = (n,) if group_sizes is None else tuple(group_sizes)
    scalar = np.zeros(runs)
    vectors = None
    for k in np.unique(rank):
        of_rank = np.flatnonzero(rank == k)
        coords = np.einsum("rnd,rkd->rnk", relative[of_rank], basis[of_rank, :k])
        for part, part_scalar, part_vectors in _integrate_rank(coords, integrand, rule, sizes, group_sizes):
            if vectors is None:
                vectors = np.zeros((runs, part_vectors.shape[1], d))
            runs_in_part = of_rank[part]
            scalar[runs_in_part] = part_scalar
            vectors[runs_in_part] = np.einsum("rnk,rkd->rnd", part_vectors, basis[runs_in_part, :k])
    return scalar, vectors


def _integrate_rank(coords, integrand, rule, sizes, group_sizes):
    """Yield (run indices, scalar, vectors) for parts of the runs coords (R, n, k) of one
    rank: runs sharing their outer Gauss-Hermite counts together (in chunks), a run on the
    outer line rule alone."""
    n, k = coords.shape[1:]
    on_line = uses_outer_line_rule(coords[..., 1:], rule=rule, group_sizes=group_sizes)
    for r in np.flatnonzero(on_line):
        part = np.array([r])
        outer_rule = _line_outer_rule(coords[r], rule, group_sizes)
        yield part, *_integrate_runs(coords[part], integrand, rule, outer_rule, group_sizes)
    tensor = np.flatnonzero(~on_line)
    outer_nodes = outer_node_counts(coords[tensor, :, 1:], rule=rule, group_sizes=group_sizes)
    for counts in np.unique(outer_nodes, axis=0):
        group = tensor[(outer_nodes == counts).all(axis=1)]
        chunk = max(1, _CHUNK_ENTRIES // (_points_per_run(sizes, rule, counts) * n))
        parts = [group[start : start + chunk] for start in range(0, len(group), chunk)]
        if np.prod(counts) > _SLICE_BLOCK:
            parts = [group[r : r + 1] for r in range(len(group))]
        outer_rule = _tensor_outer_rule(counts, rule)
        for part in parts:
            yield part, *_integrate_runs(coords[part], integrand, rule, outer_rule, group_sizes)


def _tensor_outer_rule(counts, rule):
    """The tensor Gauss-Hermite rule with counts (k - 1,) nodes per axis as an outer rule
    of :func:`_integrate_runs`: nodes, weights, weight classes, reach."""
    outer, outer_weights = hermite_grid(counts)
    classes = outer_weight_classes(counts, max_nodes=rule.max_hermite_nodes)
    return outer, outer_weights, classes, tensor_reach(counts, rule=rule)


def _line_outer_rule(coords, rule, group_sizes):
    """The outer line rule for one run's coords (n, 2) as an outer rule of
    :func:`_integrate_runs`: nodes (T, 1), weights, weight classes, reach."""
    outer, outer_weights = outer_line_rule(coords, rule=rule, group_sizes=group_sizes)
    return outer[:, None], outer_weights, exponent_classes(outer_weights), rule.half_width + np.abs(outer).max()


def _integrate_runs(coords, integrand, rule, outer_rule, group_sizes):
    """integrand's sums for the runs coords (r, n, k) on one outer rule: outer_rule is
    (nodes (S, k - 1), weights (S,), weight classes (S,), reach of the points).

    The outer nodes are summed by weight class, heaviest first (blocks of at most
    _SLICE_BLOCK slices); after each class a run stops once the weight left times
    :func:`scorematch.quadrature.integrand_bound` is at most rule.truncation_error times
    the scale of its sums (see :class:`scorematch.quadrature.LineRule`).
    """
    outer, outer_weights, classes, reach = outer_rule
    if coords.shape[2] == 1:  # k = 1: one line, no outer nodes to leave out
        points, weights = quadrature_points(
            coords, rule=rule, outer=outer, outer_weights=outer_weights, group_sizes=group_sizes
        )
        return integrand(coords, points, weights)
    class_weight = np.bincount(classes, weights=outer_weights, minlength=WEIGHT_CLASSES)
    # weight of the classes after each one, summed from the lightest up
    left = np.zeros(WEIGHT_CLASSES)
    for c in range(WEIGHT_CLASSES - 2, -1, -1):
        left[c] = left[c + 1] + class_weight[c + 1]
    bound = integrand_bound(coords, reach=reach)
    active = np.ones(len(coords), dtype=bool)
    scalar, vectors = 0.0, 0.0
    for c in np.unique(classes):
        if not active.any():
            break
        members = np.flatnonzero(classes == c)
        for start in range(0, len(members), _SLICE_BLOCK):
            block = members[start : start + _SLICE_BLOCK]
            points, weights = quadrature_points(
                coords, rule=rule, outer=outer[block], outer_weights=outer_weights[block], group_sizes=group_sizes
            )
            block_scalar, block_vectors = integrand(coords, points, weights)
            scalar = scalar + np.where(active, block_scalar, 0.0)
            vectors = vectors + np.where(active[:, None, None], block_vectors, 0.0)
        if rule.truncation_error is not None:
            scale = np.minimum(np.abs(scalar), np.abs(vectors).max(axis=(1, 2)))
            active &= ~(left[c] * bound <= rule.truncation_error * scale)
    return scalar, vectors


def population_loss_and_gradient(mu, mu_star, *, rule=LineRule()):
    """Population-exact loss L and gradient dL/dmu for a batch of independent runs.

    The readable numpy reference of the rule; :mod:`scorematch.engine` evaluates the same
    rule in compiled code.
    mu: (R, n, d) student vectors (scaled frame); mu_star: (d,) or (R, d).
    rule: the integration rule (see :class:`scorematch.quadrature.LineRule`).
    Returns loss (R,) and gradient (R, n, d), float64.
    """
    return integrate_in_span(mu, mu_star, loss_and_gradient_on_points, rule=rule)


def points_summed(mu, mu_star, *, rule=LineRule()):
    """Integration points of positive weight the rule sums for each run (the compiled
    engine sums the same ones): (R,) int64 from mu (R, n, d), mu_star (d,) or (R, d)."""
    counts = np.zeros(len(mu), dtype=np.int64)
    for r in range(len(mu)):

        def counted(coords, points, weights, r=r):
            counts[r] += int((weights > 0).sum())
            return loss_and_gradient_on_points(coords, points, weights)

        integrate_in_span(mu[r : r + 1], np.broadcast_to(mu_star, (len(mu), mu.shape[-1]))[r], counted, rule=rule)
    return counts


def population_loss(mu, mu_star, *, rule=LineRule()):
    """Population-exact loss L (R,) for mu (R, n, d) and mu_star (d,) or (R, d)."""
    return population_loss_and_gradient(mu, mu_star, rule=rule)[0]


def _points_per_run(group_sizes, rule, outer_nodes):
    """Upper bound on the integration points per run with outer_nodes (k - 1,) per outer
    axis (for chunking)."""
    crossings = sum(crossings_kept(size, rule=rule) for size in group_sizes)
    edges = int(np.ceil(2 * rule.half_width / rule.base_panel_width)) + 1
    edges += crossings * (2 * len(rule.grading) + 1)
    return (edges - 1) * rule.legendre_nodes * int(np.prod(outer_nodes))


def minibatch_loss_and_gradient(mu, mu_star, *, samples):
    """Monte Carlo estimate of loss and gradient from standard-normal samples.

    mu: (R, n, d); mu_star: (d,) or (R, d); samples: (R, B, d) draws of z = x - mu*.
    Returns loss (R,) and gradient (R, n, d): the minibatch protocol of the paper.
    """
    relative = relative_to_target(mu, mu_star)
    weights = np.full(samples.shape[:2], 1.0 / samples.shape[1])
    return loss_and_gradient_on_points(relative, samples, weights)

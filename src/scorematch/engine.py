"""Compiled evaluation and descent (numba, float64): the integration rule of
:mod:`scorematch.quadrature` and the steps of :mod:`scorematch.dynamics`.

The rule is the one :func:`scorematch.population.population_loss_and_gradient` evaluates
in numpy, the readable reference this module is tested against: per run, the span of the
c_i = mu_i - mu* (leading singular direction first, numerical rank k), the adaptive
crossing-aware Gauss-Legendre line rule on the leading axis and a tensor Gauss-Hermite
rule on the other k - 1 axes with its own node count per axis
(:func:`scorematch.quadrature.outer_node_counts`), or for k = 2 beyond the count's cap
the outer line rule (:func:`scorematch.quadrature.outer_line_rule`), summed by weight
class heaviest first until the weight left is negligible (``LineRule.truncation_error``).  The tables come
from the builders in :mod:`scorematch.quadrature` once per call (:func:`rule_tables`);
panels of zero width are skipped (the numpy reference gives them weight zero).  Numbers agree with the
reference up to rounding: the summation order differs and exp is evaluated by a
vectorisable polynomial (within about an ulp).

Every run is computed from its own inputs only, in one thread, by the same code whatever
the batch: a run's numbers are bit-identical alone or inside any batch, in any order and
with any thread count.  The runs of a batch are spread over threads (prange).

A truth is K means: K = 1 the Gaussian N(mu*, I); K >= 2 the equal-weight Gaussian
mixture, whose expectation is the mean over its components, each integrated in the span
of the students and the truth means relative to that component with two softmax groups
(students, truth) and the residual g - h against the truth's posterior mean h.

Where a new rule for k >= 2 plugs in: :func:`_integrate_span` turns span coordinates
(n, k) into accumulated sums.  Its k >= 2 branch calls :func:`_accumulate_line` once per
line (an origin in the span and a weight; the line runs along axis 0); a rule built from
other lines or from points fills the same accumulators, through :func:`_accumulate_line`
or, for arbitrary points, through :func:`_accumulate_block` (points, weights and logits
z . c_i - |c_i|^2 / 2 filled in by the caller, as rows of a nodes work array).

Work arrays are few and large (see the work-array section): a compiled call's fixed cost
grows with the number of arrays it receives, and the evaluation makes a few calls per line.
"""

import math
from collections import namedtuple
from functools import lru_cache
from pathlib import Path

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from scorematch.quadrature import (
    POLE_COUNT_ITERATIONS,
    WEIGHT_CLASSES,
    LineRule,
    base_edges,
    crossings_kept,
    gauss_hermite_log2_weights,
    gauss_hermite_tables,
    gauss_legendre,
    grading_offsets,
    outer_node_choices,
    pole_log_error,
)


def remove_stale_cache_indexes(cache_dir, *, source):
    """Delete the numba cache indexes (and their data files) of source's functions in
    cache_dir that are older than source's last change.

    numba unpickles a whole index before it compares the index's source stamp, so an index
    written by an earlier version of this module raises (AttributeError on a type that no
    longer exists) instead of being ignored when a function now sits on the line of an
    earlier one (an index is named qualname-line).  Indexes older than the source are stale
    whatever they hold; a concurrent process that finds one gone compiles, as on a miss.
    """
    source = Path(source)
    changed = source.stat().st_mtime
    for index in Path(cache_dir).glob(f"{source.stem}.*.nbi"):
        if index.stat().st_mtime < changed:
            for data in index.parent.glob(f"{index.name.removesuffix('.nbi')}.*.nbc"):
                data.unlink(missing_ok=True)
            index.unlink(missing_ok=True)


# before any compiled function of this module loads its cache (numba keeps it beside the
# source when that directory is writable)
remove_stale_cache_indexes(Path(__file__).with_name("__pycache__"), source=__file__)

# cached per machine; IEEE semantics (a division by zero gives inf or nan, which the
# descent reports as divergence, rather than an exception)
_compiled = njit(cache=True, error_model="numpy")
_compiled_parallel = njit(cache=True, error_model="numpy", parallel=True)
# inlined into their callers: the per-point loops (a call per row and pass costs more than
# the loop itself at a few hundred points) and the functions with a single call site on a
# step's path (a compiled call has a fixed cost per array it receives; with one call site
# inlining compiles the body once, as a separate function would)
_inlined = njit(cache=True, error_model="numpy", inline="always")

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_EPS = float(np.finfo(np.float64).eps)
# Monte Carlo samples handled per block (sizes the work arrays)
_SAMPLE_BLOCK = 256

RuleTables = namedtuple(
    "RuleTables",
    [
        "half_width",  # float: the line is integrated over [-half_width, half_width]
        "base",  # (E0,) uniform base edges
        "offsets",  # (O,) grading offsets of a crossing's edges, in transition widths
        "grading_reach",  # float: graded edges farther than this from their crossing are left out
        "legendre_t",  # (L,) Gauss-Legendre nodes on [-1, 1]
        "legendre_w",  # (L,) and weights
        "n_keep",  # int: crossings per line that get graded edges (all groups)
        "groups",  # (G, 2) int64: per softmax group, its end row and its crossings kept
        "outer_limits",  # (m,) outer spread limits of the Hermite schedule
        "outer_counts",  # (m + 1,) spread tier: nodes on an axis for each limit, then the default
        "pole_log_error",  # float: ln(1 / pole_error) of the soft-transition count (0: none)
        "hermite_nodes",  # (q_max + 1, q_max) row q: the q-node standard-normal Gauss-Hermite nodes
        "hermite_weights",  # (q_max + 1, q_max) and weights (zero padded); q_max the rule's cap
        "hermite_log2_weights",  # (q_max + 1, q_max) log2 of the weights (-inf padded)
        "truncation_error",  # float: the rule's truncation_error (-1: every outer node)
        "outer_line",  # bool: k = 2 beyond the cap takes the outer line rule
    ],
)


@lru_cache(maxsize=64)
def rule_tables(rule, *, group_sizes):
    """The numbers of a :class:`scorematch.quadrature.LineRule` for logits in consecutive
    softmax groups of these sizes (a tuple, see :func:`truth_groups`), as :class:`RuleTables`
    (built by the same functions the numpy reference uses).

    Cached (building them takes about as long as 70 compiled k = 1 steps, and a descent
    asks for them at every record); the compiled code only reads them.
    """
    limits, counts = outer_node_choices(rule)
    hermite_nodes, hermite_weights = gauss_hermite_tables(rule.max_hermite_nodes)
    legendre_t, legendre_w = gauss_legendre(rule)
    sizes = np.asarray(group_sizes, dtype=np.int64)
    kept = [min(crossings_kept(int(size), rule=rule), int(size * (size - 1) // 2)) for size in sizes]
    groups = np.stack([np.cumsum(sizes), np.asarray(kept, dtype=np.int64)], axis=1)
    return RuleTables(
        float(rule.half_width),
        base_edges(rule),
        grading_offsets(rule),
        float(rule.grading_reach),
        legendre_t,
        legendre_w,
        int(sum(kept)),
        groups,
        limits,
        counts,
        pole_log_error(rule),
        hermite_nodes,
        hermite_weights,
        gauss_hermite_log2_weights(rule.max_hermite_nodes),
        -1.0 if rule.truncation_error is None else float(rule.truncation_error),
        bool(rule.outer_line),
    )


# ------------------------------------------------------------------ work arrays

# Work arrays are few and large.  A compiled call receives a named tuple's arrays one by one
# (each one's pointer, shape and strides, its reference count incremented and decremented):
# with a named tuple per kind of work, a few dozen arrays, passing them between the step's
# functions cost about a third of a k = 1 step.  So the per-node quantities of a block of
# points are the rows of one array, the per-line ones the rows of another.

# rows of a nodes array (_NODE_ROWS + n + 3m + 1, size): one per per-node quantity, then the
# n logits rows, then three groups of m rows (_G, _RESIDUAL, _POINTS), of which a span of
# rank k uses the first k, the last with one more row (ones after a span's k points, see
# _accumulate_block)
_TOP = 0  # largest logit, then the reciprocal normaliser (see _accumulate_block)
_SHIFTED = 1  # exp work
_G_SQ = 2  # |g|^2
_WW = 3  # W w_i
_TERM = 4  # W w_i (c_i - g) . e
_TRUTH_TOP = 5  # largest truth logit, then the truth's reciprocal normaliser
_RESIDUAL_SQ = 6  # |e|^2
_G_DOT_RESIDUAL = 7  # g . e
_WEIGHTS = 8  # quadrature (or Monte Carlo) weight of each point
_DENSITY = 9  # N(0, 1) density of each point along a line
_NODE_ROWS = 10
_G = 0  # g = sum_i w_i c_i
_RESIDUAL = 1  # e = g - h, h = sum_l v_l b_l (mixture truth)
_POINTS = 2  # the points z


# doubles per cache line: a nodes row is a whole number of cache lines plus one, so that the
# same point of different rows falls in different cache sets (with rows a multiple of 4 KB
# apart, the rows a pass reads and writes compete for the same few sets, and a load waits
# for an unrelated store whose address agrees in its low 12 bits)
_LINE_DOUBLES = 8


@_compiled
def _nodes_work(n, m, size):
    """Work of the integrand on blocks of up to size points for n logit rows in an
    m-dimensional frame: (_NODE_ROWS + n + 3m + 1, at least size)."""
    row = (size + _LINE_DOUBLES - 1) // _LINE_DOUBLES * _LINE_DOUBLES + _LINE_DOUBLES
    return np.empty((_NODE_ROWS + n + 3 * m + 1, row))


@_inlined
def _frame_dimension(nodes, n):
    """m of a nodes array with n logit rows."""
    return (nodes.shape[0] - _NODE_ROWS - n - 1) // 3


@_inlined
def _logit_rows(nodes, n):
    """The (n, size) logits (then softmax numerators) of a nodes array."""
    return nodes[_NODE_ROWS : _NODE_ROWS + n]


@_inlined
def _node_group(nodes, n, group, k):
    """The first k rows of group _G, _RESIDUAL or _POINTS of a nodes array with n logit
    rows: (k, size)."""
    first = _NODE_ROWS + n + group * _frame_dimension(nodes, n)
    return nodes[first : first + k]


# rows of a line array (_LINE_ROWS, max(E, n, P)), E panel edges, P = n(n-1)/2 pairs
_EDGES = 0  # (E,) panel edges
_INTERCEPTS = 1  # (n,) logits along the line: intercepts + slopes * y
_SLOPES = 2  # (n,)
_LOCATION = 3  # (P,) crossing locations
_STEEPNESS = 4  # (P,)
_GAP = 5  # (P,) envelope gap at each crossing
_TAKEN = 6  # (P,) 1.0 once the crossing got its graded edges
_LINE_ROWS = 7


@_compiled
def _line_size(tables):
    """Most nodes on one line: (edges - 1) panels of L nodes."""
    n_edges = tables.base.shape[0] + tables.n_keep * tables.offsets.shape[0]
    return n_edges, (n_edges - 1) * tables.legendre_t.shape[0]


@_compiled
def _line_work(n, tables):
    """The line array for n logits."""
    n_edges = _line_size(tables)[0]
    return np.empty((_LINE_ROWS, max(n_edges, n, n * (n - 1) // 2)))


SpanWork = namedtuple(
    "SpanWork",
    [
        "svd_a",  # (n * d,) matrix being orthogonalised
        "svd_v",  # (max(n, d)^2,) accumulated rotations
        "singular",  # (m,) singular values, m = min(n, d)
        "vectors",  # (m, d) right singular vectors (unsorted)
        "basis",  # (m, d) right singular vectors by decreasing singular value
        "coords",  # (n * m,) the c_i in the span basis, viewed (n, k)
        "acc",  # (n * (2m + 2),) accumulators, viewed (n, 2k + 2)
        "reduced",  # (n * m,) direction in span coordinates, viewed (n, k)
        "half_sq",  # (n,) |c_i|^2 / 2
        "origin",  # (m,) origin of a line
        "index",  # (m,) int64 tensor index of the outer rule
        "counts",  # (m,) int64 outer nodes per axis
    ],
)


@_compiled
def _span_work(n, d):
    m = min(n, d)
    return SpanWork(
        np.empty(n * d),
        np.empty(max(n, d) ** 2),
        np.empty(m),
        np.empty((m, d)),
        np.empty((m, d)),
        np.empty(n * m),
        np.empty(n * (2 * m + 2)),
        np.empty(n * m),
        np.empty(n),
        np.empty(m),
        np.empty(m, dtype=np.int64),
        np.empty(m, dtype=np.int64),
    )


ExactWork = namedtuple("ExactWork", ["span", "line", "nodes"])


@_compiled
def _exact_work(n, d, tables):
    """Work arrays of one population-exact evaluation for n components in R^d."""
    return ExactWork(_span_work(n, d), _line_work(n, tables), _nodes_work(n, min(n, d), _line_size(tables)[1]))


SampleWork = namedtuple("SampleWork", ["half_sq", "acc", "nodes"])


@_compiled
def _sample_work(n, d):
    """Work arrays of one Monte Carlo evaluation (blocks of _SAMPLE_BLOCK samples)."""
    return SampleWork(np.empty(n), np.empty((n, 2 * d + 2)), _nodes_work(n, d, _SAMPLE_BLOCK))


# ------------------------------------------------------------------ span of the c_i


@_compiled
def _orthogonalise_columns(a, v):
    """One-sided Jacobi: rotate the columns of a (p, m) until pairwise orthogonal.

    The same rotations are applied to v (m, m), which should start as the identity.
    """
    p, m = a.shape
    for _sweep in range(80):
        rotated = False
        for i in range(m - 1):
            for j in range(i + 1, m):
                alpha = 0.0
                beta = 0.0
                gamma = 0.0
                for r in range(p):
                    alpha += a[r, i] * a[r, i]
                    beta += a[r, j] * a[r, j]
                    gamma += a[r, i] * a[r, j]
                if gamma == 0.0 or abs(gamma) <= _EPS * math.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                t = math.copysign(1.0, zeta) / (abs(zeta) + math.sqrt(1.0 + zeta * zeta))
                cs = 1.0 / math.sqrt(1.0 + t * t)
                sn = cs * t
                for r in range(p):
                    ai = a[r, i]
                    aj = a[r, j]
                    a[r, i] = cs * ai - sn * aj
                    a[r, j] = sn * ai + cs * aj
                for r in range(m):
                    vi = v[r, i]
                    vj = v[r, j]
                    v[r, i] = cs * vi - sn * vj
                    v[r, j] = sn * vi + cs * vj
        if not rotated:
            break


@_compiled
def _identity(buffer, m):
    """The (m, m) identity in the first m * m entries of buffer."""
    v = buffer[: m * m].reshape(m, m)
    for i in range(m):
        for j in range(m):
            v[i, j] = 1.0 if i == j else 0.0
    return v


@_inlined
def _span_basis(c, work):
    """Right singular vectors of c (n, d) into work.basis (min(n, d), d).

    Decreasing singular value (ties keep their order); returns the numerical rank with
    numpy's matrix_rank tolerance (largest singular value * max(n, d) * eps), at least 1:
    the same basis and rank as :func:`scorematch.population.span_basis` up to signs.
    """
    n, d = c.shape
    m = min(n, d)
    singular = work.singular
    vectors = work.vectors
    # the columns of a = c (d <= n) or of a = c^T (c^T W = U S gives c = W S U^T: the right
    # singular vectors are then the columns of c^T W) are orthogonalised by rotations V
    tall = d <= n
    rows = n if tall else d
    a = work.svd_a[: n * d].reshape(rows, m)
    a[:, :] = c if tall else c.T
    v = _identity(work.svd_v, m)
    _orthogonalise_columns(a, v)
    for j in range(m):
        s = 0.0
        for r in range(rows):
            s += a[r, j] * a[r, j]
        singular[j] = math.sqrt(s)
        for r in range(d):
            if tall:
                vectors[j, r] = v[r, j]
            elif singular[j] > 0.0:
                vectors[j, r] = a[r, j] / singular[j]
            else:
                vectors[j, r] = 1.0 if r == j else 0.0
    largest = 0.0
    for j in range(m):
        largest = max(largest, singular[j])
    tol = largest * max(n, d) * _EPS
    rank = 0
    for j in range(m):
        # selection by decreasing singular value
        best = j
        for other in range(j + 1, m):
            if singular[other] > singular[best]:
                best = other
        singular[j], singular[best] = singular[best], singular[j]
        for r in range(d):
            work.basis[j, r] = vectors[best, r]
            vectors[best, r] = vectors[j, r]
        if singular[j] > tol:
            rank += 1
    return max(rank, 1)


# ------------------------------------------------------------------ exp

# exp on x <= 0 in a form the compiler vectorises: x = k log 2 + r with |r| <= log(2) / 2
# (Cody-Waite split of log 2), e^r by its Taylor polynomial of degree 13 (remainder below
# 1e-17), 2^k from the exponent bits.  Within about an ulp of exp; 0 below -708, where
# exp is below 1e-307 (a softmax weight that small changes no sum).
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_ROUNDING_SHIFT = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer
_SHIFT_BITS = int(np.float64(_ROUNDING_SHIFT).view(np.int64))
_EXP_FLOOR = -708.0
_INVERSE_FACTORIALS = tuple(1.0 / math.factorial(m) for m in range(14))


@_inlined
def _exp_shifted(x, top, count, shifted):
    """x[:count] <- exp(x[:count] - top[:count]) for x <= top; shifted: float work array."""
    bits = shifted.view(np.int64)
    c = _INVERSE_FACTORIALS
    for p in range(count):
        u = x[p] - top[p]
        v = max(u, _EXP_FLOOR)
        s = v * _LOG2E + _ROUNDING_SHIFT
        shifted[p] = s
        k = s - _ROUNDING_SHIFT
        r = (v - k * _LN2_HI) - k * _LN2_LO
        poly = c[13]
        for m in range(12, -1, -1):  # Horner; a constant trip count, unrolled by the compiler
            poly = poly * r + c[m]
        bits[p] = (bits[p] - _SHIFT_BITS + 1023) << 52  # s's bits become those of 2^k
        x[p] = (poly if u > _EXP_FLOOR else 0.0) * shifted[p]


# ------------------------------------------------------------------ the integrand


@_compiled
def _accumulate_block(coords, n_students, count, nodes, acc, em_only):
    """Add the contributions of a block of integration points.

    coords: (n, k) centres in some orthonormal frame: rows [:n_students] the students c_i,
    rows [n_students:] (a mixture truth) the truth means b_l, a softmax group of their own.
    nodes: from :func:`_nodes_work`, its first count columns filled in by the caller: the
    points z (k rows of group _POINTS), their weights (row _WEIGHTS) and the logits
    z . c - |c|^2 / 2 of every row of coords (:func:`_logit_rows`).
    acc: (n, 2k + 2) accumulators (student rows): [:, :k] sum W w_i e, [:, k:2k]
    sum W w_i curv_i z, [:, 2k] sum W w_i curv_i, [0, 2k + 1] sum W |e|^2, with w_i the
    students' softmax weights, g = sum_i w_i c_i, the residual e = g - h against the truth's
    posterior mean h = sum_l v_l b_l (e = g without truth rows) and curv_i = (c_i - g) . e.
    em_only: only the first block and the loss.  Every loop runs over the points of one
    row, so that it vectorises; a component's sums are taken together
    (:func:`_add_row_dots`).
    """
    n, k = coords.shape
    e = _logit_rows(nodes, n)
    weights = nodes[_WEIGHTS]
    shifted = nodes[_SHIFTED]
    top = nodes[_TOP]
    g = _node_group(nodes, n, _G, k)
    g_sq = nodes[_G_SQ]
    ww = nodes[_WW]
    term = nodes[_TERM]
    _softmax_rows(e, 0, n_students, top, count, shifted)
    for j in range(k):
        _scaled(e[0], coords[0, j], g[j], count)
        for i in range(1, n_students):
            _add_scaled(e[i], coords[i, j], g[j], count)
        _product(g[j], top, g[j], count)
    _product(g[0], g[0], g_sq, count)
    for j in range(1, k):
        gj = g[j]
        for p in range(count):
            g_sq[p] += gj[p] * gj[p]
    residual = g
    residual_sq = g_sq
    residual_sq_row = _G_SQ
    g_dot_residual = g_sq
    if n_students < n:
        truth_top = nodes[_TRUTH_TOP]
        residual = _node_group(nodes, n, _RESIDUAL, k)
        residual_sq = nodes[_RESIDUAL_SQ]
        residual_sq_row = _RESIDUAL_SQ
        g_dot_residual = nodes[_G_DOT_RESIDUAL]
        _softmax_rows(e, n_students, n, truth_top, count, shifted)
        for j in range(k):
            rj = residual[j]
            _scaled(e[n_students], coords[n_students, j], rj, count)
            for i in range(n_students + 1, n):
                _add_scaled(e[i], coords[i, j], rj, count)
            gj = g[j]
            for p in range(count):
                rj[p] = gj[p] - rj[p] * truth_top[p]
        _product(residual[0], residual[0], residual_sq, count)
        _product(g[0], residual[0], g_dot_residual, count)
        for j in range(1, k):
            gj = g[j]
            rj = residual[j]
            for p in range(count):
                residual_sq[p] += rj[p] * rj[p]
                g_dot_residual[p] += gj[p] * rj[p]
    loss_rows = nodes[residual_sq_row : residual_sq_row + 1]
    _add_row_dots(weights, loss_rows, acc[0, 2 * k + 1 :], weights, loss_rows[:0], acc[0, :0], count)
    # from here on top holds W / sum_m e_m, so that W w_i = top e_i
    _product(weights, top, top, count)
    # points and a row of ones: sum term z_j and sum term (= sum term * 1, exactly) in one pass
    points_and_ones = _node_group(nodes, n, _POINTS, k + 1)
    points_and_ones[k, :count] = 1.0
    for i in range(n_students):
        _product(top, e[i], ww, count)
        if em_only:
            _add_row_dots(ww, residual, acc[i, :k], ww, residual[:0], acc[i, :0], count)
            continue
        # term = W w_i ((c_i . e) - g . e)
        _scaled(residual[0], coords[i, 0], term, count)
        for j in range(1, k):
            _add_scaled(residual[j], coords[i, j], term, count)
        for p in range(count):
            term[p] = ww[p] * (term[p] - g_dot_residual[p])
        _add_row_dots(ww, residual, acc[i, :k], term, points_and_ones, acc[i, k:], count)


@_inlined
def _softmax_rows(e, first, end, top, count, shifted):
    """Softmax over rows [first, end) of e in log-sum-exp form, in place up to the
    normaliser: e_i <- exp(logit_i - max), top <- 1 / sum_m e_m (the weights are top e_i)."""
    _copy(e[first], top, count)
    for i in range(first + 1, end):
        row = e[i]
        for p in range(count):
            top[p] = max(top[p], row[p])
    for i in range(first, end):
        _exp_shifted(e[i], top, count, shifted)
    _copy(e[first], top, count)
    for i in range(first + 1, end):
        _add_scaled(e[i], 1.0, top, count)
    for p in range(count):
        top[p] = 1.0 / top[p]


@_inlined
def _copy(source, target, count):
    for p in range(count):
        target[p] = source[p]


@_inlined
def _product(a, b, target, count):
    for p in range(count):
        target[p] = a[p] * b[p]


@_inlined
def _scaled(source, factor, target, count):
    for p in range(count):
        target[p] = factor * source[p]


@_inlined
def _add_scaled(source, factor, target, count):
    for p in range(count):
        target[p] += factor * source[p]


# ------------------------------------------------------------------ fixed-order sums

# A sum over the points (of products a[p] b[p]) has one fixed order, whatever the batch or
# thread count: four partial sums, point p going to partial p mod 4 in point order (the
# points past the last multiple of 4 to the first partial), combined as (s0 + s1) + (s2 + s3).
# Written as a compiled loop it stays scalar (numba leaves LLVM's SLP vectoriser off, and the
# loop vectoriser reorders a reduction only under fast-math), each sum a chain of dependent
# additions, and a product computed into a row first costs a pass over the points.  So the
# sums are generated here: the four partials are the lanes of one vector, the products are
# taken on the fly, and several sums (each a row times one of two factors) advance side by
# side, their chains overlapping.  The same multiplications and additions in the same order
# as the scalar loop: the same numbers, bit for bit.
_LANES = 4
_SUMMED_TOGETHER = (8, 4)  # rows per pass over the points: 8, or 4 when at most 4 remain


def _emit_row_group(context, builder, sums, first, width, count):
    """The LLVM code of :func:`_add_row_dots` for its rows [first, first + width), counted
    through the first table's rows, then the second's; sums: per table (factor, table, out,
    out type) as numba array structures.  Rows past the last one repeat the last row and
    are not stored."""
    intp = context.get_value_type(types.intp)
    vector = ir.VectorType(ir.DoubleType(), _LANES)
    lanes = [ir.Constant(ir.IntType(32), lane) for lane in range(_LANES)]
    (factor_a, table_a, out_a, out_type_a), (factor_b, table_b, out_b, out_type_b) = sums
    rows_a = builder.extract_value(table_a.shape, 0)
    n_rows = builder.add(rows_a, builder.extract_value(table_b.shape, 0))
    last = builder.sub(n_rows, ir.Constant(intp, 1))
    blocks = builder.sdiv(count, ir.Constant(intp, _LANES))
    slots = []  # (stored, in the first table, row start, out pointer) per row of the group
    for r in range(width):
        row = builder.add(first, ir.Constant(intp, r))
        stored = builder.icmp_signed("<", row, n_rows)
        row = builder.select(stored, row, last)
        in_a = builder.icmp_signed("<", row, rows_a)
        row_b = builder.sub(row, rows_a)
        start_a = builder.gep(table_a.data, [builder.mul(row, builder.extract_value(table_a.shape, 1))])
        start_b = builder.gep(table_b.data, [builder.mul(row_b, builder.extract_value(table_b.shape, 1))])
        pointers = [
            cgutils.get_item_pointer2(
                context,
                builder,
                out.data,
                cgutils.unpack_tuple(builder, out.shape),
                cgutils.unpack_tuple(builder, out.strides),
                out_type.layout,
                [index],
            )
            for out, out_type, index in ((out_a, out_type_a, row), (out_b, out_type_b, row_b))
        ]
        slots.append((stored, in_a, builder.select(in_a, start_a, start_b), builder.select(in_a, *pointers)))
    partials = [cgutils.alloca_once(builder, vector) for _ in range(width)]
    for partial in partials:
        builder.store(ir.Constant(vector, [0.0] * _LANES), partial)
    with cgutils.for_range(builder, blocks) as block:
        offset = builder.mul(block.index, ir.Constant(intp, _LANES))
        factors = [
            builder.load(builder.bitcast(builder.gep(factor.data, [offset]), vector.as_pointer()), align=8)
            for factor in (factor_a, factor_b)
        ]
        for (_, in_a, start, _), partial in zip(slots, partials, strict=True):
            values = builder.load(builder.bitcast(builder.gep(start, [offset]), vector.as_pointer()), align=8)
            product = builder.fmul(builder.select(in_a, *factors), values)
            builder.store(builder.fadd(builder.load(partial), product), partial)
    with cgutils.for_range(builder, count, start=builder.mul(blocks, ir.Constant(intp, _LANES))) as point:
        factors = [builder.load(builder.gep(factor.data, [point.index])) for factor in (factor_a, factor_b)]
        for (_, in_a, start, _), partial in zip(slots, partials, strict=True):
            product = builder.fmul(builder.select(in_a, *factors), builder.load(builder.gep(start, [point.index])))
            partial_sums = builder.load(partial)
            first_partial = builder.fadd(builder.extract_element(partial_sums, lanes[0]), product)
            builder.store(builder.insert_element(partial_sums, first_partial, lanes[0]), partial)
    for (stored, _, _, pointer), partial in zip(slots, partials, strict=True):
        with builder.if_then(stored):
            partial_sums = builder.load(partial)
            s0, s1, s2, s3 = (builder.extract_element(partial_sums, lane) for lane in lanes)
            total = builder.fadd(builder.fadd(s0, s1), builder.fadd(s2, s3))
            builder.store(builder.fadd(builder.load(pointer), total), pointer)


def _is_float_array(value, *, ndim, contiguous):
    """Whether a numba type is a float64 array of ndim dimensions (C-contiguous if asked)."""
    return (
        isinstance(value, types.Array)
        and value.ndim == ndim
        and value.dtype == types.float64
        and (value.layout == "C" or not contiguous)
    )


@intrinsic
def _add_row_dots(typingctx, factor_a, rows_a, out_a, factor_b, rows_b, out_b, count):
    """out_a[r] += sum factor_a[:count] * rows_a[r, :count] in the fixed order for every row r
    of rows_a (R, size), and the same for the second factor, rows and out, all sums in one
    pass over the points.  factors (size,) and rows C-contiguous float64 (rows_b may have
    no rows; factor_b is read all the same), outs (>= R,) float64."""
    if not (
        all(_is_float_array(factor, ndim=1, contiguous=True) for factor in (factor_a, factor_b))
        and all(_is_float_array(rows, ndim=2, contiguous=True) for rows in (rows_a, rows_b))
        and all(_is_float_array(out, ndim=1, contiguous=False) for out in (out_a, out_b))
        and isinstance(count, types.Integer)
    ):
        return None

    def codegen(context, builder, signature, args):
        sums = [
            tuple(context.make_array(signature.args[i])(context, builder, args[i]) for i in (f, t, o))
            + (signature.args[o],)
            for f, t, o in ((0, 1, 2), (3, 4, 5))
        ]
        intp = context.get_value_type(types.intp)
        count = context.cast(builder, args[6], signature.args[6], types.intp)
        n_rows = builder.add(builder.extract_value(sums[0][1].shape, 0), builder.extract_value(sums[1][1].shape, 0))
        wide, narrow = _SUMMED_TOGETHER
        with cgutils.for_range_slice(builder, ir.Constant(intp, 0), n_rows, ir.Constant(intp, wide)) as (first, _):
            remaining = builder.sub(n_rows, first)
            with builder.if_else(builder.icmp_signed(">", remaining, ir.Constant(intp, narrow))) as (many, few):
                with many:
                    _emit_row_group(context, builder, sums, first, wide, count)
                with few:
                    _emit_row_group(context, builder, sums, first, narrow, count)
        return context.get_dummy_value()

    return types.void(factor_a, rows_a, out_a, factor_b, rows_b, out_b, count), codegen


# ------------------------------------------------------------------ the line rule


@_inlined
def _line_edges(line, tables):
    """Sorted panel edges of the adaptive line rule into row _EDGES of line (from
    :func:`_line_work`); returns how many.

    Rows _INTERCEPTS, _SLOPES: (n,) the affine logits along the line, in the softmax
    groups of tables.groups; a group's crossings are ranked against its own envelope.  The
    same edges as :func:`scorematch.quadrature.panel_edges` minus those clipped onto the
    domain's ends (they bound zero-width panels only).
    """
    intercepts = line[_INTERCEPTS]
    slopes = line[_SLOPES]
    location = line[_LOCATION]
    steepness = line[_STEEPNESS]
    gap = line[_GAP]
    taken = line[_TAKEN]
    edges = line[_EDGES]
    # crossings wider than a base panel are left to the base panels (see the numpy rule)
    base_width = tables.base[1] - tables.base[0]
    pair = 0
    first = 0
    for group in range(tables.groups.shape[0]):
        end = tables.groups[group, 0]
        for i in range(first, end):
            for j in range(i + 1, end):
                slope_gap = slopes[i] - slopes[j]
                steepness[pair] = abs(slope_gap)
                if steepness[pair] * base_width >= 1.0:
                    x = (intercepts[j] - intercepts[i]) / slope_gap
                    location[pair] = x
                    top = intercepts[first] + slopes[first] * x
                    for m in range(first + 1, end):
                        top = max(top, intercepts[m] + slopes[m] * x)
                    gap[pair] = top - (intercepts[i] + slopes[i] * x)
                else:
                    location[pair] = math.inf
                    gap[pair] = math.inf
                pair += 1
        first = end
    count = 0
    for e in range(tables.base.shape[0]):
        edges[count] = tables.base[e]
        count += 1
    taken[:] = 0.0
    first = 0
    first_pair = 0
    for group in range(tables.groups.shape[0]):
        size = tables.groups[group, 0] - first
        end_pair = first_pair + size * (size - 1) // 2
        for _ in range(tables.groups[group, 1]):
            # the smallest envelope gap not yet taken, ties to the earlier pair
            best = -1
            for p in range(first_pair, end_pair):
                if taken[p] == 0.0 and (best < 0 or gap[p] < gap[best]):
                    best = p
            taken[best] = 1.0
            if not math.isfinite(location[best]):  # flat or parallel: no graded edges
                continue
            count = _append_graded_edges(edges, count, location[best], steepness[best], tables)
        first = tables.groups[group, 0]
        first_pair = end_pair
    _sort(edges, count)
    return count


@_inlined
def _append_graded_edges(edges, count, location, steepness, tables):
    """Append to edges[:count] the graded edges around a transition at location of that
    steepness: location + offset / steepness for the offsets within grading_reach, strictly
    inside the domain (those outside bound zero-width panels only); returns the new count."""
    for o in range(tables.offsets.shape[0]):
        distance = tables.offsets[o] / steepness
        edge = location + distance
        if abs(distance) <= tables.grading_reach and -tables.half_width < edge < tables.half_width:
            edges[count] = edge
            count += 1
    return count


@_inlined
def _panel_nodes(edges, n_edges, tables, nodes, weights):
    """Gauss-Legendre nodes and weights (without the density) on the panels between the
    sorted edges[:n_edges] into nodes and weights (1-D), panels of zero width skipped;
    returns how many."""
    legendre_t = tables.legendre_t
    legendre_w = tables.legendre_w
    count = 0
    for e in range(n_edges - 1):
        lo = edges[e]
        hi = edges[e + 1]
        if hi == lo:
            continue
        centre = 0.5 * (hi + lo)
        half = 0.5 * (hi - lo)
        for q in range(legendre_t.shape[0]):
            nodes[count] = centre + half * legendre_t[q]
            weights[count] = half * legendre_w[q]
            count += 1
    return count


@_inlined
def _sort(values, count):
    """Sort values[:count] in place, NaN last (numpy's order).

    Insertion sort: a line's few dozen edges come in a few sorted runs (the base edges,
    then each crossing's graded edges), and the array sort method allocates its partition
    stack on every call.
    """
    for i in range(1, count):
        v = values[i]
        j = i
        while j > 0 and (v < values[j - 1] or (math.isnan(values[j - 1]) and not math.isnan(v))):
            values[j] = values[j - 1]
            j -= 1
        values[j] = v


@_inlined
def _accumulate_line(coords, n_students, half_sq, origin, outer_weight, tables, line, nodes, acc, em_only):
    """The adaptive line rule along axis 0 through origin (k,) (origin[0] is ignored).

    Adds the sum over the line's nodes of outer_weight * (Gauss-Legendre weight * N(0, 1)
    density) * integrand; panels of zero width are skipped.  line: from
    :func:`_line_work`; nodes: from :func:`_nodes_work`.
    """
    n, k = coords.shape
    points = _node_group(nodes, n, _POINTS, k)
    weights = nodes[_WEIGHTS]
    density = nodes[_DENSITY]
    top = nodes[_TOP]
    intercepts = line[_INTERCEPTS]
    slopes = line[_SLOPES]
    edges = line[_EDGES]
    for i in range(n):
        s = 0.0
        for j in range(1, k):
            s += origin[j] * coords[i, j]
        intercepts[i] = s - half_sq[i]
        slopes[i] = coords[i, 0]
    n_edges = _line_edges(line, tables)
    count = _panel_nodes(edges, n_edges, tables, points[0], weights)
    for p in range(count):
        density[p] = 0.0
        top[p] = 0.5 * points[0, p] * points[0, p]
    _exp_shifted(density, top, count, nodes[_SHIFTED])
    for p in range(count):
        weights[p] = weights[p] * density[p] / _SQRT_2PI * outer_weight
    for j in range(1, k):
        points[j, :count] = origin[j]
    logits = _logit_rows(nodes, n)
    ys = points[0]
    for i in range(n):
        row = logits[i]
        b = intercepts[i]
        s = slopes[i]
        for p in range(count):
            row[p] = b + s * ys[p]
    _accumulate_block(coords, n_students, count, nodes, acc, em_only)


@_inlined
def _half_squared_norms(c, out):
    """out[i] <- |c_i|^2 / 2 for the rows of c (n, k): the logits' offsets."""
    for i in range(c.shape[0]):
        s = 0.0
        for j in range(c.shape[1]):
            s += c[i, j] * c[i, j]
        out[i] = 0.5 * s


@_inlined
def _outer_counts(coords, tables, counts):
    """counts[j - 1] <- Gauss-Hermite nodes on outer axis j of coords (n, k), j = 1..k-1:
    the larger of the spread tier and the soft-transition count, the latter clipped to the
    rule's cap (as :func:`scorematch.quadrature.outer_node_counts`, same arithmetic).
    Returns whether the soft-transition count exceeds the cap on some axis."""
    n, k = coords.shape
    cap = tables.hermite_nodes.shape[0] - 1
    over_cap = False
    for j in range(1, k):
        spread = 0.0
        for i in range(n):
            spread = max(spread, abs(coords[i, j]))
        choice = tables.outer_limits.shape[0]
        for t in range(tables.outer_limits.shape[0]):
            if spread <= tables.outer_limits[t]:
                choice = t
                break
        steepness = 0.0
        start = 0
        for group in range(tables.groups.shape[0]):
            end = tables.groups[group, 0]
            for a in range(start, end):
                for b in range(a + 1, end):
                    steepness = max(steepness, abs(coords[a, j] - coords[b, j]))
            start = end
        tier = tables.outer_counts[choice]
        model = 0
        if steepness > 0.0 and math.isfinite(steepness) and tables.pole_log_error > 0.0:
            delta = math.pi / steepness
            if delta <= 2.0 * math.sqrt(tier):
                target = tables.pole_log_error + math.log(4.0 * delta) + 0.5 * delta * delta
                root = max(target / (2.0 * delta), 1.0)
                for _ in range(POLE_COUNT_ITERATIONS):
                    root = max((target + 2.0 * math.log(root)) / (2.0 * delta), 1.0)
                # clipped before rounding (ceil(min(v, cap)) = min(ceil(v), cap) for an integer cap)
                model = int(math.ceil(min(root * root, float(cap))))
                over_cap = over_cap or root * root > cap
        counts[j - 1] = max(tier, model)
    return over_cap


@_inlined
def _integrate_span(coords, n_students, tables, work, acc, em_only):
    """Accumulate E over y ~ N(0, I_k) of the integrand for span coordinates coords (n, k)
    (rows [:n_students] the students, the rest a mixture truth's means).

    The line rule on axis 0 for each node of a tensor Gauss-Hermite rule on axes
    1..k-1, each axis with its own node count (:func:`_outer_counts`), or of the outer
    line rule (:func:`_outer_line_rule`), summed by weight class with the rule's
    truncation (:func:`_class_order`, :func:`_truncated`); k = 1: one line, weight 1.
    """
    n, k = coords.shape
    span = work.span
    half_sq = span.half_sq
    _half_squared_norms(coords, half_sq)
    origin = span.origin[:k]
    origin[:] = 0.0
    if k == 1:
        _accumulate_line(coords, n_students, half_sq, origin, 1.0, tables, work.line, work.nodes, acc, em_only)
    else:
        _integrate_outer(coords, n_students, tables, work, acc, em_only)


@_compiled
def _integrate_outer(coords, n_students, tables, work, acc, em_only):
    """The k >= 2 part of :func:`_integrate_span` (compiled on its own, so that its work
    arrays, allocated per call, stay off the k = 1 path): the outer nodes by weight class,
    each a line through its origin, until the rule's truncation stops the sum.  The outer
    rule is the tensor Gauss-Hermite rule, or for k = 2 beyond the cap the outer line rule
    (as :func:`scorematch.quadrature.uses_outer_line_rule`)."""
    k = coords.shape[1]
    span = work.span
    counts = span.counts[: k - 1]
    if _outer_counts(coords, tables, counts) and k == 2 and tables.outer_line:
        nodes, weights, classes, reach = _outer_line_rule(coords, span.half_sq, tables, work.line)
    else:
        nodes, weights, classes, reach = _tensor_rule(counts, tables, span.index[: k - 1])
    order, class_start, left = _class_order(classes, weights)
    _sum_outer_classes(coords, n_students, tables, work, acc, em_only, nodes, weights, order, class_start, left, reach)


@_inlined
def _tensor_rule(counts, tables, index):
    """The tensor Gauss-Hermite rule with counts (m,) nodes per axis, last axis fastest:
    nodes (N, m), weights (N,), their weight classes (N,) (as
    :func:`scorematch.quadrature.outer_weight_classes`, same arithmetic) and how far the
    rule's points lie from the origin (as :func:`scorematch.quadrature.tensor_reach`).
    index: (m,) int64 work."""
    m = counts.shape[0]
    n_nodes = 1
    largest = 0.0
    reach_sq = 0.0
    for a in range(m):
        n_nodes *= counts[a]
        axis_max = -np.inf
        for i in range(counts[a]):
            axis_max = max(axis_max, tables.hermite_log2_weights[counts[a], i])
        largest += axis_max
        node = tables.hermite_nodes[counts[a], counts[a] - 1]
        reach_sq += node * node
    nodes = np.empty((n_nodes, m))
    weights = np.empty(n_nodes)
    classes = np.empty(n_nodes, dtype=np.int64)
    for flat in range(n_nodes):
        rest = flat
        for a in range(m - 1, -1, -1):
            index[a] = rest % counts[a]
            rest //= counts[a]
        weight = 1.0
        log2_weight = 0.0
        for a in range(m):
            nodes[flat, a] = tables.hermite_nodes[counts[a], index[a]]
            weight *= tables.hermite_weights[counts[a], index[a]]
            log2_weight += tables.hermite_log2_weights[counts[a], index[a]]
        weights[flat] = weight
        classes[flat] = min(math.floor(largest - log2_weight), WEIGHT_CLASSES - 1)
    return nodes, weights, classes, tables.half_width + math.sqrt(reach_sq)


@_inlined
def _outer_line_rule(coords, half_sq, tables, line):
    """The outer line rule of :func:`scorematch.quadrature.outer_line_rule` for coords
    (n, 2) (half_sq (n,): |c_i|^2 / 2): nodes (T, 1) and weights (T,), zero-width panels
    left out, their weight classes (T,) (as :func:`scorematch.quadrature.exponent_classes`)
    and how far the rule's points lie from the origin.  line: from :func:`_line_work` (its
    edges are those of the logits along axis 1 through the origin)."""
    n = coords.shape[0]
    for i in range(n):
        line[_INTERCEPTS, i] = -half_sq[i]
        line[_SLOPES, i] = coords[i, 1]
    n_axis = _line_edges(line, tables)
    # transitions: the pairs of each softmax group, as (a, b, first row, end row)
    n_lines = 0
    first = 0
    for group in range(tables.groups.shape[0]):
        size = tables.groups[group, 0] - first
        n_lines += size * (size - 1) // 2
        first = tables.groups[group, 0]
    pairs = np.empty((n_lines, 4), dtype=np.int64)
    p = 0
    first = 0
    for group in range(tables.groups.shape[0]):
        end = tables.groups[group, 0]
        for a in range(first, end):
            for b in range(a + 1, end):
                pairs[p, 0], pairs[p, 1], pairs[p, 2], pairs[p, 3] = a, b, first, end
                p += 1
        first = end
    edges = np.empty(n_axis + n_lines * (n_lines - 1) // 2 * tables.offsets.shape[0])
    edges[:n_axis] = line[_EDGES, :n_axis]
    count = n_axis
    base_width = tables.base[1] - tables.base[0]
    y = np.empty(2)
    for first_line in range(n_lines):
        a, b = pairs[first_line, 0], pairs[first_line, 1]
        u0, u1 = coords[a, 0] - coords[b, 0], coords[a, 1] - coords[b, 1]
        ru = half_sq[a] - half_sq[b]
        for second_line in range(first_line + 1, n_lines):
            c, e = pairs[second_line, 0], pairs[second_line, 1]
            v0, v1 = coords[c, 0] - coords[e, 0], coords[c, 1] - coords[e, 1]
            determinant = u0 * v1 - u1 * v0
            if determinant == 0.0:
                continue
            rv = half_sq[c] - half_sq[e]
            y[0] = (ru * v1 - rv * u1) / determinant
            y[1] = (u0 * rv - v0 * ru) / determinant
            if not (
                _visible_at(coords, half_sq, pairs[first_line], y)
                and _visible_at(coords, half_sq, pairs[second_line], y)
            ):
                continue
            if u0 == 0.0 or v0 == 0.0:
                steepness = max(abs(u1) if u0 == 0.0 else 0.0, abs(v1) if v0 == 0.0 else 0.0)
            else:
                steepness = abs(u1 / u0 - v1 / v0) * min(abs(u0), abs(v0))
            if steepness * base_width < 1.0:
                continue
            count = _append_graded_edges(edges, count, y[1], steepness, tables)
    _sort(edges, count)
    size = (count - 1) * tables.legendre_t.shape[0]
    nodes = np.empty((size, 1))
    weights = np.empty(size)
    used = _panel_nodes(edges, count, tables, nodes[:, 0], weights)
    reach = tables.half_width
    for q in range(used):
        weights[q] = weights[q] * math.exp(-0.5 * nodes[q, 0] * nodes[q, 0]) / _SQRT_2PI
        reach = max(reach, tables.half_width + abs(nodes[q, 0]))
    weights = weights[:used].copy()
    return nodes[:used].copy(), weights, _exponent_classes(weights), reach


@_inlined
def _visible_at(coords, half_sq, pair, y):
    """Whether the transition pair (a, b, first row, end row) of one softmax group is on the
    group's upper envelope at y (2,) (as :func:`scorematch.quadrature.transition_meetings`)."""
    mine = coords[pair[0], 0] * y[0] + coords[pair[0], 1] * y[1] - half_sq[pair[0]]
    top = mine
    for i in range(pair[2], pair[3]):
        top = max(top, coords[i, 0] * y[0] + coords[i, 1] * y[1] - half_sq[i])
    return top - mine <= 1e-9 * max(1.0, abs(mine))


@_inlined
def _sum_outer_classes(coords, n_students, tables, work, acc, em_only, nodes, weights, order, class_start, left, reach):
    """Lines through the outer nodes (N, k - 1) with weights (N,), class by class in
    order (see :func:`_class_order`), until the rule's truncation stops the sum; reach:
    how far the rule's points lie from the origin (see :func:`_integrand_bound`)."""
    k = coords.shape[1]
    span = work.span
    half_sq = span.half_sq
    origin = span.origin[:k]
    bound = _integrand_bound(coords, reach)
    reduced = span.reduced[: n_students * k].reshape(n_students, k)
    for c in range(WEIGHT_CLASSES):
        if class_start[c] == class_start[c + 1]:
            continue
        for p in range(class_start[c], class_start[c + 1]):
            node = order[p]
            for a in range(k - 1):
                origin[a + 1] = nodes[node, a]
            _accumulate_line(
                coords, n_students, half_sq, origin, weights[node], tables, work.line, work.nodes, acc, em_only
            )
        if _truncated(coords, acc, em_only, reduced, left[c] * bound, tables.truncation_error):
            return


@_inlined
def _exponent_classes(weights):
    """Weight classes of positive weights (T,) by binary exponent (as
    :func:`scorematch.quadrature.exponent_classes`): (T,) int64."""
    largest = -(2**62)
    for p in range(weights.shape[0]):
        largest = max(largest, math.frexp(weights[p])[1])
    classes = np.empty(weights.shape[0], dtype=np.int64)
    for p in range(weights.shape[0]):
        classes[p] = min(largest - math.frexp(weights[p])[1], WEIGHT_CLASSES - 1)
    return classes


@_inlined
def _class_order(classes, weights):
    """The outer nodes by weight class: order (N,) the node indices class by class, each
    class in index order; class_start (WEIGHT_CLASSES + 1,) where each class starts in
    order; left (WEIGHT_CLASSES,) the weight of the classes after each one."""
    class_weight = np.zeros(WEIGHT_CLASSES)
    class_start = np.zeros(WEIGHT_CLASSES + 1, dtype=np.int64)
    for p in range(classes.shape[0]):
        class_weight[classes[p]] += weights[p]
        class_start[classes[p] + 1] += 1
    for c in range(WEIGHT_CLASSES):
        class_start[c + 1] += class_start[c]
    filled = class_start[:WEIGHT_CLASSES].copy()
    order = np.empty(classes.shape[0], dtype=np.int64)
    for p in range(classes.shape[0]):
        c = classes[p]
        order[filled[c]] = p
        filled[c] += 1
    left = np.zeros(WEIGHT_CLASSES)
    for c in range(WEIGHT_CLASSES - 2, -1, -1):
        left[c] = left[c + 1] + class_weight[c + 1]
    return order, class_start, left


@_inlined
def _integrand_bound(coords, reach):
    """The bound of :func:`scorematch.quadrature.integrand_bound` for coords (n, k) and
    points within reach of the origin, same arithmetic."""
    m = 0.0
    for i in range(coords.shape[0]):
        s = 0.0
        for j in range(coords.shape[1]):
            s += coords[i, j] * coords[i, j]
        m = max(m, math.sqrt(s))
    return 8.0 * (1.0 + m) ** 2 * (1.0 + m + reach)


@_inlined
def _truncated(coords, acc, em_only, reduced, left_bound, truncation_error):
    """Whether the outer sum may stop: left_bound (weight left times the integrand bound) at
    most truncation_error times min(loss, largest |direction| entry) of the sums so far
    (truncation_error < 0: never).  reduced (n_students, k): work for the direction."""
    if truncation_error < 0.0:
        return False
    loss = _reduced_result(coords, acc, em_only, reduced)
    largest = 0.0
    for i in range(reduced.shape[0]):
        for j in range(reduced.shape[1]):
            largest = max(largest, abs(reduced[i, j]))
    return left_bound <= truncation_error * min(abs(loss), largest)


@_compiled
def _reduced_result(coords, acc, em_only, reduced):
    """The direction in span coordinates from the accumulators into reduced (n_students, k)
    (the first rows of coords); returns the loss."""
    k = coords.shape[1]
    for i in range(reduced.shape[0]):
        for j in range(k):
            value = acc[i, j]
            if not em_only:
                value += acc[i, k + j] - acc[i, 2 * k] * coords[i, j]
            reduced[i, j] = 2.0 * value
    return acc[0, 2 * k + 1]


@_inlined
def _matrix_product(a, b, out):
    """out <- a @ b for a (m, p), b (p, q), out (m, q), summed in index order (a run's
    numbers do not depend on a BLAS build)."""
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            s = 0.0
            for r in range(a.shape[1]):
                s += a[i, r] * b[r, j]
            out[i, j] = s


@_inlined
def _exact_direction(c, n_students, tables, em_only, work, out):
    """Population-exact loss and direction (gradient or EM) for c (n, d): rows
    [:n_students] the students relative to the reference mean, the rest (a mixture truth)
    the truth means relative to it.

    work: from :func:`_exact_work`.  Writes the students' direction (n_students, d) into
    out; returns the loss.
    """
    n = c.shape[0]
    span = work.span
    k = _span_basis(c, span)
    basis = span.basis
    coords = span.coords[: n * k].reshape(n, k)
    _matrix_product(c, basis[:k].T, coords)
    acc = span.acc[: n * (2 * k + 2)].reshape(n, 2 * k + 2)
    acc[:, :] = 0.0
    _integrate_span(coords, n_students, tables, work, acc, em_only)
    reduced = span.reduced[: n_students * k].reshape(n_students, k)
    loss = _reduced_result(coords, acc, em_only, reduced)
    _matrix_product(reduced, basis[:k], out)
    return loss


@_compiled
def _sampled_direction(c, samples, em_only, work, out):
    """Monte Carlo loss and direction from samples (B, d) of z = x - mu* (weights 1 / B).

    work: from :func:`_sample_work`.  Writes the direction (n, d) into out; returns the loss.
    """
    n, d = c.shape
    half_sq = work.half_sq
    _half_squared_norms(c, half_sq)
    acc = work.acc
    acc[:, :] = 0.0
    nodes = work.nodes
    logits = _logit_rows(nodes, n)
    points = _node_group(nodes, n, _POINTS, d)
    nodes[_WEIGHTS] = 1.0 / samples.shape[0]
    for start in range(0, samples.shape[0], _SAMPLE_BLOCK):
        count = min(_SAMPLE_BLOCK, samples.shape[0] - start)
        for j in range(d):
            zj = points[j]
            for p in range(count):
                zj[p] = samples[start + p, j]
        for i in range(n):
            row = logits[i]
            offset = -half_sq[i]
            factor = c[i, 0]
            z = points[0]
            for p in range(count):
                row[p] = offset + factor * z[p]
            for j in range(1, d):
                _add_scaled(points[j], c[i, j], row, count)
        _accumulate_block(c, n, count, nodes, acc, em_only)
    return _reduced_result(c, acc, em_only, out)


# ------------------------------------------------------------------ one step, many steps

StepWork = namedtuple("StepWork", ["exact", "sample", "c", "level_direction", "direction"])


@_compiled
def _step_work(n, d, truth_rows, tables, sampled):
    """Work arrays of one step for n students and truth_rows truth means (0: one Gaussian)."""
    return StepWork(
        _exact_work(n + truth_rows, d, tables),
        _sample_work(n, d if sampled else 0),
        np.empty((n + truth_rows, d)),
        np.empty((n, d)),
        np.empty((n, d)),
    )


@_compiled
def _step_direction(mu, truth, scales, samples, em_only, tables, work):
    """Loss and direction of one step for one run: mu (n, d), truth (K, d).

    truth: K = 1, the Gaussian N(mu*, I) with mu* = truth[0]; K >= 2, the equal-weight
    mixture of N(m_l, I), whose expectation is the mean over its components: in the frame
    of component j the students are c_i = mu_i - m_j and the truth means b_l = m_l - m_j.
    scales: (T,) exp(-t) of the averaged noise levels ([1.0] for the plain loss, which
    then passes through exactly): loss (1/T) sum L(s mu; s truth) and direction
    (1/T) sum s D(s mu; s truth).  samples: (B, d), B > 0 for a Monte Carlo step (one
    Gaussian), B = 0 for the exact one.  Writes work.direction (n, d); returns the loss.
    """
    n, d = mu.shape
    levels = scales.shape[0]
    components = truth.shape[0]
    truth_rows = 0 if components == 1 else components
    c = work.c
    out = work.direction
    out[:, :] = 0.0
    loss = 0.0
    for t in range(levels):
        s = scales[t]
        for reference in range(components):
            for i in range(n):
                for j in range(d):
                    c[i, j] = s * mu[i, j] - s * truth[reference, j]
            for m in range(truth_rows):
                for j in range(d):
                    c[n + m, j] = s * truth[m, j] - s * truth[reference, j]
            if samples.shape[0] > 0:
                loss += _sampled_direction(c, samples, em_only, work.sample, work.level_direction)
            else:
                loss += _exact_direction(c, n, tables, em_only, work.exact, work.level_direction)
            for i in range(n):
                for j in range(d):
                    out[i, j] += work.level_direction[i, j] * s
    for i in range(n):
        for j in range(d):
            out[i, j] /= levels * components
    return loss / (levels * components)


@_compiled
def _all_finite(values):
    """Whether every entry of values (n, d) is finite."""
    n, d = values.shape
    for i in range(n):
        for j in range(d):
            if not math.isfinite(values[i, j]):
                return False
    return True


@_compiled_parallel
def _advance(state, truth, first_step, n_steps, eta, scales, samples, em_only, use_adam, adam, tables):
    """n_steps steps of every live run, in place.

    state: (mu, previous, moment1, moment2, diverged_at): mu, previous (the state one
    step back), the Adam moments (R, n, d) and diverged_at (R,) int64, -1 while the run
    lives.  truth: (R, K, d) (see :func:`_step_direction`); first_step: the iteration
    count of the current state.
    samples: (R, n_steps, B, d) for Monte Carlo steps, (R, 1, 0, d) for exact ones.
    use_adam: Adam steps with adam = (beta1, beta2, epsilon) and learning rate eta;
    otherwise plain steps mu <- mu - eta D.
    A run whose parameters, loss or direction stop being finite at iteration tau gets
    diverged_at = tau and keeps its state at tau - 1 (at tau = 0, its initial state).
    """
    mu, previous, moment1, moment2, diverged_at = state
    runs, n, d = mu.shape
    truth_rows = 0 if truth.shape[1] == 1 else truth.shape[1]
    for r in prange(runs):
        if diverged_at[r] >= 0:
            continue
        work = _step_work(n, d, truth_rows, tables, samples.shape[2] > 0)
        current = mu[r]
        for s in range(n_steps):
            tau = first_step + s
            step_samples = samples[r, min(s, samples.shape[1] - 1)]
            loss = _step_direction(current, truth[r], scales, step_samples, em_only, tables, work)
            if not (math.isfinite(loss) and _all_finite(work.direction) and _all_finite(current)):
                diverged_at[r] = tau
                if tau > 0:
                    current[:, :] = previous[r]
                break
            previous[r] = current
            _move(current, work.direction, eta, tau, moment1[r], moment2[r], use_adam, adam)


@_compiled
def _move(current, direction, eta, tau, moment1, moment2, use_adam, adam):
    """One parameter update from the direction at iteration tau (plain or Adam)."""
    n, d = current.shape
    if not use_adam:
        for i in range(n):
            for j in range(d):
                current[i, j] -= eta * direction[i, j]
        return
    beta1, beta2, epsilon = adam
    bias1 = 1.0 - beta1 ** float(tau + 1)
    bias2 = 1.0 - beta2 ** float(tau + 1)
    for i in range(n):
        for j in range(d):
            g = direction[i, j]
            moment1[i, j] = beta1 * moment1[i, j] + (1.0 - beta1) * g
            moment2[i, j] = beta2 * moment2[i, j] + (1.0 - beta2) * g * g
            m_hat = moment1[i, j] / bias1
            v_hat = moment2[i, j] / bias2
            current[i, j] -= eta * (m_hat / (math.sqrt(v_hat) + epsilon))


@_compiled_parallel
def _evaluate(mu, truth, em_only, tables, loss, direction):
    """Population-exact loss (R,) and direction (R, n, d) for mu (R, n, d), truth (R, K, d)."""
    runs, n, d = mu.shape
    truth_rows = 0 if truth.shape[1] == 1 else truth.shape[1]
    for r in prange(runs):
        work = _step_work(n, d, truth_rows, tables, False)
        loss[r] = _step_direction(mu[r], truth[r], np.ones(1), np.empty((0, d)), em_only, tables, work)
        direction[r] = work.direction


@_compiled_parallel
def _sampled_batch(mu, mu_star, samples, em_only, loss, direction):
    """Monte Carlo loss (R,) and direction (R, n, d) from samples (R, B, d)."""
    runs, n, d = mu.shape
    for r in prange(runs):
        work = _sample_work(n, d)
        c = np.empty((n, d))
        for i in range(n):
            for j in range(d):
                c[i, j] = mu[r, i, j] - mu_star[r, j]
        loss[r] = _sampled_direction(c, samples[r], em_only, work, direction[r])


# ------------------------------------------------------------------ Python entries


def batch_target(mu_star, *, runs, dim):
    """mu* as a contiguous (R, d) array from (d,) or (R, d)."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(mu_star, dtype=np.float64), (runs, dim)))


def batch_truth(truth, *, runs, dim, mixture):
    """The truth as contiguous means (R, K, d): a Gaussian's mu* (d,) or (R, d) (K = 1), or,
    with mixture, an equal-weight mixture's means (K, d) or (R, K, d)."""
    if not mixture:
        return batch_target(truth, runs=runs, dim=dim)[:, None, :]
    means = np.asarray(truth, dtype=np.float64)
    if means.ndim not in (2, 3) or means.shape[-1] != dim:
        raise ValueError(f"mixture means must have shape (K, {dim}) or ({runs}, K, {dim}), got {means.shape}")
    return np.ascontiguousarray(np.broadcast_to(means, (runs, *means.shape[-2:])))


def truth_groups(n_students, components):
    """Softmax group sizes of the logits: the students, then (a mixture, K >= 2) the truth means."""
    return (n_students,) if components == 1 else (n_students, components)


def evaluate(mu, mu_star, *, rule=LineRule(), em_only=False, mixture=False):
    """Compiled population-exact loss and gradient (or gradient-EM direction).

    mu: (R, n, d); mu_star: (d,) or (R, d), or with mixture the means (K, d) or (R, K, d)
    of an equal-weight Gaussian mixture truth.  The rule and numbers of
    :func:`scorematch.population.population_loss_and_gradient` (with em_only,
    :func:`scorematch.other_dynamics.gradient_em_direction`; with mixture,
    :func:`scorematch.mixture.mixture_loss_and_gradient`) up to rounding.
    Returns loss (R,) and direction (R, n, d), float64.
    """
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    runs, n, d = mu.shape
    loss = np.empty(runs)
    direction = np.empty((runs, n, d))
    truth = batch_truth(mu_star, runs=runs, dim=d, mixture=mixture)
    tables = rule_tables(rule, group_sizes=truth_groups(n, truth.shape[1]))
    _evaluate(mu, truth, em_only, tables, loss, direction)
    return loss, direction


def sampled(mu, mu_star, *, samples, em_only=False):
    """Compiled Monte Carlo loss (R,) and direction (R, n, d) from samples (R, B, d) of x - mu*.

    The estimate of :func:`scorematch.population.minibatch_loss_and_gradient`.
    """
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    runs, n, d = mu.shape
    loss = np.empty(runs)
    direction = np.empty((runs, n, d))
    samples = np.ascontiguousarray(samples, dtype=np.float64)
    _sampled_batch(mu, batch_target(mu_star, runs=runs, dim=d), samples, em_only, loss, direction)
    return loss, direction

"""Compiled evaluation and descent: the integration rule of :mod:`scorematch.quadrature`
and the dynamics of :mod:`scorematch.dynamics` in numba, float64.

The rule is the one :func:`scorematch.population.population_loss_and_gradient` evaluates
in numpy (the readable reference this module is tested against): per run, the span of
the c_i = mu_i - mu* (leading singular direction first, numerical rank k), the adaptive
crossing-aware Gauss-Legendre line rule on the leading axis, a tensor Gauss-Hermite rule
on the other k - 1 axes.  The tables (Gauss-Legendre, Gauss-Hermite, base edges, grading
offsets) come from the builders in :mod:`scorematch.quadrature` once per call; panels of
zero width are skipped (the numpy reference gives them weight zero).

Every run is computed from its own inputs only, in one thread, with the same code
whatever the batch: a run's numbers are bit-identical alone or inside any batch, in any
order and with any thread count.  The runs of a batch are spread over threads (prange).

Where a new rule for k >= 2 plugs in: :func:`_integrate_span` calls one function per
integration point, :func:`_accumulate_point` (point in span coordinates, weight), or per
line, :func:`_accumulate_line`; a rule that produces its own points or lines replaces
the k >= 2 branch there.
"""

import math

import numpy as np
from numba import njit, prange

from scorematch.quadrature import (
    LineRule,
    base_edges,
    crossings_kept,
    gauss_hermite_standard,
    gauss_legendre,
    grading_offsets,
    outer_node_choices,
)

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
# exp(x) rounds to 0.0 in float64 for every x below this: skipping the call changes nothing
_EXP_ZERO_BELOW = -746.0
_EPS = np.finfo(np.float64).eps

# what one step's direction is
DIRECTION_GRADIENT = 0  # the score-matching gradient
DIRECTION_EM = 1  # its first term 2 E[w_i g]: population gradient EM
# how a step moves the parameters
OPTIMIZER_GD = 0
OPTIMIZER_ADAM = 1


def rule_tables(rule, *, n_components):
    """The numbers of a :class:`LineRule` as a tuple of arrays for the compiled code.

    (half_width, base edges (E0,), grading offsets (O,), Legendre nodes (L,) and weights
    (L,), crossings kept per line, outer spread limits (m,), outer node counts (m + 1,),
    outer Hermite nodes (m + 1, q_max) and weights (m + 1, q_max), padded with zeros).
    """
    limits, counts = outer_node_choices(rule)
    q_max = int(counts.max())
    hermite_nodes = np.zeros((len(counts), q_max))
    hermite_weights = np.zeros((len(counts), q_max))
    for j, q in enumerate(counts):
        hermite_nodes[j, :q], hermite_weights[j, :q] = gauss_hermite_standard(int(q))
    legendre_t, legendre_w = gauss_legendre(rule)
    n_pairs = n_components * (n_components - 1) // 2
    return (
        float(rule.half_width),
        base_edges(rule),
        grading_offsets(rule),
        legendre_t,
        legendre_w,
        int(min(crossings_kept(n_components, rule=rule), n_pairs)),
        limits,
        counts,
        hermite_nodes,
        hermite_weights,
    )


# ------------------------------------------------------------------ span of the c_i


@njit(cache=True)
def _orthogonalise_columns(a, v):
    """One-sided Jacobi: rotate the columns of a (p, m) until pairwise orthogonal.

    The same rotations are applied to v (m, m) (start from the identity: a_in v = a_out).
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


@njit(cache=True)
def _span_basis(c, basis):
    """Right singular vectors of c (n, d) into the rows of basis (min(n, d), d).

    Decreasing singular value; returns the numerical rank (numpy's matrix_rank tolerance:
    largest singular value * max(n, d) * eps), at least 1.
    """
    n, d = c.shape
    m = min(n, d)
    singular = np.empty(m)
    vectors = np.empty((m, d))
    if d <= n:
        a = c.copy()
        v = np.eye(d)
        _orthogonalise_columns(a, v)
        for j in range(d):
            s = 0.0
            for r in range(n):
                s += a[r, j] * a[r, j]
            singular[j] = math.sqrt(s)
            for r in range(d):
                vectors[j, r] = v[r, j]
    else:
        # c = W S U^T from c^T W = U S: the right singular vectors are the columns of c^T W
        b = c.T.copy()
        w = np.eye(n)
        _orthogonalise_columns(b, w)
        for j in range(n):
            s = 0.0
            for r in range(d):
                s += b[r, j] * b[r, j]
            singular[j] = math.sqrt(s)
            for r in range(d):
                vectors[j, r] = b[r, j] / singular[j] if singular[j] > 0.0 else (1.0 if r == j else 0.0)
    order = np.argsort(-singular, kind="mergesort")
    for j in range(m):
        basis[j, :] = vectors[order[j], :]
    largest = singular[order[0]]
    tol = largest * max(n, d) * _EPS
    rank = 0
    for j in range(m):
        if singular[j] > tol:
            rank += 1
    return max(rank, 1)


# ------------------------------------------------------------------ the integrand

# exp on x <= 0 in a form the compiler vectorises: x = k log 2 + r with |r| <= log(2) / 2
# (Cody-Waite split of log 2), e^r by its Taylor polynomial of degree 13 (remainder below
# 1e-17), 2^k from the exponent bits.  Within about an ulp of exp; 0 below -708 (where
# exp is below 1e-307: a weight that small changes no sum).
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_ROUNDING_SHIFT = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer
_SHIFT_BITS = np.float64(_ROUNDING_SHIFT).view(np.int64)
_EXP_FLOOR = -708.0
_INVERSE_FACTORIALS = tuple(1.0 / math.factorial(m) for m in range(14))


@njit(cache=True)
def _exp_nonpositive(x, count, shifted):
    """x[:count] <- exp(x[:count]) for x <= 0; shifted: float work array (>= count)."""
    bits = shifted.view(np.int64)
    c = _INVERSE_FACTORIALS
    for p in range(count):
        v = max(x[p], _EXP_FLOOR)
        s = v * _LOG2E + _ROUNDING_SHIFT
        shifted[p] = s
        k = s - _ROUNDING_SHIFT
        r = (v - k * _LN2_HI) - k * _LN2_LO
        poly = c[13]
        poly = poly * r + c[12]
        poly = poly * r + c[11]
        poly = poly * r + c[10]
        poly = poly * r + c[9]
        poly = poly * r + c[8]
        poly = poly * r + c[7]
        poly = poly * r + c[6]
        poly = poly * r + c[5]
        poly = poly * r + c[4]
        poly = poly * r + c[3]
        poly = poly * r + c[2]
        poly = poly * r + c[1]
        poly = poly * r + c[0]
        x[p] = poly if x[p] > _EXP_FLOOR else 0.0
    for p in range(count):
        bits[p] = (bits[p] - _SHIFT_BITS + 1023) << 52
    for p in range(count):
        x[p] *= shifted[p]


@njit(cache=True)
def _block_work(n, k, size):
    """Work arrays of :func:`_accumulate_block` for blocks of up to size points."""
    return (
        np.empty((n, size)),  # logits, then weights w_i
        np.empty(size),  # largest logit, then the softmax normaliser
        np.empty(size),  # exp work
        np.empty((k, size)),  # g
        np.empty(size),  # |g|^2
        np.empty(size),  # W w_i
        np.empty(size),  # W w_i (c_i - g) . g
    )


@njit(cache=True)
def _accumulate_block(coords, points, weights, count, work, acc, em_only):
    """Add the contributions of a block of integration points.

    coords: (n, k) the c_i in some orthonormal frame; points: (k, size) points z in that
    frame (first count columns); weights: (size,).  work: from :func:`_block_work`, with
    work[0][:, :count] the logits z . c_i - |c_i|^2 / 2 filled in by the caller.
    acc: (n, 2k + 2) accumulators: [:, :k] sum W w_i g, [:, k:2k] sum W w_i curv_i z,
    [:, 2k] sum W w_i curv_i, [0, 2k + 1] sum W |g|^2, with g = sum_i w_i c_i and
    curv_i = (c_i - g) . g.  em_only: only the first block and the loss.
    The loops run over the points of one row at a time so that they vectorise.
    """
    logits, top, shifted, g, g_sq, ww, term = work
    n, k = coords.shape
    _copy(logits[0], top, count)
    for i in range(1, n):
        row = logits[i]
        for p in range(count):
            top[p] = max(top[p], row[p])
    for i in range(n):
        row = logits[i]
        for p in range(count):
            row[p] -= top[p]
        _exp_nonpositive(row, count, shifted)
    _copy(logits[0], top, count)
    for i in range(1, n):
        row = logits[i]
        for p in range(count):
            top[p] += row[p]
    # one division per point, not per component
    for p in range(count):
        top[p] = 1.0 / top[p]
    for i in range(n):
        row = logits[i]
        for p in range(count):
            row[p] *= top[p]
    for j in range(k):
        gj = g[j]
        _scaled(logits[0], coords[0, j], gj, count)
        for i in range(1, n):
            _add_scaled(logits[i], coords[i, j], gj, count)
    _product(g[0], g[0], g_sq, count)
    for j in range(1, k):
        gj = g[j]
        for p in range(count):
            g_sq[p] += gj[p] * gj[p]
    acc[0, 2 * k + 1] += _dot(weights, g_sq, count)
    for i in range(n):
        _product(weights, logits[i], ww, count)
        for j in range(k):
            acc[i, j] += _dot(ww, g[j], count)
        if em_only:
            continue
        _scaled(g[0], coords[i, 0], term, count)
        for j in range(1, k):
            _add_scaled(g[j], coords[i, j], term, count)
        for p in range(count):
            term[p] = ww[p] * (term[p] - g_sq[p])
        for j in range(k):
            acc[i, k + j] += _dot(term, points[j], count)
        acc[i, 2 * k] += _sum(term, count)


@njit(cache=True)
def _copy(source, target, count):
    for p in range(count):
        target[p] = source[p]


@njit(cache=True)
def _product(a, b, target, count):
    for p in range(count):
        target[p] = a[p] * b[p]


@njit(cache=True)
def _scaled(source, factor, target, count):
    for p in range(count):
        target[p] = factor * source[p]


@njit(cache=True)
def _add_scaled(source, factor, target, count):
    for p in range(count):
        target[p] += factor * source[p]


@njit(cache=True)
def _dot(a, b, count):
    """sum a[:count] * b[:count] in a fixed order (four interleaved partial sums)."""
    s0 = s1 = s2 = s3 = 0.0
    p = 0
    while p + 4 <= count:
        s0 += a[p] * b[p]
        s1 += a[p + 1] * b[p + 1]
        s2 += a[p + 2] * b[p + 2]
        s3 += a[p + 3] * b[p + 3]
        p += 4
    while p < count:
        s0 += a[p] * b[p]
        p += 1
    return (s0 + s1) + (s2 + s3)


@njit(cache=True)
def _sum(a, count):
    """sum a[:count] in a fixed order (four interleaved partial sums)."""
    s0 = s1 = s2 = s3 = 0.0
    p = 0
    while p + 4 <= count:
        s0 += a[p]
        s1 += a[p + 1]
        s2 += a[p + 2]
        s3 += a[p + 3]
        p += 4
    while p < count:
        s0 += a[p]
        p += 1
    return (s0 + s1) + (s2 + s3)


@njit(cache=True)
def _line_edges(intercepts, slopes, tables, edges, location, steepness, gap, taken):
    """Sorted panel edges of the adaptive line rule into edges; returns how many.

    intercepts, slopes: (n,) affine logits along the line; location, steepness, gap
    (P,) float and taken (P,) bool: work arrays for the P = n(n-1)/2 crossings.
    The same edges as :func:`scorematch.quadrature.panel_edges` minus those clipped onto
    the domain's ends (they bound zero-width panels only).
    """
    half_width, base, offsets, _, _, n_keep, _, _, _, _ = tables
    n = intercepts.shape[0]
    n_pairs = n * (n - 1) // 2
    pair = 0
    for i in range(n):
        for j in range(i + 1, n):
            slope_gap = slopes[i] - slopes[j]
            steepness[pair] = abs(slope_gap)
            if steepness[pair] > 0.0:
                x = (intercepts[j] - intercepts[i]) / slope_gap
                location[pair] = x
                top = intercepts[0] + slopes[0] * x
                for m in range(1, n):
                    top = max(top, intercepts[m] + slopes[m] * x)
                gap[pair] = top - (intercepts[i] + slopes[i] * x)
            else:
                location[pair] = math.inf
                gap[pair] = math.inf
            pair += 1
    count = 0
    for e in range(base.shape[0]):
        edges[count] = base[e]
        count += 1
    taken[:] = False
    for _ in range(n_keep):
        # the smallest envelope gap not yet taken, ties to the earlier pair
        best = -1
        for p in range(n_pairs):
            if not taken[p] and (best < 0 or gap[p] < gap[best]):
                best = p
        taken[best] = True
        if steepness[best] == 0.0 or not math.isfinite(location[best]):
            continue
        for o in range(offsets.shape[0]):
            edge = location[best] + offsets[o] / steepness[best]
            if -half_width < edge < half_width:
                edges[count] = edge
                count += 1
    edges[:count] = np.sort(edges[:count])
    return count


@njit(cache=True)
def _line_work(n, k, tables):
    """Work arrays of :func:`_accumulate_line` for n components in k dimensions."""
    _, base, offsets, legendre_t, _, n_keep, _, _, _, _ = tables
    n_pairs = n * (n - 1) // 2
    n_edges = base.shape[0] + n_keep * offsets.shape[0]
    size = (n_edges - 1) * legendre_t.shape[0]
    return (
        np.empty(n_edges),  # edges
        np.empty(n),  # intercepts
        np.empty(n),  # slopes
        np.empty(n_pairs),  # crossing locations
        np.empty(n_pairs),  # steepness
        np.empty(n_pairs),  # envelope gap
        np.empty(n_pairs, dtype=np.bool_),  # crossing taken
        np.empty((k, size)),  # points
        np.empty(size),  # weights
        np.empty(size),  # Gaussian density
        _block_work(n, k, size),
    )


@njit(cache=True)
def _accumulate_line(coords, half_sq, origin, outer_weight, tables, work, acc, em_only):
    """The adaptive line rule along axis 0 through origin (k,) (origin[0] is ignored).

    Adds the sum over the line's nodes of outer_weight * (Gauss-Legendre weight * N(0, 1)
    density) * integrand; panels of zero width are skipped.  work: from :func:`_line_work`.
    """
    _, _, _, legendre_t, legendre_w, _, _, _, _, _ = tables
    edges, intercepts, slopes, location, steepness, gap, taken, points, weights, density, block = work
    n, k = coords.shape
    for i in range(n):
        s = 0.0
        for j in range(1, k):
            s += origin[j] * coords[i, j]
        intercepts[i] = s - half_sq[i]
        slopes[i] = coords[i, 0]
    n_edges = _line_edges(intercepts, slopes, tables, edges, location, steepness, gap, taken)
    count = 0
    for e in range(n_edges - 1):
        lo = edges[e]
        hi = edges[e + 1]
        if hi == lo:
            continue
        centre = 0.5 * (hi + lo)
        half = 0.5 * (hi - lo)
        for q in range(legendre_t.shape[0]):
            y = centre + half * legendre_t[q]
            points[0, count] = y
            weights[count] = half * legendre_w[q]
            density[count] = -0.5 * y * y
            count += 1
    _exp_nonpositive(density, count, block[2])
    for p in range(count):
        weights[p] = weights[p] * density[p] / _SQRT_2PI * outer_weight
    for j in range(1, k):
        points[j, :count] = origin[j]
    logits = block[0]
    for i in range(n):
        for p in range(count):
            logits[i, p] = intercepts[i] + slopes[i] * points[0, p]
    _accumulate_block(coords, points, weights, count, block, acc, em_only)


@njit(cache=True)
def _integrate_span(coords, tables, acc, em_only):
    """E over y ~ N(0, I_k) of the integrand for span coordinates coords (n, k).

    k = 1: one line.  k >= 2: the line rule on axis 0 for each node of a tensor
    Gauss-Hermite rule on axes 1..k-1, its node count from the run's outer spread.
    """
    _, _, _, _, _, _, limits, counts, hermite_nodes, hermite_weights = tables
    n, k = coords.shape
    half_sq = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(k):
            s += coords[i, j] * coords[i, j]
        half_sq[i] = 0.5 * s
    work = _line_work(n, k, tables)
    origin = np.zeros(k)
    if k == 1:
        _accumulate_line(coords, half_sq, origin, 1.0, tables, work, acc, em_only)
        return
    spread = 0.0
    for i in range(n):
        for j in range(1, k):
            spread = max(spread, abs(coords[i, j]))
    choice = limits.shape[0]
    for j in range(limits.shape[0]):
        if spread <= limits[j]:
            choice = j
            break
    q = counts[choice]
    index = np.zeros(k - 1, dtype=np.int64)
    for _ in range(q ** (k - 1)):
        weight = 1.0
        for a in range(k - 1):
            origin[a + 1] = hermite_nodes[choice, index[a]]
            weight *= hermite_weights[choice, index[a]]
        _accumulate_line(coords, half_sq, origin, weight, tables, work, acc, em_only)
        # next tensor index, last axis fastest (numpy's meshgrid "ij" order)
        a = k - 2
        while a >= 0:
            index[a] += 1
            if index[a] < q:
                break
            index[a] = 0
            a -= 1


@njit(cache=True)
def _reduced_result(coords, acc, em_only, reduced):
    """The direction in span coordinates from the accumulators into reduced (n, k); returns the loss."""
    n, k = coords.shape
    for i in range(n):
        for j in range(k):
            value = acc[i, j]
            if not em_only:
                value += acc[i, k + j] - acc[i, 2 * k] * coords[i, j]
            reduced[i, j] = 2.0 * value
    return acc[0, 2 * k + 1]


@njit(cache=True)
def _exact_direction(c, tables, em_only, out):
    """Population-exact loss and direction (gradient or EM) for c (n, d) = mu - mu*.

    Writes the direction (n, d) into out and returns the loss.
    """
    n, d = c.shape
    basis = np.empty((min(n, d), d))
    k = _span_basis(c, basis)
    coords = np.zeros((n, k))
    for i in range(n):
        for j in range(k):
            s = 0.0
            for r in range(d):
                s += c[i, r] * basis[j, r]
            coords[i, j] = s
    acc = np.zeros((n, 2 * k + 2))
    _integrate_span(coords, tables, acc, em_only)
    reduced = np.empty((n, k))
    loss = _reduced_result(coords, acc, em_only, reduced)
    for i in range(n):
        for r in range(d):
            s = 0.0
            for j in range(k):
                s += reduced[i, j] * basis[j, r]
            out[i, r] = s
    return loss


_SAMPLE_BLOCK = 256


@njit(cache=True)
def _sampled_direction(c, samples, em_only, out):
    """Monte Carlo loss and direction from samples (B, d) of z = x - mu* (weights 1 / B).

    Writes the direction (n, d) into out and returns the loss.
    """
    n, d = c.shape
    half_sq = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(d):
            s += c[i, j] * c[i, j]
        half_sq[i] = 0.5 * s
    acc = np.zeros((n, 2 * d + 2))
    block = _block_work(n, d, _SAMPLE_BLOCK)
    logits = block[0]
    points = np.empty((d, _SAMPLE_BLOCK))
    weights = np.full(_SAMPLE_BLOCK, 1.0 / samples.shape[0])
    for start in range(0, samples.shape[0], _SAMPLE_BLOCK):
        count = min(_SAMPLE_BLOCK, samples.shape[0] - start)
        for p in range(count):
            for j in range(d):
                points[j, p] = samples[start + p, j]
        for i in range(n):
            for p in range(count):
                s = 0.0
                for j in range(d):
                    s += c[i, j] * points[j, p]
                logits[i, p] = s - half_sq[i]
        _accumulate_block(c, points, weights, count, block, acc, em_only)
    return _reduced_result(c, acc, em_only, out)


@njit(cache=True)
def _step_direction(mu, mu_star, scales, samples, em_only, tables, c, level_direction, out):
    """Loss and direction of one step for one run: mu (n, d), mu_star (d,).

    scales: (T,) exp(-t) of the averaged noise levels ([1.0] for the plain loss, which
    then passes through exactly): loss (1/T) sum L(s mu; s mu*) and direction (1/T) sum s D(s mu; s mu*).
    samples: (B, d) with B > 0 for a Monte Carlo step, B = 0 for the exact one.
    c, level_direction: (n, d) work arrays.  Writes out (n, d); returns the loss.
    """
    n, d = mu.shape
    levels = scales.shape[0]
    loss = 0.0
    out[:, :] = 0.0
    for t in range(levels):
        s = scales[t]
        for i in range(n):
            for j in range(d):
                c[i, j] = s * mu[i, j] - s * mu_star[j]
        if samples.shape[0] > 0:
            loss += _sampled_direction(c, samples, em_only, level_direction)
        else:
            loss += _exact_direction(c, tables, em_only, level_direction)
        for i in range(n):
            for j in range(d):
                out[i, j] += level_direction[i, j] * s
    # one level with scale 1.0 (the plain loss) passes through exactly
    for i in range(n):
        for j in range(d):
            out[i, j] /= levels
    return loss / levels


@njit(cache=True)
def _all_finite(values):
    for x in values.ravel():
        if not math.isfinite(x):
            return False
    return True


@njit(parallel=True, cache=True)
def _advance(state, mu_star, first_step, n_steps, eta, scales, samples, em_only, optimizer, adam, tables):
    """n_steps steps of every live run, in place.

    state: (mu, previous, moment1, moment2, diverged_at) with mu, previous, the moments
    (R, n, d) and diverged_at (R,) int64 (-1 while the run lives).  mu_star: (R, d).
    first_step: the iteration count of the current state.  samples: (R, n_steps, B, d) for
    Monte Carlo steps, (R, 1, 0, d) for exact ones.  adam: (beta1, beta2, epsilon).
    A run whose loss, direction or parameters stop being finite at iteration tau gets
    diverged_at = tau and keeps its state at tau - 1 (at 0: the initial state).
    """
    mu, previous, moment1, moment2, diverged_at = state
    runs, n, d = mu.shape
    beta1, beta2, epsilon = adam
    for r in prange(runs):
        if diverged_at[r] >= 0:
            continue
        c = np.empty((n, d))
        level_direction = np.empty((n, d))
        direction = np.empty((n, d))
        current = mu[r]
        for s in range(n_steps):
            tau = first_step + s
            step_samples = samples[r, min(s, samples.shape[1] - 1)]
            loss = _step_direction(current, mu_star[r], scales, step_samples, em_only, tables, c,
                                   level_direction, direction)
            if not (math.isfinite(loss) and _all_finite(direction) and _all_finite(current)):
                diverged_at[r] = tau
                if tau > 0:
                    current[:, :] = previous[r]
                break
            previous[r] = current
            if optimizer == OPTIMIZER_ADAM:
                bias1 = 1.0 - beta1 ** float(tau + 1)
                bias2 = 1.0 - beta2 ** float(tau + 1)
                for i in range(n):
                    for j in range(d):
                        g = direction[i, j]
                        moment1[r, i, j] = beta1 * moment1[r, i, j] + (1.0 - beta1) * g
                        moment2[r, i, j] = beta2 * moment2[r, i, j] + (1.0 - beta2) * g * g
                        m_hat = moment1[r, i, j] / bias1
                        v_hat = moment2[r, i, j] / bias2
                        current[i, j] -= eta * (m_hat / (math.sqrt(v_hat) + epsilon))
            else:
                for i in range(n):
                    for j in range(d):
                        current[i, j] -= eta * direction[i, j]


@njit(parallel=True, cache=True)
def _evaluate(mu, mu_star, em_only, tables, loss, direction):
    """Population-exact loss (R,) and direction (R, n, d) for mu (R, n, d), mu_star (R, d)."""
    runs, n, d = mu.shape
    for r in prange(runs):
        c = np.empty((n, d))
        for i in range(n):
            for j in range(d):
                c[i, j] = mu[r, i, j] - mu_star[r, j]
        loss[r] = _exact_direction(c, tables, em_only, direction[r])


def _batch_target(mu_star, runs, dim):
    return np.ascontiguousarray(np.broadcast_to(np.asarray(mu_star, dtype=np.float64), (runs, dim)))


def evaluate(mu, mu_star, *, rule=LineRule(), direction=DIRECTION_GRADIENT):
    """Compiled population-exact loss and gradient (or gradient-EM direction).

    mu: (R, n, d); mu_star: (d,) or (R, d).  The same rule and numbers as
    :func:`scorematch.population.population_loss_and_gradient` (and
    :func:`scorematch.beyond.gradient_em_direction` for DIRECTION_EM), up to rounding.
    Returns loss (R,) and direction (R, n, d), float64.
    """
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    runs, n, d = mu.shape
    loss = np.empty(runs)
    out = np.empty((runs, n, d))
    _evaluate(mu, _batch_target(mu_star, runs, d), direction == DIRECTION_EM,
              rule_tables(rule, n_components=n), loss, out)
    return loss, out


def sampled_direction(mu, mu_star, *, samples, direction=DIRECTION_GRADIENT):
    """Compiled Monte Carlo loss (R,) and direction (R, n, d) from samples (R, B, d) of x - mu*.

    The same estimate as :func:`scorematch.population.minibatch_loss_and_gradient`.
    """
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    runs, n, d = mu.shape
    loss = np.empty(runs)
    out = np.empty((runs, n, d))
    samples = np.ascontiguousarray(samples, dtype=np.float64)
    _sampled_batch(mu, _batch_target(mu_star, runs, d), samples, direction == DIRECTION_EM, loss, out)
    return loss, out


@njit(parallel=True, cache=True)
def _sampled_batch(mu, mu_star, samples, em_only, loss, out):
    runs, n, d = mu.shape
    for r in prange(runs):
        c = np.empty((n, d))
        for i in range(n):
            for j in range(d):
                c[i, j] = mu[r, i, j] - mu_star[r, j]
        loss[r] = _sampled_direction(c, samples[r], em_only, out[r])

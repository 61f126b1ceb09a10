"""Prototype: the population expectation E_{y ~ N(0, I_k)} F(y) by a stratified
decomposition along the Voronoi diagram of the centres C_i (a research spike, not the
package's rule).

Every stratum S of the diagram (a cell |S| = 1, a face |S| = 2, a junction edge |S| = 3,
a vertex |S| = 4, as long as |S| - 1 <= k) lies in an affine plane A_S whose normal space
N_S = span{C_a - C_b : a, b in S} carries everything the softmax over S depends on.  With
F_S the integrand restricted to the components in S, the local correction

    G_S(y) = F_S(y) - sum_{T proper subset of S} 1[y in prism_T^S] G_T(y)

(prism_T^S: the points whose projection on A_T lies in T's stratum of the diagram of S
alone) is a function of the normal coordinates only, apart from the explicit linear factor
y of the gradient integrand, and decays away from A_S on the transition width
1 / |C_a - C_b|.  Then

    E F = sum_S E[ G_S(y) 1[proj_{A_S} y in stratum_S] ]

up to the influence of components that are not in S near stratum S (exponentially small
for separated centres), and each term factorises: a Gaussian measure (and first moment)
of the stratum's polytope in its tangent coordinates, computed with closed-form inner
integrals (no integrand evaluations), times a low-dimensional integral of G_S over the
normal space, all of whose discontinuities lie on hyperplanes through the apex
(1-D graded panels for faces, polar sectors for junctions).  Because F is affine in the
tangent coordinates, the tangent average is F at the tangent barycentre.

The dropped terms: strata of codimension > max_codim (vertices in k = 3 unless asked for).
"""

import itertools

import numpy as np
from scipy.special import ndtr

from scorematch.population import loss_and_gradient_on_points

BOX = 12.0
_SQRT_2PI = np.sqrt(2.0 * np.pi)


def _phi(x):
    return np.exp(-0.5 * x**2) / _SQRT_2PI


def _gauss_legendre_on(edges, nodes):
    """GL nodes and weights on consecutive panels between sorted edges (zero-width skipped)."""
    t, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.unique(edges)
    lo, hi = edges[:-1], edges[1:]
    centre, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    return (centre[:, None] + half[:, None] * t).ravel(), (half[:, None] * w).ravel()


# ---------------------------------------------------------------------------------------
# Gaussian measure and first moment of a convex polytope {t : A t <= b} in R^m, m <= 3
# ---------------------------------------------------------------------------------------


def _interval_moments(a, b):
    """{x : a x <= b} for rows of a (J,) b (J,) (vectorised over a leading axis of b (X, J))."""
    b = np.atleast_2d(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = b / a
    lo = np.where(a < 0, bound, -np.inf).max(-1)
    hi = np.where(a > 0, bound, np.inf).min(-1)
    feasible = np.all((a != 0) | (b >= 0), axis=-1) & (hi > lo)
    lo, hi = np.clip(lo, -BOX, BOX), np.clip(hi, -BOX, BOX)
    mu0 = np.where(feasible, ndtr(hi) - ndtr(lo), 0.0)
    mu1 = np.where(feasible, _phi(lo) - _phi(hi), 0.0)
    return mu0, mu1[:, None]


def _outer_breakpoints(A, b):
    """Values of the last coordinate x at which the slice {A[:, :-1] t <= b - A[:, -1] x}
    changes combinatorially (the last coordinate of every vertex of the constraint
    arrangement), and at which a constraint's slice hyperplane passes a few distances from
    the origin: between consecutive values the slice measure is analytic and its
    boundary sweeps at most a bounded part of the Gaussian bulk, even for constraints
    almost parallel to the slices."""
    m = A.shape[1]
    points = [-BOX, BOX]
    for rows in itertools.combinations(range(len(A)), m):
        sub = A[list(rows)]
        if abs(np.linalg.det(sub)) < 1e-12:
            continue
        points.append(np.linalg.solve(sub, b[list(rows)])[-1])
    for row, rhs in zip(A, b):
        rest = np.linalg.norm(row[:-1])
        if row[-1] != 0 and rest > 0:
            for level in SLICE_LEVELS:
                points.append((rhs - level * rest) / row[-1])
    points = np.clip(np.array(points), -BOX, BOX)
    points = np.unique(np.concatenate([points, np.arange(-BOX, BOX, MAX_OUTER_PANEL)]))
    return points


SLICE_LEVELS = (-6.0, -4.0, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 4.0, 6.0)
MAX_OUTER_PANEL = 2.0


def polytope_moments(A, b, *, nodes=16):
    """Gaussian measure mu0 and first moment mu1 (m,) of {t in R^m : A t <= b} (clipped to
    the box |t_j| <= BOX), weight the standard normal density of R^m.  m = A.shape[1] <= 3."""
    A, b = np.asarray(A, float), np.asarray(b, float)
    m = A.shape[1]
    if m == 0:
        return (1.0 if np.all(b >= -1e-12) else 0.0), np.zeros(0)
    if m == 1:
        mu0, mu1 = _interval_moments(A[:, 0], b[None])
        return float(mu0[0]), mu1[0]
    box = np.vstack([np.eye(m), -np.eye(m)])
    A, b = np.vstack([A, box]), np.concatenate([b, np.full(2 * m, BOX)])
    x, w = _gauss_legendre_on(_outer_breakpoints(A, b), nodes)
    mu0, mu1 = 0.0, np.zeros(m)
    if m == 2:
        slice_b = b[None, :] - A[None, :, 1] * x[:, None]
        s0, s1 = _interval_moments(A[:, 0], slice_b)
    else:
        s0, s1 = np.zeros(len(x)), np.zeros((len(x), m - 1))
        for index, xv in enumerate(x):
            s0[index], s1[index] = polytope_moments(A[:, :-1], b - A[:, -1] * xv, nodes=nodes)
    weight = w * _phi(x)
    mu0 = (weight * s0).sum()
    mu1[:-1] = (weight[:, None] * s1).sum(0)
    mu1[-1] = (weight * x * s0).sum()
    return float(mu0), mu1


# ---------------------------------------------------------------------------------------
# strata of the Voronoi diagram
# ---------------------------------------------------------------------------------------


def _affine_frame(coords, S):
    """Normal basis N (c, k), tangent basis Q (k - c, k) and apex p (k,) of A_S, the plane
    where the logits of S tie; None if the differences are dependent."""
    k = coords.shape[1]
    a = S[0]
    D = np.array([coords[a] - coords[s] for s in S[1:]]).reshape(len(S) - 1, k)
    h = np.array([0.5 * (coords[a] @ coords[a] - coords[s] @ coords[s]) for s in S[1:]])
    if len(S) > 1:
        u, sing, vt = np.linalg.svd(D)
        if sing.min() < 1e-9 * max(1.0, sing.max()):
            return None
        p = np.linalg.lstsq(D, h, rcond=None)[0]
    else:
        p = np.zeros(k)
    full = np.linalg.svd(np.vstack([D, np.zeros((1, k))]))[2] if len(S) > 1 else np.eye(k)
    N = full[: len(S) - 1]
    Q = full[len(S) - 1 :]
    return N, Q, p


def _half_spaces(coords, a, others, Q, p):
    """Constraints A t <= b in tangent coordinates t (y = p + Q^T t) for l_a >= l_c, c in others."""
    diff = np.array([coords[c] - coords[a] for c in others]).reshape(len(others), coords.shape[1])
    rhs = np.array([0.5 * (coords[c] @ coords[c] - coords[a] @ coords[a]) for c in others])
    return diff @ Q.T, rhs - diff @ p


def in_prism(coords, T, S, y):
    """(P,) bool: y (P, k) projects on A_T inside T's stratum of the diagram of S alone."""
    frame = _affine_frame(coords, T)
    N, _, p = frame
    projected = y - (y - p) @ N.T @ N
    a = T[0]
    inside = np.ones(len(y), dtype=bool)
    for c in S:
        if c in T:
            continue
        lhs = projected @ (coords[c] - coords[a])
        inside &= lhs <= 0.5 * (coords[c] @ coords[c] - coords[a] @ coords[a])
    return inside


def correction_coefficients(coords, S, y):
    """G_S(y) = sum_U coef_U(y) F_U(y): dict U -> (P,) coefficients."""
    coefficients = {tuple(S): np.ones(len(y))}
    for size in range(1, len(S)):
        for T in itertools.combinations(S, size):
            if _affine_frame(coords, T) is None:
                continue
            inside = in_prism(coords, T, S, y).astype(float)
            for U, coef in correction_coefficients(coords, T, y).items():
                coefficients[U] = coefficients.get(U, 0.0) - inside * coef
    return coefficients


# ---------------------------------------------------------------------------------------
# normal-space rules (nodes relative to the apex, in normal coordinates)
# ---------------------------------------------------------------------------------------

FACE_GRADING = (0.0, 0.5, 1.5, 3.5, 7.0, 13.0, 22.0, 36.0)


def face_normal_rule(p_normal, steepness, *, nodes=8, base=3.0):
    """1-D rule on the normal line: graded panels in units of 1 / steepness on both sides
    of the apex, plus a uniform grid of width base; clipped to |p + u| <= BOX."""
    graded = np.array(FACE_GRADING) / steepness
    lo, hi = -BOX - p_normal, BOX - p_normal
    uniform = np.arange(lo, hi + base, base)
    edges = np.clip(np.concatenate([graded, -graded, uniform, [lo, hi]]), lo, hi)
    u, w = _gauss_legendre_on(edges, nodes)
    return u[:, None], w * _phi(p_normal + u)


RADIAL_GRADING = (0.0, 0.4, 1.2, 3.0, 6.5, 13.0, 24.0, 40.0)


def _radial_edges(steepness, r_max, base):
    """Radial panel edges on [0, r_max]: graded in units of 1 / steepness near the apex,
    at most base wide (the Gaussian weight varies on the unit scale)."""
    graded = np.array(RADIAL_GRADING) / steepness
    return np.clip(np.concatenate([graded, np.arange(0.0, r_max, base), [r_max]]), 0.0, r_max)


SECTOR_REFERENCE_WIDTH = np.pi / 6


def _sector_nodes(angles, nodes):
    """GL nodes on each sector between consecutive angles: `nodes` on a sector of the
    reference width, proportionally fewer (at least 2) on narrower ones."""
    theta, weights = [], []
    for lo, hi in zip(angles[:-1], angles[1:]):
        count = int(min(nodes, max(2, np.ceil(nodes * (hi - lo) / SECTOR_REFERENCE_WIDTH))))
        t, w = np.polynomial.legendre.leggauss(count)
        theta.append(0.5 * (lo + hi) + 0.5 * (hi - lo) * t)
        weights.append(0.5 * (hi - lo) * w)
    return np.concatenate(theta), np.concatenate(weights)


def junction_normal_rule(p_normal, directions, steepness, *, angular_nodes=8, radial_nodes=8, base=6.0):
    """Polar rule about the apex in a 2-D normal plane: angular sectors between the given
    discontinuity directions (angles), radial panels graded in units of 1 / steepness."""
    angles = np.sort(np.mod(np.concatenate([directions, [0.0]]), 2 * np.pi))
    angles = np.concatenate([angles[np.diff(angles, prepend=-1.0) > 1e-9], [2 * np.pi]])
    theta, w_theta = _sector_nodes(angles, angular_nodes)
    r_max = min(BOX + np.linalg.norm(p_normal), RADIAL_GRADING[-1] / steepness)
    edges = _radial_edges(steepness, r_max, base)
    r, w_r = _gauss_legendre_on(edges, radial_nodes)
    e = np.stack([np.cos(theta), np.sin(theta)], -1)
    u = (r[None, :, None] * e[:, None, :]).reshape(-1, 2)
    w = (w_theta[:, None] * w_r[None, :] * r[None, :]).ravel()
    density = np.exp(-0.5 * ((p_normal + u) ** 2).sum(-1)) / (2 * np.pi)
    return u, w * density


POLAR_GRADING = np.array([0.02, 0.06, 0.15, 0.35])


def _pole_frame(normals, pole=None):
    """Orthonormal frame (e1, e2, pole); without a given pole, one far from every plane
    (normals (m, 3))."""
    if pole is None:
        candidates = np.random.default_rng(0).normal(size=(200, 3))
        candidates /= np.linalg.norm(candidates, axis=1, keepdims=True)
        pole = candidates[np.abs(candidates @ normals.T).min(axis=1).argmax()]
    e1 = np.cross(pole, [1.0, 0.0, 0.0] if abs(pole[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(pole, e1), pole


def vertex_normal_rule(p_normal, cuts, sharp, steepness, *, angular_nodes=6, radial_nodes=6, base=6.0):
    """Spherical rule about the apex of a 3-D normal space.

    cuts (m, 3): normals of planes through the apex across which the integrand jumps;
    sharp (s, 3): normals of planes through the apex along which it has sharp layers.
    Iterated on the sphere: the azimuth is split at every intersection of two cut planes,
    the polar angle of each meridian at its crossings with every plane, so each panel
    sees a smooth function; radial panels graded in units of 1 / steepness.
    """
    planes = np.vstack([cuts, sharp])
    # pole: the junction edge pointing most towards the origin, whose ridge the Gaussian
    # weight amplifies most; polar angles graded towards it
    toward = -p_normal / np.linalg.norm(p_normal)
    edge = cuts[np.abs(cuts @ toward).argmax()]
    pole = edge * np.sign(edge @ toward)
    e1, e2, pole = _pole_frame(planes, pole=pole)
    breaks = [0.0, 2 * np.pi]
    lines = [np.cross(cuts[a], cuts[b]) for a, b in itertools.combinations(range(len(cuts)), 2)]
    # planes through the pole are meridians: azimuth breaks
    lines += [np.cross(pole, n) for n in planes if abs(n @ pole) < 1e-9]
    # the junction edges (the cut normals) are where sharp layers meet: point-like features
    for d in lines + list(cuts):
        if np.linalg.norm(d - (d @ pole) * pole) < 1e-9:
            continue
        for sign in (1.0, -1.0):
            breaks.append(np.mod(np.arctan2(sign * d @ e2, sign * d @ e1), 2 * np.pi))
    breaks = np.sort(breaks)
    phi, w_phi = _gauss_legendre_on(breaks[np.diff(breaks, prepend=-1.0) > 1e-9], angular_nodes)
    horizontal = np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2  # (F, 3)
    a = horizontal @ planes.T  # (F, m)
    b = np.broadcast_to(planes @ pole, a.shape)
    crossing = np.mod(np.arctan2(-b, a), np.pi)
    t, w_t = np.polynomial.legendre.leggauss(angular_nodes)
    directions, weights = [], []
    for index in range(len(phi)):
        edges = np.unique(np.concatenate([[0.0, np.pi], POLAR_GRADING, crossing[index]]))
        lo, hi = edges[:-1], edges[1:]
        theta = (0.5 * (lo + hi))[:, None] + (0.5 * (hi - lo))[:, None] * t
        w = (0.5 * (hi - lo))[:, None] * w_t * np.sin(theta)
        theta, w = theta.ravel(), w.ravel()
        directions.append(np.sin(theta)[:, None] * horizontal[index] + np.cos(theta)[:, None] * pole)
        weights.append(w * w_phi[index])
    directions, weights = np.concatenate(directions), np.concatenate(weights)
    r_max = min(BOX + np.linalg.norm(p_normal), RADIAL_GRADING[-1] / steepness)
    r, w_r = _gauss_legendre_on(_radial_edges(steepness, r_max, base), radial_nodes)
    u = (r[None, :, None] * directions[:, None, :]).reshape(-1, 3)
    w = (weights[:, None] * w_r[None, :] * r[None, :] ** 2).ravel()
    density = np.exp(-0.5 * ((p_normal + u) ** 2).sum(-1)) / (2 * np.pi) ** 1.5
    return u, w * density


def _vertex_planes(coords, S, N):
    """Cut normals (the planes perpendicular to each junction edge of S through the apex)
    and sharp-layer normals (the bisector planes), in the normal basis N (3, k)."""
    cuts = []
    for T in itertools.combinations(S, 3):
        _, Qt, _ = _affine_frame(coords, T)
        cuts.append(N @ Qt[0])
    sharp = [N @ (coords[a] - coords[b]) for a, b in itertools.combinations(S, 2)]
    return _unit_rows(cuts), _unit_rows(sharp)


def _unit_rows(vectors):
    vectors = np.array(vectors)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _junction_directions(coords, S, N):
    """Angles (in the normal basis N (2, k)) of every line through the apex on which some
    G_T, T subset of S, or a prism indicator is discontinuous."""
    normals = []
    for a, b in itertools.combinations(S, 2):
        normals.append(coords[a] - coords[b])  # bisector (hard jump)
        Nt, _, _ = _affine_frame(coords, (a, b))
        for c in S:
            if c not in (a, b):
                d = coords[c] - coords[a]
                normals.append(d - (d @ Nt.T) @ Nt)  # prism wall of face ab against c
    angles = []
    for normal in normals:
        v = N @ normal
        if np.linalg.norm(v) < 1e-12:
            continue
        base = np.arctan2(v[1], v[0]) + 0.5 * np.pi
        angles += [base, base + np.pi]
    return np.array(angles)


# ---------------------------------------------------------------------------------------
# the rule
# ---------------------------------------------------------------------------------------


def _cell_measure(coords, a):
    """Gaussian measure of the Voronoi cell of component a."""
    others = [b for b in range(len(coords)) if b != a]
    k = coords.shape[1]
    return polytope_moments(*_half_spaces(coords, a, others, np.eye(k), np.zeros(k)))[0]


def strata(coords, *, max_codim, negligible=1e-11):
    """Yield (S, N, Q, p, mu0, mu1) for every cell, and every stratum of codimension
    1..max_codim whose Gaussian weight mu0 * density(apex) times max_{a in S} |C_a|^2 is
    at least negligible times the hard-limit loss sum_cells mu0 |C_a|^2 (a far stratum
    and every stratum in its closure are dropped together, so the large cancelling tails
    of slowly decaying corrections drop together)."""
    n, k = coords.shape
    sq = (coords**2).sum(-1)
    scale = None
    for size in range(1, min(max_codim, k) + 2):
        for S in itertools.combinations(range(n), size):
            frame = _affine_frame(coords, S)
            if frame is None:
                continue
            N, Q, p = frame
            others = [c for c in range(n) if c not in S]
            A, b = _half_spaces(coords, S[0], others, Q, p)
            mu0, mu1 = polytope_moments(A, b)
            c = size - 1
            if c == 0:
                yield S, N, Q, p, mu0, mu1
                continue
            if scale is None:
                scale = sum(_cell_measure(coords, a) * sq[a] for a in range(n))
            # the correction decays like exp(-steepness * distance) away from A_S while the
            # Gaussian weight grows towards the origin: the largest product bounds the term
            steep = min(np.linalg.norm(coords[a] - coords[b]) for a, b in itertools.combinations(S, 2))
            apex = np.linalg.norm(p)
            exponent = 0.5 * apex**2 if steep >= apex else steep * apex - 0.5 * steep**2
            weight = mu0 * np.exp(-exponent) * sq[list(S)].max()
            if weight < negligible * scale:
                continue
            yield S, N, Q, p, mu0, mu1


FACE_LEVELS = (4, 6, 8, 12)
JUNCTION_LEVELS = ((3, 3), (6, 5), (12, 6), (16, 6))
VERTEX_LEVELS = ((1, 2, True), (2, 2, True), (3, 3, True), (4, 4, True))


def _steepness(coords, S):
    return min(np.linalg.norm(coords[a] - coords[b]) for a, b in itertools.combinations(S, 2))


# a bound on the relative error of every stratum's coarsest level (measured: faces ~1e-5,
# junctions and vertices a few 1e-2): a term this small is kept at its coarsest level
PROBE_RELATIVE_ERROR = 0.1


def levels_of(codim):
    """The resolution levels of a stratum's normal-space rule, coarse to fine."""
    return {1: FACE_LEVELS, 2: JUNCTION_LEVELS, 3: VERTEX_LEVELS}[codim]


def stratum_points(coords, stratum, level):
    """Points y (P, k) and weights (P,) of one stratum's term at a resolution level
    (an index into levels_of(codim); ignored for cells)."""
    S, N, Q, p, mu0, mu1 = stratum
    k = coords.shape[1]
    c = len(S) - 1
    p_normal = N @ p if c else np.zeros(0)
    if c == 0:
        u, w = np.zeros((1, 0)), np.ones(1)
    elif c == 1:
        u, w = face_normal_rule(p_normal[0], _steepness(coords, S), nodes=FACE_LEVELS[level])
    elif c == 2:
        angular, radial = JUNCTION_LEVELS[level]
        directions = _junction_directions(coords, S, N)
        u, w = junction_normal_rule(
            p_normal, directions, _steepness(coords, S), angular_nodes=angular, radial_nodes=radial
        )
    else:
        angular, radial, with_sharp = VERTEX_LEVELS[level]
        cuts, sharp = _vertex_planes(coords, S, N)
        u, w = vertex_normal_rule(
            p_normal,
            cuts,
            sharp if with_sharp else np.zeros((0, 3)),
            _steepness(coords, S),
            angular_nodes=angular,
            radial_nodes=radial,
        )
    barycentre = Q.T @ (mu1 / mu0) if mu0 > 0 else np.zeros(k)
    return p + u @ N + barycentre, w * mu0


def stratum_term(coords, S, y, w):
    """E[G_S 1_S] from the stratum's points: loss () and gradient (n, k).

    A cell's term is its hard value times its Gaussian measure; within a larger stratum
    the hard limits of the F_U cancel exactly, so only their deviations are summed."""
    n, k = coords.shape
    loss, grad = 0.0, np.zeros((n, k))
    for U, coef in correction_coefficients(coords, S, y).items():
        if len(S) == 1:
            part_loss, part_grad = loss_and_gradient_on_points(coords[list(U)][None], y[None], (w * coef)[None])
            part_loss, part_grad = part_loss[0], part_grad[0]
        elif len(U) == 1:
            continue
        else:
            keep = coef != 0
            part_loss, part_grad = deviation_on_points(coords[list(U)], y[keep], (w * coef)[keep])
        loss += part_loss
        grad[list(U)] += part_grad
    return loss, grad


def stratified_loss_and_gradient(coords, *, max_codim=None, level=None, probe=False, tolerance=1e-10, report=None):
    """Loss (), gradient (n, k) of one configuration coords (n, k) (span frame) and the
    number of integration points used.

    level: a fixed resolution index for every stratum (clipped to each codimension's
    levels); with probe, each stratum is first evaluated at level 0 and kept there when
    that value times PROBE_RELATIVE_ERROR is within tolerance times the hard-limit scale
    (every point counted);
    None: adaptive, each stratum climbs its levels until two consecutive ones
    agree within tolerance times the hard-limit scale (loss: sum_a mu0_a |C_a|^2;
    gradient: max_a 2 mu0_a max|C_a|); every point evaluated on the way is counted.
    report: a list to which (S, cumulative points) is appended per stratum, or None.
    """
    n, k = coords.shape
    max_codim = k if max_codim is None else max_codim
    all_strata = list(strata(coords, max_codim=max_codim))
    cells = [st for st in all_strata if len(st[0]) == 1]
    loss_scale = sum(st[4] * (coords[st[0][0]] ** 2).sum() for st in cells)
    grad_scale = max(2 * st[4] * np.abs(coords[st[0][0]]).max() for st in cells)
    loss, grad, points = 0.0, np.zeros((n, k)), 0
    for stratum in all_strata:
        S = stratum[0]
        if len(S) == 1:
            y, w = stratum_points(coords, stratum, 0)
            part = stratum_term(coords, S, y, w)
            points += 1
        elif level is not None:
            y, w = stratum_points(coords, stratum, 0)
            part = stratum_term(coords, S, y, w)
            points += len(y)
            size = max(abs(part[0]) / loss_scale, np.abs(part[1]).max() / grad_scale)
            if not (probe and size * PROBE_RELATIVE_ERROR <= tolerance):
                y, w = stratum_points(coords, stratum, min(level, len(levels_of(len(S) - 1)) - 1))
                part = stratum_term(coords, S, y, w)
                points += len(y)
        else:
            previous = None
            for index in range(len(levels_of(len(S) - 1))):
                y, w = stratum_points(coords, stratum, index)
                part = stratum_term(coords, S, y, w)
                points += len(y)
                reference = previous if previous is not None else (0.0, 0.0)
                change = max(
                    abs(part[0] - reference[0]) / loss_scale, np.abs(part[1] - reference[1]).max() / grad_scale
                )
                if change <= tolerance:
                    break  # converged, or the whole term is below the tolerance
                previous = part
        loss += part[0]
        grad += part[1]
        if report is not None:
            report.append((S, points))
    return loss, grad, points


def deviation_on_points(coords, points, weights):
    """Weighted sums of the loss and gradient integrands minus their hard limits.

    coords (m, k) the components U; points (P, k); weights (P,).  At each point the hard
    limit is the integrand of the single component a = argmax of the logits (loss
    |C_a|^2, gradient 2 C_a for a and 0 for the others); the deviation is formed from
    e = g - C_a = sum_j w_j (C_j - C_a) and 1 - w_a = sum_{j != a} w_j, never as a
    difference of O(|C|^2) numbers, so it keeps its relative precision when it is many
    orders of magnitude below |C|^2 (far configurations with losses ~ 1e-7).
    Returns loss () and gradient (m, k).
    """
    logits = points @ coords.T - 0.5 * (coords**2).sum(-1)
    top = logits.argmax(-1)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    top_centre = coords[top]
    e = np.einsum("pj,pjk->pk", w, coords[None, :, :] - top_centre[:, None, :])
    g = top_centre + e
    loss = (weights * (e * (2 * top_centre + e)).sum(-1)).sum()
    others = w.copy()
    others[np.arange(len(w)), top] = 0.0
    rest = others.sum(-1)  # 1 - w_a
    # (C_i - g) . g, with C_a - g = -e for the top component
    curvature = (coords[None, :, :] - g[:, None, :]) @ g[:, :, None]
    curvature = curvature[..., 0]
    curvature[np.arange(len(w)), top] = -(e * g).sum(-1)
    first = w[..., None] * g[:, None, :]  # w_i g
    first[np.arange(len(w)), top] = -rest[:, None] * top_centre + w[np.arange(len(w)), top][:, None] * e
    second = (w * curvature)[..., None] * (points[:, None, :] - coords[None, :, :])
    grad = 2.0 * np.einsum("p,pik->ik", weights, first + second)
    return loss, grad

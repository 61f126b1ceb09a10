"""Regenerate tests/data/span_references.npz: loss and gradient references for k = 2 and
k = 3 configurations, computed independently of the package.

Each case is n parameters mu (n, d) and a target mu_star (d,) with d = 2 or 3 (the
integral is over all d coordinates of z = x - mu*, no span reduction).  The integrand is
the paper's formula, L = E|g|^2 and grad_i = 2 E[w_i (g + (z - c_i) (c_i - g) . g)] with
c_i = mu_i - mu*, g = sum_i w_i c_i, w = softmax(z . c_i - |c_i|^2 / 2).

The integral is iterated over the axes of a frame: the innermost axis by a fixed
Gauss-Legendre panel rule whose edges are graded around every visible crossing of two
logits on that line (checked here against scipy's adaptive quad), every outer axis by
adaptive Gauss-Kronrod (7/15 nodes, vectorised over the panels) with breakpoints at the
projections of every point where 2, 3 or 4 logits tie (the foot points of bisectors,
of triple-junction lines and the Voronoi vertices), on the box [-12, 12]^d (Gaussian mass
outside below 1e-31).  Panels are split until every panel's Kronrod-Gauss difference is
below its share (by width) of TOLERANCE times the scale of the result (|loss|, max |grad|).
Every d = 2 case and some d = 3 cases are computed in two frames (the standard axes and
a fixed random rotation): their disagreement is stored with the case as `spread` (nan
for one frame), the evidence that the references converged.  Without arguments the
script computes the cases the file lacks (it saves after each case); with case names it
recomputes those.

Cases: states recorded along real trajectories (thm3_5/M6_d3: n = 5, d = 3, mu* = 6 e1,
mu_i(0) ~ N(0, I); fig1/M6: n = 5, d = 3, mu_i(0) ~ N(0, 0.01^2 I); GD at eta = 0.25 with
the package's descent, whose states are only inputs here) and constructed classes
(clustered, O(1) spread, one parameter at mu* with the others at distance 6..16 in random
directions, d = 2 and 3).

    .venv/bin/python tests/data/make_span_references.py
"""

import sys
from itertools import combinations
from pathlib import Path

import numba
import numpy as np
from scipy import integrate
from scipy.special import roots_legendre

# the package only produces the trajectory states (inputs); no reference value uses it
from scorematch.dynamics import gradient_descent
from scorematch.seeding import STREAM_INIT, run_generators

OUTPUT = Path(__file__).with_name("span_references.npz")
BOX = 12.0
TOLERANCE = 1e-10
LINE_NODES = 12
LINE_BASE_WIDTH = 1.0
LINE_GRADING = (0.0, 0.25, -0.25, 1.0, -1.0, 3.0, -3.0, 8.0, -8.0, 20.0, -20.0)
VISIBLE_GAP = 60.0
KRONROD_NODES = np.array(
    [
        -0.991455371120813,
        -0.949107912342759,
        -0.864864423359769,
        -0.741531185599394,
        -0.586087235467691,
        -0.405845151377397,
        -0.207784955007898,
        0.0,
        0.207784955007898,
        0.405845151377397,
        0.586087235467691,
        0.741531185599394,
        0.864864423359769,
        0.949107912342759,
        0.991455371120813,
    ]
)
KRONROD_WEIGHTS = np.array(
    [
        0.022935322010529,
        0.063092092629979,
        0.104790010322250,
        0.140653259715525,
        0.169004726639267,
        0.190350578064785,
        0.204432940075298,
        0.209482141084728,
        0.204432940075298,
        0.190350578064785,
        0.169004726639267,
        0.140653259715525,
        0.104790010322250,
        0.063092092629979,
        0.022935322010529,
    ]
)
# the 7-point Gauss rule on the odd Kronrod nodes
GAUSS_WEIGHTS = np.array(
    [
        0.129484966168870,
        0.279705391489277,
        0.381830050505119,
        0.417959183673469,
        0.381830050505119,
        0.279705391489277,
        0.129484966168870,
    ]
)


def integrand(z, c):
    """Loss and gradient densities (P, 1 + n d) at points z (P, d) for c (n, d)."""
    logits = z @ c.T - 0.5 * (c**2).sum(-1)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    g = w @ c
    density = np.exp(-0.5 * (z**2).sum(-1)) / (2 * np.pi) ** (0.5 * z.shape[1])
    curvature = g @ c.T - (g**2).sum(-1)[:, None]  # (c_i - g) . g, (P, n)
    grad = 2 * w[..., None] * (g[:, None, :] + (z[:, None, :] - c[None]) * curvature[..., None])
    return np.concatenate([(g**2).sum(-1)[:, None], grad.reshape(len(z), -1)], axis=1) * density[:, None]


def line_edges(intercepts, slopes):
    """Panel edges (L, E) on [-BOX, BOX] for lines with logits intercepts + slopes * y (L, n):
    a uniform grid plus graded edges around every crossing on the upper envelope."""
    lines, n = intercepts.shape
    base = np.linspace(-BOX, BOX, int(2 * BOX / LINE_BASE_WIDTH) + 1)
    extra = []
    for i in range(n):
        for j in range(i + 1, n):
            step = slopes[:, i] - slopes[:, j]
            with np.errstate(divide="ignore", invalid="ignore"):
                x = (intercepts[:, j] - intercepts[:, i]) / step
            finite = np.isfinite(x) & (np.abs(step) > 0)
            x = np.where(finite, x, BOX)
            top = (intercepts + slopes * x[:, None]).max(-1)
            visible = finite & (top - (intercepts[:, i] + slopes[:, i] * x) <= VISIBLE_GAP)
            width = 1.0 / np.where(finite, np.abs(step), 1.0)
            for offset in LINE_GRADING:
                extra.append(np.where(visible, np.clip(x + offset * width, -BOX, BOX), BOX))
    edges = np.concatenate([np.broadcast_to(base, (lines, len(base))), np.stack(extra, 1)], axis=1)
    return np.sort(edges, axis=1)


def line_integrals(outer, c, axis_order):
    """Integrals over the innermost axis for each row of outer coordinates (L, d - 1).

    axis_order: the frame's axes, innermost first (rows of an orthonormal matrix).
    Returns (L, 1 + n d) in the original coordinates.
    """
    frame_c = c @ axis_order.T  # c in the frame
    half_sq = 0.5 * (c**2).sum(-1)
    intercepts = outer @ frame_c[:, 1:].T - half_sq
    slopes = np.broadcast_to(frame_c[:, 0], intercepts.shape)
    edges = line_edges(intercepts, slopes)
    line, panel = np.nonzero(edges[:, 1:] > edges[:, :-1])  # panels of positive width only
    lo, hi = edges[line, panel], edges[line, panel + 1]
    t, w = roots_legendre(LINE_NODES)
    y = (0.5 * (hi + lo))[:, None] + (0.5 * (hi - lo))[:, None] * t
    weights = (0.5 * (hi - lo))[:, None] * w
    out = np.zeros((len(outer), 1 + c.size))
    _panel_sums(line, y, weights, outer, axis_order, c, out)
    return out


@numba.njit(cache=False)
def _panel_sums(line, y, weights, outer, axis_order, c, out):
    """out[line[p]] += sum_q weights[p, q] * integrand at the frame point (y[p, q], outer[line[p]])
    (the loop form of :func:`integrand`, for speed)."""
    n, d = c.shape
    half_sq = 0.5 * (c**2).sum(1)
    frame = np.empty(d)
    z = np.empty(d)
    logits = np.empty(n)
    g = np.empty(d)
    norm = (2 * np.pi) ** (0.5 * d)
    for p in range(len(line)):
        r = line[p]
        frame[1:] = outer[r]
        for q in range(y.shape[1]):
            frame[0] = y[p, q]
            for a in range(d):
                z[a] = 0.0
                for b in range(d):
                    z[a] += frame[b] * axis_order[b, a]
            top = -np.inf
            for i in range(n):
                s = -half_sq[i]
                for a in range(d):
                    s += z[a] * c[i, a]
                logits[i] = s
                top = max(top, s)
            total = 0.0
            for i in range(n):
                logits[i] = np.exp(logits[i] - top)
                total += logits[i]
            for a in range(d):
                g[a] = 0.0
            for i in range(n):
                logits[i] /= total
                for a in range(d):
                    g[a] += logits[i] * c[i, a]
            g_sq = 0.0
            z_sq = 0.0
            for a in range(d):
                g_sq += g[a] * g[a]
                z_sq += z[a] * z[a]
            weight = weights[p, q] * np.exp(-0.5 * z_sq) / norm
            out[r, 0] += weight * g_sq
            for i in range(n):
                curvature = -g_sq
                for a in range(d):
                    curvature += c[i, a] * g[a]
                for a in range(d):
                    out[r, 1 + i * d + a] += weight * 2 * logits[i] * (g[a] + (z[a] - c[i, a]) * curvature)


def tie_points(frame_c, axis):
    """Coordinates on `axis` (the outermost) of the minimum-norm points where 2..(m + 1)
    logits tie, m = frame_c.shape[1]: bisector foot points, points of triple-junction
    lines closest to the origin, Voronoi vertices."""
    half_sq = 0.5 * (frame_c**2).sum(-1)
    n, m = frame_c.shape
    out = []
    for size in range(2, m + 2):
        for members in combinations(range(n), size):
            diff = frame_c[list(members[1:])] - frame_c[members[0]]
            rhs = half_sq[list(members[1:])] - half_sq[members[0]]
            if np.linalg.matrix_rank(diff) < size - 1:
                continue
            point = np.linalg.lstsq(diff, rhs, rcond=None)[0]
            out.append(point[axis])
    return [p for p in out if -BOX < p < BOX]


def adaptive(f, breaks, atol):
    """sum over panels of Gauss-Kronrod 15 of f on [-BOX, BOX] split at breaks.

    f: (P,) -> (P, V), vectorised; atol: (V,) the allowed total error per output.
    """
    edges = np.unique(np.concatenate([np.linspace(-BOX, BOX, 9), np.asarray(breaks, dtype=float)]))
    pending = np.stack([edges[:-1], edges[1:]], 1)
    total = 0.0
    for _ in range(60):
        centre = 0.5 * pending.sum(1)
        half = 0.5 * (pending[:, 1] - pending[:, 0])
        x = centre[:, None] + half[:, None] * KRONROD_NODES
        values = f(x.ravel()).reshape(len(pending), len(KRONROD_NODES), -1)
        kronrod = np.einsum("q,pqv->pv", KRONROD_WEIGHTS, values) * half[:, None]
        gauss = np.einsum("q,pqv->pv", GAUSS_WEIGHTS, values[:, 1::2]) * half[:, None]
        share = (2 * half / (2 * BOX))[:, None] * atol[None, :]
        done = np.all(np.abs(kronrod - gauss) <= share, axis=1) | (half < 1e-9)
        total = total + kronrod[done].sum(0)
        if done.all():
            return total
        split = pending[~done]
        mid = 0.5 * split.sum(1)
        pending = np.concatenate([np.stack([split[:, 0], mid], 1), np.stack([mid, split[:, 1]], 1)])
    raise RuntimeError("adaptive quadrature did not converge")


def nested(c, axis_order, atol):
    """Integral (1 + n d,) over R^d of the integrand, iterated in the frame axis_order."""
    d = c.shape[1]
    frame_c = c @ axis_order.T
    if d == 2:
        return adaptive(lambda v: line_integrals(v[:, None], c, axis_order), tie_points(frame_c, 1), atol)

    def slices(v3):
        out = []
        for value in v3:
            # the slice z3 = value has logits (z1, z2) . c_i[:2] + value c_i[2] - |c_i|^2 / 2
            breaks = slice_tie_points(frame_c, value)
            out.append(
                adaptive(
                    lambda v2, value=value: line_integrals(
                        np.column_stack([v2, np.full(len(v2), value)]), c, axis_order
                    ),
                    breaks,
                    atol / (2 * BOX),
                )
            )
        return np.array(out)

    return adaptive(slices, tie_points(frame_c, 2), atol)


def slice_tie_points(frame_c, z3):
    """z2 of the minimum-norm points of the plane z3 = const where 2 or 3 logits tie."""
    half_sq = 0.5 * (frame_c**2).sum(-1)
    intercepts = z3 * frame_c[:, 2] - half_sq
    planar = frame_c[:, :2]
    out = []
    for size in (2, 3):
        for members in combinations(range(len(planar)), size):
            diff = planar[list(members[1:])] - planar[members[0]]
            rhs = intercepts[members[0]] - intercepts[list(members[1:])]
            if np.linalg.matrix_rank(diff) < size - 1:
                continue
            out.append(np.linalg.lstsq(diff, rhs, rcond=None)[0][1])
    return [p for p in out if -BOX < p < BOX]


def reference(mu, mu_star, *, frames):
    """Loss, gradient (n, d) and the disagreement of the frames (relative, max norm; nan
    with one frame)."""
    c = mu - mu_star
    n, d = c.shape
    rotation = np.linalg.qr(np.random.default_rng(99).normal(size=(d, d)))[0]
    # scale of the result from a coarse pass (rough tolerance relative to a tensor GL sum)
    t, w = roots_legendre(120)
    grid = np.stack(np.meshgrid(*[BOX * t] * d, indexing="ij"), -1).reshape(-1, d)
    weight = np.prod(np.stack(np.meshgrid(*[BOX * w] * d, indexing="ij"), -1).reshape(-1, d), -1)
    coarse = weight @ integrand(grid, c)
    scale = np.concatenate([[abs(coarse[0])], np.full(n * d, np.abs(coarse[1:]).max())])
    results = [nested(c, frame, TOLERANCE * scale) for frame in (np.eye(d), rotation.T)[:frames]]
    values = results[0]
    if frames == 1:
        return values[0], values[1:].reshape(n, d), np.nan
    loss_gap = abs(results[0][0] - results[1][0]) / abs(values[0])
    grad_gap = np.abs(results[0][1:] - results[1][1:]).max() / np.abs(values[1:]).max()
    return values[0], values[1:].reshape(n, d), max(loss_gap, grad_gap)


def check_line_rule():
    """The fixed line rule against scipy's adaptive quad on sharp random lines."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        c = rng.normal(scale=8.0, size=(5, 2))
        outer = rng.normal(size=(1, 1))
        got = line_integrals(outer, c, np.eye(2))[0]

        def f(y, component, c=c, outer=outer):
            return integrand(np.array([[y, outer[0, 0]]]), c)[0, component]

        for component in range(got.shape[0]):
            want = integrate.quad(
                f,
                -BOX,
                BOX,
                args=(component,),
                limit=2000,
                epsabs=1e-300,
                epsrel=1e-13,
                points=np.linspace(-BOX, BOX, 49),
            )[0]
            assert abs(got[component] - want) <= 1e-12 * np.abs(got).max(), (got[component], want)


def unit_vectors(rng, count, dims):
    vectors = rng.normal(size=(count, dims))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def far_case(rng, distances, dims):
    """One parameter at mu* = 0, the others at these distances in random directions."""
    return np.vstack([np.zeros(dims), unit_vectors(rng, len(distances), dims) * np.asarray(distances)[:, None]])


def trajectory_states(name, *, sigma, runs, taus):
    """States (mu (n, 3), mu* (3,)) at the recorded iterations of GD runs like the config's
    case `name` (mu* = 6 e1, n = 5, eta = 0.25, mu_i(0) ~ N(0, sigma^2 I))."""
    mu_star = np.array([6.0, 0.0, 0.0])
    generators = run_generators(20251122, name, n_runs=max(runs) + 1, stream=STREAM_INIT)
    initial = np.stack([sigma * rng.standard_normal((5, 3)) for rng in generators])[list(runs)]
    states = {}
    mu = initial
    done = 0
    for tau in taus:
        if tau > done:
            mu = gradient_descent(mu, mu_star, eta=0.25, record_at=np.array([0, tau - done])).final
            done = tau
        for r, run in enumerate(runs):
            states[f"{name.replace('/', '_')}_run{run}_tau{tau}"] = (mu[r].copy(), mu_star)
    return states


def cases():
    """name -> (mu, mu_star, frames), the cheap and the most used first (d = 3 cases cost
    minutes per frame; a second frame is computed for every d = 2 case and a few d = 3)."""
    rng = np.random.default_rng(20261124)
    out = {
        "clustered_d2": (np.array([3.0, -1.0]) + 1e-2 * rng.normal(size=(5, 2)), np.zeros(2), 2),
        "spread_1_d2": (rng.normal(size=(5, 2)), np.zeros(2), 2),
        "far_6_10_d2": (far_case(rng, [6.0, 7.0, 8.5, 10.0], 2), np.zeros(2), 2),
        "far_12_16_d2": (far_case(rng, [12.0, 13.0, 15.0, 16.0], 2), np.zeros(2), 2),
        "far_6_10_d3": (far_case(rng, [6.0, 7.0, 8.5, 10.0], 3), np.zeros(3), 2),
    }
    thm = trajectory_states("thm3_5/M6_d3", sigma=1.0, runs=(0, 1), taus=(0, 10, 100, 1000))
    fig = trajectory_states("fig1/M6", sigma=0.01, runs=(0,), taus=(1000, 10000, 100000))
    for states in (thm, fig):
        for name, (mu, mu_star) in states.items():
            out[name] = (mu, mu_star, 2 if name.endswith("tau1000") else 1)
    out["far_12_16_d3"] = (far_case(rng, [12.0, 13.0, 15.0, 16.0], 3), np.zeros(3), 1)
    # held-out cases, added after the soft-cluster outer rules were measured on the cases
    # above (new rng draws go after all earlier ones, so no earlier case changes)
    held_out = trajectory_states("thm3_5/M6_d3", sigma=1.0, runs=(2, 3), taus=(10, 100, 1000))
    for name, (mu, mu_star) in held_out.items():
        out[name] = (mu, mu_star, 2 if name.endswith("tau1000") else 1)
    out["spread_1_d3"] = (rng.normal(size=(5, 3)), np.zeros(3), 2)
    # held-out far cases in d = 2, added after the outer line rule of k = 2 (rule stated
    # before, first measured on far_6_10_d2 and far_12_16_d2): more junctions near the
    # Gaussian core and more parameters
    out["far_4_9_d2"] = (far_case(rng, [4.0, 5.5, 7.0, 9.0], 2), np.zeros(2), 2)
    out["far_6_10_n8_d2"] = (far_case(rng, np.linspace(6.0, 10.0, 7), 2), np.zeros(2), 2)
    out["far_12_16_n8_d2"] = (far_case(rng, np.linspace(12.0, 16.0, 7), 2), np.zeros(2), 2)
    # a soft pair away from mu* (two parameters 1.3 apart across the outer axis, 3 and 10
    # from mu*): the state of a d = 2 mixture run's start (mixture_K2_plane D2, run 15,
    # relative to one truth mean) where a finer rule first disagreed with the package's
    out["soft_pair_10_d2"] = (np.array([[-9.972, 0.643], [-10.035, -0.671]]), np.zeros(2), 2)
    out["soft_pair_3_d2"] = (np.array([[-3.0, 0.643], [-3.05, -0.671]]), np.zeros(2), 2)
    # held-out soft clusters, added after the soft-transition count took the gradient's
    # order-3 pole (count stated before these were computed): other steepness, distance and
    # orientation, and a soft triple in d = 3 (k = 3, two outer axes)
    out["soft_pair_s08_5_d2"] = (np.array([[5.0, 0.4], [5.02, -0.4]]), np.zeros(2), 2)
    out["soft_pair_s2_7_d2"] = (np.array([[1.0, 7.0], [-1.0, 7.05]]), np.zeros(2), 2)
    out["soft_triple_4_d3"] = (np.array([[4.0, 0.5, 0.3], [4.05, -0.5, 0.2], [3.95, 0.1, -0.6]]), np.zeros(3), 2)
    return out


def main():
    check_line_rule()
    only = set(sys.argv[1:])
    arrays = dict(np.load(OUTPUT)) if OUTPUT.exists() else {}
    for name, (mu, mu_star, frames) in cases().items():
        if (only and name not in only) or (not only and f"{name}/loss" in arrays):
            continue
        loss, grad, spread = reference(mu, mu_star, frames=frames)
        arrays[f"{name}/mu"], arrays[f"{name}/mu_star"] = mu, mu_star
        arrays[f"{name}/loss"], arrays[f"{name}/gradient"] = np.float64(loss), grad
        arrays[f"{name}/spread"] = np.float64(spread)
        print(
            f"{name}: loss {loss:.6e}, max |gradient| {np.abs(grad).max():.3e}, frames agree to {spread:.1e}",
            flush=True,
        )
        np.savez(OUTPUT, **arrays)


if __name__ == "__main__":
    main()

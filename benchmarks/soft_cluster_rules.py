"""Candidate outer rules for soft clusters in k = 2, 3, against the references of
tests/data/span_references.npz (a research measurement; the package's rule is unchanged).

Run on demand:  nice -n 10 .venv/bin/python benchmarks/soft_cluster_rules.py

The package's rule for k >= 2 integrates the crossing-aware graded Gauss-Legendre line rule
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
  - "default": the package's rule (`LineRule()`), for comparison.
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
    S = m^2 (1 + m) (1 + m + H) with m = max_i |c_i| and H the inner half-width (bounds
    |g|^2 and the gradient integrand w_i g + w_i ((c_i - g) . g)(z - c_i) over the inner
    line up to the outer coordinates, taken at the dropped nodes' largest |y|).  Result
    scale: min(loss, max-abs gradient) of the package's default rule (an engine would use
    the previous step's values; the default rule is within 1e-4 of the reference on every
    state, ample for a threshold).
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

Prints one row per case and candidate (points per evaluation, loss error, gradient error)
and one summary line per candidate (worst errors and mean points over the acceptance cases).
"""

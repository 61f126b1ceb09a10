"""Candidate integration rules for the far random-direction class, against the references
of tests/data/span_references.npz (a research spike; the package's rule is unchanged).

Run on demand:  .venv/bin/python benchmarks/far_class_rules.py   (a few minutes)

For every reference case prints the rank k and, for the current default rule and for each
candidate, the integration points per evaluation, the relative loss error and the
gradient error (max-abs error over max-abs reference gradient; the comparison of
benchmarks/span_accuracy.py).

Candidates (benchmarks/stratified_rule.py): the stratified decomposition over the
Voronoi diagram of the centres (cells: closed-form Gaussian polytope measures, no
integrand evaluation; faces: a graded 1-D rule along the normal; junctions: a polar rule
about the junction in its 2-D normal plane; vertices in k = 3: a spherical rule), with
  - "strat adaptive": every stratum climbs its resolution levels until two consecutive
    ones agree within TOLERANCE of the hard-limit scale (all points evaluated counted);
  - "strat probe+L": every stratum is evaluated at its coarsest level and kept there if
    that whole term is within TOLERANCE of the scale, else evaluated again at level L
    (both evaluations counted).
The column "min face steepness" is the smallest |C_a - C_b| over the faces kept: below
~2.5 the transition layers are as wide as the distances between junctions and the
few-component local expansions are wrong (the stratified rule is not meant for those
cases; the default rule is).
Points per evaluation of a candidate: integrand evaluation points (a point of a junction
or vertex term evaluates the softmax of each subset of the stratum's components there).
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from span_accuracy import REFERENCES, case_names, points_per_evaluation, relative_errors  # noqa: E402
from stratified_rule import strata, stratified_loss_and_gradient  # noqa: E402

from scorematch.engine import evaluate  # noqa: E402
from scorematch.population import relative_to_target, span_basis  # noqa: E402
from scorematch.quadrature import LineRule  # noqa: E402

TOLERANCE = 1e-9
CANDIDATES = {
    "strat adaptive": {"tolerance": TOLERANCE},
    "strat probe+L2": {"level": 2, "probe": True, "tolerance": TOLERANCE},
    "strat probe+L3": {"level": 3, "probe": True, "tolerance": TOLERANCE},
}


def span_coordinates(mu, mu_star):
    """Coordinates (n, k) of the c_i in the span basis (k, d) of one configuration."""
    relative = relative_to_target(mu[None], mu_star)
    basis, rank = span_basis(relative)
    span = basis[0, : rank[0]]
    return relative[0] @ span.T, span


def sharpest_softest_face(coords):
    """The smallest |C_a - C_b| over the faces the stratified rule keeps: its transition
    width is the widest, the one that invalidates the local (few-component) expansions."""
    k = coords.shape[1]
    return min(np.linalg.norm(coords[S[0]] - coords[S[1]]) for S, *_ in strata(coords, max_codim=k) if len(S) == 2)


def main():
    header = "| case | k | min face steepness | default: points | loss err | grad err |"
    for label in CANDIDATES:
        header += f" {label}: points | loss err | grad err |"
    print(header + " s (candidates) |")
    print("|" + " --- |" * (header.count("|")))
    for name in case_names():
        mu, mu_star = REFERENCES[f"{name}/mu"], REFERENCES[f"{name}/mu_star"]
        k, points = points_per_evaluation(mu, mu_star, LineRule())
        loss, grad = evaluate(mu[None], mu_star, rule=LineRule())
        loss_error, grad_error = relative_errors(name, loss[0], grad[0])
        coords, span = span_coordinates(mu, mu_star)
        steepness = sharpest_softest_face(coords)
        row = f"| {name} | {k} | {steepness:.2f} | {points} | {loss_error:.0e} | {grad_error:.0e} |"
        start = time.perf_counter()
        for options in CANDIDATES.values():
            loss, grad, points = stratified_loss_and_gradient(coords, **options)
            loss_error, grad_error = relative_errors(name, loss, grad @ span)
            row += f" {points} | {loss_error:.0e} | {grad_error:.0e} |"
        print(row + f" {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()

"""Accuracy of the population-exact rule for k = 2, 3 against independent references, and
what more outer Gauss-Hermite nodes buy.

Run on demand:  .venv/bin/python benchmarks/span_accuracy.py
For every case of tests/data/span_references.npz (nested adaptive quadrature, see
tests/data/make_span_references.py; states from thm3_5/M6_d3- and fig1/M6-like runs and
constructed classes) prints the rank k, the reference loss, and for the default rule and
for rules with more outer nodes (the spread schedule switched off): the integration
points per evaluation, the relative loss error, the gradient error (max-abs error over
max-abs gradient) and the seconds per compiled evaluation.
"""

import time
from pathlib import Path

import numpy as np

from scorematch.engine import evaluate
from scorematch.population import quadrature_points, relative_to_target, span_basis
from scorematch.quadrature import LineRule, outer_node_counts

# outer slices whose points are counted at once (bounds memory at the far cases' 200 x 200)
SLICES_PER_PASS = 4096
REFERENCES = np.load(Path(__file__).parents[1] / "tests" / "data" / "span_references.npz")
RULES = {
    "default": LineRule(),
    "GH 32": LineRule(hermite_nodes=32, hermite_schedule=(), pole_error=None),
    "GH 64": LineRule(hermite_nodes=64, hermite_schedule=(), pole_error=None),
}


def points_per_evaluation(mu, mu_star, rule):
    """Integration points of positive weight the rule uses for mu (n, d)."""
    relative = relative_to_target(mu[None], mu_star)
    basis, rank = span_basis(relative)
    coords = np.einsum("rnd,rkd->rnk", relative, basis[:, : rank[0]])
    outer = outer_node_counts(coords[..., 1:], rule=rule)[0]
    points = 0
    for start in range(0, int(np.prod(outer)), SLICES_PER_PASS):
        block = slice(start, start + SLICES_PER_PASS)
        points += int((quadrature_points(coords, rule=rule, outer_nodes=outer, slices=block)[1] > 0).sum())
    return int(rank[0]), points


def case_names():
    """The cases of the reference file, sorted."""
    return sorted({key.split("/")[0] for key in REFERENCES.files})


def relative_errors(name, loss, grad):
    """Relative loss error and gradient error (max-abs error over max-abs reference
    gradient) of loss () and grad (n, d) against the reference of case name."""
    ref_loss, ref_grad = REFERENCES[f"{name}/loss"], REFERENCES[f"{name}/gradient"]
    return abs(loss - ref_loss) / ref_loss, np.abs(grad - ref_grad).max() / np.abs(ref_grad).max()


def main():
    names = case_names()
    header = "| case | k | loss | frames agree |"
    for label in RULES:
        header += f" {label}: points | loss err | grad err | s/eval |"
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for name in names:
        mu, mu_star, ref_loss, ref_grad, spread = (
            REFERENCES[f"{name}/{field}"] for field in ("mu", "mu_star", "loss", "gradient", "spread")
        )
        row = f"| {name} | {{k}} | {ref_loss:.1e} | {spread:.0e} |"
        for rule in RULES.values():
            k, points = points_per_evaluation(mu, mu_star, rule)
            evaluate(mu[None], mu_star, rule=rule)
            start = time.perf_counter()
            loss, grad = evaluate(mu[None], mu_star, rule=rule)
            seconds = time.perf_counter() - start
            loss_error, grad_error = relative_errors(name, loss[0], grad[0])
            row += f" {points} | {loss_error:.0e} | {grad_error:.0e} | {seconds:.1e} |"
        print(row.format(k=k))


if __name__ == "__main__":
    main()

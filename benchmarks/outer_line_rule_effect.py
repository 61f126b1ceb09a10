"""What the outer line rule of k = 2 changes against the capped Gauss-Hermite rule it
replaces, side by side: accuracy and cost.

Run on demand:  NUMBA_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/outer_line_rule_effect.py
[--readme README.md]   (under a minute; with --readme it also writes the table into the
README's block between scorematch.readme_tables.OUTER_LINE_MARKERS)

A k = 2 run whose soft-transition count exceeds the cap of 200 outer nodes takes the outer
line rule (`scorematch.quadrature.uses_outer_line_rule`); before, it took 200
Gauss-Hermite nodes on its outer axis.  States:
- the far d = 2 cases of tests/data/span_references.npz (single Gaussian truth), where
  both rules are also compared with the independent references;
- mixture truths of the config's d = 2 shapes (`K2_plane`: K = 2 on a line, `K3_triangle`:
  K = 3 on a triangle, each at the separations the config runs), with three students: a
  start around the truth means' centroid (N(0, I) offsets), near convergence (each
  student 0.05 from a truth mean) and one student far (the others near two means, the
  third 8 away), six draws each (seed 0).
Prints per class the integration points per evaluation and the seconds per compiled
evaluation (process CPU time, least of REPEATS calls, one thread) of both rules, and the
largest relative loss and gradient (max-abs) difference between them, or for the
reference cases each rule's error against the reference.
"""

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from outer_counts_cost import cpu_seconds  # noqa: E402
from span_accuracy import REFERENCES, case_names, relative_errors  # noqa: E402

from scorematch.engine import evaluate  # noqa: E402
from scorematch.mixture import truth_means  # noqa: E402
from scorematch.population import points_summed  # noqa: E402
from scorematch.quadrature import LineRule  # noqa: E402
from scorematch.readme_tables import OUTER_LINE_MARKERS, print_and_publish  # noqa: E402

REPEATS = 5
DRAWS = 6
PACKAGE = LineRule()
# the rule before: the soft-transition count clipped to the cap, never the outer line rule
CAPPED = replace(PACKAGE, outer_line=False)
RULES = (PACKAGE, CAPPED)
SHAPES = {"K2_plane": (2, "line", (2, 4, 8)), "K3_triangle": (3, "polygon", (4, 8))}


def mixture_states(rng, means):
    """(label, mu (DRAWS, 3, d)) for the truth means (K, d)."""
    near = means[rng.integers(len(means), size=(DRAWS, 3))] + 0.05 * rng.normal(size=(DRAWS, 3, means.shape[1]))
    far = near.copy()
    direction = rng.normal(size=(DRAWS, means.shape[1]))
    far[:, 2] = far[:, 0] + 8.0 * direction / np.linalg.norm(direction, axis=-1, keepdims=True)
    return [
        ("start", means.mean(0) + rng.normal(size=(DRAWS, 3, means.shape[1]))),
        ("near", near),
        ("one far", far),
    ]


def differences(a, b):
    """Largest relative loss and max-abs gradient difference of (loss, grad) b against a."""
    loss = np.abs(b[0] - a[0]) / np.abs(a[0])
    grad = np.abs(b[1] - a[1]).reshape(len(a[0]), -1).max(-1) / np.abs(a[1]).reshape(len(a[0]), -1).max(-1)
    return loss.max(), grad.max()


def table_lines():
    """The table, one markdown line per class of states."""
    rng = np.random.default_rng(0)
    evaluate(np.zeros((1, 3, 2)) + 1.0, np.zeros((2, 2)), mixture=True)  # compile outside the timings
    lines = [
        "| states | outer line rule: s/eval | capped GH: s/eval | ratio | loss | gradient | compared |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in case_names():
        if not (name.startswith("far_") and name.endswith("_d2")):
            continue
        mu, mu_star = REFERENCES[f"{name}/mu"][None], REFERENCES[f"{name}/mu_star"]
        line, capped = (cpu_seconds(mu, mu_star, rule, repeats=REPEATS) for rule in RULES)
        errors = [relative_errors(name, *(x[0] for x in evaluate(mu, mu_star, rule=rule))) for rule in RULES]
        points = [int(points_summed(mu, mu_star, rule=rule)[0]) for rule in RULES]
        lines.append(
            f"| `{name}` | {line:.1e} ({points[0]} points) | {capped:.1e} ({points[1]} points) | {line / capped:.1f} "
            f"| {errors[0][0]:.0e} / {errors[1][0]:.0e} | {errors[0][1]:.0e} / {errors[1][1]:.0e} "
            "| each rule against the reference (line / capped) |"
        )
    for shape, (components, layout, separations) in SHAPES.items():
        for separation in separations:
            means = truth_means(components=components, separation=separation, dim=2, layout=layout)
            for label, mu in mixture_states(rng, means):
                line, capped = (cpu_seconds(mu, means, rule, mixture=True, repeats=REPEATS) for rule in RULES)
                loss, grad = differences(*(evaluate(mu, means, rule=rule, mixture=True) for rule in RULES))
                lines.append(
                    f"| {shape} D{separation} {label} | {line:.1e} | {capped:.1e} | {line / capped:.1f} "
                    f"| {loss:.0e} | {grad:.0e} | capped against the line rule |"
                )
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", help="also write the table into this README's outer-line-rule block")
    args = parser.parse_args()
    text = "\n".join(table_lines()) + "\n"
    print_and_publish(text, readme=args.readme, markers=OUTER_LINE_MARKERS)


if __name__ == "__main__":
    main()

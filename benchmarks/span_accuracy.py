"""Accuracy of the population-exact rule for k = 2, 3 against independent references, and
what more outer Gauss-Hermite nodes buy.

Run on demand:  .venv/bin/python benchmarks/span_accuracy.py [--readme README.md]
(a few seconds: it reads the stored references; with --readme it also writes the same text
into the README's block between scorematch.readme_tables.SPAN_ACCURACY_MARKERS)
For every case of tests/data/span_references.npz (nested adaptive quadrature, see
tests/data/make_span_references.py; states from thm3_5/M6_d3- and fig1/M6-like runs and
constructed classes) prints the rank k, the reference loss, how closely its two frames
agree, and for the default rule and for rules with more outer nodes (the spread schedule
switched off): the integration points per evaluation, the relative loss error and the
gradient error (max-abs error over max-abs gradient) of the compiled engine; then the
worst errors per class of cases (a trajectory state's class is its run's name).
"""

import argparse
import re
from pathlib import Path

import numpy as np

from scorematch.engine import evaluate
from scorematch.population import points_summed, relative_to_target, span_basis
from scorematch.quadrature import LineRule
from scorematch.readme_tables import SPAN_ACCURACY_MARKERS, print_and_publish

REFERENCES = np.load(Path(__file__).parents[1] / "tests" / "data" / "span_references.npz")
RULES = {
    "default": LineRule(),
    "GH 32": LineRule(hermite_nodes=32, hermite_schedule=(), pole_error=None, truncation_error=None),
    "GH 64": LineRule(hermite_nodes=64, hermite_schedule=(), pole_error=None, truncation_error=None),
}


def points_per_evaluation(mu, mu_star, rule):
    """Rank and integration points the rule sums for mu (n, d)."""
    rank = span_basis(relative_to_target(mu[None], mu_star))[1][0]
    return int(rank), int(points_summed(mu[None], mu_star, rule=rule)[0])


def case_names():
    """The cases of the reference file, sorted."""
    return sorted({key.split("/")[0] for key in REFERENCES.files})


def relative_errors(name, loss, grad):
    """Relative loss error and gradient error (max-abs error over max-abs reference
    gradient) of loss () and grad (n, d) against the reference of case name."""
    ref_loss, ref_grad = REFERENCES[f"{name}/loss"], REFERENCES[f"{name}/gradient"]
    return abs(loss - ref_loss) / ref_loss, np.abs(grad - ref_grad).max() / np.abs(ref_grad).max()


def case_class(name):
    """The class of a case: its name without the run and tau of a trajectory state."""
    return re.sub(r"_run\d+_tau\d+$", "", name)


def case_rows():
    """Per case: (name, k, reference loss, frames' agreement, {rule label: (points, loss err, grad err)})."""
    rows = []
    for name in case_names():
        mu, mu_star, ref_loss, spread = (REFERENCES[f"{name}/{field}"] for field in ("mu", "mu_star", "loss", "spread"))
        errors = {}
        for label, rule in RULES.items():
            k, points = points_per_evaluation(mu, mu_star, rule)
            loss, grad = evaluate(mu[None], mu_star, rule=rule)
            errors[label] = (points, *relative_errors(name, loss[0], grad[0]))
        rows.append((name, k, float(ref_loss), float(spread), errors))
    return rows


def separator(header):
    """The markdown line under a table's header line."""
    return "|" + " --- |" * (header.count("|") - 1)


def case_table(rows):
    """Markdown lines: one row per case."""
    header = "| case | k | loss | frames agree |"
    for label in RULES:
        header += f" {label}: points | loss err | grad err |"
    lines = [header, separator(header)]
    for name, k, ref_loss, spread, errors in rows:
        agree = "-" if not np.isfinite(spread) else f"{spread:.0e}"
        cells = "".join(f" {points} | {loss:.0e} | {grad:.0e} |" for points, loss, grad in errors.values())
        lines.append(f"| {name} | {k} | {ref_loss:.1e} | {agree} |{cells}")
    return lines


def class_table(rows):
    """Markdown lines: per class, the worst loss and gradient errors of each rule."""
    header = "| class | cases |" + "".join(f" {label}: worst loss err | worst grad err |" for label in RULES)
    lines = [header, separator(header)]
    for cls in sorted({case_class(name) for name, *_ in rows}):
        members = [errors for name, *_, errors in rows if case_class(name) == cls]
        cells = ""
        for label in RULES:
            cells += f" {max(e[label][1] for e in members):.0e} | {max(e[label][2] for e in members):.0e} |"
        lines.append(f"| {cls} | {len(members)} |{cells}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", help="also write the text into this README's span-accuracy block")
    args = parser.parse_args()
    rows = case_rows()
    text = "\n".join(case_table(rows) + ["", "Worst error per class:", ""] + class_table(rows)) + "\n"
    print_and_publish(text, readme=args.readme, markers=SPAN_ACCURACY_MARKERS)


if __name__ == "__main__":
    main()

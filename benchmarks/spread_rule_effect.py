"""How far the rule before the per-axis outer counts moved the runs of thm3_5/M6_d3.

Run on demand:  nice -n 10 .venv/bin/python benchmarks/spread_rule_effect.py [--runs 12] [--readme README.md]
(under a minute on 2 cores for 12 runs; with --readme it also writes the text into the
README's block between scorematch.readme_tables.SPREAD_EFFECT_MARKERS)

`thm3_5/M6_d3` (n = 5, d = 3, mu_i(0) ~ N(0, I), mu* = 6 e1) is the pipeline case whose
states spread by O(1) across the outer axes.  The rule before (the spread tier of the
largest outer coordinate on every outer axis, 16 nodes there, every outer node summed)
erred on its states by up to about 3e-4 against independent references; the package's
rule (per-axis counts, truncated outer sum) by 1e-10 at most (benchmarks/span_accuracy.py,
README "The numerics").  This script reruns the case's first runs (the same seed streams
as the pipeline's job, config.yaml's settings) with the rule before at 16 and 32 nodes and
with the package's rule, and compares each with the package's runs at every recorded
iteration: the outcome of each run, the relative loss difference and the largest
difference in a parameter's distance to mu*, over all records and at the last one.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from scorematch.config import load_config, resolve_case
from scorematch.experiment import integration_rule, run_specification
from scorematch.quadrature import LineRule
from scorematch.readme_tables import SPREAD_EFFECT_MARKERS, print_and_publish

REPO = Path(__file__).resolve().parent.parent
CASE = ("thm3_5", "M6_d3")
REFERENCE = "the package's rule (reference)"
RULES = {
    "the rule before: 16 outer nodes, every node summed": LineRule(pole_error=None, truncation_error=None),
    "the rule before with 32 outer nodes": LineRule(hermite_nodes=32, pole_error=None, truncation_error=None),
}


def case_runs(spec, *, root_seed, runs, rule):
    """The case's first `runs` runs with this rule, and the seconds they took."""
    start = time.perf_counter()
    arrays = run_specification({**spec, "runs": runs}, root_seed=root_seed, name="/".join(CASE), rule=rule)
    return arrays, time.perf_counter() - start


def differences(arrays, reference):
    """Per run and record: whether the outcomes agree (R,), the relative loss difference
    (R, T) and the largest difference in a parameter's distance to mu* (R, T)."""
    loss_gap = np.abs(arrays["loss"] - reference["loss"]) / np.abs(reference["loss"])
    distance_gap = np.abs(arrays["distance"] - reference["distance"]).max(axis=-1)
    return arrays["outcome"] == reference["outcome"], loss_gap, distance_gap


def effect_text(results):
    """Markdown: one row per rule against the package's.

    results: rule label -> (arrays, seconds), REFERENCE among them.
    """
    reference, reference_seconds = results[REFERENCE]
    tau = reference["tau"]
    lines = [
        f"First {len(reference['loss'])} runs of `{'/'.join(CASE)}` (config.yaml: tau = 0 to {tau[-1]}, "
        f"{len(tau)} records), each rule against the package's; the largest "
        "difference over the runs, over all records and at the last one:",
        "",
        "| rule | seconds | same outcome | relative loss difference | at the last record | "
        "distance difference | at the last record |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, (arrays, seconds) in results.items():
        if label == REFERENCE:
            continue
        same, loss_gap, distance_gap = differences(arrays, reference)
        lines.append(
            f"| {label} | {seconds:.0f} | {int(same.sum())} of {len(same)} | {loss_gap.max():.1e} | "
            f"{loss_gap[:, -1].max():.1e} | {distance_gap.max():.1e} | {distance_gap[:, -1].max():.1e} |"
        )
    lines.append(f"| {REFERENCE} | {reference_seconds:.0f} | - | - | - | - | - |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12, help="how many of the case's runs (default 12)")
    parser.add_argument("--readme", help="also write the text into this README's spread-effect block")
    args = parser.parse_args()
    config = load_config([REPO / "config.yaml"])
    spec = resolve_case(config, *CASE)
    rules = {**RULES, REFERENCE: integration_rule(spec)}
    seed = config["root_seed"]
    results = {label: case_runs(spec, root_seed=seed, runs=args.runs, rule=rule) for label, rule in rules.items()}
    text = effect_text(results)
    print_and_publish(text, readme=args.readme, markers=SPREAD_EFFECT_MARKERS)


if __name__ == "__main__":
    main()

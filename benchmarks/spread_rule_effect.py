"""How far the outer rule's error on k = 3 spread states moves the runs of thm3_5/M6_d3.

Run on demand:  nice -n 10 .venv/bin/python benchmarks/spread_rule_effect.py [--runs 12] [--readme README.md]
(about 6 minutes on 2 cores for 12 runs; with --readme it also writes the text into the
README's block between scorematch.readme_tables.SPREAD_EFFECT_MARKERS)

`thm3_5/M6_d3` (n = 5, d = 3, mu_i(0) ~ N(0, I), mu* = 6 e1) is a pipeline case whose
states are not population-exact: against independent references the package's rule (16
outer Gauss-Hermite nodes per axis, the case's `hermite_nodes`) errs on its states by up to
about 1e-4 relative, 64 nodes per axis at least 1000 times less (benchmarks/span_accuracy.py,
README "The numerics").  This script reruns the case's first runs (the same seed streams as
the pipeline's job, config.yaml's settings) with 16, 32 and 64 outer nodes per axis and
compares each with the 64-node runs at every recorded iteration: the outcome of each run,
the relative loss difference and the largest difference in a parameter's distance to mu*,
over all records and at the last one.  The 64-node runs stand in for exact ones, so the
16-node row measures the pipeline rule's effect and the 32-node row shows how the
difference shrinks with the outer rule's accuracy.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from scorematch.config import load_config, resolve_case
from scorematch.experiment import run_specification
from scorematch.readme_tables import SPREAD_EFFECT_MARKERS, rewrite_readme_block

REPO = Path(__file__).resolve().parent.parent
CASE = ("thm3_5", "M6_d3")
OUTER_NODES = (16, 32, 64)


def case_runs(spec, *, root_seed, runs, hermite_nodes):
    """The case's first `runs` runs with hermite_nodes outer nodes per axis, and the seconds they took."""
    start = time.perf_counter()
    arrays = run_specification(
        {**spec, "runs": runs, "hermite_nodes": hermite_nodes}, root_seed=root_seed, name="/".join(CASE)
    )
    return arrays, time.perf_counter() - start


def differences(arrays, reference):
    """Per run and record: whether the outcomes agree (R,), the relative loss difference
    (R, T) and the largest difference in a parameter's distance to mu* (R, T)."""
    loss_gap = np.abs(arrays["loss"] - reference["loss"]) / np.abs(reference["loss"])
    distance_gap = np.abs(arrays["distance"] - reference["distance"]).max(axis=-1)
    return arrays["outcome"] == reference["outcome"], loss_gap, distance_gap


def effect_text(results, *, spec_nodes):
    """Markdown: one row per rule against the reference.

    results: outer nodes per axis -> (arrays, seconds); the largest count is the reference.
    """
    reference_nodes = max(results)
    reference, reference_seconds = results[reference_nodes]
    tau = reference["tau"]
    lines = [
        f"First {len(reference['loss'])} runs of `{'/'.join(CASE)}` (config.yaml: tau = 0 to {tau[-1]}, "
        f"{len(tau)} records), each rule against {reference_nodes} outer nodes per axis; the largest "
        "difference over the runs, over all records and at the last one:",
        "",
        "| outer nodes per axis | seconds | same outcome | relative loss difference | at the last record | "
        "distance difference | at the last record |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for q, (arrays, seconds) in sorted(results.items()):
        if q == reference_nodes:
            continue
        same, loss_gap, distance_gap = differences(arrays, reference)
        label = f"{q} (the case's rule)" if q == spec_nodes else str(q)
        lines.append(
            f"| {label} | {seconds:.0f} | {int(same.sum())} of {len(same)} | {loss_gap.max():.1e} | "
            f"{loss_gap[:, -1].max():.1e} | {distance_gap.max():.1e} | {distance_gap[:, -1].max():.1e} |"
        )
    lines.append(f"| {reference_nodes} (reference) | {reference_seconds:.0f} | - | - | - | - | - |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12, help="how many of the case's runs (default 12)")
    parser.add_argument("--readme", help="also write the text into this README's spread-effect block")
    args = parser.parse_args()
    config = load_config([REPO / "config.yaml"])
    spec = resolve_case(config, *CASE)
    results = {q: case_runs(spec, root_seed=config["root_seed"], runs=args.runs, hermite_nodes=q) for q in OUTER_NODES}
    text = effect_text(results, spec_nodes=spec["hermite_nodes"])
    print(text)
    if args.readme:
        rewrite_readme_block(args.readme, text, markers=SPREAD_EFFECT_MARKERS)


if __name__ == "__main__":
    main()

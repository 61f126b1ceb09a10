"""Cost of the package's outer rule (per-axis Gauss-Hermite counts, truncated outer sum)
against the rule before it, side by side.

Run on demand:  NUMBA_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/outer_counts_cost.py

The rule before gave every outer axis the spread tier of the largest outer coordinate
(`soft_cluster_rules.default_counts`) and summed every outer node; the package's rule
gives each axis its own count (`scorematch.quadrature.outer_node_counts`) and leaves out
the lightest outer nodes (`LineRule.truncation_error`).  States: the thm3_5_M6_d3 and far d = 3
cases of tests/data/span_references.npz and the far k = 3 state of
benchmarks/gradient_cost.py.  Prints per state the outer counts of both rules, the
integration points per evaluation and the seconds per compiled evaluation (process CPU
time, the least of REPEATS alternating calls: the machine is shared and wall times are
not reproducible; one run, so one thread does the work), and their ratio.
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from far_class_rules import span_coordinates  # noqa: E402
from gradient_cost import settings  # noqa: E402
from soft_cluster_rules import default_counts  # noqa: E402
from span_accuracy import REFERENCES, case_names, points_per_evaluation  # noqa: E402

from scorematch.engine import evaluate  # noqa: E402
from scorematch.quadrature import LineRule, outer_node_counts  # noqa: E402

REPEATS = 7


def states():
    """name -> (mu (n, d), mu_star (d,))."""
    far = dict(settings(np.random.default_rng(0)))["k=3 far random directions, 1 run"][0]
    chosen = {"gradient_cost far k=3": (far, np.zeros(far.shape[-1]))}
    for name in case_names():
        if name.startswith(("thm3_5_M6_d3", "far_6_10_d3", "far_12_16_d3")):
            chosen[name] = (REFERENCES[f"{name}/mu"], REFERENCES[f"{name}/mu_star"])
    return chosen


def cpu_seconds(mu, truth, rule, *, mixture=False, repeats=REPEATS):
    """Least process CPU time of `repeats` compiled evaluations of the runs mu (R, n, d)
    against truth (mu* (d,), or a mixture's means (K, d)), per run (after one warm-up call)."""
    evaluate(mu, truth, rule=rule, mixture=mixture)
    times = []
    for _ in range(repeats):
        start = time.process_time()
        evaluate(mu, truth, rule=rule, mixture=mixture)
        times.append(time.process_time() - start)
    return min(times) / len(mu)


def main():
    print("| state | counts before | counts now | points before | points now | s/eval before | s/eval now | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (mu, mu_star) in states().items():
        coords, _ = span_coordinates(mu, mu_star)
        before_counts = default_counts(coords[:, 1:])
        # the rule before, for this state: its joint count on every axis, fixed
        before = LineRule(
            hermite_nodes=int(before_counts[0]), hermite_schedule=(), pole_error=None, truncation_error=None
        )
        now = LineRule()
        now_counts = outer_node_counts(coords[None, :, 1:], rule=now)[0]
        points = [points_per_evaluation(mu, mu_star, rule)[1] for rule in (before, now)]
        seconds = [cpu_seconds(mu[None], mu_star, rule) for rule in (before, now)]
        print(
            f"| {name} | {'x'.join(map(str, before_counts))} | {'x'.join(map(str, now_counts))} "
            f"| {points[0]} | {points[1]} | {seconds[0]:.2e} | {seconds[1]:.2e} | {seconds[1] / seconds[0]:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

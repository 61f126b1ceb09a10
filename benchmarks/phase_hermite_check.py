"""Does the outer Gauss-Hermite rule's accuracy change any outcome of a d > 1 phase diagram?

Run on demand after the phase diagrams (reads results/phase/critical_spread.json):
    .venv/bin/python benchmarks/phase_hermite_check.py DIAGRAM [CONFIG ...] [--nodes 16 32]
For every (n, M) column of DIAGRAM with sigma* inside the grid, the two grid sigmas around
sigma* (where the outcome is most sensitive) are rerun from the same starts (the column's
seed stream) with each number of outer nodes; prints the outcome counts per cell and the
number of runs whose outcome differs from the first node count.
"""

import argparse
import json

import numpy as np

from scorematch.config import load_config
from scorematch.experiment import descend_and_classify
from scorematch.phase import phase_diagrams, phase_initial
from scorematch.quadrature import LineRule
from scorematch.seeding import STREAM_INIT, run_generators


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("diagram")
    parser.add_argument("configs", nargs="*", default=["config.yaml"])
    parser.add_argument("--nodes", type=int, nargs="+", default=[16, 32])
    args = parser.parse_args()
    config = load_config(args.configs)
    settings = phase_diagrams(config["phase"])[args.diagram]
    with open("results/phase/critical_spread.json") as handle:
        summary = json.load(handle)["diagrams"][args.diagram]
    d, runs = settings["dim"], settings["runs"]
    print(f"{args.diagram}: d = {d}, eta = {settings['eta']}, {settings['n_steps']} steps, {runs} seeds per cell")
    print("| n | M | sigma | " + " | ".join(f"outcomes, {q} nodes" for q in args.nodes) + " | runs changed |")
    print("| --- | --- | --- |" + " --- |" * (len(args.nodes) + 1))
    total_changed = total_runs = 0
    for n, entry in summary["by_n"].items():
        sigmas = np.asarray(entry["sigmas"])
        offsets = np.stack(
            [
                rng.standard_normal((int(n), d))
                for rng in run_generators(config["root_seed"], f"phase/n{n}_d{d}", n_runs=runs, stream=STREAM_INIT)
            ]
        )
        for column in entry["columns"]:
            if column["status"] != "ok":
                continue
            below = int(np.searchsorted(sigmas, column["sigma_star"])) - 1
            cells = sigmas[below : below + 2]
            mu_star = np.zeros(d)
            mu_star[0] = column["M"]
            outcomes = [
                descend_and_classify(phase_initial(cells, offsets), mu_star, settings, rule=LineRule(hermite_nodes=q))[
                    "outcome"
                ].reshape(len(cells), runs)
                for q in args.nodes
            ]
            for s, sigma in enumerate(cells):
                counts = [dict(zip(*np.unique(o[s], return_counts=True))) for o in outcomes]
                changed = sum(int((o[s] != outcomes[0][s]).sum()) for o in outcomes[1:])
                total_changed += changed
                total_runs += runs
                text = " | ".join(", ".join(f"{k} {v}" for k, v in c.items()) for c in counts)
                print(f"| {n} | {column['M']:g} | {sigma:.3g} | {text} | {changed} |")
    print(f"runs whose outcome changed: {total_changed} of {total_runs}")


if __name__ == "__main__":
    main()

"""The d = 2 mixture truths against a finer integration rule: the same seeds rerun with 40
outer Gauss-Hermite nodes, outcomes compared seed by seed with the stored run.

Run on demand after the mixture cases of a config exist (minutes at paper scale):
    .venv/bin/python benchmarks/mixture_rule_nodes.py [--config config.yaml --config more.yaml]
For every exact case of every mixture truth with dim >= 2, it rebuilds the case's starts
from its seed stream, reruns scorematch.mixture.simulate_case with hermite_nodes = 40, and
prints one table row: seeds whose recovered flag, students per component and diverging
count agree with the stored results, and the largest and median (over seeds) difference of
the final states.
"""

import argparse

import numpy as np

from scorematch.config import load_config
from scorematch.mixture import MIXTURE_KINDS, simulate_case
from scorematch.pipeline import load_results
from scorematch.seeding import STREAM_INIT, run_generators

REFERENCE_NODES = 40

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--config", action="append", default=None, help="config file(s), merged in order")
args = parser.parse_args()
config = load_config(args.config or ["config.yaml"])
base = {k: v for k, v in config["mixture"].items() if k not in (*MIXTURE_KINDS, "truths", "level")}
print(f"{'case':34s} {'seeds':>5s} {'recovered':>10s} {'same outcome':>12s} {'max |dmu|':>10s} {'median |dmu|':>12s}")
for name, truth in (config["mixture"].get("truths") or {}).items():
    settings = {**base, **{k: v for k, v in truth.items() if k not in MIXTURE_KINDS}}
    if settings["dim"] < 2 or "exact" not in truth:
        continue
    n, runs = settings["components"], truth["exact"]["runs"]
    section = f"mixture_{name}"
    for delta in truth["exact"]["separations"]:
        generators = run_generators(
            config["root_seed"], f"{section}/exact/n{n}_d{settings['dim']}", n_runs=runs, stream=STREAM_INIT
        )
        offsets = np.stack([rng.standard_normal((n, settings["dim"])) for rng in generators])
        stored = load_results(f"results/{section}/exact/n{n}_D{delta:g}.npz")
        fine = simulate_case(
            {**settings, "hermite_nodes": REFERENCE_NODES},
            n=n,
            separation=delta,
            sigmas=[truth["exact"]["sigma"]],
            offsets=offsets,
        )
        same = (
            (stored["recovered"] == fine["recovered"])
            & (stored["per_component"] == fine["per_component"]).all(axis=1)
            & (stored["diverging"] == fine["diverging"])
        )
        gap = np.abs(stored["final"] - fine["final"]).reshape(runs, -1).max(axis=1)
        recovered = f"{int(stored['recovered'].sum())}/{int(fine['recovered'].sum())}"
        print(
            f"{section + '/exact Delta=' + format(delta, 'g'):34s} {runs:5d} {recovered:>10s} "
            f"{int(same.sum()):12d} {gap.max():10.1e} {np.median(gap):12.1e}"
        )
print(f"recovered: stored rule / {REFERENCE_NODES} nodes; same outcome: seeds with equal recovered flag, students")
print("per component and diverging count; |dmu|: largest |final state difference| of a seed")

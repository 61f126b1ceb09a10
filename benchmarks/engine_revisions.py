"""Per-evaluation cost of the compiled engine of this checkout against another git revision's.

Run on demand:  .venv/bin/python benchmarks/engine_revisions.py --against main   (about a
minute; compiles the other revision's engine into a temporary directory)
For each state below prints the seconds per evaluation of both revisions (one numba thread;
the best of REPEATS timed blocks, the blocks of the two revisions alternating, each block in
a fresh process of its revision), their ratio, and whether the two revisions' losses and
directions are bit-identical (np.array_equal):
- k = 3 spread: n = 6, mu_i ~ N(0, I_3), mu* = 6 e1 (the start of the thm3_5 M6_d3 case),
- k = 3 near-collinear: n = 5, mu_i ~ N(0, 0.01^2 I_3), mu* = 6 e1 (Figure 1's start),
- k = 1 collinear tail: the benchmark state of benchmarks/step_overhead.py, 1 run and 200
  runs like it,
- Monte Carlo, d = 3: the k = 3 spread state from B = 1000 samples (engine.sampled),
population-exact ones by engine.evaluate.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

REPEATS = 5
BLOCK_SECONDS = 0.15  # wall time of one timed block, roughly
D = 3


def states():
    """name -> (mu (R, n, d), mu*, Monte Carlo samples (R, B, d) or None).

    Built here rather than taken from gradient_cost.settings or step_overhead.STATE: the
    worker runs on the other revision's package, and those modules import names an older
    revision may not have.
    """
    rng = np.random.default_rng(0)
    target = 6.0 * np.eye(D)[0]
    spread = rng.normal(0.0, 1.0, (1, 6, D))
    near = rng.normal(0.0, 0.01, (1, 5, D))
    tail = np.zeros((1, 5, D))
    tail[0, :, 0] = [2.2e-4, -8.75, -7.56, -6.54, -8.89]
    tails = np.zeros((200, 5, D))
    tails[:, :, 0] = np.concatenate([rng.normal(0, 1e-3, (200, 1)), -rng.uniform(6, 10, (200, 4))], 1)
    return {
        "k=3 spread, n=6": (spread, target, None),
        "k=3 near-collinear, n=5": (near, target, None),
        "k=1 collinear tail, 1 run": (tail, np.zeros(D), None),
        "k=1 collinear tail, 200 runs": (tails, np.zeros(D), None),
        "Monte Carlo B=1000, d=3, n=6": (spread, target, rng.standard_normal((1, 1000, D))),
    }


def worker(outputs):
    """One timed block per state for the package on sys.path: prints {name: seconds per
    evaluation} as JSON, saves the losses and directions to the npz outputs."""
    import numba

    from scorematch import engine

    numba.set_num_threads(1)
    seconds, arrays = {}, {}
    for name, (mu, target, samples) in states().items():

        def evaluation(mu=mu, target=target, samples=samples):
            if samples is None:
                return engine.evaluate(mu, target)
            return engine.sampled(mu, target, samples=samples)

        arrays[f"{name}/loss"], arrays[f"{name}/direction"] = evaluation()
        start = time.perf_counter()
        evaluation()
        calls = max(1, int(BLOCK_SECONDS / (time.perf_counter() - start)))
        start = time.perf_counter()
        for _ in range(calls):
            evaluation()
        seconds[name] = (time.perf_counter() - start) / calls
    np.savez(outputs, **arrays)
    print(json.dumps(seconds))


def timed_block(source, outputs):
    """Run the worker in a fresh process on the package at source (None: this checkout)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = source
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", outputs],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="git revision to compare this checkout with, e.g. main")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if not args.against:
        parser.error("--against REVISION is required")
    from gradient_cost import package_source

    with tempfile.TemporaryDirectory() as directory:
        source = package_source(directory, revision=args.against)
        if source is None:
            sys.exit(f"revision {args.against!r} is not in this checkout's git history")
        theirs_npz, ours_npz = os.path.join(directory, "theirs.npz"), os.path.join(directory, "ours.npz")
        best = {"theirs": {}, "ours": {}}
        for _ in range(REPEATS):
            for side, where, npz in (("theirs", source, theirs_npz), ("ours", None, ours_npz)):
                for name, value in timed_block(where, npz).items():
                    best[side][name] = min(best[side].get(name, np.inf), value)
        theirs, ours = np.load(theirs_npz), np.load(ours_npz)
        identical = {
            name: all(
                np.array_equal(theirs[f"{name}/{what}"], ours[f"{name}/{what}"]) for what in ("loss", "direction")
            )
            for name in best["ours"]
        }
    print(
        f"| state | {args.against} s/evaluation | this checkout s/evaluation | {args.against} / this | bit-identical |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name, seconds in best["ours"].items():
        before = best["theirs"][name]
        print(f"| {name} | {before:.3e} | {seconds:.3e} | {before / seconds:.2f} | {identical[name]} |")


if __name__ == "__main__":
    main()

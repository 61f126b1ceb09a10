"""Where the time of one compiled k = 1 step goes: per node or per call.

Run on demand:  .venv/bin/python benchmarks/step_overhead.py   (about a minute: it compiles
small loops around the engine's internal functions)
For the benchmark's k = 1 collinear-tail state (n = 5, d = 3) prints the seconds per call,
each called many times in one compiled loop, of
- the population-exact evaluation (engine._exact_direction) with 1, 2 and the default 10
  Gauss-Legendre nodes per panel (the nodes column: integration nodes per evaluation),
- one step's direction (engine._step_direction: the evaluation plus the step's own
  bookkeeping) and the whole step (engine._advance per step), default rule,
- the integrand on a block of points (engine._accumulate_block) for several point counts,
- a GD step per run for the benchmark's 200 batched k = 1 runs on 1 and 2 threads
  (scorematch.dynamics.gradient_descent, 100 steps): how much the batched row of
  benchmarks/gradient_cost.py gains from a free second core.
What does not shrink with the nodes is per-call cost.
"""

import time

import numba
import numpy as np
from gradient_cost import nodes_per_evaluation, settings
from numba import njit

from scorematch import engine
from scorematch.dynamics import gradient_descent
from scorematch.quadrature import LineRule

STATE = np.array([2.2e-4, -8.75, -7.56, -6.54, -8.89])  # the benchmark's one k = 1 run (rounded)
REPEATS = 20000


@njit
def repeat_exact(c, tables, work, out, repeats):
    total = 0.0
    for _ in range(repeats):
        total += engine._exact_direction(c, c.shape[0], tables, False, work, out)
    return total


@njit
def repeat_step(mu, truth, scales, samples, tables, work, repeats):
    total = 0.0
    for _ in range(repeats):
        total += engine._step_direction(mu, truth, scales, samples, False, tables, work)
    return total


@njit
def repeat_block(coords, count, nodes, acc, repeats):
    n = coords.shape[0]
    logits = engine._logit_rows(nodes, n)
    points = engine._node_group(nodes, n, engine._POINTS, 1)
    for _ in range(repeats):
        for i in range(n):
            for p in range(count):
                logits[i, p] = coords[i, 0] * points[0, p] - 0.5 * coords[i, 0] ** 2
        engine._accumulate_block(coords, n, count, nodes, acc, False)
    return acc[0, 0]


def seconds_per_call(function, *args):
    function(*args, 10)
    start = time.perf_counter()
    function(*args, REPEATS)
    return (time.perf_counter() - start) / REPEATS


def main():
    mu = np.zeros((5, 3))
    mu[:, 0] = STATE
    out = np.empty((5, 3))
    print(f"{'what':44s} {'nodes':>6s} {'s/call':>9s}")
    for nodes_per_panel in (1, 2, 10):
        rule = LineRule(legendre_nodes=nodes_per_panel)
        tables = engine.rule_tables(rule, group_sizes=(5,))
        work = engine._exact_work(5, 3, tables)
        seconds = seconds_per_call(repeat_exact, mu, tables, work, out)
        nodes = nodes_per_evaluation(mu[None], rule=rule)
        print(f"{f'evaluation, {nodes_per_panel} nodes per panel':44s} {nodes:6.0f} {seconds:9.2e}")
    tables = engine.rule_tables(LineRule(), group_sizes=(5,))
    work = engine._step_work(5, 3, 0, tables, False)
    scales, samples = np.ones(1), np.zeros((0, 3))
    seconds = seconds_per_call(repeat_step, mu, np.zeros((1, 3)), scales, samples, tables, work)
    print(f"{'step direction (evaluation + bookkeeping)':44s} {'':>6s} {seconds:9.2e}")
    state = (mu[None].copy(), mu[None].copy(), np.zeros((1, 5, 3)), np.zeros((1, 5, 3)), np.full(1, -1))
    step_args = (np.zeros((1, 1, 3)), 0)
    rest = (1e-3, scales, np.zeros((1, 1, 0, 3)), False, False, (0.9, 0.999, 1e-8), tables)
    engine._advance(state, *step_args, 10, *rest)
    start = time.perf_counter()
    engine._advance(state, *step_args, REPEATS, *rest)
    print(f"{'whole step (engine._advance)':44s} {'':>6s} {(time.perf_counter() - start) / REPEATS:9.2e}")
    size = 400
    nodes = engine._nodes_work(5, 1, size)
    nodes[engine._NODE_ROWS + 5 + engine._POINTS, :size] = np.linspace(-11, 11, size)  # the points (n = 5, m = 1)
    nodes[engine._WEIGHTS, :size] = 1.0 / size
    acc = np.zeros((5, 4))
    for count in (8, 100, 400):
        seconds = seconds_per_call(repeat_block, mu[:, :1].copy(), count, nodes, acc)
        print(f"{'integrand on a block of points':44s} {count:>6d} {seconds:9.2e}")
    batch = dict(settings(np.random.default_rng(0)))["k=1 collinear tail, 200 runs"]
    gradient_descent(batch, np.zeros(3), eta=1e-3, record_at=[0, 1])
    available = numba.get_num_threads()
    for threads in (1, 2):
        numba.set_num_threads(min(threads, available))
        start = time.perf_counter()
        gradient_descent(batch, np.zeros(3), eta=1e-3, record_at=[0, 100])
        seconds = (time.perf_counter() - start) / (100 * len(batch))
        print(f"{f'GD step per run, 200 runs, {min(threads, available)} thread(s)':44s} {'':>6s} {seconds:9.2e}")
    numba.set_num_threads(available)


if __name__ == "__main__":
    main()

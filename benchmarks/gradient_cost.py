"""Per-step cost and accuracy of the compiled engine, the numpy engine and Monte Carlo steps.

Run on demand:  make benchmark   (.venv/bin/python benchmarks/gradient_cost.py --readme README.md)
Prints, as markdown, one table from one run (and with --readme writes the same text into
the README's block between the BENCHMARK_MARKERS of scorematch.readme_tables): for each setting, the
wall time per GD step (the best of REPEATS timed blocks of steps, timeit's convention: the
minimum is the time least disturbed by whatever else the machine runs) of
- the compiled engine (scorematch.dynamics.gradient_descent: the steps between two
  records in compiled code),
- the numpy engine: a Python loop calling the numpy reference
  (scorematch.population.population_loss_and_gradient) once per step
  (benchmarks/numpy_loop.py), of this checkout and of commit 713c7e0, the last before the
  compiled engine (the engine the compiled one replaced; its integration rule has been
  replaced since, by one with fewer nodes per evaluation), timed in a subprocess on that
  commit's source (needs the checkout's git history),
- Monte Carlo minibatch steps with B samples per run and step (compiled, samples drawn by
  numpy each block of steps),
the integration points per run and evaluation (nodes of positive weight, the compiled
engine's work; mean over the first 20 runs; B for Monte Carlo), and the relative error
of the step's gradient (max-abs error / max-abs gradient, median
over runs) against a reference: scipy's adaptive quadrature for k = 1, for k = 3 the same
rule made finer (at least 40 outer nodes per axis and up to 300, pole_error 1e-14, every
outer node summed).  Then the first-call compile
time (empty cache) and the load time from the cache, each in a fresh process.
Then the engine's design targets against these ratios (met or missed, generated from the
rows).  A second table: the per-step cost with a Gaussian-mixture truth (K = 2, d = 1, the
`mixture` config's far start), compiled (gradient_descent with scorematch.mixture.MIXTURE_GD) against a
Python loop over the numpy reference (scorematch.mixture.mixture_loss_and_gradient).
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

import numpy as np
from numpy_loop import best_seconds_per_step, numpy_seconds_per_step
from scipy import integrate

from scorematch.dynamics import Dynamics, gradient_descent
from scorematch.engine import evaluate, sampled
from scorematch.mixture import MIXTURE_GD, mixture_loss_and_gradient, truth_means
from scorematch.population import points_summed, population_loss_and_gradient
from scorematch.provenance import code_version, package_versions
from scorematch.quadrature import LineRule
from scorematch.readme_tables import BENCHMARK_MARKERS, print_and_publish

N, D = 5, 3
REPEATS = 5
# a timed block runs about this long, within each estimator's step limits (a step of the
# far k = 3 state takes seconds in numpy)
BLOCK_SECONDS = 0.5
ETA = 1e-3  # small: the parameters stay in their class while the steps are timed
BENCHMARKS = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(BENCHMARKS)
PRE_COMPILED_COMMIT = "713c7e0"  # the numpy engine before the compiled engine replaced it
# the engine's design targets: per-step speed-up of the compiled engine over the numpy GD
# loop, per setting; and, in every setting, an exact step cheaper than a Monte Carlo step
# of MC_TARGET_BATCH samples and at least MC_ACCURACY_FACTOR times more accurate
SPEED_TARGETS = {
    "k=1 collinear tail, 1 run": 80.0,
    "k=1 collinear tail, 200 runs": 10.0,
    "k=3 near-collinear, 1 run": 10.0,
}
MC_TARGET_BATCH = 10_000
MC_ACCURACY_FACTOR = 1e4
Row = namedtuple(
    "Row", ["setting", "estimator", "runs", "points", "seconds", "error", "numpy_ratio", "pre_ratio", "reference"]
)


def settings(rng):
    """(name, mu (R, n, d)) relative to mu* = 0."""

    def collinear_tail(runs):
        mu = np.zeros((runs, N, D))
        mu[:, :, 0] = np.concatenate([rng.normal(0, 1e-3, (runs, 1)), -rng.uniform(6, 10, (runs, N - 1))], 1)
        return mu

    near_collinear = collinear_tail(1)
    near_collinear[:, 1:, 1:] = rng.uniform(-0.02, 0.02, (1, N - 1, D - 1))
    directions = rng.normal(size=(N - 1, D))
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    far = np.concatenate([np.zeros((1, D)), rng.uniform(6, 16, (N - 1, 1)) * directions])[None]
    return [
        ("k=1 collinear tail, 1 run", collinear_tail(1)),
        ("k=1 collinear tail, 200 runs", collinear_tail(200)),
        ("k=3 near-collinear, 1 run", near_collinear),
        ("k=3 far random directions, 1 run", far),
    ]


def reference_gradient(mu):
    """The reference gradient (R, n, d) of the error column and what it is."""
    if np.all(mu[..., 1:] == 0):
        return np.stack([quad_gradient_1d(m[:, 0]) for m in mu])[..., None] * np.eye(D)[0], "scipy adaptive quadrature"
    rule = LineRule(
        hermite_nodes=40, hermite_schedule=(), pole_error=1e-14, max_hermite_nodes=300, truncation_error=None
    )
    reference = (
        "the same rule with at least 40 outer Gauss-Hermite nodes per axis (up to 300), pole_error 1e-14 "
        "and every outer node summed, not an independent reference"
    )
    return population_loss_and_gradient(mu, np.zeros(D), rule=rule)[1], reference


def quad_gradient_1d(c):
    """Gradient in d = 1 by scipy's adaptive quadrature, breakpoints at the crossings."""

    def component(i):
        def f(y):
            logits = y * c - 0.5 * c**2
            w = np.exp(logits - logits.max())
            w /= w.sum()
            g = w @ c
            return 2 * w[i] * (g + (c[i] - g) * g * (y - c[i])) * np.exp(-0.5 * y * y) / np.sqrt(2 * np.pi)

        cuts = sorted({0.5 * (a + b) for a in c for b in c if a != b})
        return integrate.quad(f, -30, 30, points=[x for x in cuts if -30 < x < 30], limit=500, epsrel=1e-12, epsabs=0)[
            0
        ]

    return np.array([component(i) for i in range(len(c))])


def nodes_per_evaluation(mu, *, rule=LineRule()):
    """Mean over the runs mu (R, n, d) (mu* = 0) of the integration nodes the rule sums."""
    return float(points_summed(mu, np.zeros(mu.shape[-1]), rule=rule).mean())


def relative_error(grad, ref):
    scale = np.abs(ref).reshape(len(ref), -1).max(-1)
    return float(np.median(np.abs(grad - ref).reshape(len(ref), -1).max(-1) / scale))


def block_steps(step_seconds, *, most):
    """Steps per timed block: about BLOCK_SECONDS of steps taking step_seconds each, 1 to most."""
    return int(np.clip(BLOCK_SECONDS / step_seconds, 1, most))


def one_step_seconds(loss_and_gradient, mu):
    """Wall time of one loss_and_gradient(mu, mu* = 0) call (after a first call that
    compiles or warms up)."""
    loss_and_gradient(mu, np.zeros(D))
    start = time.perf_counter()
    loss_and_gradient(mu, np.zeros(D))
    return time.perf_counter() - start


def compiled_seconds_per_step(mu, *, steps, dynamics=Dynamics()):
    generators = [np.random.default_rng(r) for r in range(len(mu))] if dynamics.batch_size else None
    record_at = np.array([0, 1])
    gradient_descent(mu, np.zeros(D), eta=ETA, record_at=record_at, dynamics=dynamics, generators=generators)
    return best_seconds_per_step(
        lambda: gradient_descent(
            mu, np.zeros(D), eta=ETA, record_at=np.array([0, steps]), dynamics=dynamics, generators=generators
        ),
        steps=steps,
        repeats=REPEATS,
    )


def package_source(directory, *, revision):
    """Extract the package source of a git revision of this checkout into directory; its
    src path, or None when this checkout lacks that revision (no git history)."""
    archive = subprocess.run(["git", "-C", CHECKOUT, "archive", revision, "src"], capture_output=True, check=False)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", directory], input=archive.stdout, check=True)
    return os.path.join(directory, "src")


def pre_compiled_seconds_per_step(mu, *, steps, source):
    """benchmarks/numpy_loop.py on the package at source (a src directory) in a subprocess."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "mu.npy")
        np.save(path, mu)
        script = os.path.join(BENCHMARKS, "numpy_loop.py")
        env = {**os.environ, "PYTHONPATH": source}
        out = subprocess.run(
            [sys.executable, script, path, str(steps), str(ETA), str(REPEATS)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    return float(out.stdout.strip())


def mixture_rows(rng):
    """(n, runs, compiled s/step, numpy s/step) for K = 2 means 4 apart, students at 8 e1 + N(0, 1)."""
    means = truth_means(components=2, separation=4.0, dim=1)
    rows = []
    for n in (2, 5):
        mu = 8.0 + rng.standard_normal((120, n, 1))
        gradient_descent(mu[:1], means, eta=0.5, record_at=[0, 1], dynamics=MIXTURE_GD)
        start = time.perf_counter()
        gradient_descent(mu, means, eta=0.5, record_at=[0, 200], dynamics=MIXTURE_GD)
        t_compiled = (time.perf_counter() - start) / 200
        current = mu.copy()
        start = time.perf_counter()
        for _ in range(5):
            current -= 0.5 * mixture_loss_and_gradient(current, means)[1]
        rows.append((n, len(mu), t_compiled, (time.perf_counter() - start) / 5))
    return rows


def fresh_process_seconds(cache_dir):
    """Wall time of import + one compiled evaluation + one GD step in a new process."""
    code = (
        "import time; start = time.perf_counter()\n"
        "import numpy as np\n"
        "from scorematch.dynamics import gradient_descent\n"
        "mu = np.zeros((1, 5, 3)); mu[0, :, 0] = [0.0, -6.0, -6.5, -7.0, -7.5]\n"
        "gradient_descent(mu, np.zeros(3), eta=1e-3, record_at=np.array([0, 1]))\n"
        "print(time.perf_counter() - start)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip())


def engine_rows(rng, *, source):
    """One row per setting and estimator; source: the pre-compiled package's src or None."""
    rows = []
    for name, mu in settings(rng):
        runs = len(mu)
        ref, reference = reference_gradient(mu[: min(runs, 8)])
        exact = population_loss_and_gradient(mu[: len(ref)], np.zeros(D))[1]
        error = relative_error(exact, ref)
        numpy_step = one_step_seconds(population_loss_and_gradient, mu)
        numpy_steps = block_steps(numpy_step, most=5 if runs > 1 else 40)
        t_numpy = numpy_seconds_per_step(mu, steps=numpy_steps, eta=ETA, repeats=REPEATS)
        t_pre = np.nan if source is None else pre_compiled_seconds_per_step(mu, steps=numpy_steps, source=source)
        compiled_step = one_step_seconds(evaluate, mu)
        t_new = compiled_seconds_per_step(mu, steps=block_steps(compiled_step, most=40 if runs > 1 else 2000))
        nodes = nodes_per_evaluation(mu[:20])
        rows.append(Row(name, "compiled engine", runs, nodes, t_new, error, t_numpy / t_new, t_pre / t_new, reference))
        rows.append(Row(name, "numpy engine", runs, nodes, t_numpy, error, 1.0, t_pre / t_numpy, reference))
        rows.append(
            Row(
                name,
                f"numpy engine {PRE_COMPILED_COMMIT}",
                runs,
                np.nan,
                t_pre,
                np.nan,
                t_numpy / t_pre,
                1.0,
                reference,
            )
        )
        for batch in (1_000, 10_000, 100_000):
            if runs * batch > 3_000_000:
                rows.append(
                    Row(name, f"Monte Carlo B={batch:.0e}", runs, batch, np.nan, np.nan, np.nan, np.nan, reference)
                )
                continue
            t_mc = compiled_seconds_per_step(
                mu, steps=20 if runs * batch > 1e5 else 200, dynamics=Dynamics(batch_size=batch)
            )
            samples = rng.standard_normal((len(ref), batch, D))
            mc_error = relative_error(sampled(mu[: len(ref)], np.zeros(D), samples=samples)[1], ref)
            rows.append(
                Row(
                    name,
                    f"Monte Carlo B={batch:.0e}",
                    runs,
                    batch,
                    t_mc,
                    mc_error,
                    t_numpy / t_mc,
                    t_pre / t_mc,
                    reference,
                )
            )
    return rows


def _cell(value, fmt):
    return "-" if not np.isfinite(value) else format(value, fmt)


def _seconds_cell(row):
    if np.isfinite(row.seconds):
        return f"{row.seconds:.2e}"
    if row.estimator.startswith("Monte Carlo"):
        return f"not run: {row.runs * row.points:.0e} samples per step"
    return "not run: the commit is not in this checkout"


def engine_table(rows):
    """The per-step rows as markdown lines."""
    lines = [
        f"| setting | estimator | runs | points/run | s/step | rel. error | numpy engine / this "
        f"| numpy engine {PRE_COMPILED_COMMIT} / this |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.setting} | {r.estimator} | {r.runs} | {_cell(r.points, '.0f')} | {_seconds_cell(r)} "
            f"| {_cell(r.error, '.1e')} | {_cell(r.numpy_ratio, '.1f')} | {_cell(r.pre_ratio, '.1f')} |"
        )
    return lines


def target_lines(rows):
    """The design targets against the rows, met or missed."""
    compiled = {r.setting: r for r in rows if r.estimator == "compiled engine"}
    monte_carlo = {r.setting: r for r in rows if r.estimator == f"Monte Carlo B={MC_TARGET_BATCH:.0e}"}
    lines = ["Against the engine's design targets (generated from the rows above):", ""]
    for setting, target in SPEED_TARGETS.items():
        r = compiled[setting]
        verdicts = [
            f"{ratio:.1f}x against the numpy engine {which} ({'met' if ratio >= target else 'missed'})"
            for ratio, which in ((r.numpy_ratio, "of this checkout"), (r.pre_ratio, f"of {PRE_COMPILED_COMMIT}"))
            if np.isfinite(ratio)
        ]
        lines.append(f"- {setting}: target >= {target:g}x; " + ", ".join(verdicts) + ".")
    for setting, r in compiled.items():
        mc = monte_carlo[setting]
        cheaper = r.seconds < mc.seconds
        accurate = mc.error >= MC_ACCURACY_FACTOR * r.error
        lines.append(
            f"- {setting}: the exact step costs {r.seconds / mc.seconds:.2g} of a B = {MC_TARGET_BATCH:.0e} "
            f"Monte Carlo step ({'cheaper: met' if cheaper else 'not cheaper: missed'}) and errs "
            f"{r.error:.1e} against its {mc.error:.1e} (>= {MC_ACCURACY_FACTOR:.0e} times more accurate: "
            f"{'met' if accurate else 'missed'}; reference: {r.reference})."
        )
    return lines


def mixture_table(rows):
    lines = [
        "| mixture truth K=2, d=1 | runs | compiled s/step | numpy s/step | numpy / compiled |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| n = {n} students | {runs} | {tc:.2e} | {tn:.2e} | {tn / tc:.1f} |" for n, runs, tc, tn in rows]
    return lines


def header_line():
    """Where and when: commit, date, machine, package versions."""
    version = code_version(CHECKOUT)
    packages = package_versions()
    state = " (uncommitted changes)" if version["dirty"] else ""
    return (
        f"Measured by `make benchmark` at commit {version['commit'][:7]}{state} on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at the start; python {packages['python']}, "
        f"numpy {packages['numpy']}, numba {packages['numba']}."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", help="also write the text into this README's benchmark block")
    args = parser.parse_args()
    header = header_line()
    with tempfile.TemporaryDirectory() as cache_dir:
        compile_time = fresh_process_seconds(cache_dir)
        cached_time = fresh_process_seconds(cache_dir)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as directory:
        rows = engine_rows(rng, source=package_source(directory, revision=PRE_COMPILED_COMMIT))
    lines = [header, "", *engine_table(rows), ""]
    lines += [
        f"First call in a fresh process with an empty cache (compile): {compile_time:.1f} s; "
        f"with the cache: {cached_time:.1f} s.",
        "",
        *target_lines(rows),
        "",
        *mixture_table(mixture_rows(rng)),
    ]
    text = "\n".join(lines) + "\n"
    print_and_publish(text, readme=args.readme, markers=BENCHMARK_MARKERS)


if __name__ == "__main__":
    main()

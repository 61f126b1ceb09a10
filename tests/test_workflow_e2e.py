"""End to end on the small config: report, reproducibility, interrupted jobs.

Each test works in its own copy of the tracked workflow files, so results/ of the
checkout are never touched.  The full small workflow runs once per session (the `small_run`
fixture in conftest.py, ~2.5 min on 2 cores); the other tests run single targets.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from workflow_copy import SMALL, SNAKEMAKE, copy_workflow, snakemake

pytestmark = pytest.mark.slow

CHEAP_TARGETS = ["results/fig1/M3.npz", "results/thm3_5/M6.npz"]


def test_report_contains_every_figure_and_table(small_run):
    html = (small_run / "report.html").read_text(errors="replace")
    figures = sorted(p.name for p in (small_run / "figures").glob("*.png"))
    assert len(figures) >= 9, figures
    tables = ["claims.csv", "rates.csv", "step_size.csv", "provenance.csv"]
    missing = [name for name in figures + tables if name not in html]
    assert not missing, f"not in the report: {missing}"
    # captions are rendered (one phrase from each kind of caption)
    for phrase in ("Figure 1", "Theorem 3.1", "Provenance of every figure"):
        assert phrase in html, phrase


def test_every_output_has_provenance(small_run):
    outputs = [p for p in (small_run / "results").rglob("*") if p.suffix in {".npz", ".json", ".csv", ".md"}]
    outputs = [p for p in outputs if "benchmarks" not in p.parts and not p.name.endswith(".prov.json")]
    outputs += list((small_run / "figures").glob("*.p*"))
    missing = [str(p) for p in outputs if not p.name.endswith(".prov.json") and not Path(f"{p}.prov.json").exists()]
    assert not missing, missing


def read_bytes(workdir, targets):
    return {t: (workdir / t).read_bytes() for t in targets}


def test_same_config_gives_byte_identical_results_in_any_order(small_run, tmp_path):
    reference = read_bytes(small_run, CHEAP_TARGETS)
    workdir = copy_workflow(tmp_path / "again")
    # reversed target order, one core: a different schedule than the full run's
    snakemake(workdir, "--cores", "1", *reversed(CHEAP_TARGETS))
    assert read_bytes(workdir, CHEAP_TARGETS) == reference


def test_changed_seed_changes_results(small_run, tmp_path):
    workdir = copy_workflow(tmp_path / "seed")
    (workdir / "seed.yaml").write_text("root_seed: 12345\n")
    snakemake(workdir, "--cores", "2", CHEAP_TARGETS[0], configfiles=(SMALL, "seed.yaml"))
    with np.load(workdir / CHEAP_TARGETS[0]) as changed, np.load(small_run / CHEAP_TARGETS[0]) as reference:
        assert not np.array_equal(changed["initial"], reference["initial"])


def test_killed_job_leaves_no_output_and_rerun_incomplete_finishes(small_run, tmp_path):
    workdir = copy_workflow(tmp_path / "killed")
    target = "results/fig1/M6.npz"
    process = subprocess.Popen(
        [SNAKEMAKE, "--cores", "1", target, "--configfile", SMALL],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    log = workdir / "logs/simulate/fig1/M6.log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "iteration" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.2)
    assert process.poll() is None, "the job finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (workdir / target).exists(), "a killed job left its output in place"
    # a SIGKILL leaves Snakemake's lock behind: its documented recovery is --unlock
    snakemake(workdir, "--unlock")
    assert "simulate" in snakemake(workdir, "-n", target).stdout  # scheduled again, not taken as done
    snakemake(workdir, "--cores", "1", "--rerun-incomplete", target)
    assert (workdir / target).read_bytes() == (small_run / target).read_bytes()

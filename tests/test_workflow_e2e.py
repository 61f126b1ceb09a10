"""End to end on the small config: report, reproducibility, interrupted jobs.

Each test works in its own copy of the tracked workflow files, so results/ of the
checkout are never touched.  The full small workflow runs once per session (the `small_run`
fixture in conftest.py, ~2.5 min on 2 cores); the other tests run single targets.
"""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from workflow_copy import REPO, SMALL, VENV, copy_workflow, make, snakemake

from scorematch.config import load_config
from scorematch.phase import phase_diagrams
from scorematch.pipeline import load_results
from scorematch.provenance import read_provenance

# the claims table the landing page lists (see CLAIMS_TABLE in workflow/rules/report.smk)
CLAIMS_TABLE = "results/claims.csv"

pytestmark = pytest.mark.slow

CHEAP_TARGETS = ["results/fig1/M3.npz", "results/thm3_5/M6.npz"]


def report_text(workdir):
    """report.html with the JSON escapes of its embedded captions undone, whitespace collapsed."""
    html = (workdir / "report.html").read_text(errors="replace")
    return " ".join(html.replace("\\n", " ").replace('\\"', '"').split())


def test_report_contains_every_figure_and_table(small_run):
    html = report_text(small_run)
    figures = sorted(p.name for p in (small_run / "figures").glob("*.png"))
    assert len(figures) >= 9, figures
    tables = ["claims.html", "rates.html", "step_size.html", "provenance.html"]
    missing = [name for name in figures + tables if name not in html]
    assert not missing, f"not in the report: {missing}"
    for phrase in ("Figure 1", "Theorem 3.1", "Provenance of every figure"):
        assert phrase in html, phrase


def test_report_captions_state_the_settings_of_the_config_in_use(small_run):
    """`make report` after `make small` describes the small run, not the paper-scale one."""
    html = report_text(small_run)
    config = load_config([REPO / "config.yaml", REPO / SMALL])
    phase, fig1 = config["phase"], config["fig1"]["defaults"]
    assert f"the same GD time {phase['gd_time']} at every eta" in html
    for name, diagram in phase_diagrams(phase).items():
        assert f"{name} (d = {diagram['dim']}, eta = {diagram['eta']}, " in html, name
        assert f"{diagram['runs']} seeds per cell" in html, name
    assert f"{fig1['n_steps']} steps of population-exact GD" in html
    paper_steps = load_config([REPO / "config.yaml"])["fig1"]["defaults"]["n_steps"]
    assert paper_steps != fig1["n_steps"] and f"{paper_steps} steps of population-exact GD" not in html
    for theorem in ("thm3_4", "thm3_5"):
        settings = config[theorem]["defaults"]
        assert (
            f'config section <tt class="docutils literal">{theorem}</tt>, cases override them): '
            f"n = {settings['n_components']}, d = {settings['dim']}, eta = {settings['eta']}, "
            f"{settings['n_steps']} steps" in html
        ), theorem
    assert (small_run / "results/.config").read_text().strip() == SMALL


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_report_landing_page_shows_the_claims_table_in_a_browser(small_run):
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=15000",
            "--dump-dom",
            (small_run / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    landing = dom[dom.index("Claims") : dom.index("Figures and tables by category")]
    header = re.findall(r'<th class="head">([^<]*)</th>', landing)
    # four columns: the table fits the text column beside the report's rule graph
    assert header == ["claim (its figure)", "experiment / case", "status (why, if not evidence)", "value (threshold)"]
    with open(small_run / CLAIMS_TABLE) as handle:
        claims = list(csv.DictReader(handle))
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", landing, re.S)
    assert len(rows) == len(claims) + 1, (len(rows), len(claims))  # one row per claim, one header
    statuses = re.findall(r"<strong>(holds|fails|outside|inconclusive)</strong>", landing)
    assert len(statuses) == len(claims)
    # a claim that is not evidence says why beside its status
    explained = re.findall(r"<strong>(?:outside|inconclusive)</strong>: [^<]{10,}", landing)
    assert len(explained) == sum(claim["status"] in ("outside", "inconclusive") for claim in claims) > 0
    linked = set(re.findall(r"app\.showResultInfo\('(figures/[^']+\.png)'\)", landing))
    assert linked and all((small_run / f).exists() for f in linked), linked
    link_texts = set(re.findall(r"app\.showResultInfo\('figures/[^']+\.png'\)\"[^>]*>([^<]+)</a>", landing))
    assert link_texts and link_texts <= {claim["claim"] for claim in claims}, link_texts  # the claim names link
    after = dom[dom.index("Figures and tables by category") :]
    for figure in sorted(p.name for p in (small_run / "figures").glob("*.png")):
        assert figure in after, figure


def test_every_output_has_provenance_and_no_record_outlives_its_file(small_run):
    results = [p for p in (small_run / "results").rglob("*") if p.is_file() and "benchmarks" not in p.parts]
    outputs = [p for p in results + list((small_run / "figures").glob("*")) if not p.name.endswith(".prov.json")]
    outputs = [p for p in outputs if p.name != ".config"]
    assert len(outputs) > 40, outputs
    for path in outputs:
        record = read_provenance(path)  # raises, naming the file, if a record is missing or stale
        assert str(path.relative_to(small_run)) in record["outputs"], path
    sidecars = [p for p in (small_run / "results").rglob("*.prov.json")] + list(
        (small_run / "figures").glob("*.prov.json")
    )
    # only text files carry sidecars (arrays and figures hold their record), none orphaned
    assert all(Path(str(p)[: -len(".prov.json")]).suffix in {".json", ".csv", ".md", ".rst", ".html"} for p in sidecars)
    assert all(Path(str(p)[: -len(".prov.json")]).is_file() for p in sidecars)


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


def test_killed_make_small_resumes_with_the_same_command(small_run, tmp_path):
    """SIGKILL `make small` while a simulation runs; `make small` again removes the stale
    lock, reruns the killed job and ends with the same results as an uninterrupted run."""
    workdir = copy_workflow(tmp_path / "killed")
    process = subprocess.Popen(
        ["make", "small", f"VENV={VENV}", "-o", str(VENV / ".installed")],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    running = None
    deadline = time.monotonic() + 300
    while running is None and time.monotonic() < deadline and process.poll() is None:
        running = simulation_running(workdir)
        if running is None:
            time.sleep(0.1)
    assert running is not None and process.poll() is None, "no simulation was caught running"
    # killed at once: a job between its last progress line and its output can end in ms
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not running.exists(), "a killed job left its output in place"
    assert any((workdir / ".snakemake/locks").iterdir()), "the kill left no lock: nothing to recover from"

    resumed = make(workdir, "small")
    assert "removing the lock of an interrupted run" in resumed.stdout
    assert not list((workdir / ".snakemake/locks").glob("*"))  # Snakemake removes the directory when done
    reference = sorted(p.relative_to(small_run) for p in (small_run / "results").rglob("*.npz"))
    assert sorted(p.relative_to(workdir) for p in (workdir / "results").rglob("*.npz")) == reference
    # the arrays, not the bytes: the embedded provenance names the code commit, which may
    # move between the two runs (byte identity is test_same_config_gives_byte_identical_...)
    differing = [str(p) for p in reference if not same_arrays(workdir / p, small_run / p)]
    assert not differing, differing


def simulation_running(workdir):
    """The output of a simulation that has logged progress but not yet written its
    result, or None."""
    for log in (workdir / "logs/simulate").rglob("*.log"):
        result = workdir / "results" / log.relative_to(workdir / "logs/simulate").with_suffix(".npz")
        if "iteration" in log.read_text() and not result.exists():
            return result
    return None


def same_arrays(path, other):
    first, second = load_results(path), load_results(other)
    # bit for bit (NaN included): dtype, shape and bytes of every array
    return first.keys() == second.keys() and all(
        (a.dtype, a.shape, a.tobytes()) == (b.dtype, b.shape, b.tobytes())
        for a, b in ((first[k], second[k]) for k in first)
    )


def test_the_run_records_its_wall_time_and_every_job(small_run):
    """`make small` appended its record: all its jobs (one benchmark file each), a wall
    time no shorter than its longest job, this checkout's commit."""
    benchmarks = small_run / "results" / "benchmarks"
    first = json.loads((benchmarks / "runs.jsonl").read_text().splitlines()[0])
    job_files = list(benchmarks.rglob("*.tsv"))
    assert first["jobs"] == len(job_files) > 40
    assert first["config_files"] == ["workflow/configs/small.yaml"]
    assert first["longest"][0]["seconds"] <= first["wall_seconds"] < 3600
    assert first["jobs_seconds"] >= first["longest"][0]["seconds"]
    assert (
        first["code"]["commit"]
        == subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )

"""The Slurm workflow profile against a real single-node Slurm cluster on localhost.

`workflow/profiles/slurm/local-cluster.sh up` installs Debian's Slurm, munge and MariaDB
if missing (apt-get), configures and starts them, and registers cluster, account and
user in slurmdbd; `down` stops them at the end of the module.  The test runs the whole
small config through `--workflow-profile workflow/profiles/slurm` (every job that is not
a `localrules` job an sbatch job), checks with Slurm's own accounting (sacct) that the
jobs snakemake submitted ran and COMPLETED, and that the results are byte-identical to
the local run of the same config (the session's `small_run`).

Needs root (or passwordless sudo) and apt-get; skipped only if Slurm cannot be installed.
Run alone with `pytest -m slurm`; ~4 minutes plus the local run and, on a fresh machine,
the install.
"""

import os
import re
import shutil
import subprocess
import time

import pytest
from workflow_copy import REPO, SMALL, SNAKEMAKE, copy_workflow, scheduled_jobs, snakemake

pytestmark = pytest.mark.slurm

CLUSTER_SCRIPT = REPO / "workflow" / "profiles" / "slurm" / "local-cluster.sh"
ACCOUNT = "scorematch"  # created by local-cluster.sh up
CANNOT_INSTALL = 77  # local-cluster.sh's exit code when apt-get cannot install Slurm


def cluster(command, timeout=900):
    return subprocess.run(["bash", str(CLUSTER_SCRIPT), command], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running local Slurm cluster; brought down afterwards if this fixture started it."""
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        pytest.skip("Slurm is not installed and apt-get is not available to install it")
    already_up = cluster("status", timeout=60).returncode == 0
    started = time.monotonic()
    up = cluster("up")
    if up.returncode == CANNOT_INSTALL:
        pytest.skip(f"apt-get cannot install Slurm here:\n{up.stderr[-2000:]}")
    if up.returncode != 0:
        cluster("down")
        pytest.fail(f"local-cluster.sh up failed (exit {up.returncode}):\n{up.stderr[-4000:]}")
    print(f"local-cluster.sh up: {time.monotonic() - started:.1f}s")
    yield
    # leave a cluster that was already running (a developer's) as it was found
    if not already_up:
        down = cluster("down", timeout=300)
        assert down.returncode == 0, down.stderr[-2000:]


def sacct_states(job_ids):
    """{job id: (job name, state)} for the allocations, as Slurm's accounting has them."""
    result = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-o", "JobID,JobName,State", "-j", ",".join(job_ids)],
        capture_output=True,
        text=True,
        check=True,
    )
    states = {}
    for line in result.stdout.splitlines():
        job_id, name, state = line.split("|")
        states[job_id] = (name, state)
    return states


def jobs_by_kind(snakemake_log):
    """{"rule": [...], "localrule": [...]}: the rule of every job a log lists, by kind."""
    jobs = scheduled_jobs(snakemake_log)
    return {kind: sorted(rule for k, rule, _ in jobs if k == kind) for kind in ("rule", "localrule")}


def run_with_progress(request, command, *, cwd, env):
    """Run `command`, echoing Snakemake's "N of M steps" lines to the terminal as they
    come (the Slurm run takes minutes); returns (exit code, stdout + stderr)."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    process = subprocess.Popen(
        command, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if re.search(r"steps \(\d+%\) done|submitted with SLURM jobid", line):
            with capture.global_and_fixture_disabled():
                print(f"  [slurm] {line.strip()}", flush=True)
    return process.wait(timeout=1800), "".join(lines)


@pytest.fixture(scope="module")
def slurm_run(request, slurm_cluster, tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("slurm"))
    profile = ("--workflow-profile", "workflow/profiles/slurm")
    # the simulations declare 4 GB; keep them schedulable on a small CI runner
    small_memory = ("--set-resources", "simulate:mem_mb=1000")
    dry_run = snakemake(workdir, *profile, *small_memory, "-n")
    planned = len(scheduled_jobs(dry_run.stdout + dry_run.stderr))
    started = time.monotonic()
    code, output = run_with_progress(
        request,
        [SNAKEMAKE, *profile, *small_memory, "--configfile", SMALL],
        cwd=workdir,
        env={"SCOREMATCH_SLURM_ACCOUNT": ACCOUNT},
    )
    assert code == 0, output[-6000:]
    print(f"slurm run: {time.monotonic() - started:.1f}s")
    return workdir, planned, output


def test_every_cluster_job_ran_as_a_completed_slurm_job(slurm_run):
    workdir, planned, result = slurm_run
    text = "\n".join(log.read_text() for log in (workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    jobs = jobs_by_kind(text)
    assert len(jobs["rule"]) + len(jobs["localrule"]) == planned, (planned, jobs)
    # cheap aggregation and plotting rules are localrules; the simulations are not
    assert "simulate" in jobs["rule"] and "claims" in jobs["localrule"], jobs
    assert "simulate" not in jobs["localrule"], jobs
    job_ids = re.findall(r"submitted with SLURM jobid (\d+)", text)
    # each cluster job submitted once (no retry was needed), local rules not at all
    assert len(job_ids) == len(set(job_ids)) == len(jobs["rule"]), (job_ids, jobs)

    # accounting reaches slurmdbd asynchronously: wait (bounded) for the final states
    deadline = time.monotonic() + 60
    while True:
        states = sacct_states(job_ids)
        done = all(states.get(j, ("", ""))[1] == "COMPLETED" for j in job_ids)
        if done or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert done, f"sacct does not list every job COMPLETED: {states}"
    assert f"{planned} of {planned} steps (100%) done" in result, result[-3000:]


def test_results_are_byte_identical_to_a_local_run(slurm_run, small_run):
    slurm_dir = slurm_run[0]
    slurm_npz = sorted(p.relative_to(slurm_dir) for p in (slurm_dir / "results").rglob("*.npz"))
    local_npz = sorted(p.relative_to(small_run) for p in (small_run / "results").rglob("*.npz"))
    assert slurm_npz == local_npz
    assert len(slurm_npz) >= 20, slurm_npz
    differing = [str(p) for p in slurm_npz if (slurm_dir / p).read_bytes() != (small_run / p).read_bytes()]
    assert not differing, differing
    for name in ("claims.csv", "rates.csv", "provenance.csv", "report/landing.rst"):
        assert (slurm_dir / "results" / name).stat().st_size > 0, name

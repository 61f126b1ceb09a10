"""Running the workflow in a throw-away copy, so the checkout's results/ are never touched."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
SMALL = "workflow/configs/small.yaml"
WORKFLOW_FILES = [
    "Snakefile",
    "config.yaml",
    "environment.yml",
    "workflow",
    "scripts",
    "Makefile",
    "requirements.txt",
    "pyproject.toml",
]
VENV = Path(sys.executable).parents[1]


def copy_workflow(destination):
    """The tracked workflow files (not results, not the venv) in `destination`; returns it."""
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", *WORKFLOW_FILES], capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return destination


def run(command, workdir, *, check, timeout, env=None):
    """Run `command` in `workdir`; with check, an AssertionError showing its output unless it exits 0."""
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def snakemake(workdir, *args, configfiles=(SMALL,), check=True, timeout=1200, env=None):
    """Run snakemake in `workdir` with `args`, then --configfile `configfiles` (merged in order)."""
    return run(
        [SNAKEMAKE, *args, "--configfile", *map(str, configfiles)], workdir, check=check, timeout=timeout, env=env
    )


def scheduled_jobs(dry_run_output):
    """(kind, rule, wildcards) of every job a dry run lists; kind is "rule" or "localrule"."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", dry_run_output):
        match = re.match(r"(rule|localrule) (\w+):", block.strip())
        if match:
            wildcards = re.search(r"^\s+wildcards: (.*)$", block, re.M)
            jobs.append((match.group(1), match.group(2), wildcards.group(1) if wildcards else ""))
    return jobs


def scheduled(workdir, *targets, configfiles=(SMALL,)):
    """(rule, wildcards) of every job `snakemake -n targets` lists, the final 'all' excluded."""
    result = snakemake(workdir, "--cores", "1", "-n", *targets, configfiles=configfiles)
    return [(rule, wildcards) for _, rule, wildcards in scheduled_jobs(result.stdout + result.stderr) if rule != "all"]


def make(workdir, *args, check=True, timeout=1200):
    """Run a Makefile target in `workdir` with this interpreter's venv (already set up)."""
    return run(["make", *args, f"VENV={VENV}", "-o", str(VENV / ".installed")], workdir, check=check, timeout=timeout)

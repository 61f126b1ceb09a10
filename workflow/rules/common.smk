# Shared helpers: resolved case specifications and target lists.
import os
import shlex
import time
from pathlib import Path

import numpy as np
from snakemake.exceptions import WorkflowError

from scorematch import run_times
from scorematch.config import resolve_case
from scorematch.pipeline import REPO_DIR
from scorematch.provenance import code_version

# what decides every claim's verdict (src/scorematch/claims.py)
CLAIMS = config["claims"]
GD_EXPERIMENTS = [
    name
    for name, section in config.items()
    if isinstance(section, dict) and "cases" in section
]


wildcard_constraints:
    experiment="|".join(GD_EXPERIMENTS),
    case="[A-Za-z0-9_.-]+",


def case_names(experiment):
    """The case names of one experiment, in config order."""
    return list(config[experiment]["cases"])


def case_spec(experiment, case):
    """The resolved run specification of one case: defaults overridden by the case."""
    return resolve_case(config, experiment, case)


def case_results(experiment):
    return [f"results/{experiment}/{case}.npz" for case in case_names(experiment)]


def wildcard_label(value):
    """A number as its file names (and their wildcards) write it."""
    return f"{value:g}"


def labelled_value(values, label, *, key):
    """The value whose wildcard label is `label`; key: the config key path of `values`."""
    matches = [value for value in values if wildcard_label(value) == label]
    if not matches:
        raise ValueError(f"config key {key}: no value labelled {label!r}")
    return matches[0]


def log_grid(grid):
    """A {start, stop, num} grid of log10 values as the increasing list of its values."""
    return np.logspace(grid["start"], grid["stop"], grid["num"]).tolist()


def config_file_names():
    """This run's config files (those given on the command line, merged over
    config.yaml), paths relative to the workdir."""
    here = Path.cwd()
    config_files = [Path(f).resolve() for f in workflow.overwrite_configfiles] or [
        Path("config.yaml")
    ]
    return [
        str(f.relative_to(here) if f.is_relative_to(here) else f) for f in config_files
    ]


def regenerate_command(target):
    """The command that rebuilds one file under this run's config files."""
    config = " ".join(config_file_names())
    return f"make figure TARGET={shlex.quote(target)} CONFIG={shlex.quote(config)}"


# the run's wall time is counted from here (the Snakefile's parse) to its last job
WORKFLOW_START = time.time()


def record_run_time():
    """Append this run's record to results/benchmarks/runs.jsonl (scorematch.run_times)."""
    try:
        cores = workflow.cores
    except WorkflowError:  # a cluster run names no local core count
        cores = None
    record = run_times.run_record(
        run_times.job_times(run_times.BENCHMARK_DIR),
        start=WORKFLOW_START,
        end=time.time(),
        code=code_version(REPO_DIR),  # the code every provenance record names
        config_files=config_file_names(),
        cores=cores,
        load_average=os.getloadavg()[2],
    )
    run_times.append_record(run_times.BENCHMARK_DIR, record)


def stage_targets():
    """The figures and tables of every stage (the claims and report pages aside)."""
    return (
        expand("figures/fig1.{ext}", ext=["pdf", "png"])
        + rate_targets()
        + theorem_targets()
        + step_size_targets()
        + beyond_targets()
        + mixture_targets()
    )


def report_inputs():
    """Every figure (PNG) and table that the report shows."""
    figures = [f for f in stage_targets() if f.endswith(".png")]
    return figures + [
        f"results/{table}.csv" for table in REPORT_TABLES if table != "provenance"
    ]

"""I/O for the rule scripts: logging, progress, result files with provenance.

Nothing here computes; the scripts under scripts/ call these and the numerics. Every file
is written beside its path and renamed into place (:func:`scorematch.files.partial_path`),
so a job killed while writing leaves no partial output; Snakemake also marks the outputs
of a job that fails or is killed incomplete and reruns it (the profiles set
rerun-incomplete).
"""

import csv
import io
import json
import logging
import time
import zipfile
from pathlib import Path

import numpy as np

from scorematch.files import partial_path
from scorematch.provenance import (
    NPZ_PROVENANCE_KEY,
    code_version,
    figure_metadata,
    json_text,
    make_provenance,
    package_versions,
    record_text,
    write_sidecar,
)
from scorematch.seeding import STREAM_INIT, run_spawn_key

REPO_DIR = Path(__file__).resolve().parents[2]


def rule_logger(log_path):
    """A logger writing to the job's log file (and nothing else)."""
    logger = logging.getLogger(f"scorematch.{log_path}")
    logger.setLevel(logging.INFO)
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)
    return logger


def progress_reporter(logger, *, n_steps, min_interval=10.0):
    """on_record callback: iteration, loss, elapsed and estimated remaining time.

    Logs at most every min_interval seconds (plus the first and last record), so a long
    run's log moves steadily without flooding it.
    """
    start = time.monotonic()
    last = -np.inf

    def report(step, loss):
        nonlocal last
        now = time.monotonic()
        if now - last < min_interval and 0 < step < n_steps:
            return
        last = now
        elapsed = now - start
        remaining = f"~{elapsed * (n_steps - step) / step:.1f}s" if step else "unknown"
        logger.info(
            "iteration %d/%d  loss median %.3e max %.3e  elapsed %.1fs  remaining %s",
            step,
            n_steps,
            np.median(loss),
            np.max(loss),
            elapsed,
            remaining,
        )

    return report


def divergence_reporter(logger):
    """on_diverge callback: log which run diverged at which iteration."""

    def report(run, step):
        logger.warning(
            "run %d diverged at iteration %d (non-finite parameters, loss or step); kept its last finite state",
            run,
            step,
        )

    return report


def run_logging(logger, *, n_steps):
    """The on_record and on_diverge callbacks of one GD job, both reporting to its log."""
    return {"on_record": progress_reporter(logger, n_steps=n_steps), "on_diverge": divergence_reporter(logger)}


# A fixed member timestamp makes equal arrays give byte-identical .npz files.
_NPZ_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def write_npz(path, arrays):
    """Write arrays (dict name -> array) as an uncompressed .npz that np.load reads.

    Members have a fixed timestamp, so equal arrays give identical bytes; object arrays
    are refused (np.load(allow_pickle=False) could not read them).
    """
    with (
        partial_path(path) as partial,
        zipfile.ZipFile(partial, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive,
    ):
        for name, value in arrays.items():
            array = np.asanyarray(value)
            if array.dtype.hasobject:
                raise TypeError(f"array {name!r} has dtype object, which would need pickling")
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_NPZ_DATE_TIME)
            with archive.open(info, mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def load_results(path):
    """The arrays of one result file as a dict (without its provenance record)."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files if key != NPZ_PROVENANCE_KEY}


def snakemake_provenance(snakemake, *, experiment, section, run_seeds):
    """Provenance record of a rule job from its snakemake object."""
    return make_provenance(
        experiment=experiment,
        section=section,
        root_seed=snakemake.config["root_seed"],
        run_seeds=run_seeds,
        rule=snakemake.rule,
        wildcards=dict(snakemake.wildcards.items()),
        inputs=[str(p) for p in snakemake.input],
        outputs=[str(p) for p in snakemake.output],
        command=snakemake.params.command,
        code=code_version(REPO_DIR),
        versions=package_versions(),
    )


def save_results(path, arrays, *, provenance):
    """Write a result file with its provenance record inside (member `provenance`)."""
    write_npz(path, {**arrays, NPZ_PROVENANCE_KEY: np.array(record_text(provenance))})


def save_run_results(snakemake, arrays, *, experiment, section, seed_name, runs, stream=STREAM_INIT):
    """Write snakemake.output[0]: the arrays of a job whose runs 0..runs-1 draw from
    seed_name's streams, with the job's provenance record."""
    run_seeds = [run_spawn_key(seed_name, i, stream) for i in range(runs)]
    provenance = snakemake_provenance(snakemake, experiment=experiment, section=section, run_seeds=run_seeds)
    save_results(snakemake.output[0], arrays, provenance=provenance)


def save_figure(fig, paths, *, provenance):
    """Write a figure to each path (PDF/PNG) with its provenance record embedded."""
    for path in paths:
        fmt = Path(path).suffix.lstrip(".").lower()
        with partial_path(path) as partial:
            fig.savefig(partial, format=fmt, metadata=figure_metadata(provenance, fmt=fmt))


def save_text(path, text, *, provenance):
    """Write a text result (JSON, CSV, Markdown, report page) and its provenance sidecar."""
    with partial_path(path) as partial:
        partial.write_text(text, encoding="utf-8")
    write_sidecar(path, provenance)


def save_csv(path, rows, *, columns, provenance):
    """Write rows (dicts; keys outside columns left out) as a CSV table with provenance."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    save_text(path, buffer.getvalue(), provenance=provenance)


def save_json(path, obj, *, provenance):
    """Write a JSON-ready object (:func:`scorematch.provenance.json_text`) with provenance."""
    save_text(path, json_text(obj), provenance=provenance)


def load_json(path):
    """A JSON result file as Python objects."""
    with open(path) as handle:
        return json.load(handle)

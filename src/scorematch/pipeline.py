"""I/O for the rule scripts: logging, progress, result files with provenance.

Nothing here computes; the scripts under scripts/ call these and the numerics.
"""

import logging
import time
from pathlib import Path

import numpy as np

from scorematch.atomic import save_figure_atomic, write_npz_atomic, write_text_atomic
from scorematch.provenance import build_provenance, write_sidecar

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
            step, n_steps, np.median(loss), np.max(loss), elapsed, remaining,
        )

    return report


def load_results(path):
    """The arrays of one result file as a dict."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def snakemake_provenance(snakemake, *, experiment, section, run_seeds):
    """Provenance record of a rule job from its snakemake object."""
    return build_provenance(
        experiment=experiment,
        section=section,
        root_seed=snakemake.config["root_seed"],
        run_seeds=run_seeds,
        rule=snakemake.rule,
        wildcards=dict(snakemake.wildcards.items()),
        inputs=[str(p) for p in snakemake.input],
        outputs=[str(p) for p in snakemake.output],
        repo_dir=REPO_DIR,
        command=snakemake.params.command,
    )


def save_results(path, arrays, *, provenance):
    """Write a result file and its provenance sidecar, each atomically."""
    write_npz_atomic(path, arrays)
    write_sidecar(path, provenance)


def save_figure(fig, paths, *, provenance):
    """Write a figure to each path (PDF/PNG) with provenance embedded and as sidecar."""
    save_figure_atomic(fig, paths, metadata=provenance)
    for path in paths:
        write_sidecar(path, provenance)


def save_text(path, text, *, provenance):
    """Write a text result (JSON, CSV, Markdown) atomically and its provenance sidecar."""
    write_text_atomic(path, text)
    write_sidecar(path, provenance)


def save_json(path, obj, *, provenance):
    """Write a JSON-ready object (indented, NaN not allowed) with provenance."""
    import json

    save_text(path, json.dumps(obj, indent=2, allow_nan=False) + "\n", provenance=provenance)


def load_json(path):
    """A JSON result file as Python objects."""
    import json

    with open(path) as handle:
        return json.load(handle)

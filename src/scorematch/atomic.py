"""Atomic file writers: a reader (or a later Snakemake run) never sees half a file.

Each writer writes to a temporary file in the target's directory (prefix ".tmp-"),
flushes and fsyncs it, then os.replace()s it into place.  On any exception the
temporary file is removed and the target is left as it was.
"""

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

TEMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def atomic_target(path, *, mode="wb"):
    """Open a temporary file next to path; on success move it onto path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.")
    try:
        with os.fdopen(handle, mode) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path, text):
    with atomic_target(path, mode="w") as out:
        out.write(text)


def write_json_atomic(path, obj):
    """JSON, indented, NaN rejected (it is not JSON)."""
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n")


def write_npz_atomic(path, arrays):
    """arrays: dict name -> array, saved uncompressed (byte-identical for equal arrays)."""
    with atomic_target(path) as out:
        np.savez(out, **arrays)


def save_figure_atomic(fig, paths, *, metadata):
    """Save fig to each path (format from the suffix) with metadata embedded.

    metadata: a JSON-ready dict, stored as one JSON string: PNG tEXt key "scorematch",
    PDF info key "Keywords" (the PDF info dictionary takes only standard keys).
    """
    text = json.dumps(metadata, sort_keys=True)
    for path in paths:
        suffix = Path(path).suffix.lower()
        file_metadata = {"scorematch": text} if suffix == ".png" else {"Keywords": text}
        if suffix == ".pdf":
            file_metadata["CreationDate"] = None  # keep PDFs byte-identical across runs
        with atomic_target(path) as out:
            fig.savefig(out, format=suffix.lstrip("."), metadata=file_metadata)

"""Atomic file writers: nobody (a reader, a later Snakemake run) ever sees half a file.

Every writer writes to a temporary file in the target's own directory (so os.replace is a
rename within one file system), flushes and fsyncs it, then os.replace()s it onto the
target and fsyncs the directory. If anything raises (including KeyboardInterrupt) the
temporary file is removed and the target is left exactly as it was. A process killed
with SIGKILL mid-write can leave a temporary file behind, but never a partial target;
temporary files are hidden and named ``.scorematch-tmp.<target name>.<random>.part``
(see TEMP_PREFIX / TEMP_SUFFIX) so they are easy to recognise and delete.

Figures carry their provenance inside the file (figure_metadata gives the exact keys):

* PNG: tEXt chunk ``scorematch-provenance`` = the record as JSON (ASCII), and tEXt
  ``Description`` = a one-line summary.
* PDF: matplotlib's PDF backend accepts only the standard info keys (Title, Author,
  Subject, Keywords, Creator, Producer, CreationDate, ModDate, Trapped; other keys are
  written with a warning), so the record goes to ``Keywords`` as
  ``scorematch-provenance:zlib+base64:<base64 of the zlib-compressed JSON>`` (base64 needs
  no PDF string escaping and is found with a regex) and a one-line summary to
  ``Subject``.

scorematch.provenance reads both back.
"""

import base64
import contextlib
import json
import os
import secrets
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

TEMP_PREFIX = ".scorematch-tmp."
TEMP_SUFFIX = ".part"

PNG_PROVENANCE_KEY = "scorematch-provenance"
PNG_SUMMARY_KEY = "Description"
PDF_PROVENANCE_KEY = "Keywords"
PDF_SUMMARY_KEY = "Subject"
PDF_PROVENANCE_MARKER = "scorematch-provenance:zlib+base64:"

FIGURE_FORMATS = ("pdf", "png")

# A fixed member timestamp makes equal arrays give byte-identical .npz files.
_NPZ_DATE_TIME = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------------------------
# Pure helpers


def temporary_name(target_name, token):
    """The temporary file name used while writing target_name."""
    return f"{TEMP_PREFIX}{target_name}.{token}{TEMP_SUFFIX}"


def provenance_summary(metadata):
    """One line naming the experiment, rule, config hash, seed and commit (if present)."""
    parts = [f"{key}={metadata[key]}" for key in ("experiment", "rule", "config_hash", "root_seed") if key in metadata]
    code = metadata.get("code")
    if isinstance(code, Mapping) and "commit" in code:
        parts.append(f"commit={code['commit']}{'+dirty' if code.get('dirty') else ''}")
    return "scorematch provenance: " + " ".join(parts) if parts else "scorematch provenance"


def figure_metadata(metadata, *, fmt):
    """The metadata dict handed to matplotlib's savefig for one format ("pdf" or "png").

    metadata is a JSON-ready mapping (the provenance record); it is embedded whole.
    """
    text = json.dumps(metadata, sort_keys=True, ensure_ascii=True, allow_nan=False)
    summary = provenance_summary(metadata)
    if fmt == "png":
        return {PNG_PROVENANCE_KEY: text, PNG_SUMMARY_KEY: summary}
    if fmt == "pdf":
        packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
        return {PDF_PROVENANCE_KEY: PDF_PROVENANCE_MARKER + packed, PDF_SUMMARY_KEY: summary}
    raise ValueError(f"no provenance embedding for figure format {fmt!r}; use one of {FIGURE_FORMATS}")


def _figure_format(path):
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"{path}: figure format must be one of {FIGURE_FORMATS} (from the file suffix)")
    return fmt


def _checked_arrays(arrays):
    checked = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"array names must be non-empty strings, got {name!r}")
        array = np.asanyarray(value)
        if array.dtype.hasobject:
            raise TypeError(f"array {name!r} has dtype object, which would need pickling")
        checked[name] = array
    return checked


# ---------------------------------------------------------------------------------------
# I/O


def _fsync_directory(directory):
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _create_temporary(path):
    """Create and open (binary, write) a new temporary file next to path."""
    while True:
        temporary = path.parent / temporary_name(path.name, secrets.token_hex(6))
        try:
            # Mode 0o666 filtered by the umask, as for an ordinary new file (mkstemp would
            # give 0o600 and the result would be unreadable to the group).
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        return temporary, os.fdopen(fd, "wb")


@contextlib.contextmanager
def _staged(path):
    """Yield (temporary path, open binary file); the caller moves it into place.

    On an exception the temporary file is removed. On success it is flushed, fsynced and
    closed, but not yet moved.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary, out = _create_temporary(path)
    try:
        with out:
            yield temporary, out
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _commit(temporary, path):
    """Move a finished temporary file onto path (removing it if that fails)."""
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(Path(path).parent)


@contextlib.contextmanager
def atomic_writer(path):
    """Open a binary file whose content replaces path only if the block succeeds."""
    with _staged(path) as (temporary, out):
        yield out
    _commit(temporary, path)


def write_text_atomic(path, text):
    """Write text (UTF-8, newlines as given) to path atomically."""
    data = text.encode("utf-8")
    with atomic_writer(path) as out:
        out.write(data)


def write_json_atomic(path, obj):
    """Write obj as JSON (indented, sorted keys, NaN/inf rejected: not JSON) atomically.

    The JSON is streamed into the temporary file, so an object that fails half way
    through serialisation leaves only a (removed) temporary file behind.
    """
    with atomic_writer(path) as out:
        with contextlib.closing(_TextSink(out)) as sink:
            json.dump(obj, sink, indent=2, sort_keys=True, allow_nan=False)
            sink.write("\n")


class _TextSink:
    """Minimal text front end for a binary file (json.dump needs .write(str))."""

    def __init__(self, binary):
        self._binary = binary

    def write(self, text):
        self._binary.write(text.encode("utf-8"))

    def close(self):
        pass


def write_npz_atomic(path, arrays):
    """Write arrays (dict name -> array) as an uncompressed .npz atomically.

    np.load reads it. Members have a fixed timestamp, so equal arrays give identical
    bytes; object arrays are refused (np.load(allow_pickle=False) could not read them).
    """
    checked = _checked_arrays(arrays)
    with atomic_writer(path) as out:
        with zipfile.ZipFile(out, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in checked.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_NPZ_DATE_TIME)
                info.compress_type = zipfile.ZIP_STORED
                with archive.open(info, mode="w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)


def save_figure_atomic(fig, paths, *, metadata):
    """Save a matplotlib figure to each path (.pdf, .png) with metadata embedded.

    metadata: the JSON-ready provenance record (embedded as described in the module
    docstring). All files are rendered to temporary files first and moved into place
    only when every one of them rendered, so a failure leaves no target touched.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    formats = [_figure_format(p) for p in paths]
    per_format = {fmt: figure_metadata(metadata, fmt=fmt) for fmt in set(formats)}

    staged = []
    try:
        for path, fmt in zip(paths, formats):
            with _staged(path) as (temporary, out):
                fig.savefig(out, format=fmt, metadata=per_format[fmt])
            staged.append((temporary, path))
    except BaseException:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise

    for index, (temporary, path) in enumerate(staged):
        try:
            _commit(temporary, path)
        except BaseException:
            for later, _ in staged[index + 1 :]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(later)
            raise


__all__ = [
    "FIGURE_FORMATS",
    "PDF_PROVENANCE_KEY",
    "PDF_PROVENANCE_MARKER",
    "PDF_SUMMARY_KEY",
    "PNG_PROVENANCE_KEY",
    "PNG_SUMMARY_KEY",
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "atomic_writer",
    "figure_metadata",
    "provenance_summary",
    "save_figure_atomic",
    "temporary_name",
    "write_json_atomic",
    "write_npz_atomic",
    "write_text_atomic",
]

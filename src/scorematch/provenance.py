"""Provenance of every output: config section and hash, seeds, code and package versions.

The record travels inside the file it describes, so it is deleted with it (Snakemake
removes the outputs of a failed or rerun job): result arrays (.npz) hold it as the member
``provenance`` (JSON text), PNG figures as the text chunk ``scorematch-provenance``
(written by matplotlib, read with Pillow), PDF figures in the info dictionary's
``Keywords`` (matplotlib accepts only the standard keys there). Text results (JSON, CSV,
Markdown, report pages) cannot hold it: their record is the sidecar X.prov.json, which
also stores the sha256 of X, so a sidecar left next to a different (or no) X is refused.
``scorematch-provenance FILE`` (main) prints the record and the command that regenerates
the file.

Seeds: root_seed is the config's root seed; run_seeds holds one entry per run exactly as
the run's generator was seeded. The workflow stores SeedSequence spawn keys
[experiment key, run index, stream] (scorematch.seeding.run_spawn_key), i.e. run i drew
from PCG64(SeedSequence(root_seed, spawn_key=run_seeds[i])).

A record has no time stamp: equal inputs and code give byte-identical result files (the
time a file was made is its modification time and Snakemake's own metadata).
"""

import argparse
import base64
import binascii
import hashlib
import importlib.metadata
import json
import math
import platform
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from scorematch.files import partial_path

SIDECAR_SUFFIX = ".prov.json"
# numba and llvmlite compile the engine that computes every number
PACKAGES = ("numpy", "scipy", "numba", "llvmlite", "matplotlib", "snakemake", "pyyaml", "scorematch")
PROVENANCE_KEYS = (
    "experiment",
    "config_section",
    "config_hash",
    "root_seed",
    "run_seeds",
    "code",
    "versions",
    "rule",
    "wildcards",
    "inputs",
    "outputs",
    "regenerate_command",
)
UNKNOWN_COMMIT = "unknown"
SIDECAR_HASH_KEY = "file_sha256"

NPZ_PROVENANCE_KEY = "provenance"
PNG_PROVENANCE_KEY = "scorematch-provenance"
PNG_SUMMARY_KEY = "Description"
PDF_PROVENANCE_KEY = "Keywords"
PDF_SUMMARY_KEY = "Subject"
PDF_PROVENANCE_MARKER = "scorematch-provenance:zlib+base64:"
FIGURE_FORMATS = ("pdf", "png")

_PDF_PROVENANCE = re.compile(re.escape(PDF_PROVENANCE_MARKER.encode("ascii")) + rb"([A-Za-z0-9+/=\s]+)")


class ProvenanceError(LookupError):
    """An output has no (readable) provenance record."""


# ---------------------------------------------------------------------------------------
# Pure functions


def _plain(value, *, where):
    """value as plain JSON data: dicts with str keys, lists, str, int, float, bool, None.

    numpy scalars/arrays become Python numbers/lists, tuples become lists, non-finite
    floats become the strings "inf", "-inf", "nan" (JSON has no such numbers).
    """
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            name = key if isinstance(key, str) else str(key)
            if name in out:
                raise ValueError(f"{where}: keys {key!r} and {name!r} collide as JSON keys")
            out[name] = _plain(item, where=f"{where}/{name}")
        return out
    if isinstance(value, np.ndarray):
        return _plain(value.tolist(), where=where)
    if isinstance(value, np.generic):
        return _plain(value.item(), where=where)
    if isinstance(value, (list, tuple)):
        return [_plain(item, where=f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if value is None or isinstance(value, (str, bool, int)):
        return value
    raise TypeError(f"{where}: {type(value).__name__} is not plain config data")


def canonical_section(section):
    """The config section as plain JSON data (what is stored and hashed)."""
    if not isinstance(section, Mapping):
        raise TypeError(f"a config section must be a mapping, got {type(section).__name__}")
    return _plain(section, where="section")


def config_hash(section):
    """sha256 (hex) of the canonical JSON of a resolved config section.

    Key order does not matter; any changed value (including int 1 vs float 1.0 vs True)
    changes the hash. config_hash(canonical_section(s)) == config_hash(s).
    """
    canonical = json.dumps(
        canonical_section(section), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def normalise_run_seed(seed):
    """One run's seed as JSON data that identifies it exactly.

    An int stays an int; a spawn key (sequence of ints) becomes a list of ints; a numpy
    SeedSequence becomes {"entropy": ..., "spawn_key": [...]}.
    """
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        entropy = [int(e) for e in entropy] if isinstance(entropy, (list, tuple, np.ndarray)) else int(entropy)
        return {"entropy": entropy, "spawn_key": [int(k) for k in seed.spawn_key]}
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"a run seed cannot be a bool: {seed!r}")
    if isinstance(seed, (int, np.integer)):
        return int(seed)
    if isinstance(seed, (list, tuple, np.ndarray)):
        if any(isinstance(part, (bool, np.bool_)) or not isinstance(part, (int, np.integer)) for part in seed):
            raise TypeError(f"spawn key {seed!r} must hold ints only")
        return [int(part) for part in seed]
    raise TypeError(f"a run seed must be an int, a spawn key (ints) or a SeedSequence, got {seed!r}")


def make_provenance(
    *,
    experiment,
    section,
    root_seed,
    run_seeds,
    rule,
    wildcards,
    inputs,
    outputs,
    command,
    code,
    versions,
):
    """The provenance record (a JSON-ready dict) from plain data: code is
    :func:`code_version`'s, versions :func:`package_versions`'."""
    if isinstance(root_seed, (bool, np.bool_)) or not isinstance(root_seed, (int, np.integer)):
        raise TypeError(f"root_seed must be an int, got {root_seed!r}")
    canonical = canonical_section(section)
    return {
        "experiment": str(experiment),
        "config_section": canonical,
        "config_hash": config_hash(canonical),
        "root_seed": int(root_seed),
        "run_seeds": [normalise_run_seed(seed) for seed in run_seeds],
        "code": {"commit": str(code["commit"]), "dirty": code["dirty"]},
        "versions": {str(k): str(v) for k, v in versions.items()},
        "rule": str(rule),
        "wildcards": {str(k): str(v) for k, v in dict(wildcards).items()},
        "inputs": [str(p) for p in inputs],
        "outputs": [str(p) for p in outputs],
        "regenerate_command": str(command),
    }


def sidecar_path(path):
    """The sidecar of an output: X -> X.prov.json."""
    return Path(f"{path}{SIDECAR_SUFFIX}")


def record_text(record):
    """The record as one line of ASCII JSON (sorted keys, NaN refused: not JSON)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=True, allow_nan=False)


def provenance_summary(record):
    """One line naming the experiment, rule, config hash, seed and commit."""
    parts = [f"{key}={record[key]}" for key in ("experiment", "rule", "config_hash", "root_seed") if key in record]
    code = record.get("code")
    if isinstance(code, Mapping) and "commit" in code:
        parts.append(f"commit={code['commit']}{'+dirty' if code.get('dirty') else ''}")
    return "scorematch provenance: " + " ".join(parts)


def figure_metadata(record, *, fmt):
    """The metadata dict for matplotlib's savefig in one format ("pdf" or "png")."""
    text = record_text(record)
    if fmt == "png":
        return {PNG_PROVENANCE_KEY: text, PNG_SUMMARY_KEY: provenance_summary(record)}
    if fmt == "pdf":
        packed = base64.b64encode(zlib.compress(text.encode("ascii"), 9)).decode("ascii")
        return {PDF_PROVENANCE_KEY: PDF_PROVENANCE_MARKER + packed, PDF_SUMMARY_KEY: provenance_summary(record)}
    raise ValueError(f"no provenance embedding for figure format {fmt!r}; use one of {FIGURE_FORMATS}")


def pdf_provenance(data):
    """The record in PDF bytes (base64 needs no PDF string escaping; the last one, as for
    an updated PDF), or None."""
    matches = _PDF_PROVENANCE.findall(data)
    if not matches:
        return None
    packed = re.sub(rb"\s+", b"", matches[-1])
    return json.loads(zlib.decompress(base64.b64decode(packed, validate=True)).decode("utf-8"))


def check_provenance(record, *, source):
    """record, if it is a provenance record; else ProvenanceError naming source."""
    if not isinstance(record, dict):
        raise ProvenanceError(f"{source}: provenance is not a JSON object")
    missing = [key for key in PROVENANCE_KEYS if key not in record]
    if missing:
        raise ProvenanceError(f"{source}: provenance record lacks {', '.join(missing)}")
    return record


def describe(record, *, path):
    """Human-readable account of where path came from and how to rebuild it."""
    code = record["code"]
    if code.get("dirty") is None:
        state = " (working tree state unknown)"
    elif code["dirty"]:
        state = " (dirty working tree: uncommitted changes)"
    else:
        state = " (clean)"
    wildcards = ", ".join(f"{k}={v}" for k, v in record["wildcards"].items())
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items())
    seeds = record["run_seeds"]
    lines = [
        f"{path}",
        f"  experiment:    {record['experiment']}",
        f"  rule:          {record['rule']}" + (f" ({wildcards})" if wildcards else ""),
        f"  config hash:   sha256:{record['config_hash']}",
        f"  root seed:     {record['root_seed']}",
        f"  run seeds:     {len(seeds)}" + (f" (first {json.dumps(seeds[0])})" if seeds else ""),
        f"  code:          {code['commit']}{state}",
        f"  versions:      {versions}",
        f"  inputs:        {', '.join(record['inputs']) or '-'}",
        "  regenerate with:",
        f"    {record['regenerate_command']}",
    ]
    return "\n".join(lines)


PROVENANCE_COLUMNS = (
    "file",
    "experiment",
    "rule",
    "config_hash",
    "root_seed",
    "commit",
    "dirty",
    "versions",
    "regenerate_command",
)


def provenance_rows(paths, records):
    """One table row (dict over PROVENANCE_COLUMNS) per file and its provenance record."""
    return [
        {
            "file": str(path),
            "experiment": record["experiment"],
            "rule": record["rule"],
            "config_hash": record["config_hash"][:16],
            "root_seed": record["root_seed"],
            "commit": record["code"]["commit"][:12],
            "dirty": record["code"]["dirty"],
            "versions": " ".join(f"{k}={v}" for k, v in record["versions"].items()),
            "regenerate_command": record["regenerate_command"],
        }
        for path, record in zip(paths, records, strict=True)
    ]


# ---------------------------------------------------------------------------------------
# I/O


def code_version(repo_dir):
    """{"commit", "dirty"} of the git checkout at repo_dir.

    dirty: `git status --porcelain` is non-empty (tracked changes or untracked files that
    are not ignored). Outside a checkout (or without git): commit "unknown", dirty None.
    """

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(repo_dir), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    try:
        commit = git("rev-parse", "--verify", "HEAD").strip()
        dirty = bool(git("status", "--porcelain").strip())
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return {"commit": UNKNOWN_COMMIT, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def package_versions():
    """Python's version and those of the packages that make the numbers and figures."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def file_sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def json_text(obj):
    """The one JSON file form of every result and sidecar: indented, keys in the order
    given, NaN refused (not JSON: a summary writes None where a value is undefined)."""
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"


def write_sidecar(path, record):
    """Write the record of the text file at path, with its sha256, to X.prov.json."""
    sidecar = sidecar_path(path)
    content = {**record, SIDECAR_HASH_KEY: file_sha256(path)}
    with partial_path(sidecar) as partial:
        partial.write_text(json_text(content))
    return sidecar


def _sidecar_provenance(path):
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return None
    try:
        record = json.loads(sidecar.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProvenanceError(f"{sidecar}: unreadable provenance sidecar ({error})") from error
    if not isinstance(record, dict) or record.pop(SIDECAR_HASH_KEY, None) != file_sha256(path):
        raise ProvenanceError(f"{sidecar}: stale sidecar, it describes another version of {path.name}")
    return record


def _embedded_provenance(path):
    """The record inside a .npz, .png or .pdf file, or None."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data[NPZ_PROVENANCE_KEY])) if NPZ_PROVENANCE_KEY in data.files else None
    if suffix == ".png":
        with Image.open(path) as image:
            text = image.text.get(PNG_PROVENANCE_KEY)
        return None if text is None else json.loads(text)
    if suffix == ".pdf":
        return pdf_provenance(path.read_bytes())
    return None


def read_provenance(path):
    """The provenance record of an output: embedded in a .npz/.png/.pdf file, else its
    checked sidecar. A sidecar itself may be given (it stands for the file it describes).

    Raises FileNotFoundError if the file does not exist and ProvenanceError (naming the
    file) if it has no readable, current provenance.
    """
    path = Path(path)
    if path.name.endswith(SIDECAR_SUFFIX):
        path = path.with_name(path.name[: -len(SIDECAR_SUFFIX)])
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        record = _embedded_provenance(path) or _sidecar_provenance(path)
    except (
        ValueError,
        KeyError,
        zlib.error,
        binascii.Error,
        UnicodeDecodeError,
        zipfile.BadZipFile,
        UnidentifiedImageError,
    ) as error:
        raise ProvenanceError(f"{path}: unreadable provenance ({error})") from error
    if record is None:
        raise ProvenanceError(f"{path}: no provenance (none in the file, no {sidecar_path(path).name} next to it)")
    return check_provenance(record, source=path)


def main(argv=None):
    """scorematch-provenance FILE...: where each file came from and how to regenerate it.

    Exit status 0, or 2 if a file does not exist or has no provenance.
    """
    parser = argparse.ArgumentParser(
        prog="scorematch-provenance",
        description="Where a file under results/ or figures/ came from, and the command that regenerates it.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print the raw provenance record(s) as JSON")
    args = parser.parse_args(argv)

    status = 0
    for index, name in enumerate(args.files):
        try:
            record = read_provenance(name)
        except (OSError, ProvenanceError) as error:
            print(f"scorematch-provenance: {error}", file=sys.stderr)
            status = 2
            continue
        if args.json:
            print(json_text(record), end="")
        else:
            if index:
                print()
            print(describe(record, path=name))
    return status


if __name__ == "__main__":
    sys.exit(main())

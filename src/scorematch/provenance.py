"""Provenance of every output: config section and hash, seeds, code and package versions.

For an output X the record is written to X.prov.json; figures also embed it (see
scorematch.atomic.save_figure_atomic).  `scorematch-provenance FILE` prints it and the
command that regenerates the file.
"""

import argparse
import hashlib
import importlib.metadata
import json
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from scorematch.atomic import write_json_atomic

SIDECAR_SUFFIX = ".prov.json"
PACKAGES = ("numpy", "scipy", "matplotlib", "snakemake", "pyyaml", "scorematch")


def config_hash(section):
    """sha256 of the canonical JSON of a config section (key order does not matter)."""
    canonical = json.dumps(section, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def code_version(repo_dir):
    """Git commit and dirty flag of repo_dir ("unknown" outside a checkout)."""

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(repo_dir), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}


def package_versions():
    """Python and the versions of the packages that make the numbers."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build_provenance(*, experiment, section, root_seed, run_seeds, rule, wildcards, inputs, outputs, repo_dir, command):
    """The provenance record of one job's outputs (a JSON-ready dict)."""
    return {
        "experiment": experiment,
        "config_section": section,
        "config_hash": config_hash(section),
        "root_seed": root_seed,
        "run_seeds": [list(seed) if isinstance(seed, (tuple, list)) else seed for seed in run_seeds],
        "seed_scheme": "numpy SeedSequence(root_seed, spawn_key=(sha256(name)[:8] little-endian, run, stream))",
        "code": code_version(repo_dir),
        "versions": package_versions(),
        "rule": rule,
        "wildcards": dict(wildcards),
        "inputs": list(inputs),
        "outputs": list(outputs),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "regenerate_command": command,
    }


def sidecar_path(path):
    return Path(f"{path}{SIDECAR_SUFFIX}")


def write_sidecar(path, provenance):
    write_json_atomic(sidecar_path(path), provenance)


def embedded_provenance(path):
    """The record embedded in a PNG (tEXt "scorematch") or PDF (/Keywords), else None."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        from PIL import Image  # matplotlib's own dependency

        with Image.open(path) as image:
            text = image.text.get("scorematch")
        return json.loads(text) if text else None
    if suffix == ".pdf":
        match = re.search(rb"/Keywords \((.*?)(?<!\\)\)", Path(path).read_bytes(), re.S)
        if match:
            raw = match.group(1)
            text = re.sub(rb"\\([()\\])", rb"\1", raw).decode("latin-1")
            return json.loads(text)
    return None


def read_provenance(path):
    """The provenance of an output: its sidecar, else the record embedded in the file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    sidecar = sidecar_path(path)
    if sidecar.exists():
        return json.loads(sidecar.read_text())
    embedded = embedded_provenance(path)
    if embedded is None:
        raise LookupError(f"{path}: no provenance (no {sidecar.name} and nothing embedded)")
    return embedded


def describe(provenance):
    """Human-readable lines for a provenance record."""
    code = provenance["code"]
    versions = ", ".join(f"{k} {v}" for k, v in provenance["versions"].items())
    return "\n".join(
        [
            f"experiment:     {provenance['experiment']}",
            f"rule:           {provenance['rule']} {provenance['wildcards']}",
            f"config hash:    {provenance['config_hash']}",
            f"config section: {json.dumps(provenance['config_section'], sort_keys=True)}",
            f"root seed:      {provenance['root_seed']} ({len(provenance['run_seeds'])} run seeds)",
            f"code:           {code['commit']}{' (dirty tree)' if code['dirty'] else ''}",
            f"versions:       {versions}",
            f"created:        {provenance['created']}",
            f"inputs:         {', '.join(provenance['inputs']) or '-'}",
            f"regenerate:     {provenance['regenerate_command']}",
        ]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description="Where a result or figure came from, and how to rebuild it.")
    parser.add_argument("file")
    args = parser.parse_args(argv)
    try:
        print(describe(read_provenance(args.file)))
    except (FileNotFoundError, LookupError, ValueError) as error:
        print(f"scorematch-provenance: {error}", file=sys.stderr)
        return 2
    return 0


PROVENANCE_COLUMNS = ("file", "experiment", "rule", "config_hash", "root_seed", "commit", "dirty", "versions", "regenerate_command")


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
        for path, record in zip(paths, records)
    ]

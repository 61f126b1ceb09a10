"""The software environments agree: the rules' conda runtime environment and the conda
development environment pin what requirements.txt pins (how the venv and CI install), and
the runtime environment holds every third-party module a job imports."""

import ast
import re
import sys

import yaml
from workflow_copy import REPO

RUNTIME = REPO / "workflow/envs/runtime.yaml"
# import name -> distribution name, where they differ
DISTRIBUTION = {"yaml": "pyyaml", "PIL": "pillow"}
# modules of the command-line entries and the config checker: run by people and by the
# Snakefile itself, never inside a job
NOT_IN_JOBS = {"cli.py", "config.py"}


def requirement_pins():
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def conda_pins(path):
    """{name: version} of an environment file's conda dependencies (python and pip aside)."""
    pins = {}
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(entry, str) and "=" in entry:
            name, version = re.split(r"=+", entry, maxsplit=1)
            if name != "python":
                pins[name.lower()] = version
    return pins


def test_runtime_and_development_environments_pin_what_requirements_pin():
    pins = requirement_pins()
    for path in (RUNTIME, REPO / "environment.yml"):
        conda = conda_pins(path)
        assert conda, path
        assert {name: pins.get(name) for name in conda} == conda, path.name
    assert set(conda_pins(REPO / "environment.yml")) == set(pins)


def test_runtime_environment_holds_every_module_a_job_imports():
    job_files = sorted((REPO / "scripts").glob("*.py")) + [
        f for f in sorted((REPO / "src/scorematch").glob("*.py")) if f.name not in NOT_IN_JOBS
    ]
    imported = set()
    for path in job_files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "scorematch"}
    assert third_party, "no third-party import found: the scan is broken"
    assert {DISTRIBUTION.get(m, m) for m in third_party} <= set(conda_pins(RUNTIME))


def test_every_conda_directive_names_the_runtime_environment():
    envs = []
    for path in sorted((REPO / "workflow/rules").glob("*.smk")):
        envs += re.findall(r"^    conda:\n        \"([^\"]+)\"", path.read_text(), flags=re.MULTILINE)
    assert envs and set(envs) == {"../envs/runtime.yaml"}

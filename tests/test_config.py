"""Config errors name the file and line, or the key path and what is allowed, in one line."""

import subprocess
import sys

import pytest
from workflow_copy import REPO

from scorematch.config import ConfigError, load_config, validate_config

PAPER_CONFIG = REPO / "config.yaml"


def write(tmp_path, text):
    path = tmp_path / "override.yaml"
    path.write_text(text)
    return path


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "root_seed: 3\nfig1:\n  defaults:\n    eta: [1, 2\n  cases: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_config([PAPER_CONFIG, path])
    message = str(caught.value)
    assert str(path) in message and "line 5" in message, message


def test_unknown_key_names_its_path_and_the_allowed_keys(tmp_path):
    config = load_config([PAPER_CONFIG, write(tmp_path, "fig1:\n  defaults:\n    etaa: 0.5\n")])
    with pytest.raises(ConfigError) as caught:
        validate_config(config)
    message = str(caught.value)
    assert "fig1/defaults/etaa" in message, message
    assert "eta" in message.split("allowed here:")[1], message
    assert len(message.splitlines()) == 1 and len(message) < 400, message


def test_wrong_type_names_the_key_and_the_type(tmp_path):
    config = load_config([PAPER_CONFIG, write(tmp_path, "fig1:\n  defaults:\n    eta: fast\n")])
    with pytest.raises(ConfigError, match=r"fig1/defaults/eta: 'fast' is not of type 'number'"):
        validate_config(config)


def test_command_line_check_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, "root_sed: 3\n")
    result = subprocess.run(
        [sys.executable, "-m", "scorematch.config", str(PAPER_CONFIG), str(path)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "root_sed: unknown key" in result.stderr, result.stderr
    ok = subprocess.run([sys.executable, "-m", "scorematch.config", str(PAPER_CONFIG)], capture_output=True)
    assert ok.returncode == 0, ok.stderr

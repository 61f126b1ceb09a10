"""Configuration: loading, merging, validation and case resolution.

The workflow (workflow/rules/common.smk) and the command-line entries share these, so a
case means the same thing wherever it is run.
"""

from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A configuration that does not fit the schema or names a missing section."""


def deep_merge(base, override):
    """A new dict: override's keys replace base's, nested dicts merged key by key.

    The same rule Snakemake applies when several --configfile are given.
    """
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(paths):
    """Read and merge YAML config files in order (I/O)."""
    config = {}
    for path in paths:
        with open(path) as handle:
            content = yaml.safe_load(handle) or {}
        if not isinstance(content, dict):
            raise ConfigError(f"{path}: a config file must be a mapping of sections")
        config = deep_merge(config, content)
    return config


def validate_config(config, *, schema_path=SCHEMA_PATH):
    """Raise ConfigError naming the offending key path and what the schema allows."""
    with open(schema_path) as handle:
        schema = yaml.safe_load(handle)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(config))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ConfigError(f"config key {where}: {error.message}")


def resolve_case(config, experiment, case):
    """The full run specification of one case: the section's defaults, then the case."""
    if experiment not in config or "cases" not in config[experiment]:
        known = sorted(k for k, v in config.items() if isinstance(v, dict) and "cases" in v)
        raise ConfigError(f"no experiment {experiment!r} in the config; known: {known}")
    cases = config[experiment]["cases"]
    if case not in cases:
        raise ConfigError(f"no case {case!r} in experiment {experiment!r}; known: {sorted(cases)}")
    return {**config[experiment]["defaults"], **cases[case]}

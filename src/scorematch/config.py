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
            try:
                content = yaml.safe_load(handle) or {}
            except yaml.YAMLError as error:
                raise ConfigError(f"{path}: not valid YAML{_yaml_position(error)}") from None
        if not isinstance(content, dict):
            raise ConfigError(f"{path}: a config file must be a mapping of sections")
        config = deep_merge(config, content)
    return config


def _yaml_position(error):
    """' (line L, column C): problem' from a YAML error, as far as PyYAML located it."""
    mark = getattr(error, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    return f"{where}: {problem}"


def validate_config(config, *, schema_path=SCHEMA_PATH):
    """Raise ConfigError naming the offending key path and what the schema allows there.

    An unknown key is named with its full path and the keys allowed beside it; any other
    violation with the path and jsonschema's one-line message (never the schema itself).
    """
    with open(schema_path) as handle:
        schema = yaml.safe_load(handle)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(config))
    if error is None:
        return
    path = [str(part) for part in error.absolute_path]
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        where = "/".join([*path, unknown[0]]) if unknown else "/".join(path)
        raise ConfigError(f"config key {where}: unknown key; allowed here: {', '.join(allowed)}")
    where = "/".join(path) or "(top level)"
    raise ConfigError(f"config key {where}: {error.message}")


def main(argv=None):
    """Check config files as the workflow would merge them: `python -m scorematch.config FILE...`.

    Prints one line naming the file/line or key path and exits 2 on the first problem.
    """
    import sys

    paths = sys.argv[1:] if argv is None else argv
    try:
        validate_config(load_config(paths))
    except (OSError, ConfigError) as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    return 0


def resolve_case(config, experiment, case):
    """The full run specification of one case: the section's defaults, then the case."""
    if experiment not in config or "cases" not in config[experiment]:
        known = sorted(k for k, v in config.items() if isinstance(v, dict) and "cases" in v)
        raise ConfigError(f"no experiment {experiment!r} in the config; known: {known}")
    cases = config[experiment]["cases"]
    if case not in cases:
        raise ConfigError(f"no case {case!r} in experiment {experiment!r}; known: {sorted(cases)}")
    return {**config[experiment]["defaults"], **cases[case]}


if __name__ == "__main__":
    raise SystemExit(main())

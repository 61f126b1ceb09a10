"""Workflow scheduling: one figure schedules only its chain; a changed config section
reruns only its experiment's jobs.

Each test runs Snakemake in a temporary copy of the workflow (Snakefile, configs, rules,
scripts), so the tree's results are never touched.  The package is the installed one.
"""

import pytest
from workflow_copy import REPO, SMALL, copy_workflow, scheduled_jobs, snakemake


@pytest.fixture
def workdir(tmp_path):
    return copy_workflow(tmp_path)


def dry_run(workdir, *targets, configfiles=(SMALL,)):
    """What `snakemake -n targets` prints, with the small config (then configfiles, in order)."""
    result = snakemake(workdir, "--cores", "2", "-n", *targets, configfiles=configfiles)
    return result.stdout + result.stderr


def scheduled(output):
    """(rule, wildcards) of every job a dry run lists, the final 'all' excluded."""
    return [(rule, wildcards) for _, rule, wildcards in scheduled_jobs(output) if rule != "all"]


def test_one_figure_schedules_only_its_chain(workdir):
    jobs = scheduled(dry_run(workdir, "figures/thm3_1.pdf"))
    assert sorted(rule for rule, _ in jobs) == ["plot_thm3_1", "thm3_1_escape", "thm3_1_stationary"]


def test_one_gd_figure_schedules_only_its_cases(workdir):
    jobs = scheduled(dry_run(workdir, "figures/thm3_4.pdf"))
    rules = sorted({rule for rule, _ in jobs})
    assert rules == ["plot_theorem", "simulate", "theorem_verdicts"]
    simulated = [w for rule, w in jobs if rule == "simulate"]
    assert simulated and all("experiment=thm3_4" in w for w in simulated)


def test_changed_section_reruns_only_its_experiment(workdir):
    targets = ["results/verdicts/thm3_4.json", "results/verdicts/thm3_1.json"]
    snakemake(workdir, "--cores", "2", *targets)
    assert scheduled(dry_run(workdir, *targets)) == []
    extra = workdir / "eta.yaml"
    extra.write_text("thm3_4:\n  defaults:\n    eta: 0.5\n")
    jobs = scheduled(dry_run(workdir, *targets, configfiles=(SMALL, extra)))
    assert jobs, "a changed eta must rerun thm3_4"
    for rule, wildcards in jobs:
        assert rule in ("simulate", "theorem_verdicts"), (rule, wildcards)
        assert "thm3_4" in wildcards, (rule, wildcards)


def test_bad_config_stops_before_any_job_naming_the_key(workdir):
    (workdir / "bad.yaml").write_text("fig1:\n  defaults:\n    eta: -1.0\n")
    result = snakemake(workdir, "--cores", "1", configfiles=(SMALL, "bad.yaml"), check=False)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "config key fig1/defaults/eta: -1.0 is less than or equal to the minimum of 0" in message, message
    assert len(message.splitlines()) < 10, message  # the key and the rule, not the whole schema
    assert not (workdir / "results").exists() and not (workdir / "logs").exists()


def test_config_module_error_names_key_path():
    from scorematch.config import ConfigError, load_config, validate_config

    config = load_config([REPO / "config.yaml"])
    config["fig1"]["cases"]["M6"]["mode"] = "sgd"
    with pytest.raises(ConfigError, match=r"fig1/cases/M6/mode.*'sgd'"):
        validate_config(config)
    validate_config(load_config([REPO / "config.yaml"]))  # the shipped config is valid

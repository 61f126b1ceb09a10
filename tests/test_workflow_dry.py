"""Workflow scheduling: one figure schedules only its chain; a changed config section
reruns only its experiment's jobs.

Each test runs Snakemake in a temporary copy of the workflow (Snakefile, configs, rules,
scripts), so the tree's results are never touched.  The package is the installed one.
"""

import pytest
from workflow_copy import REPO, SMALL, copy_workflow, scheduled, snakemake


@pytest.fixture
def workdir(tmp_path):
    return copy_workflow(tmp_path)


def test_one_figure_schedules_only_its_chain(workdir):
    jobs = scheduled(workdir, "figures/thm3_1.pdf")
    assert sorted(rule for rule, _ in jobs) == ["plot_thm3_1", "thm3_1_escape", "thm3_1_stationary"]


def test_one_gd_figure_schedules_only_its_cases(workdir):
    jobs = scheduled(workdir, "figures/thm3_4.pdf")
    rules = sorted({rule for rule, _ in jobs})
    assert rules == ["plot_theorem", "simulate"]
    simulated = [w for rule, w in jobs if rule == "simulate"]
    assert simulated and all("experiment=thm3_4" in w for w in simulated)


def test_changed_section_reruns_only_its_experiment(workdir):
    targets = ["figures/thm3_4.pdf", "results/thm3_1/stationary_point.json"]
    snakemake(workdir, "--cores", "2", *targets)
    assert scheduled(workdir, *targets) == []
    extra = workdir / "eta.yaml"
    extra.write_text("thm3_4:\n  defaults:\n    eta: 0.5\n")
    jobs = scheduled(workdir, *targets, configfiles=(SMALL, extra))
    assert jobs, "a changed eta must rerun thm3_4"
    for rule, wildcards in jobs:
        assert rule in ("simulate", "plot_theorem"), (rule, wildcards)
        assert "thm3_4" in wildcards, (rule, wildcards)


def test_claims_job_reads_every_case_and_changed_thresholds_rerun_only_it(workdir):
    jobs = scheduled(workdir, "results/claims.csv")
    rules = {rule for rule, _ in jobs}
    assert {"claims", "simulate", "fit_rates", "thm3_1_stationary"} <= rules
    assert not rules & {"plot_theorem", "plot_rates", "step_size_summary"}
    simulated = {w for rule, w in jobs if rule == "simulate"}
    for case in ("experiment=thm3_5, case=M6_d3", "experiment=thm3_4, case=M6_lead1e-3", "experiment=fig1, case=M3"):
        assert case in simulated, case


def test_step_size_sweep_is_one_job_per_case_and_eta(workdir):
    jobs = scheduled(workdir, "results/step_size.csv")
    sweep = [w for rule, w in jobs if rule == "simulate_step_size"]
    # the small config: 3 base cases x 5 step sizes, no other simulation
    assert len(sweep) == 15 and len(set(sweep)) == 15
    assert {rule for rule, _ in jobs} == {"simulate_step_size", "step_size_summary"}


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

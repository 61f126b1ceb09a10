"""Scheduling of the mixture experiments, in a throw-away copy of the workflow: a figure
schedules only its kind's chain; adding a separation reruns only the new case."""

import pytest
from workflow_copy import SMALL, copy_workflow, scheduled, snakemake

# a few steps and seeds: enough records for the rates stage's 1.5-decade tail window
TINY = """mixture:
  n_steps: 200
  n_records: 30
  exact:
    separations: [2, 8]
    runs: 2
"""


@pytest.fixture
def workdir(tmp_path):
    workdir = copy_workflow(tmp_path)
    (workdir / "tiny.yaml").write_text(TINY)
    return workdir


def test_mixture_figure_schedules_only_its_kind(workdir):
    jobs = scheduled(workdir, "figures/mixture_over.png")
    assert sorted({rule for rule, _ in jobs}) == ["mixture_case", "mixture_summary", "plot_mixture"]
    cases = [w for rule, w in jobs if rule == "mixture_case"]
    assert len(cases) == 4 and all("section=mixture, kind=over" in w for w in cases)


def test_further_truth_figure_schedules_only_its_own_chain(workdir):
    jobs = scheduled(workdir, "figures/mixture_K3_line_over.png")
    cases = [w for rule, w in jobs if rule == "mixture_case"]
    assert cases == ["section=mixture_K3_line, kind=over, n=4, delta=4"]
    assert ("plot_mixture", "section=mixture_K3_line, kind=over") in jobs


EXACT_CASE = "exact: {separations: [4], sigma: 1.0, runs: 2}"


@pytest.mark.parametrize(
    ("truth", "message"),
    [
        (
            "components: 3, dim: 1, layout: line, over: {n_components: [3], separations: [4], sigma: 1.0, runs: 2}",
            "config key mixture/truths/bad/over/n_components: every n must exceed components (3)",
        ),
        (f"components: 3, dim: 1, layout: polygon, {EXACT_CASE}", "config key mixture/truths/bad/dim: layout polygon"),
        (
            f"components: 3, dim: 2, layout: hexagon, {EXACT_CASE}",
            "config key mixture/truths/bad/layout: 'hexagon' is not one of",
        ),
    ],
)
def test_bad_truth_is_refused_naming_its_key(workdir, truth, message):
    (workdir / "bad.yaml").write_text(f"mixture:\n  truths:\n    bad: {{{truth}}}\n")
    result = snakemake(workdir, "-n", "--cores", "1", configfiles=(SMALL, "bad.yaml"), check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_added_separation_reruns_only_the_new_case(workdir):
    configs = (SMALL, "tiny.yaml")
    snakemake(workdir, "--cores", "1", "results/mixture/exact.json", configfiles=configs)
    assert scheduled(workdir, "results/mixture/exact.json", configfiles=configs) == []
    (workdir / "more.yaml").write_text("mixture:\n  exact:\n    separations: [2, 4, 8]\n")
    jobs = scheduled(workdir, "results/mixture/exact.json", configfiles=(*configs, "more.yaml"))
    assert sorted(jobs) == [
        ("mixture_case", "section=mixture, kind=exact, n=2, delta=4"),
        ("mixture_summary", "section=mixture, kind=exact"),
    ]

import pytest
from workflow_copy import copy_workflow, snakemake


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The whole small workflow and its report, run once per session on 2 local cores (~2.5 min)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("small"))
    snakemake(workdir, "--cores", "2")
    snakemake(workdir, "--cores", "2", "--report", "report.html")
    return workdir

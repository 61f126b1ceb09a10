import pytest
from workflow_copy import copy_workflow, make


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The whole small workflow and its report with the documented commands, `make small`
    then `make report`, run once per session on 2 local cores (~2 min)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("small"))
    make(workdir, "small")
    make(workdir, "report")
    return workdir

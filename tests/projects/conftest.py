import pytest

from tests.projects.builders import win


@pytest.fixture
def won_project(rep, pm):
    """A project from rep's deal, signed off by pm, with two planned deliverables."""
    return win(rep, pm, conditions={"Data warehouse": "Client provides access by week 2"})

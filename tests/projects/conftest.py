import pytest

from tests.projects.builders import win


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def won_project(rep, pm):
    """A project from rep's deal, signed off by pm, with two planned deliverables."""
    return win(rep, pm, conditions={"Data warehouse": "Client provides access by week 2"})

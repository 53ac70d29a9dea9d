import pytest

from tests.security.world import World, build_world

ROLES = ("anonymous", "rep", "rep2", "pm", "manager")


@pytest.fixture
def users(rep, rep2, pm, pm2, manager):
    return {"rep": rep, "rep2": rep2, "pm": pm, "pm2": pm2, "manager": manager}


@pytest.fixture
def world(users) -> World:
    return build_world(users)

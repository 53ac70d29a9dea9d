import pytest

from tests.security.world import World, build_world

ROLES = ("anonymous", "rep", "rep2", "pm", "manager")
# A real hasher costs over a second per password on a busy machine; these tests sign in a lot.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _security_test_settings(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # A cache of our own: throttle counts left in a shared Redis by other tests would leak in.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "security-tests",
        }
    }


@pytest.fixture
def users(rep, rep2, pm, pm2, manager):
    return {"rep": rep, "rep2": rep2, "pm": pm, "pm2": pm2, "manager": manager}


@pytest.fixture
def world(users) -> World:
    return build_world(users)

"""Fixtures shared by every test: one user per role, the way Healthchecks has alice and bob."""

import pytest
from django.test import Client as HttpClient

from config.celery import app as celery_app
from handoff.models import Role
from tests.factories import PASSWORD, UserFactory

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process in tests unless a test starts a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached loads must not outlive their rows."""
    from django.core.cache import cache

    from handoff import settled_cache

    cache.clear()
    settled_cache.forget_held()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Query counts include the session's and the user's rows unless a test turns the cache on.
    settings.AUTH_USER_CACHE_SECONDS = 0
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    # Every change to a shared load is seen by the next reader, unless a test says otherwise.
    settings.CACHED_LOAD_SETTLE_SECONDS = 0
    # The real hasher costs about a second per password here; tests don't need its strength.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def queue_emailed(settings):
    """An organisation that emails each deal new in the review queue to its PMs as it comes:
    the tests of what such an email holds and how it is sent."""
    settings.REVIEW_QUEUE_EMAIL = "immediate"


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def rep(db):
    return UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")


@pytest.fixture
def rep2(db):
    return UserFactory(username="rep2", role=Role.SALES, first_name="Sam", last_name="Osei")


@pytest.fixture
def pm(db):
    return UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")


@pytest.fixture
def pm2(db):
    return UserFactory(username="pm2", role=Role.PM, first_name="Tom", last_name="Berg")


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role=Role.MANAGER, first_name="Morgan", last_name="Lee")


@pytest.fixture
def client_for():
    """client_for(user) -> a Django test client signed in as that user."""

    def make(user) -> HttpClient:
        http = HttpClient()
        http.force_login(user)
        return http

    return make


@pytest.fixture(scope="module")
def demo_seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for a module and committed; after the module every table is
    flushed, as after a transactional test. Each test still runs in its own rolled-back
    transaction, so what a test changes is gone before the next.

    Seeding in a test's transaction never reaches its commit, so nothing it leaves for after
    the commit (tasks, emails) happens; here neither, so that the data is the same.
    """
    import io
    from unittest import mock

    from django.core.management import call_command
    from django.test import override_settings

    with django_db_blocker.unblock():
        with (
            override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
            mock.patch("django.db.transaction.on_commit"),
        ):
            call_command("seed_demo", stdout=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def seeded(demo_seeded, db, settings):
    """The demo of the module (seeded once for it); DEBUG on, as seed_demo needs it."""
    settings.DEBUG = True

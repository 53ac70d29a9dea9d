"""Settings come from the environment; production refuses the development secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "a-production-like-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
IMPORT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
)


def run_python(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Only what the test passes: not the test run's secret, nor the browser tests' async switch.
    inherited_out = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "HANDOFF_PROCESS"}
    environment = {k: v for k, v in os.environ.items() if k not in inherited_out}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_on_the_development_secret():
    result = run_python("-c", IMPORT_SETTINGS, DEBUG="false", SECRET_KEY=DEVELOPMENT_SECRET_KEY)

    assert result.returncode != 0
    assert "SECRET_KEY is the development secret while DEBUG is off" in result.stderr


@pytest.mark.skipif((BASE_DIR / ".env").exists(), reason="a local .env may set SECRET_KEY")
def test_production_refuses_to_start_without_a_secret():
    result = run_python("manage.py", "check", DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY is the development secret while DEBUG is off" in result.stderr


def test_development_starts_on_the_development_secret():
    result = run_python("-c", IMPORT_SETTINGS, DEBUG="true", SECRET_KEY=DEVELOPMENT_SECRET_KEY)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_check_deploy_passes_with_production_variables():
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=PRODUCTION_SECRET,
        HTTPS="true",
        ALLOWED_HOSTS="handoff.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_https():
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=PRODUCTION_SECRET,
        HTTPS="false",
        ALLOWED_HOSTS="handoff.example.com",
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


PRINT_SITE_URL = (
    "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
)


@pytest.mark.skipif((BASE_DIR / ".env").exists(), reason="a local .env may set SITE_URL")
@pytest.mark.parametrize(
    ("env", "site_url"),
    [
        ({"DEBUG": "true"}, "http://127.0.0.1:8000"),
        ({"DEBUG": "true", "DEV_SERVER_URL": "http://127.0.0.1:8101"}, "http://127.0.0.1:8101"),
        (
            {"DEBUG": "true", "DEV_SERVER_URL": "http://127.0.0.1:8101", "SITE_URL": "http://a.b"},
            "http://a.b",
        ),
        (
            {"DEBUG": "false", "SECRET_KEY": PRODUCTION_SECRET, "DEV_SERVER_URL": "http://x:1"},
            "http://127.0.0.1:8000",
        ),
    ],
)
def test_links_in_development_point_at_the_address_served(env, site_url, monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("DEV_SERVER_URL", raising=False)

    result = run_python("-c", PRINT_SITE_URL, **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == site_url


def test_a_copy_of_env_example_runs_as_it_is():
    # What `cp .env.example .env` gives: its lines read as the settings read a .env file.
    script = (
        "import environ; environ.Env.read_env('.env.example');"
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('check');"
        "from django.conf import settings;"
        "print(settings.DEBUG, bool(settings.SECRET_KEY), settings.SITE_URL)"
    )
    example_names = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (BASE_DIR / ".env.example").read_text().splitlines()
        if "=" in line
    }
    environment = {k: v for k, v in os.environ.items() if k not in example_names}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["True", "True", "http://127.0.0.1:8000"]


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("filemail:///srv/handoff/mail", "/srv/handoff/mail"),
        ("filemail://var/outgoing", str(BASE_DIR / "var" / "outgoing")),
        ("filemail://", str(BASE_DIR / "var" / "mail")),
    ],
)
def test_a_filemail_url_keeps_its_path_absolute(url, folder):
    result = run_python(
        "-c",
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)",
        DEBUG="true",
        EMAIL_URL=url,
    )

    assert result.returncode == 0, result.stderr
    backend, path = result.stdout.split()[-2:]
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert path == folder


PRINT_SESSION_ENGINE = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SESSION_ENGINE, settings.AUTH_USER_CACHE_SECONDS)"
)


@pytest.mark.skipif((BASE_DIR / ".env").exists(), reason="a local .env may set REDIS_URL")
@pytest.mark.parametrize(
    ("redis", "expected"),
    [
        ("redis://127.0.0.1:6379/9", "handoff.sessions 60"),
        ("", "django.contrib.sessions.backends.db 0"),
    ],
)
def test_sessions_and_users_are_cached_only_in_a_shared_cache(redis, expected):
    """A per-process cache would keep a session another process has signed out."""
    result = run_python(
        "-c", PRINT_SESSION_ENGINE, DEBUG="true", REDIS_URL=redis, CACHE_REDIS_URL=""
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_query_run_again_is_prepared_on_its_connection():
    """Planned once per connection, not at every run (DATABASE_PREPARED_STATEMENTS)."""
    from django.db import connection

    from handoff.models import User

    for _ in range(6):
        list(User.objects.filter(username="prepared-probe"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%prepared-probe%"],
        )
        literal = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "handoff_user" WHERE "handoff_user"."username" = $1%'],
        )
        assert cursor.fetchone()[0] == 1
    assert literal == 0  # the parameter is bound by the server, not written into the text


PRINT_DATABASE_OPTIONS = (
    "import django; django.setup(); from django.conf import settings; "
    "o = settings.DATABASES['default']['OPTIONS']; "
    "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
)


@pytest.mark.parametrize(("flag", "expected"), [("true", "True 5"), ("false", "None None")])
def test_prepared_statements_can_be_turned_off_for_a_pooler(flag, expected):
    result = run_python(
        "-c",
        PRINT_DATABASE_OPTIONS,
        DEBUG="true",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
        DATABASE_PREPARED_STATEMENTS=flag,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


PRINT_CONNECTION_OPTIONS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['OPTIONS']['options'])"
)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # What gunicorn loads: the web's short queries run without parallel query helpers.
        ("import config.wsgi", "-c jit=off -c max_parallel_workers_per_gather=0"),
        ("import config.asgi", "-c jit=off -c max_parallel_workers_per_gather=0"),
        # The worker, beat and commands keep the server's parallel query for their long scans.
        ("import config.celery", "-c jit=off"),
        ("pass", "-c jit=off"),
    ],
)
def test_only_the_web_turns_parallel_query_off(entry, expected):
    result = run_python(
        "-c",
        f"{entry}; {PRINT_CONNECTION_OPTIONS}",
        DEBUG="true",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected

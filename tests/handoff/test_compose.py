"""docker-compose.yml against the Compose Specification's JSON schema, and the stack it describes.

The schema is the one check-jsonschema vendors (licence in its package, vendor/licenses/).
"""

import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from jsonschema import Draft202012Validator

BASE_DIR = Path(__file__).resolve().parents[2]
STACK = ("postgres", "redis", "web", "worker", "beat")
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def compose_schema() -> dict:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text())


def test_compose_file_matches_the_compose_specification(compose, compose_schema):
    validator = Draft202012Validator(compose_schema)

    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]

    assert errors == []


def test_the_schema_catches_a_mistake(compose, compose_schema):
    broken = {**compose, "services": {**compose["services"], "web": {"image": 42, "port": []}}}

    assert not Draft202012Validator(compose_schema).is_valid(broken)


def test_the_stack_has_its_five_services(compose):
    assert set(STACK) <= set(compose["services"])
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("service", ["postgres", "redis", "web", "worker", "beat"])
def test_long_running_services_have_healthchecks(compose, service):
    healthcheck = compose["services"][service]["healthcheck"]

    assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}
    assert healthcheck["interval"]
    assert healthcheck["retries"] >= 3


def test_healthchecks_use_what_each_image_has(compose):
    services = compose["services"]

    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "urllib.request" in web_check
    assert "/healthz" in web_check


def test_web_healthcheck_script_is_valid_python(compose):
    script = compose["services"]["web"]["healthcheck"]["test"][-1]

    compile(script, "healthcheck", "exec")


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_databases_and_migrations(compose, service):
    depends_on = compose["services"][service]["depends_on"]

    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_migrations_run_once_before_the_app(compose):
    migrate = compose["services"]["migrate"]

    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_commands(compose):
    services = compose["services"]

    assert services["web"]["command"][:3] == ["gunicorn", "config.wsgi", "--bind=0.0.0.0:8000"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]


def test_beat_is_checked_through_the_broker_while_its_loop_ticks(compose):
    beat = compose["services"]["beat"]

    assert "--enable-remote-control" in beat["command"]
    assert "--max-interval=30" in beat["command"]
    check = " ".join(beat["healthcheck"]["test"])
    assert "celery -A config inspect ping --destination celerybeat@$$HOSTNAME" in check
    assert "--timeout 5" in check


def test_redis_keeps_the_broker_and_the_cache_apart_and_never_evicts(compose):
    redis = compose["services"]["redis"]
    environment = compose["x-env"]
    command = redis["command"]

    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["CACHE_REDIS_URL"] == "redis://redis:6379/1"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--maxmemory") + 1] == "${REDIS_MAXMEMORY:-256mb}"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert redis["mem_limit"] == "${REDIS_MEM_LIMIT:-512m}"


def test_the_web_port_is_reachable_from_this_host_only(compose):
    ports = compose["services"]["web"]["ports"]

    assert ports == ["127.0.0.1:${WEB_PORT:-8000}:8000"]
    assert all("ports" not in compose["services"][s] for s in compose["services"] if s != "web")


@pytest.mark.parametrize("service", ("migrate", *APP_SERVICES))
def test_app_services_build_a_namespaced_image_and_never_pull_it(compose, service):
    app = compose["services"][service]

    assert app["build"] == "."
    assert app["image"] == "ghcr.io/handoff/handoff:${HANDOFF_VERSION:-latest}"
    assert app["pull_policy"] == "build"
    assert app["init"] is True


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert match and duration, duration
    return int(match[1] or 0) * 60 + int(match[2] or 0)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_a_stop_waits_longer_than_requests_and_tasks_may_run(compose, service):
    grace = _seconds(compose["services"][service]["stop_grace_period"])
    graceful_timeout = int(
        next(
            a.split("=", 1)[1]
            for a in compose["services"]["web"]["command"]
            if a.startswith("--graceful-timeout=")
        )
    )

    assert grace > graceful_timeout
    assert grace > settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert grace > settings.CELERY_TASK_TIME_LIMIT


def test_requests_are_logged_once_as_json_by_the_app(compose):
    web = compose["services"]["web"]["command"]

    assert compose["x-env"]["LOG_FORMAT"] == "json"
    assert not any(a.startswith("--access-log") for a in web)
    assert "--access-log" not in (BASE_DIR / "Dockerfile").read_text()


def test_gunicorn_heartbeats_in_memory(compose):
    assert "--worker-tmp-dir=/dev/shm" in compose["services"]["web"]["command"]
    assert '"--worker-tmp-dir=/dev/shm"' in (BASE_DIR / "Dockerfile").read_text()


@pytest.mark.parametrize("service", ("migrate", *APP_SERVICES))
def test_app_services_share_one_production_environment(compose, service):
    environment = compose["services"][service]["environment"]

    assert environment == compose["x-env"]
    assert environment["DEBUG"] == "false"
    assert environment["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["DATABASE_URL"].endswith("@postgres:5432/handoff")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["SITE_URL"].startswith("${SITE_URL:?")
    assert environment["LOG_FORMAT"] == "json"
    assert environment["SENTRY_DSN"] == "${SENTRY_DSN:-}"
    assert {"ALLOWED_HOSTS", "HTTPS", "EMAIL_URL"} <= set(environment)


def test_the_documented_recipe_sets_what_the_stack_requires(compose):
    readme = (BASE_DIR / "README.md").read_text()
    required = {
        name
        for value in compose["x-env"].values()
        for name in re.findall(r"\$\{([A-Z_]+):\?", str(value))
    }

    assert required == {"POSTGRES_PASSWORD", "SECRET_KEY", "SITE_URL"}
    recipe = readme[readme.index("docker compose up") - 600 : readme.index("docker compose up")]
    assert [name for name in sorted(required) if f"{name}=" not in recipe] == []


def test_every_variable_the_stack_uses_is_documented(compose):
    # Set or, at its default, commented out: either way the variable is documented.
    documented = set(
        re.findall(r"^(?:# )?([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.M)
    )

    assert set(compose["x-env"]) <= documented


def test_data_lives_in_named_volumes(compose):
    assert compose["services"]["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}


def test_dockerfile_runs_as_a_non_root_user_with_static_files_built_in():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert dockerfile.startswith("# ")
    assert re.search(r"^FROM python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}$", dockerfile, re.M)
    assert re.search(r"^USER handoff$", dockerfile, re.M)
    assert "manage.py collectstatic --noinput" in dockerfile
    assert "\nEXPOSE 8000\n" in dockerfile


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())

    assert {".git", ".venv", ".env", "var"} <= ignored

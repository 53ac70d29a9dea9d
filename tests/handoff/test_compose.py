"""docker-compose.yml against the Compose Specification's JSON schema, and the stack it describes.

The schema is the one check-jsonschema vendors (licence in its package, vendor/licenses/).
"""

import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml
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


@pytest.mark.parametrize("service", ["postgres", "redis", "web", "worker"])
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

    assert services["web"]["command"][:3] == ["gunicorn", "handoff.wsgi", "--bind=0.0.0.0:8000"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "handoff", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "handoff", "beat"]


@pytest.mark.parametrize("service", ("migrate", *APP_SERVICES))
def test_app_services_share_one_production_environment(compose, service):
    environment = compose["services"][service]["environment"]

    assert environment == compose["x-env"]
    assert environment["DEBUG"] == "false"
    assert environment["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["DATABASE_URL"].endswith("@postgres:5432/handoff")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert {"ALLOWED_HOSTS", "HTTPS", "EMAIL_URL"} <= set(environment)


def test_every_variable_the_stack_uses_is_documented(compose):
    documented = set(re.findall(r"^([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.M))

    assert set(compose["x-env"]) <= documented


def test_data_lives_in_named_volumes(compose):
    assert compose["services"]["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}


def test_dockerfile_runs_as_a_non_root_user_with_static_files_built_in():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert dockerfile.startswith("# ") and "\nFROM python:3.11-slim\n" in dockerfile
    assert re.search(r"^USER handoff$", dockerfile, re.M)
    assert "manage.py collectstatic --noinput" in dockerfile
    assert "\nEXPOSE 8000\n" in dockerfile


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())

    assert {".git", ".venv", ".env", "var"} <= ignored

"""Production logs: one JSON object a line, each with the ids of its request, user and task."""

import io
import json
import logging
import re

import pytest

from config.celery import app as celery_app
from handoff.observability import JsonFormatter, request_id_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """What the configured console handler writes, one parsed JSON object a line."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    handler.setStream(previous)


@celery_app.task(name="tests.ops.log_inside_a_task")
def log_inside_a_task() -> None:
    logging.getLogger("tests.ops").warning("inside the task")


def test_production_logs_are_json_by_default(settings):
    assert settings.LOG_FORMAT == "json"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"


def test_a_request_line_carries_the_callers_request_id_and_the_user(client, rep, log_lines):
    client.force_login(rep)

    response = client.get("/deals/", headers={"X-Request-ID": "req-4f2a.9:abc"})

    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-4f2a.9:abc"
    [line] = [r for r in log_lines() if r["logger"] == "handoff.request"]
    assert line["message"] == "GET /deals/ 200"
    assert line["request_id"] == "req-4f2a.9:abc"
    assert line["user_id"] == rep.pk
    assert line["task_id"] is None
    assert line["level"] == "INFO"
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert "request" not in line
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["time"])


def test_a_record_written_during_the_request_carries_its_ids(client, rep, log_lines):
    client.force_login(rep)

    response = client.get("/no-such-page/", headers={"X-Request-ID": "req-404"})

    assert response.status_code == 404
    [warning] = [r for r in log_lines() if r["logger"] == "django.request"]
    assert warning["message"] == "Not Found: /no-such-page/"
    assert (warning["request_id"], warning["user_id"]) == ("req-404", rep.pk)


def test_a_token_request_logs_the_user_the_api_authenticated(client, rep, password, log_lines):
    token = client.post("/api/v1/auth/token/", {"username": "rep", "password": password}).json()[
        "token"
    ]

    response = client.get("/api/v1/deals/", headers={"Authorization": f"Token {token}"})

    assert response.status_code == 200
    line = [r for r in log_lines() if r["logger"] == "handoff.request"][-1]
    assert line["message"] == "GET /api/v1/deals/ 200"
    assert line["user_id"] == rep.pk


@pytest.mark.parametrize(
    "header", ["", "has space", "x" * 129, "line\\nbreak", "-leading-dash", "semi;colon", "é"]
)
def test_a_malformed_request_id_is_replaced_by_a_fresh_one(client, log_lines, header):
    response = client.get("/healthz", headers={"X-Request-ID": header})

    generated = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    [line] = [r for r in log_lines() if r["logger"] == "handoff.request"]
    assert line["request_id"] == generated
    assert line["user_id"] is None


def test_each_request_without_an_id_gets_its_own(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert first != second


def test_a_record_written_in_a_task_carries_the_task_id(log_lines):
    log_inside_a_task.apply(task_id="3b6d1c9e-task")
    logging.getLogger("tests.ops").warning("after the task")

    inside, after = [r for r in log_lines() if r["logger"] == "tests.ops"]
    assert inside["message"] == "inside the task"
    assert inside["task_id"] == "3b6d1c9e-task"
    assert inside["request_id"] is None
    assert after["task_id"] is None


def test_outside_a_request_the_ids_are_empty(log_lines):
    logging.getLogger("tests.ops").error("on its own", extra={"figure": 3})

    [line] = log_lines()
    assert (line["request_id"], line["user_id"], line["task_id"]) == (None, None, None)
    assert line["figure"] == 3


def test_request_id_from_keeps_only_well_formed_ids():
    assert request_id_from("abc-123") == "abc-123"
    assert request_id_from(None) != request_id_from(None)
    assert len(request_id_from("bad id")) == 32

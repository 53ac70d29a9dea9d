"""/readyz: 200 with each check when the database, cache and broker answer; a quick 503 naming what did not."""

import socket
import time

import pytest

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def stalled_port():
    """A port that accepts connections and never answers, like a Redis that was stopped."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "handoff.security.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }


def test_ready_when_everything_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] and check["ms"] >= 0 for check in body["checks"].values())
    assert "no-cache" in response["Cache-Control"]


def test_an_unreachable_cache_answers_503_naming_it(client, settings, closed_port):
    settings.CACHES = redis_cache(closed_port)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"] == {
        "ok": False,
        "error": "the cache did not return what was written to it",
    }
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_an_unreachable_broker_answers_503_naming_it(client, monkeypatch, closed_port):
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{closed_port}/0")

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]
    assert "127.0.0.1" not in response.content.decode()


def test_a_stalled_cache_and_broker_answer_within_the_bound(
    client, settings, monkeypatch, stalled_port
):
    settings.CACHES = redis_cache(stalled_port)
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{stalled_port}/0")

    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["failed"] == ["cache", "broker"]
    assert response.json()["checks"]["broker"]["error"] == "no answer within 2 s"
    assert elapsed < 3


def test_readyz_takes_only_get(client):
    assert client.post("/readyz").status_code == 405

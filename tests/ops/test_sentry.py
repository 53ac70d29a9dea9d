"""Error reports: with SENTRY_DSN set, a view's exception reaches a Sentry server, without personal data.

The server is a tiny HTTP server on 127.0.0.1 that keeps what it receives; the
site runs in a child process so that Sentry's hooks never touch this test run.
"""

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

SITE = """
import django, sentry_sdk
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
from django.core.management import call_command
# A database of its own in memory: the request reads its session and user like any other.
# Its tables straight from the models, as pytest-django's --no-migrations makes them: quicker.
from django.apps import apps
with override_settings(MIGRATION_MODULES={app.label: None for app in apps.get_app_configs()}):
    call_command("migrate", run_syncdb=True, verbosity=0)
setup_test_environment()
client = sentry_sdk.get_client()
print("integrations", sorted(client.integrations))
print("send_default_pii", client.options["send_default_pii"])
with override_settings(ROOT_URLCONF="tests.handoff.urls", ALLOWED_HOSTS=["testserver"]):
    response = Client(raise_request_exception=False).get(
        "/test/broken/",
        headers={"X-Request-ID": "req-sentry-1", "Cookie": "sessionid=secret-session"},
        REMOTE_ADDR="203.0.113.9",
    )
print("status", response.status_code)
sentry_sdk.flush(timeout=10)
"""


class Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli  # the SDK compresses with it when it is installed, as here

            body = brotli.decompress(body)
        self.server.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_site(env_extra: dict) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SENTRY_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "sentry-test-secret-000000000000000000000000000000000000000",
            "DEBUG": "false",
            "DATABASE_URL": "sqlite://:memory:",
            **env_extra,
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", SITE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def events(received: list[tuple[str, bytes]]) -> list[dict]:
    """The event items of the envelopes received: header line, then item header and payload pairs."""
    found = []
    for _path, body in received:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_an_exception_in_a_view_reaches_sentry_without_personal_data(sentry_server):
    port = sentry_server.server_address[1]

    output = run_site(
        {"SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1", "SENTRY_ENVIRONMENT": "test"}
    )

    assert "status 500" in output
    assert "'celery'" in output and "'django'" in output
    assert "send_default_pii False" in output
    assert {path for path, _ in sentry_server.received} == {"/api/1/envelope/"}
    [event] = events(sentry_server.received)
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "a bug")
    assert event["environment"] == "test"
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["transaction"] == "/test/broken/"
    sent = json.dumps(event)
    assert "secret-session" not in sent
    assert "203.0.113.9" not in sent
    assert "ip_address" not in event.get("user", {})


def test_without_a_dsn_nothing_is_sent(sentry_server):
    output = run_site({})

    assert "status 500" in output
    assert "integrations []" in output
    assert sentry_server.received == []

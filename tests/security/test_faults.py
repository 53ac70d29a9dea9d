"""Parts fail; the app answers and loses nothing: Redis down, a worker killed, PostgreSQL gone."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from werkzeug.test import Client as WsgiClient

from tests.broker import use_broker
from tests.factories import PASSWORD

BASE_DIR = Path(__file__).resolve().parents[2]
CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens here: Redis is down
FAULTS_INJECTED = {"count": 0}


@pytest.fixture
def redis_down(settings):
    FAULTS_INJECTED["count"] += 1
    settings.CACHES = {
        "default": {
            "BACKEND": "handoff.security.ResilientRedisCache",  # as production configures it
            "LOCATION": CLOSED_PORT,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.CELERY_BROKER_URL = CLOSED_PORT
    from django.core.cache import cache

    cache.set("probe", "stored")
    assert cache.get("probe") is None  # nothing was stored: Redis is really unreachable


@pytest.mark.django_db
class TestRedisDown:
    def test_pages_answer(self, redis_down, world):
        rep = world.users["rep"]
        http = HttpClient(raise_request_exception=False)
        assert http.get(reverse("login")).status_code == 200
        http.force_login(rep)
        for name in ("home", "deals:list", "projects:list", "feedback:inbox"):
            assert http.get(reverse(name)).status_code == 200, name
        detail = http.get(world.deals["in_review"].get_absolute_url())
        assert detail.status_code == 200

    def test_signing_in_works(self, redis_down, rep):
        http = HttpClient(raise_request_exception=False)
        response = http.post(reverse("login"), {"username": "rep", "password": PASSWORD})
        assert response.status_code == 302
        assert http.get(reverse("home")).status_code == 200

    def test_a_write_lands_and_is_kept(self, redis_down, world):
        rep = world.users["rep"]
        deal = world.deals["in_review"]
        http = HttpClient(raise_request_exception=False)
        http.force_login(rep)
        url = reverse("deals:comment", kwargs={"pk": deal.pk})
        response = http.post(url, {"comment-body": "Written while Redis is down"})
        assert response.status_code == 302
        assert deal.comments.filter(body="Written while Redis is down").exists()

    def test_the_api_and_its_throttled_token_endpoint_answer(self, redis_down, rep):
        http = HttpClient(raise_request_exception=False)
        token = http.post(
            reverse("api:token"),
            {"username": "rep", "password": PASSWORD},
            content_type="application/json",
        )
        assert token.status_code == 200, token.content
        listed = http.get(
            reverse("api:deal-list"), headers={"Authorization": f"Token {token.json()['token']}"}
        )
        assert listed.status_code == 200


def _terminate_backend_of(django_connection) -> None:
    """Kill this connection's server process from outside, as a PostgreSQL restart would."""
    pid = django_connection.connection.info.backend_pid
    params = django_connection.get_connection_params()
    with psycopg.connect(
        dbname=params["dbname"],
        user=params.get("user") or "postgres",
        host=params.get("host") or "127.0.0.1",
        port=params.get("port") or 5432,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    FAULTS_INJECTED["count"] += 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_recovers_after_postgresql_drops_its_connection(rep):
    # Through the real WSGI handler: its request_started hook runs the connection health check.
    app = WsgiClient(WSGIHandler())
    signed_in = HttpClient()
    signed_in.force_login(rep)
    cookie = signed_in.cookies[django_settings.SESSION_COOKIE_NAME].value
    app.set_cookie(django_settings.SESSION_COOKIE_NAME, cookie, domain="localhost")
    assert app.get("/healthz").status_code == 200
    connection.ensure_connection()
    for _ in range(2):
        _terminate_backend_of(connection)
        assert app.get("/healthz").status_code == 200
        page = app.get(reverse("deals:list"))
        assert page.status_code == 200
        assert b"Deals" in page.data


SLOW_MAIL_SETTINGS = "tests.security.fault_settings"


def _slow_mail_env(sent_log: Path, seconds: str) -> dict[str, str]:
    """A child process on this test's database whose mail takes `seconds` and logs each send."""
    params = connection.get_connection_params()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SLOW_MAIL_SETTINGS,
        "DATABASE_URL": (
            f"postgres://{params.get('user') or 'postgres'}@{params.get('host') or '127.0.0.1'}"
            f":{params.get('port') or 5432}/{params['dbname']}"
        ),
        "SLOW_MAIL_LOG": str(sent_log),
        "SLOW_MAIL_SECONDS": seconds,
        "DEBUG": "false",
        "SECRET_KEY": "fault-test-" + "x" * 40,
    }


def _run_digests(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_digests", "--period", "weekly"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_digest_run_killed_midway_sends_the_rest_later_and_none_twice(tmp_path, world):
    from feedback.digests import build_digest, recipients_for
    from feedback.models import DigestDelivery

    expected = {u.email for u in recipients_for("weekly") if build_digest(u, "weekly").has_news}
    assert len(expected) >= 3, expected
    sent_log = tmp_path / "sent.log"
    env = _slow_mail_env(sent_log, "1.5")
    first = _run_digests(env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if DigestDelivery.objects.filter(sent_at__isnull=False).exists():
            break
        time.sleep(0.1)
    else:
        first.kill()
        pytest.fail("the first run sent nothing in 60 s: " + first.communicate()[1][-2000:])
    # Killed while sending the next one: no cleanup, no except block runs.
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    FAULTS_INJECTED["count"] += 1
    sent_before = sent_log.read_text().split() if sent_log.exists() else []
    assert 0 < len(sent_before) < len(expected), "the kill came too late to test anything"

    env["SLOW_MAIL_SECONDS"] = "0"
    second = _run_digests(env)
    _out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err[-3000:]
    sent = sent_log.read_text().split()
    assert len(sent) == len(set(sent)), f"sent twice: {sent}"
    assert set(sent) == expected, f"never sent: {expected - set(sent)}"
    sent_rows = DigestDelivery.objects.filter(sent_at__isnull=False)
    assert set(sent_rows.values_list("user__email", flat=True)) == expected


# Redis stopped, not refusing: the process is frozen (SIGSTOP), so connections open and
# no answer ever comes. Every call must be bounded, and the outbox must still send later.


@pytest.fixture
def frozen_redis(tmp_path, settings):
    """A Redis of the test's own on a free port, frozen with SIGSTOP; yields its URL."""
    import shutil
    import socket

    from handoff import security
    from tests.policy import missing

    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=0.5).ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("the test's own Redis did not start")
            time.sleep(0.05)
    settings.CACHES = {
        "default": {
            "BACKEND": "handoff.security.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_SOCKET_TIMEOUT,
                "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
            },
        }
    }
    security._CACHE_DOWN_UNTIL.clear()
    os.kill(process.pid, signal.SIGSTOP)
    FAULTS_INJECTED["count"] += 1
    process.url = url
    yield process
    os.kill(process.pid, signal.SIGCONT)
    process.terminate()
    process.wait(timeout=10)
    security._CACHE_DOWN_UNTIL.clear()


@pytest.mark.django_db(transaction=True)
def test_a_write_answers_within_two_seconds_while_redis_is_frozen_and_mails_once_later(
    frozen_redis, client_for, rep, pm, mailoutbox
):
    from django.core.cache import cache

    from config.celery import app as celery_app
    from feedback import outbox
    from feedback.models import EmailOutbox, OutboxStatus

    real_broker = celery_app.conf.broker_url
    use_broker(frozen_redis.url)
    celery_app.conf.task_always_eager = False
    http = client_for(rep)
    try:
        started = time.monotonic()
        response = http.post(
            reverse("feedback:note_new"),
            {
                "direction": "to_delivery",
                "recipient": pm.pk,
                "topic": "customer_insight",
                "body": "They renew if onboarding takes under two weeks.",
            },
        )
        took = time.monotonic() - started
        page_started = time.monotonic()
        assert http.get(reverse("home")).status_code == 200
        page_took = time.monotonic() - page_started
    finally:
        use_broker(real_broker)
        celery_app.conf.task_always_eager = True
    assert response.status_code == 302, response.content[:500]
    assert took < 2.0, f"the write took {took:.2f} s with Redis frozen"
    assert page_took < 1.0, f"a page after it took {page_took:.2f} s: the cache is retried"
    email = EmailOutbox.objects.get(to_address=pm.email)
    assert email.status == OutboxStatus.PENDING
    assert mailoutbox == []

    os.kill(frozen_redis.pid, signal.SIGCONT)
    cache.set("probe", "back")  # within the retry pause the cache still reads as a miss
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert outbox.sweep(now=later)["enqueued"] == 1
    assert outbox.sweep(now=later)["due"] == 0
    assert EmailOutbox.objects.get(pk=email.pk).status == OutboxStatus.SENT
    assert [m.to for m in mailoutbox] == [[pm.email]]


# A worker killed in the middle of a batch: what it sent stays sent, the email it was sending
# and the ones it had not reached are sent by the sweep later, none twice.


def _start_slow_worker(tmp_path: Path, sent_log: Path, seconds: str, name: str) -> subprocess.Popen:
    env = {**_slow_mail_env(sent_log, seconds), "CELERY_TASK_ALWAYS_EAGER": "false"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-n",
            name,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"{name}.log").open("w"),
    )


def _wait_for(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout} s; worker log:\n{log.read_text()[-3000:]}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_and_repeats_no_email(tmp_path, rep):
    from config.celery import app as celery_app
    from feedback import outbox
    from feedback.models import EmailOutbox, OutboxStatus
    from tests.policy import missing

    if not os.environ.get("REDIS_URL"):
        missing("this test needs Redis for a real worker; set REDIS_URL=redis://…")
    addresses = [f"person{n}@example.com" for n in range(4)]
    rows = EmailOutbox.objects.bulk_create(
        EmailOutbox(
            recipient=rep, to_address=a, kind="flagged", subject="Flagged", text_body="Plain"
        )
        for a in addresses
    )
    sent_log = tmp_path / "sent.log"
    sent = lambda: sent_log.read_text().split() if sent_log.exists() else []  # noqa: E731
    first = _start_slow_worker(tmp_path, sent_log, "1.5", "first")
    celery_app.conf.task_always_eager = False
    try:
        assert outbox.enqueue_batch([row.pk for row in rows]) is True
        # Killed while it sleeps on the second email: one sent and marked, one claimed.
        _wait_for(
            lambda: (
                EmailOutbox.objects.filter(status=OutboxStatus.SENT).exists()
                and EmailOutbox.objects.filter(status=OutboxStatus.SENDING).exists()
            ),
            60,
            "the first worker sent nothing",
            tmp_path / "first.log",
        )
        os.kill(first.pid, signal.SIGKILL)  # mid-batch: no cleanup, no except block runs
        first.wait(timeout=10)
        FAULTS_INJECTED["count"] += 1
    finally:
        celery_app.conf.task_always_eager = True
        if first.poll() is None:
            first.kill()
    before = sent()
    assert 0 < len(before) < len(addresses), "the kill came too late to test anything"
    statuses = set(EmailOutbox.objects.values_list("status", flat=True))
    assert OutboxStatus.SENT in statuses and statuses - {OutboxStatus.SENT}

    second = _start_slow_worker(tmp_path, sent_log, "0", "second")
    celery_app.conf.task_always_eager = False
    try:
        later = timezone.now() + outbox.stuck_after() + datetime.timedelta(minutes=1)
        swept = outbox.sweep(now=later)
        assert swept["reclaimed"] == 1  # the one it was sending when it died
        assert swept["enqueued"] == len(addresses) - len(before)
        _wait_for(
            lambda: not EmailOutbox.objects.exclude(status=OutboxStatus.SENT).exists(),
            60,
            "the rest was not sent",
            tmp_path / "second.log",
        )
    finally:
        celery_app.conf.task_always_eager = True
        second.terminate()
        second.wait(timeout=20)
    after = sent()
    assert sorted(after) == sorted(addresses), after  # every one sent, none twice

"""Integration: a real Celery worker on Redis delivers the outbox, once, even after an outage.

Needs PostgreSQL (the worker is another process reading the same database) and REDIS_URL.
Locally: REDIS_URL=redis://127.0.0.1:6379/<your db> DATABASE_URL=postgres://… pytest -m postgres
"""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from feedback import outbox
from feedback.models import EmailOutbox, OutboxStatus
from tests.broker import use_broker
from tests.feedback.conftest import sent_messages
from tests.policy import missing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLOSED_PORT_BROKER = "redis://127.0.0.1:6390/0"


@pytest.fixture
def live_stack():
    if not os.environ.get("REDIS_URL"):
        missing("this test needs Redis for a real worker; set REDIS_URL=redis://…")


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def worker(live_stack, tmp_path):
    """Start a worker; yield a function that starts it (so a test can start it late)."""
    processes = []
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "EMAIL_URL": f"filemail:///{mail_dir}",
            "SECRET_KEY": "worker-integration-test",
            "DEBUG": "false",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("w"),
        )
        processes.append(process)
        return process

    start.mail_dir = mail_dir
    start.messages = lambda: sent_messages(mail_dir)
    start.log = tmp_path / "worker.log"
    celery_app.conf.task_always_eager = False
    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_sent(email_id: int, log: Path, timeout: float = 45) -> EmailOutbox:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        email = EmailOutbox.objects.get(pk=email_id)
        if email.status == OutboxStatus.SENT:
            return email
        time.sleep(0.3)
    raise AssertionError(f"not sent in {timeout}s; worker log:\n{log.read_text()[-3000:]}")


def _write_note(client_for, rep, pm):
    response = client_for(rep).post(
        "/feedback/notes/new/",
        {
            "direction": "to_delivery",
            "recipient": pm.pk,
            "topic": "customer_insight",
            "body": "They will renew if onboarding takes under two weeks.",
        },
    )
    assert response.status_code == 302
    return EmailOutbox.objects.get(to_address=pm.email)


def test_a_real_worker_delivers_the_email_of_a_web_change(worker, client_for, rep, pm):
    worker()
    email = _write_note(client_for, rep, pm)
    email = _wait_until_sent(email.pk, worker.log)
    assert email.attempts == 1
    [message] = worker.messages()
    assert "They will renew" in message


def test_a_broker_outage_delays_the_email_and_the_sweep_sends_it_once(worker, client_for, rep, pm):
    real_broker = celery_app.conf.broker_url
    use_broker(CLOSED_PORT_BROKER)
    try:
        email = _write_note(client_for, rep, pm)  # the request succeeds with the broker down
    finally:
        use_broker(real_broker)
    assert EmailOutbox.objects.get(pk=email.pk).status == OutboxStatus.PENDING

    worker()
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert outbox.sweep(now=later)["enqueued"] == 1
    outbox.sweep(now=later)  # the sweep racing its own earlier run and the task
    _wait_until_sent(email.pk, worker.log)
    time.sleep(2)
    assert len(worker.messages()) == 1
    assert outbox.sweep(now=later)["due"] == 0

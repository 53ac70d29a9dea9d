"""Integration: a real Celery worker on Redis posts a web change's webhook to a real receiver,
signed, once, and the sweep posts what a broker outage left behind, once.

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
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from config.celery import app as celery_app
from feedback import webhooks_delivery, webhooks_services
from feedback.webhooks_models import DeliveryStatus, WebhookDelivery
from tests.broker import use_broker
from tests.feedback.conftest import draft
from tests.feedback.webhooks_receiver import running_receiver
from tests.policy import missing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLOSED_PORT_BROKER = "redis://127.0.0.1:6390/0"


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def receiver(settings):
    with running_receiver(settings) as running:
        yield running


@pytest.fixture
def worker(tmp_path):
    """Start a worker that may post to 127.0.0.1; yield a function that starts it."""
    if not os.environ.get("REDIS_URL"):
        missing("this test needs Redis for a real worker; set REDIS_URL=redis://…")
    processes = []
    log = tmp_path / "worker.log"

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "SECRET_KEY": "worker-integration-test",
            "DEBUG": "false",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        process = subprocess.Popen(
            [*command, "--loglevel=INFO"],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        processes.append(process)
        return process

    start.log = log
    celery_app.conf.task_always_eager = False
    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def _wait_delivered(delivery_id: int, log: Path, timeout: float = 45) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        if delivery.status == DeliveryStatus.DELIVERED:
            return delivery
        time.sleep(0.3)
    raise AssertionError(f"not delivered in {timeout}s; worker log:\n{log.read_text()[-3000:]}")


def _submit(client_for, rep):
    deal = draft(rep)
    response = client_for(rep).post(reverse("deals:submit", args=[deal.pk]))
    assert response.status_code == 302
    return WebhookDelivery.objects.get()


def test_a_real_worker_posts_the_webhook_of_a_web_change(
    worker, receiver, client_for, rep, manager
):
    endpoint = webhooks_services.webhook_create(
        actor=manager, url=receiver.url, events=["deal.submitted"]
    )
    worker()
    delivery = _wait_delivered(_submit(client_for, rep).pk, worker.log)
    assert delivery.attempts == 1 and delivery.response_code == 200
    [seen] = receiver.received
    assert Webhook(endpoint.secret).verify(seen.body, seen.headers)["type"] == "deal.submitted"


def test_a_broker_outage_delays_the_webhook_and_the_sweep_posts_it_once(
    worker, receiver, client_for, rep, manager
):
    webhooks_services.webhook_create(actor=manager, url=receiver.url, events=["deal.submitted"])
    real_broker = celery_app.conf.broker_url
    use_broker(CLOSED_PORT_BROKER)
    try:
        delivery = _submit(client_for, rep)  # the request succeeds with the broker down
    finally:
        use_broker(real_broker)
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING

    worker()
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert webhooks_delivery.sweep(now=later)["enqueued"] == 1
    webhooks_delivery.sweep(now=later)  # the sweep racing its own earlier run
    _wait_delivered(delivery.pk, worker.log)
    time.sleep(2)
    assert len(receiver.received) == 1
    assert webhooks_delivery.sweep(now=later)["due"] == 0

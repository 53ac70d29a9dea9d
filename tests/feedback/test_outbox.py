"""The outbox: each email is sent once, whoever races to send it."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from feedback import outbox, tasks
from feedback.models import EmailOutbox, OutboxStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def email(rep):
    return EmailOutbox.objects.create(
        recipient=rep,
        to_address=rep.email,
        kind="flagged",
        subject="Commitment flagged",
        text_body="Plain",
        html_body="<p>Rich</p>",
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=2),
    )


def later(minutes: int = 5) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_the_task_sends_once_even_when_called_twice(email):
    assert tasks.send_email(email.pk) is True
    assert tasks.send_email(email.pk) is False
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.status == OutboxStatus.SENT
    assert email.attempts == 1
    assert email.sent_at is not None


def test_sweep_and_task_racing_send_once(email):
    tasks.send_email.delay(email.pk)
    outbox.sweep(now=later())
    tasks.send_email(email.pk)
    assert len(mail.outbox) == 1


def test_only_the_claimer_sends(email):
    assert outbox.claim(email.pk) is True
    assert outbox.claim(email.pk) is False
    assert outbox.deliver(email.pk) is False
    assert mail.outbox == []


def test_the_sweep_leaves_fresh_rows_to_their_own_task(email):
    assert outbox.sweep() == {"reclaimed": 0, "enqueued": 0, "due": 0}
    assert outbox.sweep(now=later()) == {"reclaimed": 0, "enqueued": 1, "due": 1}
    assert len(mail.outbox) == 1


def test_a_failure_backs_off_then_gives_up(email, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3

    def refuse(self, fail_silently=False):
        raise OSError("connection refused")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    before = timezone.now()
    assert outbox.deliver(email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxStatus.PENDING, 1)
    assert email.next_attempt_at >= before + datetime.timedelta(seconds=60)
    assert "connection refused" in email.last_error
    outbox.deliver(email.pk)
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.next_attempt_at >= before + datetime.timedelta(seconds=120)
    outbox.deliver(email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxStatus.FAILED, 3)
    monkeypatch.undo()
    assert outbox.sweep(now=later(600))["due"] == 0
    assert mail.outbox == []


def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(n).seconds for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert outbox.backoff(20) == datetime.timedelta(hours=1)


def test_a_row_stuck_in_sending_is_reclaimed_and_sent_once(email):
    EmailOutbox.objects.filter(pk=email.pk).update(
        status=OutboxStatus.SENDING, claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert outbox.sweep(now=later()) == {"reclaimed": 1, "enqueued": 1, "due": 1}
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxStatus.SENT, 2)


def test_a_row_still_within_its_time_limit_is_left_alone(email):
    EmailOutbox.objects.filter(pk=email.pk).update(
        status=OutboxStatus.SENDING, claimed_at=timezone.now()
    )
    assert outbox.sweep(now=later(1))["reclaimed"] == 0
    assert mail.outbox == []


def test_a_broker_outage_is_logged_and_the_row_stays_pending(email, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(tasks.send_email, "delay", down)
    assert outbox.enqueue(email.pk) is False
    assert "Broker unavailable" in caplog.text
    assert outbox.sweep(now=later())["enqueued"] == 0
    email.refresh_from_db()
    assert email.status == OutboxStatus.PENDING
    monkeypatch.undo()
    outbox.sweep(now=later())
    assert len(mail.outbox) == 1


def test_tasks_that_may_run_twice_ack_late_with_limits():
    for task in (tasks.send_email, tasks.sweep_outbox, tasks.send_digests):
        assert task.acks_late is True
        assert task.soft_time_limit < task.time_limit
        assert task.max_retries <= 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_claiming_at_once_send_once(email):
    results = []
    barrier = threading.Barrier(4)

    def send():
        barrier.wait()
        try:
            results.append(outbox.deliver(email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1


def test_beat_runs_registered_tasks_and_redis_waits_longer_than_any_retry(settings):
    from handoff.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
    longest_retry = max(t.retry_backoff_max for t in (tasks.send_email, tasks.send_digests))
    longest_backoff = outbox.backoff(outbox.max_attempts()).total_seconds()
    # Redis's default visibility timeout is an hour; settings raise it with REDIS_URL.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    # The sweep, not a countdown, waits out the backoff; the broker never holds it.
    assert longest_backoff <= 3600
    assert longest_retry < visibility
    assert tasks.send_digests.time_limit < visibility

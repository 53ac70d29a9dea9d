"""The outbox: each email is sent once, whoever races to send it."""

import datetime
import math
import threading

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.template import TemplateSyntaxError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from deals import services as deals
from deals.models import ReviewRound
from feedback import notifications, outbox, services, tasks
from feedback.models import EmailOutbox, Notification, OutboxStatus
from handoff import tagged_json
from projects.models import Deliverable
from tests.feedback.conftest import draft, submitted, won, worker_tells
from tests.feedback.smtp_receiver import closed_port, smtp_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue_emailed")]


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

    monkeypatch.setattr(tasks.send_emails, "apply_async", down)
    assert outbox.enqueue_batch([email.pk]) is False
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
    from config.celery import app

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


# Rendered by the worker when it sends


@pytest.fixture
def submitted_deal(rep, pm, pm2, settings):
    settings.SITE_URL = "https://handoff.example.com"
    return submitted(rep)


def test_the_request_writes_the_email_and_renders_nothing(submitted_deal, pm):
    email = EmailOutbox.objects.get(to_address=pm.email)
    assert (email.status, email.text_body, email.html_body) == (OutboxStatus.PENDING, "", "")
    assert email.subject == f"Review requested: {submitted_deal}"
    assert email.notification.recipient == pm
    context = tagged_json.decode(email.context)
    assert context["round"] == 1
    assert context["due_at"] == ReviewRound.objects.get(deal=submitted_deal).due_at


def test_the_email_rendered_when_sent_shows_the_review_request(submitted_deal, pm):
    email = EmailOutbox.objects.get(to_address=pm.email)
    review_round = ReviewRound.objects.get(deal=submitted_deal)
    assert outbox.deliver(email.pk) is True
    [message] = mail.outbox
    assert message.subject == f"Review requested: {submitted_deal}"
    text, html = message.body, message.alternatives[0][0]
    due = f"{timezone.localtime(review_round.due_at):%a %-d %b %Y, %H:%M}"
    link = f"https://handoff.example.com/deals/{submitted_deal.pk}/"
    preferences = f"https://handoff.example.com{reverse('feedback:preferences')}"
    for body in (text, html):
        assert "Hello Priya Mehta," in body
        assert (
            f"Rita Reyes submitted {submitted_deal} ({submitted_deal.client}) for review, round 1."
            in body
        )
        assert f"The review is due {due}. Claim it from the review queue." in body
        assert preferences in body
    assert f"Review the deal: {link}" in text
    assert f"<title>Review requested: {submitted_deal}</title>" in html
    assert f"Rita Reyes submitted {submitted_deal} ({submitted_deal.client}) for review" in text
    assert f"The review is due {due}." in text and link in text
    assert f'href="{link}"' in html and "Hello Priya Mehta" in html
    email.refresh_from_db()
    assert (email.status, email.text_body, email.html_body) == (OutboxStatus.SENT, text, html)


def test_a_date_in_the_context_is_shown_as_before(rep, pm):
    deal = won(rep, pm)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Deliverable.objects.filter(project__deal=deal).update(promised_date=yesterday)
    EmailOutbox.objects.all().delete()
    notifications.notify_late_deliverables()
    email = EmailOutbox.objects.filter(to_address=pm.email).first()
    assert tagged_json.decode(email.context)["deliverable"]["promised_date"] == yesterday
    outbox.deliver(email.pk)
    assert f"was promised for {yesterday:%-d %b %Y} and is not delivered" in mail.outbox[0].body


def test_a_note_shown_in_its_email_is_escaped_in_html(rep, pm):
    services.note_create(
        author=rep,
        direction="to_delivery",
        topic="customer_insight",
        body="Renewal <b>if</b> onboarding\nis quick & cheap",
        recipient=pm,
    )
    outbox.deliver(EmailOutbox.objects.get(to_address=pm.email).pk)
    [message] = mail.outbox
    assert "Renewal <b>if</b> onboarding\nis quick & cheap" in message.body
    assert (
        "Renewal &lt;b&gt;if&lt;/b&gt; onboarding<br>is quick &amp; cheap"
        in (message.alternatives[0][0])
    )


def test_an_email_whose_notification_was_deleted_is_cancelled(submitted_deal, pm, pm2):
    email = EmailOutbox.objects.get(to_address=pm.email)
    Notification.objects.filter(recipient=pm).delete()
    assert outbox.deliver(email.pk) is False
    email.refresh_from_db()
    assert email.status == OutboxStatus.CANCELLED
    assert "notification was deleted" in email.last_error
    outbox.sweep(now=later())
    assert [message.to for message in mail.outbox] == [[pm2.email]]


def test_an_email_about_a_deleted_deal_is_cancelled(rep, manager):
    deal = draft(rep)
    deals.comment_add(deal=deal, actor=rep, body="@manager is this feasible?")
    worker_tells()
    email = EmailOutbox.objects.get(to_address=manager.email)
    deals.deal_delete(deal=deal, actor=rep)
    tasks.send_emails([email.pk])
    email.refresh_from_db()
    assert (email.status, email.notification_id) == (OutboxStatus.CANCELLED, None)
    assert mail.outbox == []


def test_an_email_to_a_deleted_user_is_cancelled(submitted_deal, pm, pm2):
    email = EmailOutbox.objects.get(to_address=pm2.email)
    pm2.delete()
    assert outbox.deliver(email.pk) is False
    assert EmailOutbox.objects.get(pk=email.pk).status == OutboxStatus.CANCELLED
    assert mail.outbox == []


def test_a_template_error_is_a_failed_attempt_retried_later(submitted_deal, pm, monkeypatch):
    email = EmailOutbox.objects.get(to_address=pm.email)

    def broken(notification, context):
        raise TemplateSyntaxError("Invalid block tag")

    monkeypatch.setattr(outbox, "render_email", broken)
    assert outbox.deliver(email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts, email.text_body) == (OutboxStatus.PENDING, 1, "")
    assert "Invalid block tag" in email.last_error
    monkeypatch.undo()
    outbox.sweep(now=later(10))
    assert EmailOutbox.objects.get(pk=email.pk).status == OutboxStatus.SENT


# One task for the emails of a transaction


def test_the_batch_task_sends_each_email_once(submitted_deal):
    ids = list(EmailOutbox.objects.values_list("pk", flat=True))
    assert tasks.send_emails(ids) == 2
    assert tasks.send_emails(ids) == 0
    assert len(mail.outbox) == 2
    assert set(EmailOutbox.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


class CountingBackend(locmem.EmailBackend):
    """The test mail backend, counting the connections opened and failing sends on demand."""

    opened: list["CountingBackend"] = []
    failures = 0

    def open(self):
        CountingBackend.opened.append(self)
        return True

    def send_messages(self, messages):
        if CountingBackend.failures:
            CountingBackend.failures -= 1
            raise ConnectionResetError("The mail server closed the connection.")
        return super().send_messages(messages)


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened, CountingBackend.failures = [], 0
    return CountingBackend


def emails_to(rep, count: int) -> list[int]:
    rows = EmailOutbox.objects.bulk_create(
        EmailOutbox(
            recipient=rep, to_address=rep.email, kind="flagged", subject=f"#{i}", text_body="Plain"
        )
        for i in range(count)
    )
    return [row.pk for row in rows]


def test_a_batch_reads_its_rows_once_and_sends_over_one_connection(rep, counting_backend):
    few, many = emails_to(rep, 2), emails_to(rep, 12)
    with CaptureQueriesContext(connection) as for_few:
        assert outbox.deliver_batch(few) == 2
    with CaptureQueriesContext(connection) as for_many:
        assert outbox.deliver_batch(many) == 12
    # One read for the batch; then each email's claim and its mark as sent.
    reads = [q for q in for_many.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1
    assert len(for_many) - len(for_few) == 10 * 2
    assert len(counting_backend.opened) == 2  # one a batch
    assert len(mail.outbox) == 14


def test_a_batch_with_nothing_left_to_send_opens_no_connection(rep, counting_backend):
    ids = emails_to(rep, 2)
    outbox.deliver_batch(ids)
    assert outbox.deliver_batch(ids) == 0
    assert len(counting_backend.opened) == 1


def test_after_a_failed_send_the_next_email_goes_over_a_new_connection(rep, counting_backend):
    first, second = emails_to(rep, 2)
    counting_backend.failures = 1
    assert outbox.deliver_batch([first, second]) == 1
    failed = EmailOutbox.objects.get(pk=first)
    assert (failed.status, failed.attempts) == (OutboxStatus.PENDING, 1)
    assert "ConnectionResetError: The mail server closed the connection." in failed.last_error
    assert EmailOutbox.objects.get(pk=second).status == OutboxStatus.SENT
    assert len(counting_backend.opened) == 2
    assert [m.subject for m in mail.outbox] == ["#1"]


def send_by_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


@pytest.fixture
def smtp(settings):
    with smtp_server() as (box, port):
        send_by_smtp(settings, port)
        yield box


def statuses(ids: list[int]) -> list[str]:
    return [EmailOutbox.objects.get(pk=pk).status for pk in ids]


def test_a_batch_reaches_a_real_mail_server_over_one_connection(rep, smtp):
    ids = emails_to(rep, 12)
    assert outbox.deliver_batch(ids) == 12
    assert smtp.connections == 1
    assert [m.split("Subject: ")[1].split("\r\n")[0] for m in smtp.messages] == [
        f"#{i}" for i in range(12)
    ]
    assert set(statuses(ids)) == {OutboxStatus.SENT}


def test_a_mail_server_hanging_up_mid_batch_costs_one_email_a_retry(rep, smtp):
    smtp.drop_after = 3
    ids = emails_to(rep, 7)
    assert outbox.deliver_batch(ids) == 6
    assert smtp.connections == 2
    assert (
        statuses(ids) == [OutboxStatus.SENT] * 3 + [OutboxStatus.PENDING] + [OutboxStatus.SENT] * 3
    )
    assert EmailOutbox.objects.get(pk=ids[3]).attempts == 1
    outbox.sweep(now=later(10))  # the one left is sent on its retry
    assert set(statuses(ids)) == {OutboxStatus.SENT} and len(smtp.messages) == 7


def test_an_unreachable_mail_server_fails_each_email_on_its_own(rep, settings, caplog):
    send_by_smtp(settings, closed_port())
    ids = emails_to(rep, 2)
    assert outbox.deliver_batch(ids) == 0
    assert statuses(ids) == [OutboxStatus.PENDING] * 2
    for email in EmailOutbox.objects.filter(pk__in=ids):
        assert email.attempts == 1 and "ConnectionRefusedError" in email.last_error
    assert "Mail server not reached for a batch" in caplog.text


def test_a_broker_outage_leaves_the_batch_pending_for_the_sweep(
    submitted_deal, monkeypatch, caplog
):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(tasks.send_emails, "apply_async", down)
    ids = list(EmailOutbox.objects.values_list("pk", flat=True))
    assert outbox.enqueue_batch(ids) is False
    assert "Connection refused.); 2 email(s) stay pending for the sweep" in caplog.text
    assert set(EmailOutbox.objects.values_list("status", flat=True)) == {OutboxStatus.PENDING}
    monkeypatch.undo()  # the broker is back
    assert outbox.sweep(now=later()) == {"reclaimed": 0, "enqueued": 2, "due": 2}
    assert len(mail.outbox) == 2


def test_the_time_limit_stops_a_batch_and_the_sweep_sends_the_rest(submitted_deal, monkeypatch):
    first, second = EmailOutbox.objects.order_by("pk").values_list("pk", flat=True)

    def out_of_time(self, fail_silently=False):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", out_of_time)
    with pytest.raises(SoftTimeLimitExceeded):
        outbox.deliver_batch([first, second])
    assert EmailOutbox.objects.get(pk=first).attempts == 1
    assert EmailOutbox.objects.get(pk=second).attempts == 0
    monkeypatch.undo()
    outbox.sweep(now=later(10))
    assert len(mail.outbox) == 2


def test_the_sweep_hands_due_rows_over_a_batch_at_a_time(rep, monkeypatch):
    count = 2 * outbox.SWEEP_BATCH + 1
    emails_to(rep, count)
    batches = []
    send = tasks.send_emails.apply_async

    def counted(args, **options):
        batches.append(args[0])
        return send(args, **options)

    monkeypatch.setattr(tasks.send_emails, "apply_async", counted)
    assert outbox.sweep(now=later()) == {"reclaimed": 0, "enqueued": count, "due": count}
    assert len(batches) == math.ceil(count / outbox.SWEEP_BATCH)
    assert max(len(batch) for batch in batches) == outbox.SWEEP_BATCH
    assert len(mail.outbox) == count
    assert set(EmailOutbox.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


# Subjects are one line whatever the data: a title written around the input checks (before
# they existed, or by another path) must not fail every email about its deal.


def test_a_title_with_a_line_break_still_gets_its_emails_sent_with_a_clean_subject(rep, pm):
    from deals.models import Deal
    from handoff.text import single_line

    deal = draft(rep)
    Deal.objects.filter(pk=deal.pk).update(title="Hdr\r\nBcc: victim@example.com")
    deal.refresh_from_db()
    deals.deal_submit(deal=deal, actor=rep)
    worker_tells()
    email = EmailOutbox.objects.get(to_address=pm.email)
    assert "\n" not in email.subject and "\r" not in email.subject
    assert outbox.deliver(email.pk) is True
    [sent] = mail.outbox
    assert "Hdr Bcc: victim@example.com" in sent.subject
    headers = sent.message().as_string().split("\n\n")[0].splitlines()
    assert not [line for line in headers if line.lower().startswith("bcc:")], headers
    assert single_line("a\u2028b\x00c\td\u200be", limit=5) == "a b c"


def test_a_row_stored_with_a_broken_subject_is_still_sent(rep, email):
    EmailOutbox.objects.filter(pk=email.pk).update(subject="Line one\nBcc: x@example.com")
    assert outbox.deliver(email.pk) is True
    assert mail.outbox[0].subject == "Line one Bcc: x@example.com"

"""Announcements: written with the change, told once by the worker after commit, kept for the
sweep when the broker is down or the telling fails, and never told twice."""

import datetime
import json
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from deals import services as deals
from feedback import announcements, notifications, tasks
from feedback.models import Announcement, EmailOutbox, Notification, NotificationKind
from handoff.commit_batches import batches_among
from tests.feedback.conftest import draft, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue_emailed")]


def later(minutes: int = 5) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def submitted_untold(rep):
    deal = draft(rep)
    deals.deal_submit(deal=deal, actor=rep)
    return deal, Announcement.objects.get(deal=deal)


def test_the_task_tells_once_even_when_called_twice(rep, pm, pm2):
    deal, announcement = submitted_untold(rep)
    assert tasks.expand_announcements([announcement.pk]) == 1
    assert tasks.expand_announcements([announcement.pk]) == 0
    assert Notification.objects.filter(deal=deal, kind=NotificationKind.SUBMITTED).count() == 2
    assert EmailOutbox.objects.filter(notification__deal=deal).count() == 2
    assert not Announcement.objects.exists()


def test_the_sweep_leaves_fresh_rows_to_their_own_task_and_expands_late_ones(rep, pm, pm2):
    deal, _ = submitted_untold(rep)
    assert announcements.sweep() == {"enqueued": 0, "due": 0}
    assert announcements.sweep(now=later()) == {"enqueued": 1, "due": 1}
    assert Notification.objects.filter(deal=deal).count() == 2


def test_the_periodic_sweep_expands_then_sends(rep, pm, pm2, django_capture_on_commit_callbacks):
    submitted_untold(rep)
    Announcement.objects.update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.sweep_outbox()
    assert result["announcements"] == 1
    assert len(mail.outbox) == 2


def test_a_broker_outage_leaves_the_announcement_for_the_sweep(
    rep, pm, pm2, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(tasks.expand_announcements, "apply_async", down)
    deal = draft(rep)
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=deal, actor=rep)
    assert "1 announcement(s) stay pending for the sweep" in caplog.text
    assert Announcement.objects.filter(deal=deal).exists()
    assert not Notification.objects.filter(deal=deal, kind=NotificationKind.SUBMITTED).exists()
    monkeypatch.undo()  # the broker is back
    assert announcements.sweep(now=later()) == {"enqueued": 1, "due": 1}
    assert Notification.objects.filter(deal=deal, kind=NotificationKind.SUBMITTED).count() == 2


def test_a_failure_tells_nobody_and_is_tried_again_with_backoff(rep, pm, pm2, monkeypatch):
    deal, announcement = submitted_untold(rep)

    def broken(announcement):
        notifications.tell(announcement)  # writes the notifications, then fails
        raise RuntimeError("template missing")

    assert announcements.expand(announcement.pk, tell=broken) is False
    announcement.refresh_from_db()  # the failure rolled everything back, the row included
    assert announcement.attempts == 1
    assert "template missing" in announcement.last_error
    assert announcement.next_attempt_at > timezone.now()
    assert not Notification.objects.filter(deal=deal).exists()
    assert announcements.expand(announcement.pk, tell=notifications.tell) is True
    assert Notification.objects.filter(deal=deal, kind=NotificationKind.SUBMITTED).count() == 2


def test_it_fails_for_good_after_the_last_attempt(rep, pm, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    _, announcement = submitted_untold(rep)

    def broken(announcement):
        raise RuntimeError("still broken")

    announcements.expand(announcement.pk, tell=broken)
    announcements.expand(announcement.pk, tell=broken)
    announcement.refresh_from_db()
    assert announcement.failed_at is not None and announcement.attempts == 2
    assert announcements.sweep(now=later(600))["due"] == 0
    assert announcements.expand(announcement.pk, tell=notifications.tell) is False


def test_the_retention_job_deletes_only_those_failed_long_ago(rep, settings):
    from feedback import retention

    deal = draft(rep)
    long_ago = timezone.now() - datetime.timedelta(days=settings.OUTBOX_RETENTION_DAYS + 1)
    _old, recent, waiting = Announcement.objects.bulk_create(
        [
            Announcement(deal=deal, event_id=1, failed_at=long_ago),
            Announcement(deal=deal, event_id=2, failed_at=timezone.now()),
            Announcement(deal=deal, event_id=3, created_at=long_ago),
        ]
    )
    assert retention.prune()["failed_announcements"] == 1
    assert set(Announcement.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_a_rolled_back_change_announces_nothing(rep, pm, django_capture_on_commit_callbacks):
    deal = draft(rep)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        deals.deal_submit(deal=deal, actor=rep)
        raise RuntimeError("the request failed after the change")
    assert callbacks == []
    assert not Announcement.objects.exists()


def test_announcements_of_one_transaction_share_one_task(rep, manager, monkeypatch):
    sent = []
    monkeypatch.setattr(
        tasks.expand_announcements, "apply_async", lambda args, **options: sent.append(args[0])
    )
    deal = draft(rep)  # a manager sees a draft too
    with transaction.atomic():
        first = deals.comment_add(deal=deal, actor=rep, body="@manager one")
        second = deals.comment_add(deal=deal, actor=rep, body="@manager two")
    hooks = batches_among(
        (hook for _, hook, _ in connection.run_on_commit), announcements.enqueue_batch
    )
    assert len(hooks) == 2 and hooks[0] is hooks[1]
    hooks[0]()
    hooks[1]()
    expected = Announcement.objects.filter(comment__in=[first, second]).values_list("pk", flat=True)
    assert [sorted(ids) for ids in sent] == [sorted(expected)]


def test_a_comment_that_mentions_nobody_announces_nothing(rep, pm):
    deal = submitted(rep)
    deals.comment_add(deal=deal, actor=rep, body="No one named here, nor @nobody")
    assert not Announcement.objects.filter(comment__isnull=False).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_expanding_at_once_tell_once(rep, pm, pm2, monkeypatch):
    # The submission commits here: its own task must not run before the workers race.
    monkeypatch.setattr(tasks.expand_announcements, "apply_async", lambda *a, **k: None)
    deal, announcement = submitted_untold(rep)
    results = []
    barrier = threading.Barrier(3)

    def expand():
        barrier.wait()
        try:
            results.append(announcements.expand(announcement.pk, tell=notifications.tell))
        finally:
            connection.close()

    threads = [threading.Thread(target=expand) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, True]
    assert Notification.objects.filter(deal=deal, kind=NotificationKind.SUBMITTED).count() == 2


@pytest.mark.postgres
def test_the_sweep_reads_its_index_however_many_failed_for_good(rep):
    deal = draft(rep)
    now = timezone.now()
    Announcement.objects.bulk_create(
        Announcement(deal=deal, event_id=n, failed_at=now, next_attempt_at=now)
        for n in range(20_000)
    )
    Announcement.objects.bulk_create(
        Announcement(deal=deal, event_id=n, next_attempt_at=now) for n in range(5)
    )
    sql, params = announcements.due_now(later()).values("pk")[:500].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE feedback_announcement")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = []

    def walk(node: dict) -> None:
        nodes.append((node["Node Type"], node.get("Index Name")))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    assert ("Index Scan", "announcement_due_idx") in nodes, nodes
    assert not [node for node, _ in nodes if node == "Seq Scan"], nodes


def test_the_admin_lists_them_read_only(rep, client_for):
    from django.urls import reverse

    from tests.factories import UserFactory

    operator = UserFactory(username="operator", is_staff=True, is_superuser=True)
    _, announcement = submitted_untold(rep)
    http = client_for(operator)
    listed = http.get(reverse("admin:feedback_announcement_changelist"))
    assert listed.status_code == 200 and str(announcement) in listed.content.decode()
    assert http.get(reverse("admin:feedback_announcement_add")).status_code == 403

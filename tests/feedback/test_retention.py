"""Retention: finished outbox emails, delivery logs, spent link nonces and expired sessions
older than their settings go, in batches; nothing pending, and no audit row, ever does."""

import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from deals.models import ApprovalLinkUse, DealEvent, ReviewRound
from feedback import retention, tasks
from feedback.models import EmailOutbox, OutboxStatus
from feedback.webhooks_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.feedback.conftest import submitted

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def days_ago(days: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


def email(rep, status: str, created_at: datetime.datetime) -> EmailOutbox:
    return EmailOutbox.objects.create(
        recipient=rep,
        to_address=rep.email,
        kind="flagged",
        subject=f"{status} email",
        status=status,
        sent_at=created_at if status == OutboxStatus.SENT else None,
        created_at=created_at,
    )


@pytest.fixture
def endpoint(manager):
    return WebhookEndpoint.objects.create(
        owner=manager, url="https://hooks.example.com/x", events=["deal.submitted"], secret="s"
    )


def delivery(endpoint, status: str, created_at: datetime.datetime) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        kind="webhook",
        endpoint=endpoint,
        event_id=f"msg_{status}_{created_at:%s}",
        event_type="deal.submitted",
        status=status,
        delivered_at=created_at if status == DeliveryStatus.DELIVERED else None,
        created_at=created_at,
    )


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    settings.DELIVERY_LOG_RETENTION_DAYS = 90
    settings.APPROVAL_LINK_MAX_AGE = 72 * 3600


def test_finished_outbox_emails_past_the_retention_go_and_the_rest_stays(rep):
    old = [email(rep, status, days_ago(31)) for status in ("sent", "failed", "cancelled")]
    pending = email(rep, OutboxStatus.PENDING, days_ago(400))
    sending = email(rep, OutboxStatus.SENDING, days_ago(400))
    recent = email(rep, OutboxStatus.SENT, days_ago(29))

    deleted = retention.prune(now=NOW)

    assert deleted["outbox"] == 3
    assert not EmailOutbox.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert set(EmailOutbox.objects.values_list("pk", flat=True)) == {
        pending.pk,
        sending.pk,
        recent.pk,
    }


def test_delivery_logs_keep_their_own_longer_retention(rep, endpoint):
    gone = [delivery(endpoint, s, days_ago(91)) for s in ("delivered", "failed")]
    kept = [
        delivery(endpoint, DeliveryStatus.DELIVERED, days_ago(89)),
        delivery(endpoint, DeliveryStatus.PENDING, days_ago(400)),
        delivery(endpoint, DeliveryStatus.SENDING, days_ago(400)),
    ]
    email_of_60_days = email(rep, OutboxStatus.SENT, days_ago(60))

    deleted = retention.prune(now=NOW)

    assert deleted["deliveries"] == 2
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {d.pk for d in kept}
    assert not WebhookDelivery.objects.filter(pk__in=[d.pk for d in gone]).exists()
    assert not EmailOutbox.objects.filter(pk=email_of_60_days.pk).exists()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_days_come_from_settings(rep, endpoint, settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    settings.DELIVERY_LOG_RETENTION_DAYS = 7
    email(rep, OutboxStatus.SENT, days_ago(8))
    delivery(endpoint, DeliveryStatus.DELIVERED, days_ago(8))

    deleted = retention.prune(now=NOW)
    assert (deleted["outbox"], deleted["deliveries"]) == (1, 1)


def test_rows_go_in_bounded_batches(rep, django_assert_num_queries):
    for _ in range(5):
        email(rep, OutboxStatus.SENT, days_ago(40))
    # Outbox: batches of 2, 2 and 1 (a short batch ends it), each a SELECT of ids and a
    # DELETE; then one empty SELECT for each of the four other tables.
    with django_assert_num_queries(3 * 2 + 4):
        deleted = retention.prune(now=NOW, batch_size=2)
    assert deleted["outbox"] == 5
    assert not EmailOutbox.objects.exists()


def test_a_spent_budget_stops_between_batches_and_the_next_run_goes_on(rep):
    for _ in range(3):
        email(rep, OutboxStatus.SENT, days_ago(40))
    assert retention.prune(now=NOW, batch_size=1, time_budget=0)["outbox"] == 0
    assert EmailOutbox.objects.count() == 3
    assert retention.prune(now=NOW, batch_size=1)["outbox"] == 3


def test_expired_sessions_and_spent_link_nonces_go(rep, pm):
    live = SessionStore()
    live.create()
    expired = SessionStore()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=days_ago(1))
    deal = submitted(rep)
    review_round = ReviewRound.objects.get(deal=deal)
    spent = ApprovalLinkUse.objects.create(
        nonce="old", user=pm, round=review_round, used_at=days_ago(5)
    )
    fresh = ApprovalLinkUse.objects.create(
        nonce="new", user=pm, round=review_round, used_at=days_ago(2)
    )

    deleted = retention.prune(now=NOW)

    assert deleted["sessions"] == 1 and deleted["approval_link_uses"] == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(ApprovalLinkUse.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not ApprovalLinkUse.objects.filter(pk=spent.pk).exists()


def test_the_audit_trail_is_never_pruned(rep):
    deal = submitted(rep)
    events = DealEvent.objects.filter(deal=deal).count()
    assert events > 0

    retention.prune(now=NOW + datetime.timedelta(days=3650))

    assert DealEvent.objects.filter(deal=deal).count() == events
    assert all(kept.model is not DealEvent for kept in retention.TABLES)


def test_the_task_prunes_and_beat_runs_it_every_hour(rep, settings):
    email(rep, OutboxStatus.SENT, timezone.now() - datetime.timedelta(days=31))
    assert tasks.prune_operational_rows()["outbox"] == 1

    entry = settings.CELERY_BEAT_SCHEDULE["feedback-prune-operational-rows"]
    assert entry["task"] == "feedback.tasks.prune_operational_rows"
    assert entry["schedule"].minute == {40} and len(entry["schedule"].hour) == 24
    assert entry["options"]["expires"] < 3600
    assert tasks.prune_operational_rows.soft_time_limit > settings.RETENTION_TIME_BUDGET_SECONDS


@pytest.mark.postgres
def test_the_job_finds_the_old_rows_by_an_index(rep, endpoint):
    """A steady outbox: a month of rows kept, an hour's worth due; each read of the job is an
    index scan of the creation time, not a read of the whole table."""
    import json

    from django.db import connection

    kept = [days_ago(minutes / 1440) for minutes in range(0, 40_000, 2)]
    EmailOutbox.objects.bulk_create(
        EmailOutbox(to_address="a@handoff.test", subject="s", kind="flagged", created_at=at)
        for at in kept
    )
    EmailOutbox.objects.bulk_create(
        EmailOutbox(
            to_address="a@handoff.test",
            subject="s",
            kind="flagged",
            status=OutboxStatus.SENT,
            sent_at=days_ago(31),
            created_at=days_ago(31),
        )
        for _ in range(200)
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            kind="webhook",
            endpoint=endpoint,
            event_id=f"m{n}",
            event_type="deal.submitted",
            created_at=days_ago(n / 200),
        )
        for n in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE feedback_emailoutbox")
        cursor.execute("ANALYZE feedback_webhookdelivery")

    def indexes(queryset) -> set[str]:
        plan = json.loads(queryset.order_by().values("pk")[:1000].explain(format="json"))
        found, nodes = set(), [plan[0]["Plan"]]
        while nodes:
            node = nodes.pop()
            assert node["Node Type"] != "Seq Scan", node
            found.add(node.get("Index Name"))
            nodes.extend(node.get("Plans", []))
        return found

    assert "outbox_created_idx" in indexes(retention._outbox_due(NOW))
    assert "delivery_created_idx" in indexes(retention._deliveries_due(NOW))

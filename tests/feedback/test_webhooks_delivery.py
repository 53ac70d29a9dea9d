"""Webhooks delivered to a real receiver on 127.0.0.1: signed, once each, in order, retried,
given up, and never for a change that was rolled back."""

import datetime
import json

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from deals import services as deals
from feedback import services as feedback_services
from feedback import webhooks_delivery, webhooks_http, webhooks_services
from feedback.models import EmailOutbox, Notification, NotificationKind
from feedback.webhooks_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from projects import services as projects
from projects.models import Deliverable
from tests.deals.builders import rule_all
from tests.feedback.conftest import draft, signed_off, submitted
from tests.feedback.webhooks_receiver import free_port_url, running_receiver

pytestmark = pytest.mark.django_db

EVERY_EVENT = [
    "deal.submitted",
    "verdict.recorded",
    "deal.changes_requested",
    "deal.signed_off",
    "deal.won",
    "deal.lost",
    "escalation.decided",
    "deliverable.updated",
    "feedback.created",
]


def later(minutes: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


@pytest.fixture
def receiver(settings):
    with running_receiver(settings) as running:
        yield running


@pytest.fixture
def endpoint(manager, receiver):
    return webhooks_services.webhook_create(
        actor=manager, url=receiver.url, events=EVERY_EVENT, description="CRM"
    )


def verify(endpoint, received):
    return Webhook(endpoint.secret).verify(received.body, received.headers)


def test_each_event_arrives_once_signed_in_the_order_of_commit(
    rep, pm, endpoint, receiver, django_capture_on_commit_callbacks
):
    deal = draft(rep)
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=deal, actor=rep)
    with django_capture_on_commit_callbacks(execute=True):
        deals.review_claim(deal=deal, actor=pm)  # no event of its own
    for commitment in deal.commitments.order_by("id"):
        with django_capture_on_commit_callbacks(execute=True):
            deals.commitment_rule(commitment=commitment, actor=pm, verdict="approved")
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_sign_off(deal=deal, actor=pm)
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_win(deal=deal, actor=rep)

    events = [verify(endpoint, seen) for seen in receiver.received]
    assert [e["type"] for e in events] == [
        "deal.submitted",
        "verdict.recorded",
        "verdict.recorded",
        "deal.signed_off",
        "deal.won",
    ]
    ids = [seen.headers["webhook-id"] for seen in receiver.received]
    assert len(set(ids)) == len(ids) and all(i.startswith("msg_") for i in ids)
    assert all(seen.headers["Content-Type"] == "application/json" for seen in receiver.received)
    won = events[-1]["data"]
    assert won["deal"]["id"] == deal.pk and won["deal"]["status"] == "won"
    assert won["deal"]["url"] == f"http://127.0.0.1:8000/deals/{deal.pk}/"
    assert won["project"]["url"].startswith("http://127.0.0.1:8000/projects/")
    assert won["change"] == {"from_status": "signed_off", "to_status": "won"}
    assert events[1]["data"]["verdict"]["value"] == "approved"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    delivery = WebhookDelivery.objects.order_by("id").first()
    assert delivery.response_code == 200 and delivery.response_excerpt == "ok"
    assert delivery.duration_ms is not None and delivery.attempts == 1


def test_the_payload_names_people_but_never_their_emails_or_private_notes(
    rep, pm, endpoint, receiver, django_capture_on_commit_callbacks
):
    deal = submitted(rep, pm)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_services.note_create(
            author=pm,
            direction="to_sales",
            topic="hard_to_deliver",
            body="Only for Rita: the site survey is not booked.",
            recipient=rep,
            deal=deal,
        )
        feedback_services.note_create(
            author=pm,
            direction="to_sales",
            topic="process",
            body="Book site surveys before promising dates.",
        )
    raw = b" ".join(seen.body for seen in receiver.received)
    assert rep.email.encode() not in raw and pm.email.encode() not in raw
    assert b"Only for Rita" not in raw
    events = [verify(endpoint, seen) for seen in receiver.received]
    private, to_team = (e["data"]["note"] for e in events if e["type"] == "feedback.created")
    assert private["body"] is None and private["recipient"]["username"] == "rep"
    assert to_team["body"] == "Book site surveys before promising dates."


def test_a_receiver_answering_500_twice_gets_the_event_on_the_third_attempt(
    rep, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answer(500, 500)
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert "Answered 500" in delivery.last_error
    assert delivery.response_excerpt.startswith("receiver says no")
    assert len(delivery.response_excerpt) == 500

    assert webhooks_delivery.sweep(now=later(0.5))["due"] == 0  # not before its backoff
    webhooks_delivery.sweep(now=later(1.1))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    webhooks_delivery.sweep(now=later(1.1 + 4.1))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)

    assert len(receiver.received) == 3
    assert len({seen.headers["webhook-id"] for seen in receiver.received}) == 1
    for seen in receiver.received:
        verify(endpoint, seen)
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failure_streak == 0
    assert not Notification.objects.filter(kind=NotificationKind.INTEGRATION_DISABLED).exists()


def test_a_receiver_down_for_the_whole_retry_window_is_turned_off_and_its_owner_told(
    rep, manager, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    endpoint = webhooks_services.webhook_create(
        actor=manager, url=free_port_url(), events=["deal.submitted"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    delivery = WebhookDelivery.objects.get()
    minutes = 0.0
    for _ in range(10):
        if delivery.status != DeliveryStatus.PENDING:
            break
        minutes += webhooks_delivery.backoff(delivery.attempts).total_seconds() / 60 + 0.1
        with django_capture_on_commit_callbacks(execute=True):
            webhooks_delivery.sweep(now=later(minutes))
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert "Could not connect" in delivery.last_error
    assert minutes >= webhooks_delivery.retry_window().total_seconds() / 60

    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert "whole retry window" in endpoint.disabled_reason
    notice = Notification.objects.get(kind=NotificationKind.INTEGRATION_DISABLED)
    assert notice.recipient == manager and notice.url == endpoint.get_absolute_url()
    email = EmailOutbox.objects.get(notification=notice)
    assert email.status == "sent" and "Turned off after failures" in email.subject

    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    assert WebhookDelivery.objects.count() == 1  # a turned-off endpoint gets nothing new


def test_a_run_of_events_failed_for_good_turns_the_endpoint_off(rep, manager, settings):
    settings.WEBHOOK_MAX_FAILURES = 3
    endpoint = WebhookEndpoint.objects.create(
        owner=manager, url="https://hooks.example.com/x", events=["deal.submitted"], secret="s"
    )
    rows = [
        WebhookDelivery.objects.create(
            kind="webhook", endpoint=endpoint, event_id=f"msg_{n}", event_type="deal.submitted"
        )
        for n in range(3)
    ]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_delivered_at=timezone.now())
    assert webhooks_delivery.failed_for_good(rows[0], now=timezone.now()) is False
    assert webhooks_delivery.failed_for_good(rows[1], now=timezone.now()) is False
    assert webhooks_delivery.failed_for_good(rows[2], now=timezone.now()) is True
    endpoint.refresh_from_db()
    assert not endpoint.active and "last 3 events failed" in endpoint.disabled_reason


def test_nothing_is_sent_for_a_change_that_was_rolled_back(
    rep, endpoint, receiver, django_capture_on_commit_callbacks
):
    deal = draft(rep)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        deals.deal_submit(deal=deal, actor=rep)
        assert WebhookDelivery.objects.count() == 1  # written with the change…
        raise RuntimeError("the request failed after the submission")
    assert WebhookDelivery.objects.count() == 0  # …and gone with it
    assert callbacks == []
    webhooks_delivery.sweep(now=later(60))
    assert receiver.received == []


def test_a_tampered_body_or_signature_fails_verification(
    rep, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    seen = receiver.received[0]
    assert verify(endpoint, seen)["type"] == "deal.submitted"
    tampered = seen.body.replace(b'"status":"in_review"', b'"status":"won"')
    assert tampered != seen.body
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(tampered, seen.headers)
    forged = {**seen.headers, "webhook-signature": "v1," + "A" * 43 + "="}
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(seen.body, forged)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks_services.generate_secret()).verify(seen.body, seen.headers)


def test_after_a_rotation_both_secrets_sign_for_a_day(
    rep, manager, endpoint, receiver, django_capture_on_commit_callbacks
):
    old = endpoint.secret
    rotated = webhooks_services.webhook_rotate_secret(endpoint=endpoint, actor=manager)
    assert rotated.secret != old
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    seen = receiver.received[0]
    assert len(seen.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(seen.body, seen.headers)
    Webhook(rotated.secret).verify(seen.body, seen.headers)


def test_a_redirect_is_not_followed(rep, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.answer(302)
    receiver.headers_out["Location"] = "http://169.254.169.254/latest/meta-data/"
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.response_code == 302
    assert "not followed" in delivery.last_error
    assert len(receiver.received) == 1


def test_a_url_that_turned_private_is_refused_when_sent(
    rep, manager, settings, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.objects.create(
        owner=manager, url="http://10.1.2.3/hook", events=["deal.submitted"], secret="whsec_AAAA"
    )
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending" and delivery.response_code is None
    assert delivery.last_error.startswith("Refused:")


def test_the_connected_address_is_checked_again_against_dns_rebinding(
    rep, manager, receiver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = webhooks_services.webhook_create(
        actor=manager, url=receiver.url, events=["deal.submitted"]
    )
    # The name looked public when checked, then the socket reached 127.0.0.1.
    settings.WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(webhooks_http, "check_url", lambda url: None)
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending"
    assert "connected to 127.0.0.1, a loopback address" in delivery.last_error
    assert receiver.received == []


def test_the_task_and_the_sweep_racing_post_once(
    rep, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deals.deal_submit(deal=draft(rep), actor=rep)
    delivery = WebhookDelivery.objects.get()
    webhooks_delivery.sweep(now=later(5))
    for callback in callbacks:
        callback()
    assert webhooks_delivery.deliver(delivery.pk) is False
    assert len(receiver.received) == 1


def test_a_worker_lost_while_sending_is_sent_again_by_the_sweep(
    rep, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        deals.deal_submit(deal=draft(rep), actor=rep)
    delivery = WebhookDelivery.objects.get()
    assert webhooks_delivery.claim(delivery.pk, now=timezone.now())
    assert webhooks_delivery.sweep(now=later(1))["reclaimed"] == 0
    result = webhooks_delivery.sweep(now=later(5))
    assert result["reclaimed"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len(receiver.received) == 1


def test_every_event_type_is_sent(rep, rep2, pm, manager, endpoint, receiver):
    """Each audit event that has a webhook event writes one delivery of it."""
    deal = signed_off(rep, pm)
    deals.deal_win(deal=deal, actor=rep)
    deliverable = Deliverable.objects.filter(project__deal=deal).first()
    projects.deliverable_update_status(
        deliverable=deliverable, actor=pm, status="at_risk", reason="The vendor is late."
    )
    flagged = submitted(rep2, pm)
    rule_all(flagged, pm, flag_first=True)
    deals.deal_request_changes(deal=flagged, actor=pm)
    verdict = flagged.rounds.get().verdicts.get(verdict="flagged")
    escalation = deals.verdict_escalate(verdict=verdict, actor=rep2, argument="Agreed already.")
    deals.escalation_decide(
        escalation=escalation, actor=manager, decision="overruled", reason="We can staff it."
    )
    deals.deal_lose(deal=flagged, actor=rep2, reason="Budget cut")
    feedback_services.note_create(
        author=pm, direction="to_sales", topic="praise", body="Great brief."
    )
    sent = set(WebhookDelivery.objects.values_list("event_type", flat=True))
    assert sent == set(EVERY_EVENT)
    for delivery in WebhookDelivery.objects.all():
        json.dumps(delivery.payload)
        assert delivery.payload["type"] == delivery.event_type
        assert set(delivery.payload) == {"type", "timestamp", "data"}


def test_writing_an_events_deliveries_costs_as_much_for_five_endpoints_as_for_one(
    rep, manager, settings, django_capture_on_commit_callbacks
):
    from tests.feedback.conftest import CaptureCount

    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]

    def submit() -> int:
        deal = draft(rep)
        with CaptureCount() as counted, django_capture_on_commit_callbacks():
            deals.deal_submit(deal=deal, actor=rep)
        return counted.count

    nobody = submit()
    webhooks_services.webhook_create(
        actor=manager, url="http://127.0.0.1:9/a", events=["deal.submitted"]
    )
    one = submit()
    for n in range(4):
        webhooks_services.webhook_create(
            actor=manager, url=f"http://127.0.0.1:9/{n}", events=["deal.submitted"]
        )
    assert submit() == one
    assert one - nobody <= 3  # the deal's commitments and one insert for every endpoint


def test_an_error_of_the_http_stack_is_a_failed_attempt_not_a_stuck_one(
    rep, endpoint, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(url, body, headers):
        raise UnicodeError("label too long")

    monkeypatch.setattr(webhooks_delivery, "post_json", broken)
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=draft(rep), actor=rep)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "UnicodeError: label too long"

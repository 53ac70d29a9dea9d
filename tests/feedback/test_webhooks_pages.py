"""The managers' webhook pages: list, create (the secret shown once), edit, rotate, turn off and
on, delete, the delivery log with Redeliver; refused addresses shown with their reason."""

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import webhooks_services
from feedback.webhooks_models import WebhookDelivery, WebhookEndpoint
from tests.feedback.conftest import CaptureCount

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.215.14/hooks"


@pytest.fixture
def endpoint(manager):
    return webhooks_services.webhook_create(
        actor=manager, url=PUBLIC, events=["deal.won"], description="CRM sync"
    )


def deliveries(endpoint, count, **fields):
    now = timezone.now()
    values = {
        "status": "delivered",
        "attempts": 1,
        "response_code": 200,
        "delivered_at": now,
        "duration_ms": 42,
        "response_excerpt": "thanks",
        **fields,
    }
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            kind="webhook",
            endpoint=endpoint,
            event_id=f"msg_{n}",
            event_type="deal.won",
            payload={"type": "deal.won", "data": {"deal": {"id": n}}},
            **values,
        )
        for n in range(count)
    )


def test_only_managers_open_the_pages(rep, pm, manager, endpoint, client_for):
    for user in (rep, pm):
        http = client_for(user)
        assert http.get(reverse("webhooks:list")).status_code == 403
        assert http.get(reverse("webhooks:detail", args=[endpoint.pk])).status_code == 403
        assert http.post(reverse("webhooks:create"), {"url": PUBLIC}).status_code == 403
    assert client_for(manager).get(reverse("webhooks:list")).status_code == 200


def test_creating_shows_the_secret_once(manager, client_for):
    http = client_for(manager)
    form = http.get(reverse("webhooks:create"))
    assert form.status_code == 200 and "deal.submitted" in form.content.decode()
    response = http.post(
        reverse("webhooks:create"),
        {"url": PUBLIC, "description": "Warehouse", "events": ["deal.won", "deal.lost"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response.url == endpoint.get_absolute_url()
    assert endpoint.events == ["deal.won", "deal.lost"] and endpoint.owner == manager
    shown = http.get(response.url)
    assert endpoint.secret in shown.content.decode()
    assert "shown once" in shown.content.decode()
    assert shown["Cache-Control"].startswith("max-age=0")
    again = http.get(response.url)
    assert endpoint.secret not in again.content.decode()


def test_a_private_address_is_refused_on_the_form_with_its_reason(manager, client_for):
    response = client_for(manager).post(
        reverse("webhooks:create"), {"url": "https://10.1.1.1/x", "events": ["deal.won"]}
    )
    assert response.status_code == 400
    assert "10.1.1.1 is a private address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_form_says_what_is_missing(manager, client_for):
    response = client_for(manager).post(reverse("webhooks:create"), {"url": PUBLIC})
    assert response.status_code == 400
    assert "Choose at least one event." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_editing_keeps_the_secret(manager, endpoint, client_for):
    http = client_for(manager)
    url = reverse("webhooks:edit", args=[endpoint.pk])
    assert PUBLIC in http.get(url).content.decode()
    response = http.post(url, {"url": PUBLIC + "/v2", "events": ["deal.lost"], "description": ""})
    assert response.status_code == 302
    saved = WebhookEndpoint.objects.get()
    assert (saved.url, saved.events, saved.secret) == (
        PUBLIC + "/v2",
        ["deal.lost"],
        endpoint.secret,
    )


def test_rotating_asks_first_then_shows_the_new_secret_once(manager, endpoint, client_for):
    http = client_for(manager)
    url = reverse("webhooks:rotate", args=[endpoint.pk])
    asked = http.get(url)
    assert asked.status_code == 200 and "Make a new secret?" in asked.content.decode()
    assert WebhookEndpoint.objects.get().secret == endpoint.secret
    response = http.post(url)
    rotated = WebhookEndpoint.objects.get()
    assert rotated.secret != endpoint.secret and rotated.previous_secret == endpoint.secret
    page = http.get(response.url).content.decode()
    assert rotated.secret in page and "previous one signs too" in page


def test_turning_off_and_on(manager, endpoint, client_for):
    http = client_for(manager)
    url = reverse("webhooks:set_active", args=[endpoint.pk])
    assert http.get(url).status_code == 405
    http.post(url, {"active": "0"})
    assert WebhookEndpoint.objects.get().active is False
    page = http.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "Turn on" in page and "Turned off by hand." in page
    http.post(url, {"active": "1"})
    assert WebhookEndpoint.objects.get().active is True
    assert http.post(url, {"active": "maybe"}).status_code == 302
    assert WebhookEndpoint.objects.get().active is True


def test_deleting_asks_first(manager, endpoint, client_for):
    http = client_for(manager)
    url = reverse("webhooks:delete", args=[endpoint.pk])
    asked = http.get(url)
    assert asked.status_code == 200 and "Delete the webhook" in asked.content.decode()
    assert WebhookEndpoint.objects.exists()
    assert http.post(url).status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_each_attempt_and_redelivers(
    manager, endpoint, client_for, django_capture_on_commit_callbacks
):
    failed = deliveries(
        endpoint,
        1,
        status="failed",
        attempts=8,
        response_code=503,
        delivered_at=None,
        last_error="Answered 503 Service Unavailable",
        response_excerpt="down for maintenance",
    )[0]
    http = client_for(manager)
    page = http.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    for text in ("deal.won", "msg_0", "503", "down for maintenance", "42 ms", "Redeliver"):
        assert text in page
    with django_capture_on_commit_callbacks(execute=False):
        response = http.post(reverse("webhooks:redeliver", args=[failed.pk]))
    assert response.status_code == 302 and response.url == endpoint.get_absolute_url()
    again = WebhookDelivery.objects.exclude(pk=failed.pk).get()
    assert (again.event_id, again.status, again.payload) == ("msg_0", "pending", failed.payload)


def test_a_turned_off_endpoint_offers_no_redelivery_and_refuses_one(manager, endpoint, client_for):
    delivery = deliveries(endpoint, 1)[0]
    webhooks_services.webhook_set_active(endpoint=endpoint, actor=manager, active=False)
    http = client_for(manager)
    page = http.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert 'action="/settings/webhooks/deliveries/' not in page
    response = http.post(reverse("webhooks:redeliver", args=[delivery.pk]), follow=True)
    assert "turn it on, then redeliver" in response.content.decode()
    assert WebhookDelivery.objects.count() == 1


def test_the_list_and_the_log_read_in_as_many_queries_for_one_row_as_for_many(
    manager, endpoint, client_for
):
    http = client_for(manager)
    deliveries(endpoint, 1)

    def count(url) -> int:
        with CaptureCount() as counted:
            assert http.get(url).status_code == 200
        return counted.count

    list_one = count(reverse("webhooks:list"))
    log_one = count(reverse("webhooks:detail", args=[endpoint.pk]))
    for n in range(10):
        webhooks_services.webhook_create(actor=manager, url=f"{PUBLIC}/{n}", events=["deal.won"])
    deliveries(endpoint, 30)
    assert count(reverse("webhooks:list")) == list_one
    assert count(reverse("webhooks:detail", args=[endpoint.pk])) == log_one


def test_the_settings_page_links_managers_to_webhooks_and_chat(rep, manager, client_for):
    page = client_for(manager).get(reverse("settings")).content.decode()
    assert reverse("webhooks:list") in page and reverse("chat:list") in page
    assert reverse("webhooks:list") not in client_for(rep).get(reverse("settings")).content.decode()


def test_an_endpoint_turned_off_for_failures_says_why_on_its_page(manager, endpoint, client_for):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False,
        disabled_at=timezone.now(),
        disabled_reason="Turned off: nothing reached it for the whole retry window.",
    )
    page = client_for(manager).get(reverse("webhooks:detail", args=[endpoint.pk]))
    assert "whole retry window" in page.content.decode()


def test_an_id_that_is_not_one_is_not_found(manager, client_for):
    http = client_for(manager)
    for name in ("webhooks:detail", "webhooks:edit", "webhooks:delete", "chat:detail"):
        assert http.get(reverse(name, args=[987654])).status_code == 404
    assert http.post(reverse("webhooks:redeliver", args=[987654])).status_code == 404
    assert http.post(reverse("chat:set_active", args=[987654]), {"active": "0"}).status_code == 404

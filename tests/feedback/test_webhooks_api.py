"""The webhooks API: managers register endpoints (the secret shown once), refused addresses,
delivery logs, redelivery; nothing half-written on bad input."""

import socket

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from deals import services as deals
from feedback import webhooks_http
from feedback.webhooks_models import WebhookDelivery, WebhookEndpoint
from tests.feedback.conftest import draft

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.215.14/hooks"


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def create(api, **data):
    body = {"url": PUBLIC, "events": ["deal.submitted"], **data}
    return api.post(reverse("api:webhook-list"), body, format="json")


def test_a_manager_registers_an_endpoint_and_sees_its_secret_once(manager):
    api = api_as(manager)
    response = create(api, description="CRM sync", events=["deal.won", "deal.submitted"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["deal.submitted", "deal.won"]  # in the list's order
    assert body["owner"] == manager.pk and body["active"] is True
    again = api.get(reverse("api:webhook-detail", args=[body["id"]])).json()
    assert "secret" not in again
    listed = api.get(reverse("api:webhook-list")).json()["results"]
    assert "secret" not in listed[0]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.0.0.7/hook", "private"),
        ("https://192.168.1.20:8443/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://224.0.0.5/hook", "multicast"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://100.64.0.1/hook", "not public"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("http://93.184.215.14/hook", "https"),
        ("ftp://93.184.215.14/hook", "http or https"),
        ("https://user:pw@93.184.215.14/hook", "passwords"),
        ("not a url", "http or https"),
    ],
)
def test_an_address_webhooks_may_not_reach_is_refused_with_the_reason(manager, url, reason):
    response = create(api_as(manager), url=url)
    assert response.status_code == 400
    assert reason in response.json()["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused(manager, monkeypatch):
    def resolve(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", port))]

    monkeypatch.setattr(webhooks_http.socket, "getaddrinfo", resolve)
    response = create(api_as(manager), url="https://crm.internal.example/hook")
    assert response.status_code == 400
    assert response.json()["url"] == [
        "crm.internal.example resolves to 10.20.30.40, a private address: webhooks go to "
        "public addresses only."
    ]


def test_a_name_that_does_not_resolve_is_refused(manager, monkeypatch):
    def resolve(host, port, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhooks_http.socket, "getaddrinfo", resolve)
    response = create(api_as(manager), url="https://nowhere.example/hook")
    assert response.status_code == 400
    assert response.json()["url"] == ["The host nowhere.example could not be found."]


def test_an_allowed_host_may_be_private_and_plain_http(manager, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert create(api_as(manager), url="http://127.0.0.1:9000/hook").status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"url": PUBLIC, "events": []},
        {"url": PUBLIC, "events": ["deal.exploded"]},
        {"url": PUBLIC, "events": "deal.won"},
        {"url": 42, "events": ["deal.won"]},
        {"url": PUBLIC},
        {"events": ["deal.won"]},
        {"url": PUBLIC, "events": ["deal.won"], "description": "x" * 201},
        {"url": PUBLIC, "events": ["deal.won"], "description": "two\nlines"},
    ],
)
def test_bad_input_is_a_400_by_field_and_writes_nothing(manager, body):
    response = api_as(manager).post(reverse("api:webhook-list"), body, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"url", "events", "description"}
    assert not WebhookEndpoint.objects.exists()


def test_only_managers_use_the_api(rep, pm):
    for user in (rep, pm):
        assert create(api_as(user)).status_code == 403
    assert create(APIClient()).status_code == 401
    assert not WebhookEndpoint.objects.exists()


def test_update_rotate_disable_enable_delete(manager, settings):
    api = api_as(manager)
    endpoint = create(api).json()
    detail = reverse("api:webhook-detail", args=[endpoint["id"]])
    patched = api.patch(detail, {"events": ["deal.lost"]}, format="json")
    assert patched.status_code == 200 and patched.json()["events"] == ["deal.lost"]
    assert patched.json()["url"] == PUBLIC
    refused = api.patch(detail, {"url": "https://10.0.0.1/x"}, format="json")
    assert refused.status_code == 400
    assert WebhookEndpoint.objects.get().url == PUBLIC

    rotated = api.post(reverse("api:webhook-rotate-secret", args=[endpoint["id"]])).json()
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["previous_secret_expires_at"] is not None

    off = api.post(reverse("api:webhook-disable", args=[endpoint["id"]])).json()
    assert off["active"] is False and off["disabled_reason"] == "Turned off by hand."
    on = api.post(reverse("api:webhook-enable", args=[endpoint["id"]])).json()
    assert on["active"] is True and on["disabled_at"] is None

    assert api.delete(detail).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_turning_on_checks_the_url_again(manager, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    api = api_as(manager)
    endpoint = create(api, url="http://127.0.0.1:9000/hook").json()
    api.post(reverse("api:webhook-disable", args=[endpoint["id"]]))
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = api.post(reverse("api:webhook-enable", args=[endpoint["id"]]))
    assert response.status_code == 400
    assert "https" in response.json()["url"][0]
    assert WebhookEndpoint.objects.get().active is False


def _deliveries(endpoint, count):
    now = timezone.now()
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            kind="webhook",
            endpoint=endpoint,
            event_id=f"msg_{n}",
            event_type="deal.submitted",
            payload={"type": "deal.submitted", "data": {"n": n}},
            status="delivered",
            attempts=1,
            delivered_at=now,
            response_code=200,
        )
        for n in range(count)
    )


def test_the_delivery_log_and_redelivery(manager, django_capture_on_commit_callbacks):
    api = api_as(manager)
    endpoint = WebhookEndpoint.objects.get(pk=create(api).json()["id"])
    first = _deliveries(endpoint, 1)[0]
    log = api.get(reverse("api:webhook-delivery-list", args=[endpoint.pk])).json()
    assert log["count"] == 1
    assert log["results"][0]["event_id"] == "msg_0"
    assert log["results"][0]["payload"] == {"type": "deal.submitted", "data": {"n": 0}}

    url = reverse("api:webhook-delivery-redeliver", args=[endpoint.pk, first.pk])
    with django_capture_on_commit_callbacks(execute=False):
        again = api.post(url)
    assert again.status_code == 201
    assert again.json()["event_id"] == "msg_0" and again.json()["status"] == "pending"
    pending = reverse("api:webhook-delivery-redeliver", args=[endpoint.pk, again.json()["id"]])
    refused = api.post(pending)
    assert refused.status_code == 409 and refused.json()["code"] == "delivery_in_progress"

    api.post(reverse("api:webhook-disable", args=[endpoint.pk]))
    off = api.post(url)
    assert off.status_code == 409 and off.json()["code"] == "target_disabled"
    filtered = api.get(reverse("api:webhook-delivery-list", args=[endpoint.pk]), {"status": "x"})
    assert filtered.status_code == 400


def test_a_delivery_of_another_endpoint_is_not_found_through_this_one(manager):
    api = api_as(manager)
    one = WebhookEndpoint.objects.get(pk=create(api).json()["id"])
    other = WebhookEndpoint.objects.get(pk=create(api).json()["id"])
    delivery = _deliveries(other, 1)[0]
    for name in ("api:webhook-delivery-detail", "api:webhook-delivery-redeliver"):
        url = reverse(name, args=[one.pk, delivery.pk])
        response = api.get(url) if name.endswith("detail") else api.post(url)
        assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1
    missing = api.get(reverse("api:webhook-delivery-list", args=[987654]))
    assert missing.status_code == 404


def test_the_lists_read_in_as_many_queries_for_one_row_as_for_many(
    manager, django_assert_num_queries
):
    api = api_as(manager)
    endpoint = WebhookEndpoint.objects.get(pk=create(api).json()["id"])
    _deliveries(endpoint, 1)

    def count(url) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        return len(queries)

    endpoints_one = count(reverse("api:webhook-list"))
    log_one = count(reverse("api:webhook-delivery-list", args=[endpoint.pk]))
    for _ in range(12):
        create(api)
    _deliveries(endpoint, 30)
    with django_assert_num_queries(endpoints_one):
        api.get(reverse("api:webhook-list"))
    with django_assert_num_queries(log_one):
        api.get(reverse("api:webhook-delivery-list", args=[endpoint.pk]))


def test_deliveries_are_written_for_the_events_an_endpoint_wants_only(rep, manager):
    api = api_as(manager)
    create(api, events=["deal.won"])
    deals.deal_submit(deal=draft(rep), actor=rep)
    assert not WebhookDelivery.objects.exists()

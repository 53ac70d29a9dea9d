"""The webhooks and team chat API in the OpenAPI schema: every path, its problems, the secret
only where it is made, the events as one enum, the delivery logs paginated."""

import pytest
import yaml
from django.core.management import call_command

from feedback.webhooks_models import WebhookEvent


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize(
    ("path", "answers"),
    [
        ("/api/v1/webhooks/", {"201", "400"}),
        ("/api/v1/webhooks/{id}/rotate-secret/", {"200"}),
        ("/api/v1/webhooks/{id}/enable/", {"200", "400"}),
        ("/api/v1/webhooks/{id}/disable/", {"200"}),
        ("/api/v1/webhooks/{webhook_pk}/deliveries/{id}/redeliver/", {"201", "409"}),
        ("/api/v1/chat-channels/", {"201", "400"}),
        ("/api/v1/chat-channels/{id}/enable/", {"200", "400"}),
        ("/api/v1/chat-channels/{id}/disable/", {"200"}),
        ("/api/v1/chat-channels/{channel_pk}/deliveries/{id}/redeliver/", {"201", "409"}),
    ],
)
def test_every_write_documents_what_it_answers_and_who_may(schema, path, answers):
    post = schema["paths"][path]["post"]
    assert {*answers, "401", "403"} <= set(post["responses"]), path


def test_the_secret_is_only_in_the_answers_that_make_one(schema):
    components = schema["components"]["schemas"]
    assert "secret" in components["WebhookEndpointWithSecret"]["properties"]
    assert "secret" not in components["WebhookEndpoint"]["properties"]
    paths = schema["paths"]
    made = paths["/api/v1/webhooks/"]["post"]["responses"]["201"]["content"]
    assert made["application/json"]["schema"]["$ref"].endswith("WebhookEndpointWithSecret")
    rotated = paths["/api/v1/webhooks/{id}/rotate-secret/"]["post"]["responses"]["200"]
    assert rotated["content"]["application/json"]["schema"]["$ref"].endswith(
        "WebhookEndpointWithSecret"
    )
    read = paths["/api/v1/webhooks/{id}/"]["get"]["responses"]["200"]["content"]
    assert read["application/json"]["schema"]["$ref"].endswith("/WebhookEndpoint")


def test_the_events_are_one_enum(schema):
    assert schema["components"]["schemas"]["WebhookEventEnum"]["enum"] == WebhookEvent.values


def test_the_delivery_logs_are_paginated_and_filtered(schema):
    for path in (
        "/api/v1/webhooks/{webhook_pk}/deliveries/",
        "/api/v1/chat-channels/{channel_pk}/deliveries/",
    ):
        get = schema["paths"][path]["get"]
        assert {"status", "event_type", "page"} <= {p["name"] for p in get["parameters"]}
        body = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert body["$ref"].endswith("PaginatedDeliveryList")


def test_a_chat_channels_url_is_written_but_read_as_its_host(schema):
    components = schema["components"]["schemas"]
    assert components["ChatChannel"]["properties"]["url"]["readOnly"] is True
    assert "url" in components["ChatChannelInputRequest"]["required"]
    assert "url" not in components["ChatChannelUpdateRequest"].get("required", [])

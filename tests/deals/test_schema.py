"""The OpenAPI schema is part of the build: it generates without warnings and says what we mean."""

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def _enum(schema, name):
    return schema["components"]["schemas"][name]["enum"]


def test_deal_status_enum(schema):
    assert _enum(schema, "DealStatusEnum") == [
        "draft",
        "in_review",
        "changes_requested",
        "signed_off",
        "won",
        "lost",
    ]
    status = schema["components"]["schemas"]["Deal"]["properties"]["status"]
    assert status["readOnly"] is True


def test_verdict_enum(schema):
    assert _enum(schema, "VerdictKindEnum") == ["approved", "approved_with_condition", "flagged"]


def test_status_is_not_writable_anywhere(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request") and ("Deal" in name or "Commitment" in name):
            assert "status" not in component.get("properties", {}), name


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/deals/{id}/submit/",
        "/api/v1/deals/{id}/request-changes/",
        "/api/v1/deals/{id}/sign-off/",
        "/api/v1/deals/{id}/win/",
        "/api/v1/deals/{id}/lose/",
        "/api/v1/deals/{id}/revise/",
        "/api/v1/deals/{id}/claim/",
        "/api/v1/deals/{id}/assign/",
        "/api/v1/commitments/{id}/verdict/",
        "/api/v1/verdicts/{id}/escalate/",
        "/api/v1/escalations/{id}/decide/",
    ],
)
def test_actions_are_documented_with_their_conflict(schema, path):
    post = schema["paths"][path]["post"]
    assert {"403", "409"} <= set(post["responses"])


def test_lists_are_paginated_and_filtered(schema):
    deals = schema["paths"]["/api/v1/deals/"]["get"]
    names = {p["name"] for p in deals["parameters"]}
    assert {"status", "owner", "client", "search", "page"} <= names
    events = schema["paths"]["/api/v1/deals/{deal_pk}/events/"]["get"]
    assert events["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PaginatedDealEventList"
    )


def test_schema_is_served(client, rep):
    client.force_login(rep)
    response = client.get("/api/schema/")
    assert response.status_code == 200

"""Customer acceptance in the OpenAPI schema: every path, what each write answers, and the link
never in an answer."""

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--file", str(path))
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize(
    ("path", "method", "answers"),
    [
        ("/api/v1/acceptance-requests/", "get", {"200", "400", "401", "403"}),
        ("/api/v1/acceptance-requests/", "post", {"201", "400", "401", "403", "404", "409"}),
        ("/api/v1/acceptance-requests/{id}/", "get", {"200", "401", "403", "404"}),
        ("/api/v1/acceptance-requests/{id}/resend/", "post", {"200", "401", "403", "404", "409"}),
        ("/api/v1/acceptance-requests/{id}/cancel/", "post", {"200", "401", "403", "404", "409"}),
    ],
)
def test_every_operation_says_what_it_answers(schema, path, method, answers):
    assert answers <= set(schema["paths"][path][method]["responses"])


def test_the_list_is_paginated_and_filtered(schema):
    listing = schema["paths"]["/api/v1/acceptance-requests/"]["get"]
    assert {"deliverable", "project", "state", "page"} <= {p["name"] for p in listing["parameters"]}
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PaginatedAcceptanceRequestList"
    )


def test_status_is_read_only_and_the_link_is_never_answered(schema):
    components = schema["components"]["schemas"]
    request = components["AcceptanceRequest"]["properties"]
    assert request["status"]["readOnly"] is True
    assert not {"nonce", "token", "link"} & set(request)
    send = components["AcceptanceSendRequest"]["properties"]
    assert set(send) == {"deliverable", "contact_name", "contact_email"}
    assert send["contact_name"]["maxLength"] == 120


def test_the_dashboards_figures_may_be_plain_numbers_like_a_rating(schema):
    components = schema["components"]["schemas"]
    unit = components["Figure"]["properties"]["unit"]
    ref = unit.get("$ref") or unit["allOf"][0]["$ref"]
    assert "decimal" in components[ref.rsplit("/", 1)[1]]["enum"]

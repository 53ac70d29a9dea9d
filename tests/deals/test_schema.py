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
        "/api/v1/deals/{id}/release/",
        "/api/v1/commitments/{id}/verdict/",
        "/api/v1/verdicts/{id}/escalate/",
        "/api/v1/verdicts/{id}/accept-counter/",
        "/api/v1/escalations/{id}/decide/",
        "/api/v1/review-rules/",
        "/api/v1/review-rules/{id}/retire/",
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


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _schema_of(operation, code):
    return operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]


def test_every_operation_documents_the_errors_it_can_answer(schema):
    for method, path, operation in _operations(schema):
        codes = set(operation["responses"])
        located = {p["in"] for p in operation.get("parameters", [])}
        name = f"{method} {path}"
        assert "401" in codes, name
        if "{" in path:
            assert "404" in codes, name
        if "requestBody" in operation or "query" in located:
            assert "400" in codes, name
            assert _schema_of(operation, "400").endswith("/BadInput"), name
        if "requestBody" in operation:
            assert "415" in codes, name
        if method != "GET" and path != "/api/v1/auth/token/":
            assert {"403", "409"} <= codes, name
        for code in codes & {"401", "403", "404", "409", "415"}:
            assert _is_a_problem(schema, _schema_of(operation, code)), f"{name} {code}"


def _is_a_problem(schema, ref: str) -> bool:
    """The Problem itself, or a Problem with particulars (the sign-off's `missing`)."""
    if ref.endswith("/Problem"):
        return True
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return {"detail", "code"} <= set(component["required"])


def test_role_only_reads_document_their_403(schema):
    for path in ("/api/v1/capacity/", "/api/v1/metrics/alignment/"):
        assert "403" in schema["paths"][path]["get"]["responses"]
    assert "403" not in schema["paths"]["/api/v1/deals/"]["get"]["responses"]


def test_the_problem_body_names_detail_and_code(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"detail", "code"}


def test_pages_document_their_bounds(schema):
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/deals/"]["get"]["parameters"]
    }
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert parameters["page"] == {"type": "integer", "minimum": 1, "maximum": 1_000_000}


@pytest.mark.parametrize(
    "component, field",
    [
        ("LoseInputRequest", "reason"),
        ("EscalateInputRequest", "argument"),
        ("EscalationDecideInputRequest", "reason"),
        ("CommentInputRequest", "body"),
        ("DealCreateRequest", "title"),
        ("ClientInputRequest", "name"),
    ],
)
def test_text_that_must_not_be_blank_says_so(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field]["minLength"] == 1


def test_a_deal_documents_its_commitment_cap(schema):
    commitments = schema["components"]["schemas"]["DealCreateRequest"]["properties"]["commitments"]
    assert commitments["maxItems"] == 100


def test_an_input_decimal_is_documented_as_a_number_or_a_decimal_string(schema):
    value = schema["components"]["schemas"]["DealCreateRequest"]["properties"]["value"]
    number, text = value["anyOf"]
    assert number == {"type": "number", "minimum": 0}
    assert text["type"] == "string" and text["pattern"].startswith("^-?\\d{0,12}")


def _component(schema, ref):
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_the_approvals_of_a_deal_are_documented(schema):
    get = schema["paths"]["/api/v1/deals/{id}/approvals/"]["get"]
    approvals = _component(schema, _schema_of(get, "200"))
    assert {"deal", "round", "open", "commitments", "missing"} <= set(approvals["properties"])
    row = _component(schema, approvals["properties"]["commitments"]["items"]["$ref"])
    assert {"verdict", "requirements", "needs_attention", "can_rule"} <= set(row["properties"])
    requirement = _component(schema, row["properties"]["requirements"]["items"]["$ref"])
    assert _enum(schema, "ApproverKindEnum") == ["reviewer", "pm", "manager"]
    assert requirement["properties"]["approver"]["allOf"][0]["$ref"].endswith("ApproverKindEnum")


def test_a_sign_off_documents_the_approvals_it_misses(schema):
    post = schema["paths"]["/api/v1/deals/{id}/sign-off/"]["post"]
    refused = _component(schema, _schema_of(post, "409"))
    assert set(refused["required"]) == {"detail", "code"}
    assert "missing" in refused["properties"]


def test_review_rules_are_for_managers_and_documented(schema):
    rules = schema["paths"]["/api/v1/review-rules/"]
    assert "403" in rules["get"]["responses"]
    assert _schema_of(rules["get"], "200").endswith("PaginatedReviewRuleList")
    parameters = {p["name"]: p["schema"] for p in rules["get"]["parameters"]}
    assert parameters["include_retired"]["type"] == "boolean"
    one = schema["paths"]["/api/v1/review-rules/{id}/"]
    assert set(one) == {"get", "put", "patch", "delete"}
    for method in ("put", "patch", "delete"):
        assert _schema_of(one[method], "200").endswith("/ReviewRule"), method
        assert "new version" in one[method].get("description", "") or method == "delete"
    body = schema["components"]["schemas"]["ReviewRuleInputRequest"]["properties"]
    assert body["name"]["maxLength"] == 120
    assert (body["approvals_required"]["minimum"], body["approvals_required"]["maximum"]) == (1, 2)
    assert _enum(schema, "RuleApproverEnum") == ["pm", "manager"]


def test_a_verdict_says_what_it_carries(schema):
    verdict = schema["components"]["schemas"]["Verdict"]["properties"]
    for field in ("carried_from_round", "counter_accepted_version"):
        assert verdict[field]["readOnly"] is True

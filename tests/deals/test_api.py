"""The deals API: each endpoint by role, with the exact status codes of the design."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from deals import services
from deals.models import Comment, Deal, DealStatus, EventKind, VerdictKind
from tests.deals.builders import deal_in, draft_deal
from tests.factories import ClientFactory, CommitmentFactory, DealFactory


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def flagged_verdict(deal):
    return deal.rounds.get(number=1).verdicts.get(verdict=VerdictKind.FLAGGED)


# Authentication


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/clients/",
        "/api/v1/deals/",
        "/api/v1/commitments/",
        "/api/v1/verdicts/",
        "/api/v1/escalations/",
        "/api/v1/deals/1/events/",
        "/api/v1/deals/1/comments/",
    ],
)
def test_anonymous_gets_401(url, db):
    assert api().get(url).status_code == 401


def test_anonymous_post_gets_401(rep):
    deal = draft_deal(rep)
    assert api().post(f"/api/v1/deals/{deal.pk}/submit/").status_code == 401


def test_token_auth(rep, password):
    draft_deal(rep)
    response = api().post(
        "/api/v1/auth/token/", {"username": "rep", "password": password}, format="json"
    )
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    listing = client.get("/api/v1/deals/")
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    client.credentials(HTTP_AUTHORIZATION="Token nonsense")
    assert client.get("/api/v1/deals/").status_code == 401


# Clients


def test_clients(rep, pm, manager):
    ClientFactory(name="Acme")
    for user in (rep, pm, manager):
        assert api(user).get("/api/v1/clients/").json()["count"] == 1
    created = api(rep).post("/api/v1/clients/", {"name": "Globex", "industry": "Energy"})
    assert created.status_code == 201
    assert created.json()["name"] == "Globex"
    assert api(manager).post("/api/v1/clients/", {"name": "Initech"}).status_code == 201
    assert api(pm).post("/api/v1/clients/", {"name": "Umbrella"}).status_code == 403
    duplicate = api(rep).post("/api/v1/clients/", {"name": "acme"})
    assert duplicate.status_code == 400
    assert "name" in duplicate.json()
    assert api(rep).post("/api/v1/clients/", {}).status_code == 400
    assert api(rep).get(f"/api/v1/clients/{created.json()['id']}/").status_code == 200


# Deals: visibility


def test_deal_visibility(rep, rep2, pm, manager):
    own_draft = draft_deal(rep)
    submitted = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    others = draft_deal(rep2)

    def ids(user):
        return {d["id"] for d in api(user).get("/api/v1/deals/").json()["results"]}

    assert ids(rep) == {own_draft.pk, submitted.pk}
    assert ids(rep2) == {others.pk}
    assert ids(pm) == {submitted.pk}
    assert ids(manager) == {own_draft.pk, submitted.pk, others.pk}
    assert api(rep2).get(f"/api/v1/deals/{own_draft.pk}/").status_code == 404
    assert api(pm).get(f"/api/v1/deals/{own_draft.pk}/").status_code == 404
    detail = api(pm).get(f"/api/v1/deals/{submitted.pk}/").json()
    assert detail["status"] == "in_review"
    assert len(detail["commitments"]) == 2


def test_deal_filters(rep, rep2, manager):
    acme = ClientFactory(name="Acme")
    a = draft_deal(rep, title="Web shop", client=acme)
    b = draft_deal(rep2, title="Data lake")
    services.deal_lose(deal=b, actor=rep2, reason="No budget")

    def ids(query):
        response = api(manager).get(f"/api/v1/deals/?{query}")
        assert response.status_code == 200
        return {d["id"] for d in response.json()["results"]}

    assert ids("status=lost") == {b.pk}
    assert ids("status=draft&status=lost") == {a.pk, b.pk}
    assert ids(f"owner={rep.pk}") == {a.pk}
    assert ids(f"client={acme.pk}") == {a.pk}
    assert ids("search=shop") == {a.pk}
    assert ids("search=acme") == {a.pk}
    assert api(manager).get("/api/v1/deals/?status=nonsense").status_code == 400


@pytest.mark.parametrize("ordering", ["value", "-value", "title", "-expected_close_date"])
def test_pages_of_an_ordering_never_repeat_or_skip_equal_rows(ordering, manager):
    DealFactory.create_batch(7, title="Same", value="1000.00")
    with CaptureQueriesContext(connection) as queries:
        api(manager).get(f"/api/v1/deals/?ordering={ordering}")
    page_query = next(q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"])
    tie_breaker = '"deals_deal"."id" DESC' if ordering.startswith("-") else '"deals_deal"."id" ASC'
    assert page_query.rsplit(" LIMIT ", 1)[0].endswith(tie_breaker)
    seen, url = [], f"/api/v1/deals/?ordering={ordering}&page_size=2"
    while url:
        body = api(manager).get(url).json()
        seen += [deal["id"] for deal in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(set(seen)) == sorted(Deal.objects.values_list("pk", flat=True))
    ascending = not ordering.startswith("-")
    if ordering in ("value", "-value", "title"):
        assert seen == sorted(seen, reverse=not ascending)


def test_a_status_filter_needs_no_distinct(rep, manager):
    draft_deal(rep, title="Web shop")
    with CaptureQueriesContext(connection) as queries:
        assert api(manager).get("/api/v1/deals/?status=draft&status=lost").status_code == 200
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"]]


# Deals: create, update, delete


def test_create_deal(rep, pm):
    body = {
        "title": "New CRM",
        "client": ClientFactory().pk,
        "value": "120000.00",
        "expected_close_date": "2030-03-31",
        "commitments": [
            {"kind": "scope", "summary": "Migrate data", "promised_date": "2030-06-30"},
            {"kind": "staffing", "summary": "Two seniors", "promised_date": "2030-05-01"},
        ],
    }
    response = api(rep).post("/api/v1/deals/", body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "draft"
    assert data["owner"] == rep.pk
    assert len(data["commitments"]) == 2
    assert api(pm).post("/api/v1/deals/", body, format="json").status_code == 403


def test_create_deal_bad_input(rep):
    response = api(rep).post(
        "/api/v1/deals/", {"client": 999999, "value": "-5", "commitments": [{}]}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert {"title", "client", "value", "expected_close_date", "commitments"} <= set(errors)


def test_update_deal_with_version(rep, rep2, manager):
    deal = draft_deal(rep)
    url = f"/api/v1/deals/{deal.pk}/"
    response = api(rep).patch(url, {"title": "Renamed", "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    stale = api(rep).patch(url, {"title": "Again", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "concurrent_change"
    assert api(manager).patch(url, {"title": "Mine"}, format="json").status_code == 403
    assert api(rep2).patch(url, {"title": "Mine"}, format="json").status_code == 404
    assert api(rep).patch(url, {"value": "-1"}, format="json").status_code == 400


def test_update_deal_in_review_is_409(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    response = api(rep).patch(f"/api/v1/deals/{deal.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "deal_not_editable"


def test_delete_deal(rep, rep2, pm):
    deal = draft_deal(rep)
    assert api(rep2).delete(f"/api/v1/deals/{deal.pk}/").status_code == 404
    assert api(rep).delete(f"/api/v1/deals/{deal.pk}/").status_code == 204
    assert not Deal.objects.filter(pk=deal.pk).exists()
    lost = deal_in(DealStatus.LOST, owner=rep, pm=pm)
    response = api(rep).delete(f"/api/v1/deals/{lost.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "delete_not_allowed"


# Transitions


def test_the_whole_review_through_the_api(rep, pm):
    deal = draft_deal(rep)
    first, second = deal.commitments.order_by("id")
    base = f"/api/v1/deals/{deal.pk}"
    assert api(rep).post(f"{base}/submit/").json()["status"] == "in_review"
    assert api(pm).post(f"{base}/claim/").status_code == 200
    no_reason = api(pm).post(
        f"/api/v1/commitments/{first.pk}/verdict/", {"verdict": "flagged"}, format="json"
    )
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    flag = api(pm).post(
        f"/api/v1/commitments/{first.pk}/verdict/",
        {"verdict": "flagged", "reason": "No team free", "counter_date": "2031-01-31"},
        format="json",
    )
    assert flag.status_code == 200
    assert flag.json()["counter_date"] == "2031-01-31"
    approve = api(pm).post(
        f"/api/v1/commitments/{second.pk}/verdict/", {"verdict": "approved"}, format="json"
    )
    assert approve.status_code == 200
    assert api(pm).post(f"{base}/request-changes/").json()["status"] == "changes_requested"
    assert api(rep).post(f"{base}/revise/").json()["status"] == "draft"
    moved = api(rep).patch(
        f"/api/v1/commitments/{first.pk}/", {"promised_date": "2031-01-31"}, format="json"
    )
    assert moved.status_code == 200
    assert moved.json()["version"] == 2
    assert api(rep).post(f"{base}/submit/").json()["status"] == "in_review"
    for commitment in (first, second):
        api(pm).post(
            f"/api/v1/commitments/{commitment.pk}/verdict/",
            {"verdict": "approved_with_condition", "condition": "Client signs by May"},
            format="json",
        )
    assert api(pm).post(f"{base}/sign-off/").json()["status"] == "signed_off"
    assert api(rep).post(f"{base}/win/", {}, format="json").json()["status"] == "won"
    events = api(rep).get(f"{base}/events/").json()
    kinds = [e["kind"] for e in events["results"]]
    assert kinds.count(EventKind.SUBMITTED) == 2
    assert kinds[-1] == EventKind.WON


@pytest.mark.parametrize(
    ("status", "action", "code"),
    [
        (DealStatus.WON, "submit", "submit_not_allowed"),
        (DealStatus.SIGNED_OFF, "submit", "submit_not_allowed"),
        (DealStatus.DRAFT, "win", "win_not_allowed"),
        (DealStatus.IN_REVIEW, "revise", "revise_not_allowed"),
        (DealStatus.LOST, "lose", "lose_not_allowed"),
        (DealStatus.WON, "lose", "lose_not_allowed"),
    ],
)
def test_wrong_status_is_409_with_a_code(status, action, code, rep, pm):
    deal = deal_in(status, owner=rep, pm=pm)
    response = api(rep).post(f"/api/v1/deals/{deal.pk}/{action}/", {"reason": "x"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": response.json()["detail"], "code": code}


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("sign-off", DealStatus.IN_REVIEW),
        ("request-changes", DealStatus.IN_REVIEW),
        ("claim", DealStatus.IN_REVIEW),
    ],
)
def test_pm_actions_refused_to_the_rep_and_other_pm(action, status, rep, pm, pm2):
    deal = deal_in(status, owner=rep, pm=pm, flagged=(action == "request-changes"))
    assert api(rep).post(f"/api/v1/deals/{deal.pk}/{action}/").status_code == 403
    other = api(pm2).post(f"/api/v1/deals/{deal.pk}/{action}/")
    assert other.status_code in (403, 409)
    deal.refresh_from_db()
    assert deal.status == status


@pytest.mark.parametrize("action", ["submit", "revise", "win", "lose"])
def test_owner_actions_are_404_for_another_rep(action, rep, rep2, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    response = api(rep2).post(f"/api/v1/deals/{deal.pk}/{action}/", {"reason": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["submit", "revise", "win", "lose"])
def test_owner_actions_are_403_for_a_pm(action, rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    response = api(pm).post(f"/api/v1/deals/{deal.pk}/{action}/", {"reason": "x"})
    assert response.status_code == 403


def test_lose_needs_a_reason(rep, manager):
    deal = draft_deal(rep)
    response = api(rep).post(f"/api/v1/deals/{deal.pk}/lose/", {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert api(rep).post(f"/api/v1/deals/{deal.pk}/lose/", {}, format="json").status_code == 400
    done = api(manager).post(f"/api/v1/deals/{deal.pk}/lose/", {"reason": "Budget"})
    assert done.status_code == 200
    assert done.json()["lost_reason"] == "Budget"


def test_assign(rep, pm, pm2, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    url = f"/api/v1/deals/{deal.pk}/assign/"
    assert api(pm2).post(url, {"reviewer": pm2.pk}).status_code == 403
    assert api(rep).post(url, {"reviewer": pm2.pk}).status_code == 403
    assert api(manager).post(url, {"reviewer": rep.pk}).status_code == 400
    assert api(manager).post(url, {"reviewer": pm2.pk}).status_code == 200
    assert deal.rounds.get().reviewer == pm2


def test_win_with_a_project_manager(rep, pm, pm2, manager):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    url = f"/api/v1/deals/{deal.pk}/win/"
    assert api(rep).post(url, {"project_manager": pm2.pk}).status_code == 403
    assert api(manager).post(url, {"project_manager": pm2.pk}).json()["status"] == "won"


# Commitments and verdicts


def test_commitments_visibility_and_filter(rep, rep2, pm, manager):
    own = draft_deal(rep)
    other = draft_deal(rep2, commitments=1)

    def count(user, query=""):
        return api(user).get(f"/api/v1/commitments/{query}").json()["count"]

    assert count(rep) == 2
    assert count(rep2) == 1
    assert count(pm) == 0
    assert count(manager) == 3
    assert count(manager, f"?deal={other.pk}") == 1
    commitment = own.commitments.first()
    assert api(rep2).get(f"/api/v1/commitments/{commitment.pk}/").status_code == 404
    assert api(pm).get(f"/api/v1/commitments/{commitment.pk}/").status_code == 404


def test_commitment_create_update_delete(rep, rep2, pm):
    deal = draft_deal(rep, commitments=0)
    body = {
        "deal": deal.pk,
        "kind": "timeline",
        "summary": "Live by June",
        "promised_date": "2030-06-01",
    }
    created = api(rep).post("/api/v1/commitments/", body, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    # Another rep's deal is not there for them.
    assert api(rep2).post("/api/v1/commitments/", body, format="json").status_code == 400
    assert api(rep).post("/api/v1/commitments/", {"deal": deal.pk}).status_code == 400
    url = f"/api/v1/commitments/{pk}/"
    assert api(rep).patch(url, {"effort_days": "3.5", "version": 1}).json()["version"] == 2
    stale = api(rep).patch(url, {"summary": "x", "version": 1})
    assert stale.status_code == 409
    assert api(rep).patch(url, {"effort_days": "-1"}).status_code == 400
    assert api(rep).delete(url).status_code == 204
    assert api(rep2).delete(url).status_code == 404


def test_commitments_are_409_in_review(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    commitment = deal.commitments.first()
    response = api(rep).patch(f"/api/v1/commitments/{commitment.pk}/", {"summary": "x"})
    assert response.status_code == 409
    assert response.json()["code"] == "commitments_read_only"
    body = {"deal": deal.pk, "kind": "scope", "summary": "More", "promised_date": "2030-01-01"}
    assert api(rep).post("/api/v1/commitments/", body).status_code == 409
    assert api(rep).delete(f"/api/v1/commitments/{commitment.pk}/").status_code == 409


@pytest.mark.parametrize("who", ["rep", "manager", "pm2"])
def test_only_the_reviewing_pm_rules(who, rep, pm, pm2, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    actor = {"rep": rep, "manager": manager, "pm2": pm2}[who]
    response = api(actor).post(
        f"/api/v1/commitments/{deal.commitments.first().pk}/verdict/", {"verdict": "approved"}
    )
    assert response.status_code == 403


def test_verdict_bad_input_and_wrong_status(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    url = f"/api/v1/commitments/{deal.commitments.first().pk}/verdict/"
    assert api(pm).post(url, {"verdict": "maybe"}).status_code == 400
    condition = api(pm).post(url, {"verdict": "approved_with_condition"})
    assert condition.status_code == 400
    assert "condition" in condition.json()
    assert (
        api(pm).post(url, {"verdict": "approved", "counter_effort_days": "-2"}).status_code == 400
    )
    signed = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    late = api(pm).post(
        f"/api/v1/commitments/{signed.commitments.first().pk}/verdict/", {"verdict": "approved"}
    )
    assert late.status_code == 409
    assert late.json()["code"] == "rule_not_allowed"


def test_verdicts_list(rep, rep2, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    assert api(rep).get(f"/api/v1/verdicts/?deal={deal.pk}").json()["count"] == 2
    assert api(rep2).get("/api/v1/verdicts/").json()["count"] == 0


# Escalations


def test_escalate_and_decide(rep, rep2, pm, manager):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    verdict = flagged_verdict(deal)
    url = f"/api/v1/verdicts/{verdict.pk}/escalate/"
    assert api(rep2).post(url, {"argument": "x"}).status_code == 404
    assert api(pm).post(url, {"argument": "x"}).status_code == 403
    assert api(rep).post(url, {"argument": ""}).status_code == 400
    raised = api(rep).post(url, {"argument": "We shipped this twice"})
    assert raised.status_code == 201
    escalation = raised.json()
    assert escalation["decision"] == ""
    assert api(rep).post(url, {"argument": "again"}).json()["code"] == "already_escalated"

    assert api(manager).get("/api/v1/escalations/?open=true").json()["count"] == 1
    assert api(rep).get("/api/v1/escalations/").json()["count"] == 1
    assert api(rep2).get("/api/v1/escalations/").json()["count"] == 0

    decide = f"/api/v1/escalations/{escalation['id']}/decide/"
    assert api(rep).post(decide, {"decision": "overruled", "reason": "x"}).status_code == 403
    assert api(pm).post(decide, {"decision": "overruled", "reason": "x"}).status_code == 403
    assert api(manager).post(decide, {"decision": "overruled", "reason": ""}).status_code == 400
    assert api(manager).post(decide, {"decision": "maybe", "reason": "x"}).status_code == 400
    decided = api(manager).post(decide, {"decision": "overruled", "reason": "Proven before"})
    assert decided.status_code == 200
    assert decided.json()["decision"] == "overruled"
    again = api(manager).post(decide, {"decision": "upheld", "reason": "x"})
    assert again.status_code == 409
    assert api(manager).get("/api/v1/escalations/?open=false").json()["count"] == 1


def test_escalating_outside_changes_requested_is_409(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    verdict = flagged_verdict(deal)
    services.deal_submit(deal=deal, actor=rep)
    response = api(rep).post(f"/api/v1/verdicts/{verdict.pk}/escalate/", {"argument": "x"})
    assert response.status_code == 409
    assert response.json()["code"] == "escalate_not_allowed"


# Events and comments


def test_events(rep, rep2, pm, manager):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    url = f"/api/v1/deals/{deal.pk}/events/"
    data = api(rep).get(url).json()
    assert data["count"] == deal.events.count()
    assert {"count", "next", "previous", "results"} <= set(data)
    assert api(manager).get(url).status_code == 200
    assert api(pm).get(url).status_code == 200
    assert api(rep2).get(url).status_code == 404
    assert api(rep).post(url, {}).status_code == 405
    draft = draft_deal(rep)
    assert api(pm).get(f"/api/v1/deals/{draft.pk}/events/").status_code == 404


def test_comments(rep, rep2, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    url = f"/api/v1/deals/{deal.pk}/comments/"
    created = api(pm).post(url, {"body": "@rep is the June date firm?"})
    assert created.status_code == 201
    assert created.json()["mentions"] == [rep.pk]
    assert api(rep).post(url, {"body": "  "}).status_code == 400
    assert api(rep).get(url).json()["count"] == 1
    assert api(rep2).get(url).status_code == 404
    assert api(rep2).post(url, {"body": "hi"}).status_code == 404
    assert Comment.objects.count() == 1


# Query counts: the same for 1 row and for 50


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _assert_constant(client, url, grow, django_assert_num_queries):
    baseline = _count_queries(client, url)
    grow()
    with django_assert_num_queries(baseline):
        response = client.get(url)
    assert response.json()["count"] >= 50


def test_query_count_deals(rep, manager, django_assert_num_queries):
    draft_deal(rep, commitments=1)
    _assert_constant(
        api(manager),
        "/api/v1/deals/?page_size=100",
        lambda: [draft_deal(rep, commitments=2) for _ in range(49)],
        django_assert_num_queries,
    )


def test_query_count_commitments(rep, django_assert_num_queries):
    deal = DealFactory(owner=rep)
    CommitmentFactory(deal=deal)
    _assert_constant(
        api(rep),
        "/api/v1/commitments/?page_size=100",
        lambda: CommitmentFactory.create_batch(49, deal=DealFactory(owner=rep)),
        django_assert_num_queries,
    )


def test_query_count_events(rep, django_assert_num_queries):
    deal = draft_deal(rep, commitments=1)
    services.deal_update(deal=deal, actor=rep, data={"title": "first"})

    def grow():
        for n in range(55):
            services.deal_update(deal=deal, actor=rep, data={"title": f"title {n}"})

    _assert_constant(
        api(rep), f"/api/v1/deals/{deal.pk}/events/?page_size=100", grow, django_assert_num_queries
    )


def test_query_count_clients(rep, django_assert_num_queries):
    ClientFactory()
    _assert_constant(
        api(rep),
        "/api/v1/clients/?page_size=100",
        lambda: ClientFactory.create_batch(49),
        django_assert_num_queries,
    )


def test_query_count_verdicts_and_escalations(rep, pm, manager, django_assert_num_queries):
    deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    first = services.verdict_escalate(
        verdict=flagged_verdict(Deal.objects.get()), actor=rep, argument="x"
    )
    assert first
    verdicts_url = "/api/v1/verdicts/?page_size=100"
    escalations_url = "/api/v1/escalations/?page_size=100"
    verdicts_before = _count_queries(api(manager), verdicts_url)
    escalations_before = _count_queries(api(manager), escalations_url)
    for _ in range(24):
        deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
        services.verdict_escalate(verdict=flagged_verdict(deal), actor=rep, argument="x")
    with django_assert_num_queries(verdicts_before):
        assert api(manager).get(verdicts_url).json()["count"] == 50
    with django_assert_num_queries(escalations_before):
        assert api(manager).get(escalations_url).json()["count"] == 25


def test_query_count_comments(rep, django_assert_num_queries):
    deal = draft_deal(rep)
    services.comment_add(deal=deal, actor=rep, body="first")
    _assert_constant(
        api(rep),
        f"/api/v1/deals/{deal.pk}/comments/?page_size=100",
        lambda: [services.comment_add(deal=deal, actor=rep, body=f"n{n}") for n in range(49)],
        django_assert_num_queries,
    )


# Bounds of the input: the commitment cap, the JSON parser, paging


def _deal_body(commitments: int) -> dict:
    return {
        "title": "Store rollout",
        "client": ClientFactory().pk,
        "expected_close_date": "2030-03-31",
        "commitments": [
            {"kind": "scope", "summary": f"Promise {n}", "promised_date": "2030-06-30"}
            for n in range(commitments)
        ],
    }


def test_a_deal_takes_at_most_100_commitments(rep):
    too_many = api(rep).post("/api/v1/deals/", _deal_body(101), format="json")

    assert too_many.status_code == 400
    assert too_many.json()["commitments"] == {
        "non_field_errors": ["Ensure this field has no more than 100 elements."]
    }
    assert not Deal.objects.exists()

    created = api(rep).post("/api/v1/deals/", _deal_body(100), format="json")
    assert created.status_code == 201
    assert len(created.json()["commitments"]) == 100

    one_more = api(rep).post(
        "/api/v1/commitments/",
        {
            "deal": created.json()["id"],
            "kind": "scope",
            "summary": "101st",
            "promised_date": "2030-06-30",
        },
        format="json",
    )
    assert one_more.status_code == 400
    assert one_more.json() == {
        "deal": ["A deal holds at most 100 commitments; this would make it 101."]
    }


def test_an_over_long_commitment_list_is_refused_before_any_item_is_read(rep):
    body = {**_deal_body(0), "commitments": [{}] * 101}

    response = api(rep).post("/api/v1/deals/", body, format="json")

    assert response.status_code == 400
    assert response.json()["commitments"] == {
        "non_field_errors": ["Ensure this field has no more than 100 elements."]
    }


def test_the_cap_is_a_setting_the_deal_services_hold(rep, settings):
    settings.MAX_COMMITMENTS_PER_DEAL = 2

    refused = api(rep).post("/api/v1/deals/", _deal_body(3), format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "commitments": ["A deal holds at most 2 commitments; this would make it 3."]
    }
    assert not Deal.objects.exists()

    deal = services.deal_create(
        actor=rep,
        data={"title": "Two", "client": ClientFactory(), "expected_close_date": "2030-03-31"},
        commitments=[{"kind": "scope", "summary": "One", "promised_date": "2030-06-30"}] * 2,
    )
    with pytest.raises(ValidationError):
        services.commitment_add(
            deal=deal,
            actor=rep,
            data={"kind": "scope", "summary": "3", "promised_date": "2030-06-30"},
        )
    assert deal.commitments.count() == 2


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a": [1, ' * 50_000 + "2" + "]}" * 50_000,
        # Never closed, and never more than two brackets open in a row: the parser still descends.
        "[[]" * 50_000,
        "[" * 33 + "]" * 33,
    ],
    ids=["100,000 brackets", "objects and arrays", "a staircase", "33 levels"],
)
def test_deeply_nested_json_is_bad_input_not_a_server_error(body, rep):
    response = api(rep).post("/api/v1/deals/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON nested deeper than 32 levels.", "code": "too_deep"}


def test_json_nested_up_to_the_bound_is_parsed(rep):
    body = json.dumps({**_deal_body(1), "description": "[[[{{" * 50, "extra": [[[[[]]]]]})

    response = api(rep).post("/api/v1/deals/", body, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["description"] == "[[[{{" * 50


def test_a_json_body_larger_than_the_upload_limit_is_bad_input(rep, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({**_deal_body(1), "description": "x" * 1000})

    response = api(rep).post("/api/v1/deals/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is larger than 1,000 bytes.",
        "code": "too_large",
    }
    assert not Deal.objects.exists()


@pytest.mark.parametrize(
    "query, field",
    [
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=ten", "page_size"),
        ("page_size=", "page_size"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=last", "page"),
        ("page=1.5", "page"),
        ("page=1000001", "page"),
    ],
)
def test_a_page_or_page_size_out_of_its_bounds_is_bad_input(query, field, rep):
    response = api(rep).get(f"/api/v1/deals/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_pages_within_their_bounds(rep):
    for n in range(3):
        draft_deal(rep, title=f"Deal {n}", commitments=0)

    assert len(api(rep).get("/api/v1/deals/?page_size=100").json()["results"]) == 3
    assert len(api(rep).get("/api/v1/deals/?page_size=2&page=2").json()["results"]) == 1
    past_the_end = api(rep).get("/api/v1/deals/?page=3&page_size=2")
    assert past_the_end.status_code == 404
    assert past_the_end.json() == {"detail": "Invalid page.", "code": "not_found"}


def test_every_error_that_is_not_bad_input_names_a_code(rep, rep2):
    deal = draft_deal(rep)

    assert api().get("/api/v1/deals/").json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert api(rep2).get(f"/api/v1/deals/{deal.pk}/").json() == {
        "detail": "Not found.",
        "code": "not_found",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/deals/?client=",
        "/api/v1/deals/?status=draft&status=",
        "/api/v1/escalations/?deal=",
        "/api/v1/escalations/?open=",
        "/api/v1/commitments/?deal=",
    ],
)
def test_an_empty_filter_value_is_bad_input(url, manager):
    response = api(manager).get(url)

    assert response.status_code == 400
    assert list(response.json().values()) == [["Give a value, or leave the parameter out."]]


def test_an_empty_search_is_no_search(rep):
    draft_deal(rep)

    assert api(rep).get("/api/v1/deals/?search=").json()["count"] == 1


@pytest.mark.parametrize("url", ["/api/v1/escalations/?open=perhaps", "/api/v1/deals/?owner=one"])
def test_a_filter_value_of_the_wrong_type_is_bad_input(url, manager):
    assert api(manager).get(url).status_code == 400


def test_a_length_limit_counts_the_characters_sent(rep):
    deal = draft_deal(rep)
    url = f"/api/v1/deals/{deal.pk}/comments/"

    padded = api(rep).post(url, {"body": "x" * 4990 + "\n" * 20}, format="json")
    assert padded.status_code == 400
    assert padded.json() == {"body": ["Ensure this field has no more than 5000 characters."]}
    assert api(rep).post(url, {"body": " x" * 2500}, format="json").status_code == 201


def test_a_body_in_a_media_type_the_api_does_not_read_is_415(rep):
    response = api(rep).post("/api/v1/clients/", "name=Acme", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_text_is_a_string_not_a_number(rep, manager):
    deal = draft_deal(rep)

    response = api(manager).post(f"/api/v1/deals/{deal.pk}/lose/", {"reason": 0.0}, format="json")

    assert response.status_code == 400
    assert response.json() == {"reason": ["Give text, not a number or a list."]}
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.DRAFT


def test_a_decimal_is_a_number_or_a_decimal_string(rep):
    as_number = api(rep).post("/api/v1/deals/", {**_deal_body(0), "value": 1500.5}, format="json")
    as_text = api(rep).post("/api/v1/deals/", {**_deal_body(0), "value": "1500.50"}, format="json")

    assert as_number.status_code == as_text.status_code == 201
    assert as_number.json()["value"] == as_text.json()["value"] == "1500.50"

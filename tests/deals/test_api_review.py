"""The review engine through the API: approvals per commitment, carried approvals, review rules
with parallel approvers, counter-proposals accepted in one step, a review released or handed on.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from deals import services
from deals.models import CommitmentKind, DealStatus, EventKind, ReviewRule, VerdictKind
from handoff.models import Role, TeamKind
from tests.deals.builders import deal_in, draft_deal
from tests.factories import CommitmentFactory, DealFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def rule_on(commitment, user, verdict="approved", **extra):
    return api(user).post(
        f"/api/v1/commitments/{commitment.pk}/verdict/", {"verdict": verdict, **extra}
    )


def approvals(deal, user):
    response = api(user).get(f"/api/v1/deals/{deal.pk}/approvals/")
    assert response.status_code == 200, response.content
    return response.json()


def by_commitment(body) -> dict[int, dict]:
    return {row["commitment"]: row for row in body["commitments"]}


@pytest.fixture
def ivy(db):
    """A PM of the delivery team "Integration"."""
    return UserFactory(username="ivy", role=Role.PM, first_name="Ivy", last_name="Chen")


@pytest.fixture
def integration(ivy):
    team = TeamFactory(name="Integration", kind=TeamKind.DELIVERY)
    team.members.add(ivy)
    return team


def create_rule(manager, **data):
    response = api(manager).post("/api/v1/review-rules/", data)
    assert response.status_code == 201, response.content
    return response.json()


# The approvals of a deal


def test_approvals_answer_every_role_that_sees_the_deal(rep, rep2, pm, pm2, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    url = f"/api/v1/deals/{deal.pk}/approvals/"

    assert api().get(url).status_code == 401
    assert api(rep2).get(url).status_code == 404
    assert api(rep2).get(url).json() == api(rep2).get("/api/v1/deals/987654/approvals/").json()
    body = approvals(deal, pm)
    assert (body["deal"], body["round"], body["open"]) == (deal.pk, 1, True)
    assert body["reviewer"] == {"id": pm.pk, "name": "Priya Mehta"}
    first = body["commitments"][0]
    assert first["verdict"] is None
    assert first["needs_attention"] is True
    assert first["requirements"] == [
        {
            "label": "Approval by the lead reviewer",
            "approver": "reviewer",
            "team": None,
            "team_name": None,
            "approvals_required": 1,
            "met": False,
            "approvals": [],
        }
    ]
    can_rule = {
        name: {row["can_rule"] for row in approvals(deal, user)["commitments"]}
        for name, user in {"rep": rep, "pm": pm, "pm2": pm2, "manager": manager}.items()
    }
    assert can_rule == {"rep": {False}, "pm": {True}, "pm2": {False}, "manager": {False}}
    assert api(rep).post(url).status_code == 405


def test_approvals_of_a_draft_never_submitted_are_empty(rep, pm):
    deal = draft_deal(rep)

    assert approvals(deal, rep) == {
        "deal": deal.pk,
        "round": None,
        "open": False,
        "reviewer": None,
        "commitments": [],
        "missing": [],
    }
    assert api(pm).get(f"/api/v1/deals/{deal.pk}/approvals/").status_code == 404


def test_approvals_of_a_decided_round_show_the_latest(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)

    body = approvals(deal, pm)

    assert (body["round"], body["open"], body["missing"]) == (1, False, [])
    for row in body["commitments"]:
        assert row["verdict"]["kind"] == "approved"
        assert row["verdict"]["decided_by"] == {"id": pm.pk, "name": "Priya Mehta"}
        assert row["requirements"][0]["met"] is True
        assert row["requirements"][0]["approvals"][0]["approver"]["id"] == pm.pk
        assert (row["needs_attention"], row["can_rule"]) == (False, False)


def _ruled_deal(rep, pm, ivy, commitments: int):
    deal = DealFactory(owner=rep, value=Decimal("150000.00"))
    for n in range(commitments):
        kind = CommitmentKind.INTEGRATION if n % 2 else CommitmentKind.SCOPE
        CommitmentFactory(deal=deal, kind=kind)
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    for commitment in deal.commitments.order_by("id"):
        approver = ivy if commitment.kind == CommitmentKind.INTEGRATION else pm
        services.commitment_rule(commitment=commitment, actor=approver, verdict="approved")
    return deal


def _queries(user, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api(user).get(url).status_code == 200
    return len(queries)


def test_approvals_take_the_same_queries_for_1_and_50_commitments(
    rep, pm, ivy, integration, manager, django_assert_num_queries
):
    create_rule(
        manager, name="Integration", kinds=["integration"], approver="pm", team=integration.pk
    )
    create_rule(manager, name="Big deals", min_deal_value="100000", whole_deal=True, approver="pm")
    one = _ruled_deal(rep, pm, ivy, commitments=2)
    fifty = _ruled_deal(rep, pm, ivy, commitments=50)
    baseline = _queries(pm, f"/api/v1/deals/{one.pk}/approvals/")

    with django_assert_num_queries(baseline):
        body = api(pm).get(f"/api/v1/deals/{fifty.pk}/approvals/").json()

    assert len(body["commitments"]) == 50
    # Integrations need their team and the big-deal rule; the others the big-deal rule only.
    assert {len(row["requirements"]) for row in body["commitments"]} == {1, 2}
    assert all(r["approvals"] for row in body["commitments"] for r in row["requirements"])


# Carried approvals, end to end


def test_unchanged_commitments_carry_their_approvals_into_the_next_round(rep, pm):
    deal = draft_deal(rep, commitments=3)
    first, second, third = deal.commitments.order_by("id")
    base = f"/api/v1/deals/{deal.pk}"
    assert api(rep).post(f"{base}/submit/").status_code == 200
    assert api(pm).post(f"{base}/claim/").status_code == 200
    condition = {"condition": "Client signs by May"}
    assert rule_on(first, pm, "approved_with_condition", **condition).status_code == 200
    assert rule_on(second, pm).status_code == 200
    assert rule_on(third, pm, "flagged", reason="No team free").status_code == 200
    assert api(pm).post(f"{base}/request-changes/").json()["status"] == "changes_requested"

    edited = api(rep).patch(
        f"/api/v1/commitments/{third.pk}/", {"promised_date": "2031-01-31"}, format="json"
    )
    assert edited.status_code == 200
    assert api(rep).get(f"{base}/").json()["status"] == "draft"  # editing revised it
    assert api(rep).post(f"{base}/submit/").json()["status"] == "in_review"

    body = approvals(deal, pm)
    assert (body["round"], body["open"]) == (2, True)
    rows = by_commitment(body)
    for carried, kind in ((first, "approved_with_condition"), (second, "approved")):
        row = rows[carried.pk]
        assert row["needs_attention"] is False
        assert row["verdict"]["kind"] == kind
        assert row["verdict"]["carried_from_round"] == 1
        assert row["verdict"]["decided_by"]["id"] == pm.pk
        (requirement,) = row["requirements"]
        assert requirement["met"] is True
        (approval,) = requirement["approvals"]
        assert (approval["approver"]["id"], approval["carried_from_round"]) == (pm.pk, 1)
    assert rows[first.pk]["requirements"][0]["approvals"][0]["condition"] == "Client signs by May"
    assert rows[third.pk]["needs_attention"] is True
    assert rows[third.pk]["verdict"] is None
    assert rows[third.pk]["version"] == 2

    verdicts = api(pm).get(f"/api/v1/verdicts/?deal={deal.pk}").json()["results"]
    carried = [v for v in verdicts if v["round_number"] == 2]
    assert {v["commitment"] for v in carried} == {first.pk, second.pk}
    assert {v["carried_from_round"] for v in carried} == {1}
    assert {v["counter_accepted_version"] for v in verdicts} == {None}
    events = api(rep).get(f"{base}/events/?page_size=100").json()["results"]
    (carry,) = [e for e in events if e["kind"] == EventKind.APPROVALS_CARRIED]
    assert carry["data"]["round"] == 2
    assert [c["commitment"] for c in carry["data"]["carried"]] == [first.pk, second.pk]

    early = api(pm).post(f"{base}/sign-off/")
    assert early.status_code == 409
    assert rule_on(third, pm).status_code == 200
    signed = api(pm).post(f"{base}/sign-off/")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed_off"


# Review rules: parallel approvers, versioned


def test_rules_route_commitments_to_their_approvers(rep, pm, pm2, ivy, integration, manager):
    integration_rule = create_rule(
        manager,
        name="Integrations need the Integration team",
        kinds=["integration"],
        approver="pm",
        team=integration.pk,
    )
    create_rule(
        manager,
        name="Pricing on big deals needs a manager",
        kinds=["pricing"],
        min_deal_value="100000",
        approver="manager",
    )
    create_rule(
        manager,
        name="Staffing needs two PMs",
        kinds=["staffing"],
        approver="pm",
        approvals_required=2,
    )
    assert integration_rule["version"] == 1 and integration_rule["is_live"] is True
    assert integration_rule["team_name"] == "Integration"

    deal = DealFactory(owner=rep, value=Decimal("150000.00"))
    kinds = ("integration", "pricing", "staffing", "scope")
    hookup, price, staff, scope = (CommitmentFactory(deal=deal, kind=kind) for kind in kinds)
    base = f"/api/v1/deals/{deal.pk}"
    assert api(rep).post(f"{base}/submit/").status_code == 200
    assert api(pm).post(f"{base}/claim/").status_code == 200

    rows = by_commitment(approvals(deal, pm))
    labels = {pk: [r["label"] for r in row["requirements"]] for pk, row in rows.items()}
    assert labels == {
        hookup.pk: ["Approval by a PM of Integration"],
        price.pk: ["Approval by a manager"],
        staff.pk: ["2 approvals by a project manager"],
        scope.pk: ["Approval by the lead reviewer"],
    }
    assert rows[hookup.pk]["requirements"][0]["team"] == integration.pk
    can_rule = {pk: row["can_rule"] for pk, row in rows.items()}
    assert can_rule == {hookup.pk: False, price.pk: False, staff.pk: True, scope.pk: True}
    assert by_commitment(approvals(deal, ivy))[hookup.pk]["can_rule"] is True
    as_manager = by_commitment(approvals(deal, manager))
    assert {pk: row["can_rule"] for pk, row in as_manager.items()} == {
        hookup.pk: False,
        price.pk: True,
        staff.pk: False,
        scope.pk: False,
    }

    refused = rule_on(hookup, pm)
    assert refused.status_code == 403
    assert refused.json()["detail"].endswith("it needs approval by a pm of integration.")
    assert rule_on(price, pm).status_code == 403
    assert rule_on(scope, ivy).status_code == 403  # the lead reviewer's, and pm leads
    assert rule_on(hookup, ivy).status_code == 200
    assert rule_on(price, manager).status_code == 200
    assert rule_on(scope, pm).status_code == 200
    assert rule_on(staff, pm).status_code == 200

    missing = api(pm).post(f"{base}/sign-off/")
    assert missing.status_code == 409
    assert missing.json()["code"] == "approvals_missing"
    assert missing.json()["missing"] == [
        {
            "commitment": staff.pk,
            "summary": staff.summary,
            "requirements": ["2 approvals by a project manager"],
        }
    ]
    assert approvals(deal, pm)["missing"] == missing.json()["missing"]
    assert by_commitment(approvals(deal, pm))[staff.pk]["needs_attention"] is True

    assert rule_on(staff, pm2).status_code == 200
    third = rule_on(staff, ivy)
    assert third.status_code == 409
    assert third.json()["code"] == "already_approved"
    staffed = by_commitment(approvals(deal, pm))[staff.pk]["requirements"][0]
    assert {a["approver"]["id"] for a in staffed["approvals"]} == {pm.pk, pm2.pk}
    assert api(ivy).post(f"{base}/sign-off/").status_code == 403  # only the lead signs off
    signed = api(pm).post(f"{base}/sign-off/")
    assert signed.status_code == 200, signed.content


def test_a_rule_changed_after_a_submission_leaves_that_round_as_it_was(
    rep, pm, ivy, integration, manager
):
    rule = create_rule(
        manager, name="Integrations", kinds=["integration"], approver="pm", team=integration.pk
    )
    before = draft_deal(rep, commitments=0)
    CommitmentFactory(deal=before, kind=CommitmentKind.INTEGRATION)
    services.deal_submit(deal=before, actor=rep)

    changed = api(manager).patch(
        f"/api/v1/review-rules/{rule['id']}/", {"approvals_required": 2}, format="json"
    )

    assert changed.status_code == 200, changed.content
    new = changed.json()
    assert (new["key"], new["version"], new["approvals_required"]) == (rule["key"], 2, 2)
    assert new["id"] != rule["id"]
    old = api(manager).get(f"/api/v1/review-rules/{rule['id']}/").json()
    assert (old["is_live"], old["retired_by"]) == (False, manager.pk)
    (row,) = approvals(before, pm)["commitments"]
    assert row["requirements"][0]["approvals_required"] == 1
    assert row["requirements"][0]["label"] == "Approval by a PM of Integration"

    after = draft_deal(rep, commitments=0)
    CommitmentFactory(deal=after, kind=CommitmentKind.INTEGRATION)
    services.deal_submit(deal=after, actor=rep)
    (row,) = approvals(after, pm)["commitments"]
    assert row["requirements"][0]["label"] == "2 approvals by a PM of Integration"

    live = api(manager).get("/api/v1/review-rules/").json()
    every = api(manager).get("/api/v1/review-rules/?include_retired=true").json()
    assert [r["id"] for r in live["results"]] == [new["id"]]
    assert [r["version"] for r in every["results"]] == [2, 1]
    assert api(manager).get("/api/v1/review-rules/?include_retired=false").json() == live


# Review rules: who may manage them, and their bounds

RULE = {"name": "Timelines need a manager", "kinds": ["timeline"], "approver": "manager"}


@pytest.mark.parametrize("who", ["rep", "rep2", "pm", "pm2"])
def test_only_managers_manage_review_rules(who, rep, rep2, pm, pm2, manager):
    user = {"rep": rep, "rep2": rep2, "pm": pm, "pm2": pm2}[who]
    rule = create_rule(manager, **RULE)
    one = f"/api/v1/review-rules/{rule['id']}/"
    calls = [
        ("get", "/api/v1/review-rules/"),
        ("post", "/api/v1/review-rules/"),
        ("get", one),
        ("put", one),
        ("patch", one),
        ("delete", one),
        ("post", f"{one}retire/"),
        ("get", "/api/v1/review-rules/987654/"),
    ]
    for method, url in calls:
        refused = getattr(api(user), method)(url, RULE, format="json")
        assert refused.status_code == 403, (method, url)
        assert refused.json() == {
            "detail": "Only a manager manages review rules.",
            "code": "permission_denied",
        }
        assert getattr(api(), method)(url, RULE, format="json").status_code == 401
    assert ReviewRule.objects.get().is_live


def test_a_manager_creates_reads_changes_and_retires_a_rule(manager):
    rule = create_rule(manager, **RULE, min_effort_days="10.5", promised_within_days=30)
    assert rule["kinds"] == ["timeline"]
    assert (rule["min_effort_days"], rule["promised_within_days"]) == ("10.5", 30)
    assert (rule["approvals_required"], rule["whole_deal"], rule["team"]) == (1, False, None)
    assert rule["created_by"] == manager.pk and rule["created_by_name"] == "Morgan Lee"
    url = f"/api/v1/review-rules/{rule['id']}/"
    assert api(manager).get(url).json() == rule

    unchanged = api(manager).put(
        url, {**RULE, "min_effort_days": "10.5", "promised_within_days": 30}
    )
    assert unchanged.status_code == 200
    assert unchanged.json()["id"] == rule["id"]
    replaced = api(manager).put(url, RULE)  # PUT sets every field: the others back to none
    assert replaced.status_code == 200
    assert (replaced.json()["version"], replaced.json()["min_effort_days"]) == (2, None)
    stale = api(manager).patch(url, {"name": "Too late"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "rule_not_live"

    live = f"/api/v1/review-rules/{replaced.json()['id']}/"
    retired = api(manager).post(f"{live}retire/")
    assert retired.status_code == 200
    assert retired.json()["is_live"] is False
    assert retired.json()["retired_by_name"] == "Morgan Lee"
    again = api(manager).delete(live)
    assert again.status_code == 409
    assert again.json()["code"] == "rule_not_live"
    assert api(manager).get("/api/v1/review-rules/").json()["count"] == 0

    other = create_rule(manager, **RULE)
    deleted = api(manager).delete(f"/api/v1/review-rules/{other['id']}/")
    assert deleted.status_code == 200
    assert deleted.json()["retired_at"] is not None
    assert api(manager).get("/api/v1/review-rules/?include_retired=true").json()["count"] == 3


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": "x" * 121}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Two\nlines"}, "name"),
        ({"name": 12}, "name"),
        ({"kinds": ["nonsense"]}, "kinds"),
        ({"kinds": "scope"}, "kinds"),
        ({"kinds": ["scope"] * 8}, "kinds"),
        ({"approver": "reviewer"}, "approver"),
        ({"approvals_required": 3}, "approvals_required"),
        ({"approvals_required": 0}, "approvals_required"),
        ({"min_effort_days": "5000.1"}, "min_effort_days"),
        ({"min_effort_days": "-1"}, "min_effort_days"),
        ({"promised_within_days": 3651}, "promised_within_days"),
        ({"min_deal_value": "1000000000.01"}, "min_deal_value"),
        ({"value_currency": "XXX", "min_deal_value": "1"}, "value_currency"),
        ({"value_currency": "EUR"}, "value_currency"),
        ({"team": 987654}, "team"),
    ],
)
def test_review_rule_bad_input_is_400_naming_the_field(change, field, manager):
    response = api(manager).post("/api/v1/review-rules/", {**RULE, **change}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ReviewRule.objects.exists()


def test_a_rule_names_a_delivery_team_and_only_for_a_pm(manager):
    sales = TeamFactory(name="Field sales", kind=TeamKind.SALES)
    delivery = TeamFactory(name="Platform", kind=TeamKind.DELIVERY)

    not_delivery = api(manager).post(
        "/api/v1/review-rules/", {**RULE, "approver": "pm", "team": sales.pk}, format="json"
    )
    assert not_delivery.status_code == 400
    assert not_delivery.json() == {"team": ["Choose a delivery team: its PMs approve."]}
    for_a_manager = api(manager).post(
        "/api/v1/review-rules/", {**RULE, "team": delivery.pk}, format="json"
    )
    assert for_a_manager.status_code == 400
    assert list(for_a_manager.json()) == ["team"]
    missing = api(manager).post("/api/v1/review-rules/", {"name": "Nothing else"}, format="json")
    assert missing.status_code == 400
    assert list(missing.json()) == ["approver"]


@pytest.mark.parametrize("query", ["include_retired=maybe", "include_retired="])
def test_review_rule_list_refuses_a_junk_filter(query, manager):
    response = api(manager).get(f"/api/v1/review-rules/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == ["include_retired"]


def test_review_rule_list_takes_the_same_queries_for_1_and_50(
    manager, integration, django_assert_num_queries
):
    by_team = {**RULE, "approver": "pm", "team": integration.pk}
    first = create_rule(manager, **by_team)
    api(manager).post(f"/api/v1/review-rules/{first['id']}/retire/")
    urls = ["/api/v1/review-rules/?page_size=100", "/api/v1/review-rules/?include_retired=true"]
    create_rule(manager, **RULE)
    baselines = [_queries(manager, url) for url in urls]
    for n in range(49):
        rule = create_rule(manager, **{**by_team, "name": f"Rule {n}"})
        api(manager).post(f"/api/v1/review-rules/{rule['id']}/retire/")
        create_rule(manager, **{**RULE, "name": f"Live rule {n}"})

    for url, baseline in zip(urls, baselines, strict=True):
        with django_assert_num_queries(baseline):
            assert api(manager).get(url).json()["count"] >= 50


# Counter-proposals accepted in one step


def _countered(rep, pm):
    """Changes requested: the first commitment flagged with a counter, the second approved."""
    deal = draft_deal(rep)
    flagged, approved = deal.commitments.order_by("id")
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    verdict = services.commitment_rule(
        commitment=flagged,
        actor=pm,
        verdict=VerdictKind.FLAGGED,
        reason="Not by then",
        counter_date=flagged.promised_date + datetime.timedelta(days=21),
        counter_effort_days=Decimal("12.5"),
    )
    services.commitment_rule(commitment=approved, actor=pm, verdict=VerdictKind.APPROVED)
    services.deal_request_changes(deal=deal, actor=pm)
    return deal, verdict


def test_the_owner_accepts_a_counter_proposal(rep, rep2, pm, pm2, manager):
    deal, verdict = _countered(rep, pm)
    url = f"/api/v1/verdicts/{verdict.pk}/accept-counter/"

    assert api().post(url).status_code == 401
    assert api(rep2).post(url).status_code == 404
    for user in (pm, pm2, manager):
        refused = api(user).post(url)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "Only the deal's owner can accept a counter-proposal."
    accepted = api(rep).post(url)

    assert accepted.status_code == 200, accepted.content
    commitment = accepted.json()
    assert commitment["id"] == verdict.commitment_id
    assert commitment["promised_date"] == verdict.counter_date.isoformat()
    assert (commitment["effort_days"], commitment["version"]) == ("12.5", 2)
    assert api(rep).get(f"/api/v1/deals/{deal.pk}/").json()["status"] == "draft"
    assert api(rep).get(f"/api/v1/verdicts/{verdict.pk}/").json()["counter_accepted_version"] == 2
    event = deal.events.get(kind=EventKind.COUNTER_ACCEPTED)
    assert (event.actor, event.data["proposed_by"], event.data["round"]) == (rep, "Priya Mehta", 1)
    assert event.data["after"]["version"] == 2

    again = api(rep).post(url)
    assert again.status_code == 409
    assert again.json()["code"] == "already_accepted"


def test_the_next_round_carries_the_proposers_approval(rep, pm):
    deal, verdict = _countered(rep, pm)
    assert api(rep).post(f"/api/v1/verdicts/{verdict.pk}/accept-counter/").status_code == 200
    assert api(rep).post(f"/api/v1/deals/{deal.pk}/submit/").status_code == 200

    rows = by_commitment(approvals(deal, pm))

    countered = rows[verdict.commitment_id]
    assert countered["version"] == 2
    assert countered["needs_attention"] is False
    assert countered["verdict"]["kind"] == "approved"
    assert countered["verdict"]["carried_from_round"] == 1
    assert countered["verdict"]["decided_by"]["id"] == pm.pk
    assert countered["requirements"][0]["approvals"][0]["approver"]["id"] == pm.pk
    assert all(not row["needs_attention"] for row in rows.values())
    late = api(rep).post(f"/api/v1/verdicts/{verdict.pk}/accept-counter/")
    assert late.status_code == 409
    assert late.json()["code"] == "accept_counter_not_allowed"
    signed = api(pm).post(f"/api/v1/deals/{deal.pk}/sign-off/")
    assert signed.status_code == 200, signed.content


def test_a_flag_without_a_counter_cannot_be_accepted(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    approval = deal.rounds.get().verdicts.get(verdict=VerdictKind.APPROVED)

    for verdict in (flag, approval):
        response = api(rep).post(f"/api/v1/verdicts/{verdict.pk}/accept-counter/")
        assert response.status_code == 409
        assert response.json()["code"] == "no_counter_proposal"


# A review released or handed on


def test_the_lead_reviewer_releases_the_review(rep, rep2, pm, pm2, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    url = f"/api/v1/deals/{deal.pk}/release/"

    assert api().post(url).status_code == 401
    assert api(rep2).post(url).status_code == 404
    for user in (rep, pm2, manager):
        assert api(user).post(url).status_code == 403
    assert api(pm).post(url, {"note": "x" * 2001}).status_code == 400
    released = api(pm).post(url, {"note": "Off sick this week"})

    assert released.status_code == 200
    assert released.json()["status"] == "in_review"
    assert deal.rounds.get().reviewer is None
    event = deal.events.get(kind=EventKind.RELEASED)
    assert (event.actor, event.reason) == (pm, "Off sick this week")
    assert api(pm).post(url).status_code == 403  # no longer theirs
    assert api(pm2).post(f"/api/v1/deals/{deal.pk}/claim/").status_code == 200
    assert api(pm2).post(url).status_code == 200  # the body is optional


def test_release_outside_a_review_is_409(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)

    response = api(pm).post(f"/api/v1/deals/{deal.pk}/release/")

    assert response.status_code == 409
    assert response.json()["code"] == "release_not_allowed"


def test_the_lead_reviewer_hands_the_review_on(rep, rep2, pm, pm2, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    url = f"/api/v1/deals/{deal.pk}/assign/"

    assert api().post(url, {"reviewer": pm2.pk}).status_code == 401
    assert api(rep2).post(url, {"reviewer": pm2.pk}).status_code == 404
    assert api(rep).post(url, {"reviewer": pm2.pk}).status_code == 403
    assert api(pm2).post(url, {"reviewer": pm2.pk}).status_code == 403  # not the lead

    to_self = api(pm).post(url, {"reviewer": pm.pk})
    assert to_self.status_code == 400
    assert list(to_self.json()) == ["reviewer"]
    assert api(pm).post(url, {"reviewer": pm2.pk, "note": "y" * 2001}).status_code == 400
    handed = api(pm).post(url, {"reviewer": pm2.pk, "note": "Knows this client"})

    assert handed.status_code == 200
    assert deal.rounds.get().reviewer == pm2
    event = deal.events.get(kind=EventKind.ASSIGNED)
    assert (event.reason, event.data["handed_on"], event.data["previous_name"]) == (
        "Knows this client",
        True,
        "Priya Mehta",
    )
    assert api(pm).post(url, {"reviewer": pm.pk}).status_code == 403  # no longer the lead
    assert api(manager).post(url, {"reviewer": pm.pk}).status_code == 200

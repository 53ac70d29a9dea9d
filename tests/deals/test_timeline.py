"""The deal page's timeline in words: each event kind says what happened, from its raw data."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals import services
from deals.models import DealEvent, EventKind, VerdictKind
from deals.timeline import day, days, describe, timeline
from handoff.templatetags.formats import deadline
from tests.deals.builders import draft_deal

pytestmark = pytest.mark.django_db


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def said(deal, kind: str) -> list[str]:
    """What the timeline says for each event of `kind` on the deal, oldest first."""
    summaries = {c.pk: c.summary for c in deal.commitments.all()}
    events = DealEvent.objects.filter(deal=deal, kind=kind).select_related("actor")
    return [describe(event, summaries) for event in events.order_by("at", "id")]


def sync_deal(rep):
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    commitment.summary, commitment.promised_date, commitment.effort_days = (
        "Two-way sync",
        datetime.date(2027, 3, 20),
        Decimal("12.0"),
    )
    commitment.save()
    return deal, commitment


def flagged_with_counter(rep, pm):
    deal, commitment = sync_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(
        commitment=commitment,
        actor=pm,
        verdict=VerdictKind.FLAGGED,
        reason="The ERP vendor needs a month",
        counter_date=datetime.date(2027, 4, 3),
        counter_effort_days=Decimal("15"),
    )
    services.deal_request_changes(deal=deal, actor=pm)
    return deal, commitment


def test_a_flag_with_its_counter_proposal(rep, pm):
    deal, _ = flagged_with_counter(rep, pm)

    assert said(deal, EventKind.VERDICT) == [
        "Priya Mehta flagged “Two-way sync”: The ERP vendor needs a month"
        " — counter-proposal 3 Apr 2027, 15 person-days"
    ]
    assert said(deal, EventKind.CLAIMED) == ["Priya Mehta claimed the review"]
    assert said(deal, EventKind.CHANGES_REQUESTED) == [
        "Priya Mehta requested changes: “Two-way sync” flagged"
    ]


def test_approvals_with_and_without_a_condition(rep, pm):
    deal = draft_deal(rep)
    first, second = deal.commitments.order_by("id")
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(commitment=first, actor=pm, verdict=VerdictKind.APPROVED)
    services.commitment_rule(
        commitment=second,
        actor=pm,
        verdict=VerdictKind.APPROVED_WITH_CONDITION,
        condition="Only with a named architect",
    )

    assert said(deal, EventKind.VERDICT) == [
        f"Priya Mehta approved “{first.summary}”",
        f"Priya Mehta approved “{second.summary}” with a condition: Only with a named architect",
    ]


def test_a_counter_proposal_accepted_then_its_approval_carried(rep, pm):
    deal, _ = flagged_with_counter(rep, pm)
    flag = deal.rounds.get().verdicts.get()
    services.verdict_accept_counter(verdict=flag, actor=rep)
    services.deal_submit(deal=deal, actor=rep)

    assert said(deal, EventKind.COUNTER_ACCEPTED) == [
        "Rita Reyes accepted the counter-proposal on “Two-way sync”: 3 Apr 2027, 15 person-days"
    ]
    assert said(deal, EventKind.APPROVALS_CARRIED) == [
        "Approvals carried from round 1: “Two-way sync” (Priya Mehta)"
    ]
    assert said(deal, EventKind.REVISED) == ["Revised by editing (Rita Reyes): back to draft"]
    submitted = said(deal, EventKind.SUBMITTED)
    assert submitted[0].startswith("Rita Reyes submitted the deal for review (round 1, due ")
    assert submitted[1].startswith("Rita Reyes submitted the deal for review (round 2, due ")


def test_approvals_carried_from_several_rounds_are_grouped(rep):
    event = DealEvent(
        actor=rep,
        kind=EventKind.APPROVALS_CARRIED,
        data={
            "round": 3,
            "carried": [
                {"commitment": 1, "summary": "A", "from_round": 1, "approved_by": ["Priya Mehta"]},
                {"commitment": 2, "summary": "B", "from_round": 2, "approved_by": ["Tom Berg"]},
                {"commitment": 3, "summary": "C", "from_round": 1, "approved_by": []},
            ],
        },
    )

    assert describe(event) == (
        "Approvals carried from round 1: “A” (Priya Mehta), “C”; carried from round 2: “B” (Tom Berg)"
    )


def test_released_handed_on_and_assigned(rep, pm, pm2, manager):
    deal = draft_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    services.review_release(deal=deal, actor=pm, note="Off sick until Monday")
    services.review_claim(deal=deal, actor=pm)
    services.review_assign(deal=deal, actor=pm, reviewer=pm2, note="Tom knows the ERP")
    services.review_assign(deal=deal, actor=manager, reviewer=pm)

    assert said(deal, EventKind.RELEASED) == [
        "Priya Mehta released the review: Off sick until Monday"
    ]
    assert said(deal, EventKind.ASSIGNED) == [
        "Priya Mehta handed the review to Tom Berg: Tom knows the ERP",
        "Morgan Lee assigned the review to Priya Mehta",
    ]


def test_escalated_and_decided(rep, pm, manager):
    deal, _ = flagged_with_counter(rep, pm)
    flag = deal.rounds.get().verdicts.get()
    escalation = services.verdict_escalate(verdict=flag, actor=rep, argument="The client agreed")
    services.escalation_decide(
        escalation=escalation, actor=manager, decision="overruled", reason="Capacity is there"
    )

    assert said(deal, EventKind.ESCALATED) == [
        "Rita Reyes escalated the flag on “Two-way sync”: The client agreed"
    ]
    assert said(deal, EventKind.ESCALATION_DECIDED) == [
        "Morgan Lee overruled the flag on “Two-way sync”: Capacity is there"
    ]


def test_editing_created_changed_added_and_removed(rep):
    deal, commitment = sync_deal(rep)
    services.deal_update(deal=deal, actor=rep, data={"title": "Renamed", "value": Decimal("9")})
    services.commitment_update(
        commitment=commitment,
        actor=rep,
        data={"promised_date": datetime.date(2027, 4, 3), "effort_days": Decimal("15")},
    )
    added = services.commitment_add(
        deal=deal,
        actor=rep,
        data={"kind": "scope", "summary": "Training", "promised_date": in_days(30)},
    )
    services.commitment_remove(commitment=added, actor=rep)

    assert said(deal, EventKind.UPDATED) == ["Rita Reyes edited the deal: title, value"]
    assert said(deal, EventKind.COMMITMENT_CHANGED) == [
        "Rita Reyes changed “Two-way sync”: promised date 20 Mar 2027 → 3 Apr 2027,"
        " effort 12 → 15 person-days"
    ]
    assert said(deal, EventKind.COMMITMENT_REMOVED) == ["Rita Reyes removed “Training”"]
    assert "Rita Reyes added “Training”" in said(deal, EventKind.COMMITMENT_ADDED)
    assert said(deal, EventKind.CREATED) == []  # built by a factory, not deal_create


def test_signed_off_revised_voided_won_and_lost(rep, pm):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(commitment=deal.commitments.get(), actor=pm, verdict="approved")
    services.deal_sign_off(deal=deal, actor=pm)
    services.deal_revise(deal=deal, actor=rep, reason="The client wants a fourth site")
    other = draft_deal(rep, commitments=1)
    services.deal_lose(deal=other, actor=rep, reason="Budget cut")

    assert said(deal, EventKind.SIGNED_OFF) == ["Priya Mehta signed the deal off"]
    assert said(deal, EventKind.REVISED) == [
        "Rita Reyes revised the deal, back to draft — The client wants a fourth site"
    ]
    assert said(deal, EventKind.SIGN_OFF_VOIDED) == [
        "The sign-off was voided: The client wants a fourth site"
    ]
    assert said(other, EventKind.LOST) == ["Rita Reyes marked the deal as lost: Budget cut"]


def test_won_created_and_events_without_an_actor(rep, pm):
    deal = services.deal_create(
        actor=rep,
        data={
            "title": "Kiosks",
            "client": draft_deal(rep).client,
            "value": Decimal("10"),
            "expected_close_date": in_days(30),
        },
        commitments=[{"kind": "scope", "summary": "Ten kiosks", "promised_date": in_days(60)}],
    )
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(commitment=deal.commitments.get(), actor=pm, verdict="approved")
    services.deal_sign_off(deal=deal, actor=pm)
    services.deal_win(deal=deal, actor=rep)

    assert said(deal, EventKind.CREATED) == ["Rita Reyes created the deal"]
    assert said(deal, EventKind.WON) == [
        "Rita Reyes marked the deal as won: its project has started"
    ]
    assert describe(DealEvent(kind=EventKind.COMMENTED)) == "Handoff commented"


def test_every_event_kind_has_its_own_sentence():
    from deals.timeline import SENTENCES

    assert set(SENTENCES) == set(EventKind.values)


def test_the_timeline_keeps_order_and_the_status_change(rep, pm):
    deal = draft_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)

    entries = timeline(deal.events.select_related("actor").order_by("at", "id"), {})

    assert [e.event.kind for e in entries] == [EventKind.SUBMITTED, EventKind.CLAIMED]
    assert [e.status_change for e in entries] == ["Draft → In review", ""]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.0"), "12 person-days"),
        (Decimal("12.5"), "12.5 person-days"),
        (Decimal("1"), "1 person-day"),
        ("10.0", "10 person-days"),
        (Decimal("100"), "100 person-days"),
        (None, ""),
    ],
)
def test_days(value, expected):
    assert days(value) == expected


def test_day_reads_dates_and_iso_text():
    assert day(datetime.date(2027, 3, 20)) == "20 Mar 2027"
    assert day("2027-04-03") == "3 Apr 2027"
    assert day("") == ""


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (datetime.timedelta(hours=5), "due in 5 h"),
        (datetime.timedelta(minutes=20), "due in 20 min"),
        (datetime.timedelta(days=2, hours=1), "due in 2 days"),
        (-datetime.timedelta(days=2), "2 days overdue"),
        (-datetime.timedelta(hours=3), "3 h overdue"),
        (-datetime.timedelta(days=1), "1 day overdue"),
    ],
)
def test_a_rounds_due_time_reads_as_a_deadline(offset, expected):
    assert f">{expected}</time>" in deadline(timezone.now() + offset)

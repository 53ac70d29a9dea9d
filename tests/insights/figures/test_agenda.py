"""The weekly sync agenda as plain data."""

import datetime

import pytest
from django.utils import timezone

from deals import services
from deals.models import CommitmentKind, Verdict
from feedback import services as feedback_services
from feedback.models import Direction, Topic
from insights.figures.agenda import sync_agenda
from projects import capacity as capacity_math
from tests.insights.crafted import (
    APPROVED,
    FLAGGED,
    make_deal,
    review,
    set_clock,
    won_deliverables,
)


@pytest.mark.django_db
def test_sync_agenda_is_plain_data_with_every_section(rep, rep2, pm, manager):
    older = make_deal(rep)
    newer = make_deal(rep2)
    first = review(older, pm, [APPROVED], decide=False)
    review(newer, pm, [APPROVED], decide=False)
    set_clock(first, timezone.now() - datetime.timedelta(days=3))
    flagged = make_deal(rep, [(CommitmentKind.SCOPE, "1"), (CommitmentKind.PRICING, "1")])
    review(flagged, pm, [FLAGGED, FLAGGED])
    services.verdict_escalate(
        verdict=Verdict.objects.filter(round__deal=flagged).first(), actor=rep, argument="Why"
    )
    today = timezone.localdate()
    next_week = capacity_math.week_of(today) + datetime.timedelta(days=8)
    [due] = won_deliverables(rep, pm, next_week, ["3"])
    [late] = won_deliverables(rep, pm, today - datetime.timedelta(days=1), ["2"])
    feedback_services.note_create(
        author=rep, direction=Direction.TO_DELIVERY, topic=Topic.SCOPE_CREEP, body="Watch out"
    )

    agenda = sync_agenda(today)
    s = agenda["sections"]
    assert [i["deal"] for i in s["waiting_for_review"]["items"]] == [older.title, newer.title]
    assert [(i["deal"], i["flags"]) for i in s["open_flags"]["items"]] == [(flagged.title, 2)]
    assert [i["deal"] for i in s["open_escalations"]["items"]] == [flagged.title]
    assert [i["project"] for i in s["projects_at_risk"]["items"]] == [late.project.deal.title]
    assert s["projects_at_risk"]["items"][0]["late"] == 1
    assert [i["deliverable"] for i in s["due_next_week"]["items"]] == [due.summary]
    assert [i["topic"] for i in s["unacknowledged_feedback"]["items"]] == ["Scope creep"]
    kinds = [i["kind"] for i in s["decisions"]["items"]]
    assert kinds == ["changes_requested", "signed_off", "won", "signed_off", "won"]
    assert all(not section["more"] for section in s.values())


@pytest.mark.django_db
def test_sync_agenda_on_an_empty_history():
    sections = sync_agenda()["sections"]
    assert all(section["items"] == [] for section in sections.values())
    assert sections["decisions"]["empty"] == "No decision in the past week."

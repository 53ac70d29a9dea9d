"""The weekly sync's services: the job, the frozen agenda, decisions and their actions, closing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals import services as deal_services
from deals.models import Deal, DealStatus, Escalation, ReviewRound
from feedback.models import EmailOutbox
from handoff.errors import ActionForbidden, TransitionNotAllowed
from meetings import services
from meetings.agenda import CARRIED_SECTION
from meetings.models import (
    ActionItem,
    AgendaItem,
    CarryOver,
    ItemAction,
    Meeting,
    MeetingEvent,
    MeetingKind,
    MeetingStatus,
)
from meetings.services.decisions import ItemActionInput
from tests.deals.builders import deal_in
from tests.meetings.conftest import add_action, started

pytestmark = pytest.mark.django_db


def test_the_weekly_job_makes_one_meeting_per_week_however_often_it_runs(teams, manager):
    first = services.weekly_meetings_prepare()
    again = services.weekly_meetings_prepare()
    assert [m.pk for m in first] == [m.pk for m in again]
    assert Meeting.objects.filter(kind=MeetingKind.WEEKLY).count() == 1
    meeting = first[0]
    assert meeting.status == MeetingStatus.SCHEDULED
    assert meeting.week_of.weekday() == 0
    assert meeting.attendees.filter(user=manager).exists()


def test_a_pair_that_met_weekly_gets_its_meeting_next_week(teams, manager):
    sales, delivery = teams
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    services.meeting_create(
        actor=manager,
        held_on=last_week,
        sales_team=sales,
        delivery_team=delivery,
        kind=MeetingKind.WEEKLY,
    )
    ready = services.weekly_meetings_prepare()
    assert {m.teams_label for m in ready} == {"All teams", "Sales and Delivery"}
    pair = next(m for m in ready if m.sales_team_id)
    names = {a.user.username for a in pair.attendees.select_related("user")}
    assert names == {"rep", "rep2", "pm", "pm2", "manager"}


def test_overdue_action_items_are_carried_once_per_meeting_whatever_the_repetitions(
    teams, manager, rep
):
    past = services.meeting_create(
        actor=manager,
        held_on=timezone.localdate() - datetime.timedelta(days=14),
        kind=MeetingKind.WEEKLY,
    )
    started(past, manager)
    item = add_action(past, manager, rep, what="Send the revised quote")
    done = add_action(past, manager, rep, what="Already done")
    services.action_item_set_status(item=done, actor=rep, status="done")
    ActionItem.objects.filter(pk__in=[item.pk, done.pk]).update(
        due_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    for _ in range(3):
        services.weekly_meetings_prepare()
    this_week = Meeting.objects.get(kind=MeetingKind.WEEKLY, status=MeetingStatus.SCHEDULED)
    assert list(CarryOver.objects.values_list("meeting", "action_item")) == [
        (this_week.pk, item.pk)
    ]
    started(this_week, manager)
    carried = AgendaItem.objects.get(meeting=this_week, section=CARRIED_SECTION)
    assert carried.action_item_id == item.pk
    assert carried.carried_times == 1
    assert carried.action == ItemAction.CLOSE_ACTION_ITEM
    assert "carried 1 time" in carried.detail


def test_the_agenda_is_frozen_when_the_meeting_starts(meeting, manager, in_review, pm):
    started(meeting, manager)
    item = AgendaItem.objects.get(meeting=meeting, section="waiting_for_review")
    assert item.title == in_review.title
    assert item.deal_id == in_review.pk
    assert item.action == ItemAction.REASSIGN_REVIEW

    Deal.objects.filter(pk=in_review.pk).update(title="Renamed afterwards")
    later = deal_in(DealStatus.IN_REVIEW, owner=in_review.owner, pm=pm)
    item.refresh_from_db()
    assert item.title != "Renamed afterwards"
    assert not AgendaItem.objects.filter(meeting=meeting, deal_id=later.pk).exists()
    with pytest.raises(ValueError):
        item.save()
    with pytest.raises(ValueError):
        AgendaItem.objects.filter(pk=item.pk).update(title="x")
    with pytest.raises(TransitionNotAllowed):
        started(meeting, manager)


def test_the_team_pair_narrows_the_agenda(teams, manager, in_review, rep2_in_review, rep2):
    sales, delivery = teams
    sales.members.remove(rep2)
    meeting = services.meeting_create(
        actor=manager, held_on=timezone.localdate(), sales_team=sales, delivery_team=delivery
    )
    started(meeting, manager)
    named = set(AgendaItem.objects.filter(meeting=meeting).values_list("deal_id", flat=True))
    assert in_review.pk in named
    assert rep2_in_review.pk not in named


def test_a_decision_reassigns_the_review_through_the_review_service(
    meeting, manager, in_review, pm2
):
    started(meeting, manager)
    item = AgendaItem.objects.get(meeting=meeting, deal_id=in_review.pk)
    decision = services.item_decide(
        item=item,
        actor=manager,
        note="pm2 has the time this week",
        action=ItemActionInput(reviewer=pm2),
    )
    assert ReviewRound.objects.get(deal=in_review, decided_at__isnull=True).reviewer == pm2
    assert decision.action_taken == f"Review reassigned to {pm2.display_name}"
    assert in_review.events.filter(kind="assigned").exists()
    assert MeetingEvent.objects.filter(meeting=meeting, kind="action_taken").exists()


def test_a_decision_decides_the_escalation(manager, rep, pm, teams):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    verdict = deal.rounds.order_by("-number").first().verdicts.get(verdict="flagged")
    escalation = deal_services.verdict_escalate(verdict=verdict, actor=rep, argument="It fits")
    meeting = services.meeting_create(actor=manager, held_on=timezone.localdate())
    started(meeting, manager)
    item = AgendaItem.objects.get(meeting=meeting, escalation_id=escalation.pk)
    services.item_decide(
        item=item,
        actor=manager,
        note="The client moved the date",
        action=ItemActionInput(escalation_decision="overruled"),
    )
    assert Escalation.objects.get(pk=escalation.pk).decision == "overruled"


def test_an_action_the_item_does_not_offer_is_refused(meeting, manager, in_review):
    started(meeting, manager)
    item = AgendaItem.objects.get(meeting=meeting, deal_id=in_review.pk)
    with pytest.raises(ActionForbidden):
        services.item_decide(
            item=item, actor=manager, note="x", action=ItemActionInput(acknowledge=True)
        )


def test_a_decision_needs_a_note_or_an_action(meeting, manager, in_review):
    started(meeting, manager)
    item = AgendaItem.objects.get(meeting=meeting, deal_id=in_review.pk)
    with pytest.raises(ValidationError):
        services.item_decide(item=item, actor=manager, note="  ")
    with pytest.raises(ValidationError):
        services.item_decide(item=item, actor=manager, note="x" * 2001)


def test_only_attendees_and_managers_run_the_meeting(meeting, manager, rep, in_review):
    outsider = type(rep).objects.create(username="outsider", role="sales")
    with pytest.raises(ActionForbidden):
        services.meeting_start(meeting=meeting, actor=outsider)
    started(meeting, rep)  # rep is an attendee
    item = AgendaItem.objects.filter(meeting=meeting).first()
    with pytest.raises(ActionForbidden):
        services.item_decide(item=item, actor=outsider, note="no")


def test_action_items_are_closed_by_their_owner(meeting, manager, rep, rep2, in_review):
    started(meeting, manager)
    item = add_action(meeting, manager, rep)
    with pytest.raises(ActionForbidden):
        services.action_item_set_status(item=item, actor=rep2, status="done")
    item = services.action_item_set_status(item=item, actor=rep, status="done")
    assert item.closed_by == rep and item.closed_at is not None
    item = services.action_item_set_status(item=item, actor=rep, status="open")
    assert item.closed_by is None


def test_action_item_bounds(meeting, manager, rep):
    started(meeting, manager)
    with pytest.raises(ValidationError) as error:
        services.action_item_add(
            meeting=meeting,
            actor=manager,
            what="x" * 201,
            owner=rep,
            due_on=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert set(error.value.message_dict) == {"what", "due_on"}
    with pytest.raises(ValidationError):
        services.action_item_add(
            meeting=meeting,
            actor=manager,
            what="Later",
            owner=rep,
            due_on=timezone.localdate() + datetime.timedelta(days=365 * 50),
        )


def test_closing_records_attendance_and_sends_each_attendee_their_minutes(
    meeting, manager, rep, rep2, pm, in_review, rep2_in_review, django_capture_on_commit_callbacks
):
    started(meeting, manager)
    for item in AgendaItem.objects.filter(meeting=meeting):
        services.item_decide(item=item, actor=manager, note=f"Decided on {item.title}")
    add_action(meeting, manager, rep, what="Chase the signature", deal=in_review)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_close(meeting=meeting, actor=manager, present=[manager, rep, pm])
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert set(meeting.attendees.filter(present=True).values_list("user__username", flat=True)) == {
        "manager",
        "rep",
        "pm",
    }
    assert meeting.attendees.get(user=rep2).present is False
    emails = {e.recipient.username: e for e in EmailOutbox.objects.filter(kind="meeting_minutes")}
    assert set(emails) == {"manager", "rep", "rep2", "pm", "pm2"}
    assert in_review.title in emails["rep"].text_body
    assert rep2_in_review.title not in emails["rep"].text_body
    assert rep2_in_review.title in emails["manager"].text_body
    assert "Chase the signature" in emails["rep"].text_body
    with pytest.raises(TransitionNotAllowed):
        services.meeting_close(meeting=meeting, actor=manager, present=[manager])


def test_closing_needs_who_attended(meeting, manager):
    started(meeting, manager)
    with pytest.raises(ValidationError):
        services.meeting_close(meeting=meeting, actor=manager, present=[])


def test_the_scheduled_task_makes_the_weeks_meeting_once(teams):
    from meetings.tasks import prepare_weekly_meetings

    first = prepare_weekly_meetings.delay().get()
    second = prepare_weekly_meetings.delay().get()
    assert first == second
    assert Meeting.objects.count() == 1


def test_the_weekly_job_is_scheduled():
    from django.conf import settings

    job = settings.CELERY_BEAT_SCHEDULE["meetings-prepare-weekly"]
    assert job["task"] == "meetings.tasks.prepare_weekly_meetings"

"""Where the weekly sync shows beyond its pages: the owner's digest, the dashboard's figures,
the project page, the demo data."""

import datetime

import pytest
from django.utils import timezone

from deals.models import DealStatus
from feedback.digests import build_digest
from insights.figures.window import Window
from meetings import services
from meetings.extensions import sync_figures
from meetings.models import ActionItem, AgendaItem, CarryOver, Meeting, MeetingStatus
from tests.deals.builders import deal_in
from tests.meetings.conftest import add_action, started

pytestmark = pytest.mark.django_db


def test_the_owners_digest_lists_their_open_action_items_and_flags_the_overdue(
    meeting, manager, rep, pm
):
    started(meeting, manager)
    add_action(meeting, manager, rep, what="Send the quote")
    late = add_action(meeting, manager, rep, what="Book the workshop")
    ActionItem.objects.filter(pk=late.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    digest = build_digest(rep, "daily")
    section = next(s for s in digest.sections if s.title.startswith("Your action items"))
    lines = {item.text: item.detail for item in section.items}
    assert set(lines) == {"Send the quote", "Book the workshop"}
    assert "overdue" in lines["Book the workshop"]
    assert "overdue" not in lines["Send the quote"]
    pm_digest = build_digest(pm, "daily")
    section = next(s for s in pm_digest.sections if s.title.startswith("Your action items"))
    assert section.items == []


def test_the_dashboard_counts_meetings_held_items_closed_on_time_and_carried(
    manager, rep, teams, django_assert_num_queries
):
    today = timezone.localdate()
    past = services.meeting_create(actor=manager, held_on=today - datetime.timedelta(days=14))
    started(past, manager)
    on_time = add_action(past, manager, rep, what="On time")
    services.action_item_set_status(item=on_time, actor=rep, status="done")
    late = add_action(past, manager, rep, what="Late")
    ActionItem.objects.filter(pk=late.pk).update(due_on=today - datetime.timedelta(days=10))
    services.meeting_close(meeting=past, actor=manager, present=[manager])
    services.meeting_create(actor=manager, held_on=today)  # carries "Late"
    window = Window(today - datetime.timedelta(days=30), today + datetime.timedelta(days=30))
    with django_assert_num_queries(3):
        figures = sync_figures(window)
    assert figures["held"] == 1
    assert (figures["on_time"], figures["due_total"]) == (1, 2)
    assert figures["on_time_rate"] == 50
    assert figures["carried_items"] == 1 == CarryOver.objects.count()


def test_the_dashboard_shows_the_sync_figures(client_for, manager):
    page = client_for(manager).get("/dashboard/").content.decode()
    assert "Weekly sync" in page and "Action items closed on time" in page


def test_the_project_page_shows_the_action_items_on_it(client_for, manager, rep, pm, teams):
    project = deal_in(DealStatus.WON, owner=rep, pm=pm).project
    meeting = services.meeting_create(actor=manager, held_on=timezone.localdate())
    started(meeting, manager)
    add_action(meeting, manager, pm, what="Plan the kickoff", project=project)
    page = client_for(pm).get(project.get_absolute_url()).content.decode()
    assert "In the weekly sync" in page and "Plan the kickoff" in page


def test_the_demo_has_two_past_meetings_and_this_weeks_ready(settings):
    from importlib import import_module

    from handoff.management.commands.seed_demo import DEMO_MODULES

    users = None
    for name in DEMO_MODULES:
        module = import_module(name)
        result = module.seed() if users is None else module.seed(users)
        users = users or result
    closed = Meeting.objects.filter(status=MeetingStatus.CLOSED)
    assert closed.count() == 2
    ready = Meeting.objects.get(status=MeetingStatus.SCHEDULED)
    assert ready.held_on == timezone.localdate()
    assert ActionItem.objects.filter(status="done").count() == 1
    overdue = ActionItem.objects.get(status="open")
    assert overdue.is_overdue
    assert set(CarryOver.objects.filter(action_item=overdue).values_list("meeting", flat=True)) == {
        ready.pk,
        closed.order_by("held_on").last().pk,
    }
    assert AgendaItem.objects.filter(meeting__in=closed).exists()
    again = import_module("meetings.demo")
    again.seed(users)
    assert Meeting.objects.count() == 3


def test_a_deal_no_meeting_names_costs_one_query_of_plain_probes(rep, django_assert_num_queries):
    from deals.models import Deal
    from meetings.selectors import decisions_touching
    from tests.factories import DealFactory

    deal = DealFactory(owner=rep)
    with django_assert_num_queries(1) as probes:
        assert decisions_touching(user=rep, deal_ids=[deal.pk], project_ids=[]) == [[], []]
    # The probes read nothing of what the user may see: no subquery over the deals.
    assert all(Deal._meta.db_table not in q["sql"] for q in probes.captured_queries)


def test_a_project_only_an_action_item_names_passes_the_probe(manager, pm, rep, teams):
    from meetings.selectors import decisions_touching

    project = deal_in(DealStatus.WON, owner=rep, pm=pm).project
    meeting = started(services.meeting_create(actor=manager, held_on=timezone.localdate()), manager)
    item = add_action(meeting, manager, pm, what="Plan the kickoff", project=project)
    assert not AgendaItem.objects.filter(project=project).exists()
    found = decisions_touching(user=pm, deal_ids=[], project_ids=[project.pk])
    assert found == [[], [item]]


def test_a_decision_on_a_deal_shows_on_its_page_without_an_action_item(
    client_for, manager, rep, teams, in_review
):
    """The probes let a deal through when only an agenda item names it."""
    meeting = started(services.meeting_create(actor=manager, held_on=timezone.localdate()), manager)
    item = AgendaItem.objects.filter(meeting=meeting, deal_id=in_review.pk).first()
    services.item_decide(item=item, actor=manager, note="Hold the price until March")
    assert not ActionItem.objects.filter(deal=in_review).exists()
    page = client_for(rep).get(in_review.get_absolute_url()).content.decode()
    assert "In the weekly sync" in page and "Hold the price until March" in page

"""A sales team (rep, rep2), a delivery team (pm, pm2) and deals on this week's agenda."""

import datetime

import pytest
from django.utils import timezone

from deals.models import DealStatus
from handoff.models import TeamKind
from meetings import services
from tests.deals.builders import deal_in
from tests.factories import TeamFactory


@pytest.fixture
def teams(rep, rep2, pm, pm2, manager):
    sales = TeamFactory(name="Sales", kind=TeamKind.SALES, lead=manager)
    sales.members.add(rep, rep2)
    delivery = TeamFactory(name="Delivery", kind=TeamKind.DELIVERY, lead=manager)
    delivery.members.add(pm, pm2)
    return sales, delivery


@pytest.fixture
def in_review(rep, pm):
    """rep's deal in review, claimed by pm: on the agenda as waiting for review."""
    return deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)


@pytest.fixture
def rep2_in_review(rep2, pm):
    return deal_in(DealStatus.IN_REVIEW, owner=rep2, pm=pm)


@pytest.fixture
def meeting(manager, teams):
    return services.meeting_create(actor=manager, held_on=timezone.localdate())


def started(meeting, actor):
    return services.meeting_start(meeting=meeting, actor=actor)


def add_action(meeting, actor, owner, *, days=7, what="Call the client", **links):
    return services.action_item_add(
        meeting=meeting,
        actor=actor,
        what=what,
        owner=owner,
        due_on=timezone.localdate() + datetime.timedelta(days=days),
        **links,
    )

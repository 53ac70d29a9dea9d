"""Writes that do not grow with the organisation: submitting a deal, mentioning a team and a
submission a review rule routes to a team run as many queries for 50 people told as for 2."""

import pytest
from django.urls import reverse

from deals import services as deals
from deals.models import Comment
from deals.services.comments import team_handle
from feedback.models import EmailOutbox, Notification, NotificationKind
from handoff.models import Role, TeamKind
from tests.factories import CommitmentFactory, TeamFactory, UserFactory
from tests.feedback.conftest import CaptureCount, draft, submitted

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 50


def told(kind: str, deal=None) -> int:
    found = Notification.objects.filter(kind=kind)
    return (found.filter(deal=deal) if deal else found).count()


@pytest.fixture
def delivery_team(db):
    return TeamFactory(name="Delivery Crew", kind=TeamKind.DELIVERY)


def grow_team(team, size: int) -> None:
    """Make the team (and the PMs) exactly `size` people."""
    missing = size - team.members.count()
    team.members.add(*UserFactory.create_batch(missing, role=Role.PM))


def test_a_submission_costs_the_same_queries_for_50_pms_as_for_2(
    rep, pm, pm2, django_capture_on_commit_callbacks
):
    def submit():
        deal = draft(rep)
        with CaptureCount() as counted, django_capture_on_commit_callbacks():
            deals.deal_submit(deal=deal, actor=rep)
        return counted.count, told(NotificationKind.SUBMITTED, deal)

    small, small_told = submit()
    UserFactory.create_batch(LARGE - SMALL, role=Role.PM)
    large, large_told = submit()

    assert (small_told, large_told) == (SMALL, LARGE)
    assert large == small


def test_mentioning_a_team_tells_its_members_who_see_the_deal(
    rep, rep2, pm, delivery_team, django_capture_on_commit_callbacks
):
    delivery_team.members.add(pm, rep2)  # rep2 may not see rep's deal
    deal = submitted(rep)
    with django_capture_on_commit_callbacks(execute=True):
        comment = deals.comment_add(
            deal=deal, actor=rep, body=f"@{team_handle(delivery_team).upper()} can you take it?"
        )
    assert team_handle(delivery_team) == "delivery-crew"
    assert list(comment.mentions.all()) == [pm]
    assert deals.mentions_left_out(comment) == ""  # a team's members are not listed
    assert list(
        Notification.objects.filter(kind=NotificationKind.MENTION).values_list(
            "recipient__username", flat=True
        )
    ) == ["pm"]


def test_mentioning_a_team_costs_the_same_queries_for_50_members_as_for_2(
    rep, pm, pm2, delivery_team, django_capture_on_commit_callbacks
):
    deal = submitted(rep)
    delivery_team.members.add(pm, pm2)

    def mention():
        with CaptureCount() as counted, django_capture_on_commit_callbacks():
            comment = deals.comment_add(
                deal=deal, actor=rep, body="@delivery-crew and @pm: the start date moved"
            )
        return counted.count, comment.mentions.count()

    small, small_told = mention()
    grow_team(delivery_team, LARGE)
    large, large_told = mention()

    assert (small_told, large_told) == (SMALL, LARGE)
    assert large == small
    assert told(NotificationKind.MENTION) == SMALL + LARGE


def test_the_comment_request_costs_the_same_for_50_members_as_for_2(
    rep, pm, pm2, delivery_team, client_for, django_assert_num_queries
):
    deal = submitted(rep)
    delivery_team.members.add(pm, pm2)
    client = client_for(rep)
    url = reverse("deals:comment", args=[deal.pk])
    data = {"comment-body": "@delivery-crew the client signed"}

    with CaptureCount() as small:
        assert client.post(url, data).status_code == 302
    grow_team(delivery_team, LARGE)
    with django_assert_num_queries(small.count):
        assert client.post(url, data).status_code == 302
    assert Comment.objects.filter(deal=deal).count() == 2
    assert EmailOutbox.objects.filter(kind=NotificationKind.MENTION).count() == SMALL + LARGE


def test_a_submission_a_rule_routes_to_a_team_costs_the_same_for_50_pms_as_for_2(
    rep, pm, pm2, manager, delivery_team, django_capture_on_commit_callbacks
):
    deals.review_rule_create(
        actor=manager,
        data={
            "name": "Integration needs the crew",
            "approver": "pm",
            "team": delivery_team,
            "kinds": ["integration"],
        },
    )
    delivery_team.members.add(pm, pm2)

    def submit():
        deal = draft(rep, commitments=1)
        CommitmentFactory(deal=deal, kind="integration")
        with CaptureCount() as counted, django_capture_on_commit_callbacks():
            deals.deal_submit(deal=deal, actor=rep)
        # The PMs asked to approve hear it in the submission's notice, with their links.
        asked = EmailOutbox.objects.filter(
            notification__deal=deal, context__approvals__0__url__isnull=False
        )
        return counted.count, asked.count()

    small, small_told = submit()
    grow_team(delivery_team, LARGE)
    large, large_told = submit()

    assert (small_told, large_told) == (SMALL, LARGE)
    assert large == small

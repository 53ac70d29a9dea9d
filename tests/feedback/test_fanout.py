"""Writes that do not grow with the organisation: submitting a deal, mentioning a team and a
submission a review rule routes to a team run as many queries, and build as many objects in
Python, for 50 people told as for 2. The request writes one announcement and enqueues one
task; the worker tells the people, signs their approval links and writes their emails."""

from urllib.parse import urlsplit

import pytest
from django.db.models.signals import pre_init
from django.urls import reverse

from deals import services as deals
from deals.models import Comment, ReviewRound
from deals.services.comments import team_handle
from feedback import announcements
from feedback.models import Announcement, EmailOutbox, Notification, NotificationKind
from handoff import tagged_json
from handoff.commit_batches import batches_among
from handoff.models import Role, TeamKind
from tests.factories import CommitmentFactory, TeamFactory, UserFactory
from tests.feedback.conftest import CaptureCount, draft, submitted, worker_tells

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue_emailed")]

SMALL, LARGE = 2, 50


def told(kind: str, deal=None) -> int:
    found = Notification.objects.filter(kind=kind)
    return (found.filter(deal=deal) if deal else found).count()


class Built:
    """Count the model instances a block makes in Python, read from the database or new."""

    def __enter__(self):
        self.count = 0
        pre_init.connect(self._one, dispatch_uid="tests.fanout.built")
        return self

    def _one(self, sender, **kwargs):
        self.count += 1

    def __exit__(self, *exc):
        pre_init.disconnect(dispatch_uid="tests.fanout.built")


class Request:
    """What a write costs the request: its queries, the objects it built, its hooks."""

    def __init__(self, capture):
        self.capture = capture

    def __enter__(self):
        self.queries, self.built = CaptureCount(), Built()
        self.hooks = self.capture()
        self.callbacks = self.hooks.__enter__()
        self.queries.__enter__()
        self.built.__enter__()
        return self

    def __exit__(self, *exc):
        self.built.__exit__(*exc)
        self.queries.__exit__(*exc)
        self.hooks.__exit__(*exc)
        self.count = self.queries.count
        self.tasks = batches_among(self.callbacks, announcements.enqueue_batch)


@pytest.fixture
def delivery_team(db):
    return TeamFactory(name="Delivery Crew", kind=TeamKind.DELIVERY)


def grow_team(team, size: int) -> None:
    """Make the team (and the PMs) exactly `size` people."""
    missing = size - team.members.count()
    team.members.add(*UserFactory.create_batch(missing, role=Role.PM))


def test_a_submission_costs_the_same_for_50_pms_as_for_2_and_the_worker_tells_them(
    rep, pm, pm2, django_capture_on_commit_callbacks
):
    def submit():
        deal = draft(rep)
        with Request(django_capture_on_commit_callbacks) as request:
            deals.deal_submit(deal=deal, actor=rep)
        # Nobody is told in the request: one announcement, one task after commit.
        assert told(NotificationKind.SUBMITTED, deal) == 0
        assert Announcement.objects.filter(deal=deal).count() == 1
        assert len(request.tasks) == 1
        worker_tells()
        assert not Announcement.objects.exists()
        return request, told(NotificationKind.SUBMITTED, deal)

    small, small_told = submit()
    UserFactory.create_batch(LARGE - SMALL, role=Role.PM)
    large, large_told = submit()

    assert (small_told, large_told) == (SMALL, LARGE)
    assert large.count == small.count
    assert large.built.count == small.built.count


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


def test_mentioning_a_team_costs_the_same_for_50_members_as_for_2(
    rep, pm, pm2, delivery_team, django_capture_on_commit_callbacks
):
    deal = submitted(rep)
    delivery_team.members.add(pm, pm2)

    def mention():
        with Request(django_capture_on_commit_callbacks) as request:
            comment = deals.comment_add(
                deal=deal, actor=rep, body="@delivery-crew and @pm: the start date moved"
            )
        assert told(NotificationKind.MENTION) == 0  # the worker tells them
        assert len(request.tasks) == 1
        worker_tells()
        told_now = told(NotificationKind.MENTION)
        Notification.objects.filter(kind=NotificationKind.MENTION).delete()
        return request, comment.mentions.count(), told_now

    small, small_mentioned, small_told = mention()
    grow_team(delivery_team, LARGE)
    large, large_mentioned, large_told = mention()

    assert (small_mentioned, large_mentioned) == (SMALL, LARGE)
    assert (small_told, large_told) == (SMALL, LARGE)
    assert large.count == small.count
    assert large.built.count == small.built.count


def test_the_comment_request_costs_the_same_for_50_members_as_for_2(
    rep, pm, pm2, delivery_team, client_for, django_capture_on_commit_callbacks
):
    deal = submitted(rep)
    delivery_team.members.add(pm, pm2)
    client = client_for(rep)
    url = reverse("deals:comment", args=[deal.pk])
    data = {"comment-body": "@delivery-crew the client signed"}

    with Request(django_capture_on_commit_callbacks) as small:
        assert client.post(url, data).status_code == 302
    grow_team(delivery_team, LARGE)
    with Request(django_capture_on_commit_callbacks) as large:
        assert client.post(url, data).status_code == 302
    assert (large.count, large.built.count) == (small.count, small.built.count)
    assert Comment.objects.filter(deal=deal).count() == 2
    assert not EmailOutbox.objects.filter(kind=NotificationKind.MENTION).exists()
    worker_tells()
    # Each comment tells the people it mentioned when it was written.
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
        with Request(django_capture_on_commit_callbacks) as request:
            deals.deal_submit(deal=deal, actor=rep)
        assert not EmailOutbox.objects.filter(notification__deal=deal).exists()
        worker_tells()
        # The PMs asked to approve hear it in the submission's notice, with their links.
        asked = EmailOutbox.objects.filter(
            notification__deal=deal, context__approvals__0__url__isnull=False
        )
        return request, asked.count()

    small, small_told = submit()
    grow_team(delivery_team, LARGE)
    large, large_told = submit()

    assert (small_told, large_told) == (SMALL, LARGE)
    assert large.count == small.count
    assert large.built.count == small.built.count


def test_the_links_the_worker_signs_approve_for_their_reader_end_to_end(
    rep, pm, pm2, manager, delivery_team, client_for, django_capture_on_commit_callbacks
):
    deals.review_rule_create(
        actor=manager,
        data={"name": "Crew", "approver": "pm", "team": delivery_team, "kinds": ["integration"]},
    )
    grow_team(delivery_team, LARGE)
    deal = draft(rep, commitments=1)
    integration = CommitmentFactory(deal=deal, kind="integration")
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=deal, actor=rep)
    member = delivery_team.members.order_by("-pk").first()
    email = EmailOutbox.objects.get(to_address=member.email, notification__deal=deal)
    assert email.status == "sent" and "Approve" in email.text_body
    context = tagged_json.decode(email.context)
    urls = [item["url"] for item in context["approvals"]]
    assert all(url in email.text_body for url in urls)
    [crew_link] = [
        item["url"] for item in context["approvals"] if item["summary"] == integration.summary
    ]
    path = urlsplit(crew_link).path
    assert client_for(pm).get(path).status_code == 403  # another PM's link
    assert client_for(member).post(path).status_code == 302
    state = ReviewRound.objects.get(deal=deal).requirements.get(commitment=integration)
    assert state.approvals.filter(approver=member).exists()


def test_a_round_decided_before_the_worker_runs_asks_nobody_to_rule(rep, pm, pm2):
    deal = draft(rep)
    deals.deal_submit(deal=deal, actor=rep)
    deals.deal_lose(deal=deal, actor=rep, reason="The client chose another vendor")
    worker_tells()
    assert told(NotificationKind.SUBMITTED, deal) == 0


def test_a_member_who_may_no_longer_see_the_deal_is_not_told(
    rep, pm, pm2, delivery_team, django_capture_on_commit_callbacks
):
    deal = submitted(rep)
    delivery_team.members.add(pm, pm2)
    deals.comment_add(deal=deal, actor=rep, body="@delivery-crew please look")
    pm2.is_active = False
    pm2.save()
    worker_tells()
    assert list(
        Notification.objects.filter(kind=NotificationKind.MENTION).values_list(
            "recipient__username", flat=True
        )
    ) == ["pm"]

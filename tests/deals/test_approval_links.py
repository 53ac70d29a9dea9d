"""Approving from an email: the link's page shows what it approves and changes nothing; its
POST approves, once, all listed or none; a link reused, expired, another person's, altered or
out of date changes nothing and says why."""

import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals import services
from deals.approval_links import SALT, approval_path, approval_token
from deals.models import (
    ApprovalLinkUse,
    ApproverKind,
    Commitment,
    DealEvent,
    EventKind,
    ReviewRound,
    Verdict,
)
from feedback.models import EmailOutbox, NotificationKind
from handoff import tagged_json
from tests.deals.builders import draft_deal
from tests.factories import CommitmentFactory
from tests.feedback.conftest import worker_tells

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue_emailed")]


@pytest.fixture
def deal(rep, pm, pm2):
    deal = draft_deal(rep, commitments=2)
    services.deal_submit(deal=deal, actor=rep)
    worker_tells()  # the submission's emails, with their links, are the worker's
    return deal


def open_round(deal) -> ReviewRound:
    return ReviewRound.objects.get(deal=deal, decided_at__isnull=True)


def link(user, deal, commitments=None) -> str:
    commitments = commitments or list(deal.commitments.order_by("id"))
    token = approval_token(user=user, review_round=open_round(deal), commitments=commitments)
    return approval_path(token)


def state(deal) -> tuple:
    """Everything a link could change: verdicts, events, the reviewer, the links used."""
    review_round = open_round(deal)
    return (
        sorted(Verdict.objects.filter(round__deal=deal).values_list("commitment_id", "verdict")),
        DealEvent.objects.filter(deal=deal).count(),
        review_round.reviewer_id,
        ApprovalLinkUse.objects.count(),
    )


def approved_by(deal, user) -> set[int]:
    return set(
        Verdict.objects.filter(round__deal=deal, verdict="approved", decided_by=user).values_list(
            "commitment_id", flat=True
        )
    )


# A valid link


def test_the_page_shows_what_will_be_approved_and_changes_nothing(deal, pm, client_for):
    before = state(deal)
    response = client_for(pm).get(link(pm, deal))
    assert response.status_code == 200
    body = response.content.decode()
    for commitment in deal.commitments.all():
        assert commitment.summary in body
        assert f"version {commitment.version}" in body
        assert "5 person-days" in body
    assert "Approval by the lead reviewer" in body  # the requirement it meets
    assert deal.title in body and deal.client.name in body
    assert "approving makes you its lead reviewer" in body
    assert "Approve all 2" in body
    assert state(deal) == before  # a mail scanner fetching the link approves nothing


def test_the_post_approves_and_goes_to_the_deal(deal, pm, client_for):
    http = client_for(pm)
    response = http.post(link(pm, deal))
    assert response.status_code == 302 and response["Location"] == deal.get_absolute_url()
    assert approved_by(deal, pm) == set(deal.commitments.values_list("pk", flat=True))
    assert open_round(deal).reviewer == pm  # ruling on an unclaimed review claims it
    assert ApprovalLinkUse.objects.filter(user=pm, round=open_round(deal)).count() == 1
    page = http.get(deal.get_absolute_url())
    assert "Approved 2 commitments on" in page.content.decode()


def test_one_commitments_link_approves_that_one_only(deal, pm, client_for):
    first = deal.commitments.order_by("id").first()
    client_for(pm).post(link(pm, deal, [first]))
    assert approved_by(deal, pm) == {first.pk}


def test_approve_all_unchanged_approves_every_commitment_in_one_step(deal, pm, client_for):
    CommitmentFactory(deal=deal)  # a third, not in the link: left for the deal page
    first, second, _third = deal.commitments.order_by("id")
    client_for(pm).post(link(pm, deal, [first, second]))
    assert approved_by(deal, pm) == {first.pk, second.pk}
    rulings = DealEvent.objects.filter(deal=deal, kind=EventKind.VERDICT)
    assert sorted(e.data["commitment"] for e in rulings) == [first.pk, second.pk]


def test_the_links_in_the_submission_email_work_for_their_reader(deal, pm, client_for):
    email = EmailOutbox.objects.get(to_address=pm.email, kind=NotificationKind.SUBMITTED)
    context = tagged_json.decode(email.context)
    path = urlsplit(context["approve_all_url"]).path
    assert client_for(pm).get(path).status_code == 200
    assert client_for(pm).post(path).status_code == 302
    assert approved_by(deal, pm) == set(deal.commitments.values_list("pk", flat=True))


def test_the_page_runs_as_many_queries_for_one_commitment_as_for_twelve(
    rep, pm, client_for, django_assert_num_queries
):
    http = client_for(pm)

    def page(count: int) -> str:
        deal = draft_deal(rep, commitments=count)
        services.deal_submit(deal=deal, actor=rep)
        return link(pm, deal)

    http.get(page(1))  # the session and its caches warmed up
    url = page(1)
    with CaptureQueriesContext(connection) as one:
        assert http.get(url).status_code == 200
    url = page(12)
    with django_assert_num_queries(len(one.captured_queries)):
        assert http.get(url).status_code == 200


# Links that change nothing


def refused(response, status: int, code: str, says: str) -> str:
    assert response.status_code == status
    body = response.content.decode()
    assert f'data-refusal="{code}"' in body
    assert says in body and "Nothing was approved." in body
    return body


def test_a_used_link_is_refused_the_second_time(deal, pm, client_for):
    http = client_for(pm)
    url = link(pm, deal)
    http.post(url)
    after = state(deal)
    refused(http.post(url), 409, "already_used", "already used")
    refused(http.get(url), 409, "already_used", "already used")
    assert state(deal) == after


def test_an_expired_link_is_refused(deal, pm, client_for, settings, monkeypatch):
    settings.APPROVAL_LINK_MAX_AGE = 3600
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 3601)
    url = link(pm, deal)
    monkeypatch.setattr(time, "time", real)
    before = state(deal)
    for response in (client_for(pm).get(url), client_for(pm).post(url)):
        refused(response, 400, "expired", "This approval link has expired")
    assert state(deal) == before


def test_another_persons_link_is_refused_and_shows_nothing_of_the_deal(deal, pm, pm2, client_for):
    url = link(pm, deal)
    before = state(deal)
    for response in (client_for(pm2).get(url), client_for(pm2).post(url)):
        body = refused(response, 403, "not_yours", "sent to someone else")
        assert deal.title not in body and deal.client.name not in body
        assert all(c.summary not in body for c in deal.commitments.all())
    assert state(deal) == before


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: token.replace(token.split(":")[0], token.split(":")[0][::-1]),  # data
        lambda token: token[: len(token) // 2],  # cut short
    ],
    ids=["signature", "payload", "cut"],
)
def test_an_altered_link_is_refused(deal, pm, client_for, tamper):
    token = urlsplit(link(pm, deal)).path.split("/")[-2]
    url = reverse("deals:approve_link", args=[tamper(token)])
    before = state(deal)
    for response in (client_for(pm).get(url), client_for(pm).post(url)):
        refused(response, 400, "invalid", "not valid")
    assert state(deal) == before


def test_a_link_signed_for_another_purpose_is_refused(deal, pm, client_for):
    review_round = open_round(deal)
    items = [[c.pk, c.version] for c in deal.commitments.all()]
    payload = {"u": pm.pk, "r": review_round.pk, "c": items, "n": "x"}
    url = approval_path(signing.dumps(payload, salt="another.purpose"))
    refused(client_for(pm).post(url), 400, "invalid", "not valid")
    assert signing.loads(signing.dumps(payload, salt=SALT), salt=SALT) == payload
    assert not Verdict.objects.filter(round__deal=deal).exists()


def test_a_link_to_a_commitment_that_changed_since_is_refused(deal, pm, client_for):
    url = link(pm, deal)
    first = deal.commitments.order_by("id").first()
    Commitment.objects.filter(pk=first.pk).update(version=F("version") + 1)
    before = state(deal)
    for response in (client_for(pm).get(url), client_for(pm).post(url)):
        body = refused(response, 409, "stale", "changed after the email was sent")
        assert deal.get_absolute_url() in body  # the way to what it says now
    assert state(deal) == before


def test_a_link_of_a_round_that_is_over_is_refused(deal, rep, pm, client_for):
    url = link(pm, deal)
    commitments = list(deal.commitments.order_by("id"))
    services.commitment_rule(commitment=commitments[0], actor=pm, verdict="flagged", reason="No")
    services.commitment_rule(commitment=commitments[1], actor=pm, verdict="approved")
    services.deal_request_changes(deal=deal, actor=pm)
    services.deal_submit(deal=deal, actor=rep)  # round 2: the link named round 1
    before = state(deal)
    refused(client_for(pm).post(url), 409, "round_closed", "Review round 1")
    assert state(deal) == before


def test_a_link_to_a_commitment_flagged_since_is_refused(deal, pm, pm2, client_for):
    url = link(pm2, deal)
    first = deal.commitments.order_by("id").first()
    services.commitment_rule(commitment=first, actor=pm, verdict="flagged", reason="Too soon")
    before = state(deal)
    refused(client_for(pm2).post(url), 409, "stale", "Priya Mehta flagged")
    assert state(deal) == before


def test_a_link_whose_commitments_were_approved_already_has_nothing_to_do(deal, pm, client_for):
    url = link(pm, deal)
    for commitment in deal.commitments.all():
        services.commitment_rule(commitment=commitment, actor=pm, verdict="approved")
    refused(client_for(pm).get(url), 409, "already_approved", "nothing is left to do")


# All or none


def test_one_refusal_approves_none_and_says_why(deal, rep, pm, manager, client_for):
    services.review_rule_create(
        actor=manager,
        data={"name": "Integration", "kinds": ["integration"], "approver": ApproverKind.MANAGER},
    )
    fresh = draft_deal(rep, commitments=1)
    CommitmentFactory(deal=fresh, kind="integration", summary="SSO with Azure AD")
    services.deal_submit(deal=fresh, actor=rep)
    url = link(pm, fresh)  # a PM's link naming the manager's commitment too
    before = state(fresh)
    refused(client_for(pm).post(url), 403, "forbidden", "it needs approval by a manager")
    assert state(fresh) == before
    assert not approved_by(fresh, pm)


def test_a_review_claimed_by_someone_else_meanwhile_is_refused(deal, pm, pm2, client_for):
    url = link(pm, deal)
    services.review_claim(deal=deal, actor=pm2)
    before = state(deal)
    refused(client_for(pm).post(url), 403, "forbidden", "claimed by Tom Berg")
    assert state(deal) == before


def test_the_anonymous_are_sent_to_sign_in_first(deal, pm, client):
    url = link(pm, deal)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(url).status_code == 302
    assert not Verdict.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_link_used_twice_at_once_approves_once(rep, pm, pm2):
    from deals.approval_links import LinkRefused, link_approve
    from tests.concurrency import race

    if connection.vendor != "postgresql":
        pytest.skip("two real connections at once need PostgreSQL")
    deal = draft_deal(rep, commitments=2)
    services.deal_submit(deal=deal, actor=rep)
    token = urlsplit(link(pm, deal)).path.split("/")[-2]
    results = race(
        lambda: link_approve(user=pm, token=token), lambda: link_approve(user=pm, token=token)
    )
    outcomes = sorted(outcome for outcome, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for outcome, value in results if outcome == "error")
    assert isinstance(error, LinkRefused) and error.status == 409
    assert ApprovalLinkUse.objects.count() == 1
    assert DealEvent.objects.filter(deal=deal, kind=EventKind.VERDICT).count() == 2

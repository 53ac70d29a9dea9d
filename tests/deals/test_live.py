"""The live deal page and review queue: their version checks answer 204 while nothing changed,
in one query, and what changed otherwise; hidden things are not found, the anonymous get 401."""

import re

import pytest
from django.urls import reverse

from deals import live, services
from deals.models import Deal, DealStatus, VerdictKind
from deals.selectors import deals_visible_to
from tests.deals.builders import deal_in, draft_deal
from tests.deals.test_explain import assert_indexed, scale  # noqa: F401 (scale: a fixture)

pytestmark = pytest.mark.django_db

# Every request reads the session and its user before the view runs.
SESSION_AND_USER = 2


def version_url(deal: Deal, v) -> str:
    return f"{reverse('deals:version', args=[deal.pk])}?v={v}"


def fresh(deal: Deal) -> Deal:
    return Deal.objects.get(pk=deal.pk)


def poll_of(html: str, poll_id: str) -> str:
    match = re.search(rf'<span id="{poll_id}"[^>]*>', html)
    assert match, f"no {poll_id} in the page"
    return match.group(0)


def polled_version(html: str, poll_id: str) -> str:
    return re.search(r'hx-get="[^"?]+\?v=([^"]*)"', poll_of(html, poll_id)).group(1)


@pytest.fixture
def in_review(rep, pm):
    return deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)


# The deal


def test_an_unchanged_deal_answers_204_with_nothing(in_review, pm, client_for):
    response = client_for(pm).get(version_url(in_review, in_review.version))
    assert response.status_code == 204
    assert response.content == b""
    assert "no-cache" in response["Cache-Control"]


def test_a_changed_deal_answers_a_banner_offering_a_reload_and_polls_on_from_the_new_version(
    in_review, rep, pm, client_for
):
    seen = in_review.version
    services.commitment_rule(
        commitment=in_review.commitments.first(), actor=pm, verdict=VerdictKind.APPROVED
    )
    now = fresh(in_review).version
    assert now != seen

    response = client_for(rep).get(version_url(in_review, seen))

    assert response.status_code == 200
    html = response.content.decode()
    assert "This deal changed —" in html
    assert f'<a href="{in_review.get_absolute_url()}">Reload</a>' in html
    poll = poll_of(html, "deal-live-poll")
    assert 'hx-swap-oob="true"' in poll and 'hx-target="#deal-live"' in poll
    assert polled_version(html, "deal-live-poll") == str(now)
    assert client_for(rep).get(version_url(in_review, now)).status_code == 204


def test_a_version_that_is_not_one_reads_as_changed_never_an_error(in_review, pm, client_for):
    http = client_for(pm)
    for junk in ("", "abc", "-1", "9" * 500, "%00"):
        response = http.get(version_url(in_review, junk))
        assert response.status_code == 200, junk
    assert http.get(reverse("deals:version", args=[in_review.pk])).status_code == 200


def test_the_deal_page_polls_with_its_version_into_a_status_region(in_review, pm, client_for):
    html = client_for(pm).get(in_review.get_absolute_url()).content.decode()

    poll = poll_of(html, "deal-live-poll")
    assert "hidden data-live" in poll and 'hx-trigger="every 15s"' in poll
    assert polled_version(html, "deal-live-poll") == str(in_review.version)
    assert '<div id="deal-live" class="messages live-banner" role="status"></div>' in html


def test_after_your_own_ruling_the_poll_carries_the_new_version(in_review, pm, client_for):
    """A ruling swaps the side column in out of band, poll included: no banner for your change."""
    http = client_for(pm)
    commitment = in_review.commitments.first()
    response = http.post(
        reverse("deals:rule", args=[in_review.pk, commitment.pk]),
        {f"rule-{commitment.pk}-verdict": VerdictKind.APPROVED},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    carried = polled_version(response.content.decode(), "deal-live-poll")
    assert carried == str(fresh(in_review).version) != str(in_review.version)
    assert http.get(version_url(in_review, carried)).status_code == 204


def test_a_deal_the_user_may_not_see_is_not_found_like_a_missing_one(
    in_review, rep, rep2, pm, client_for
):
    hidden = client_for(rep2).get(version_url(in_review, in_review.version))
    missing = client_for(rep2).get(f"{reverse('deals:version', args=[987654])}?v=1")
    assert hidden.status_code == missing.status_code == 404
    draft = draft_deal(rep)  # never submitted: its owner's alone
    assert client_for(pm).get(version_url(draft, draft.version)).status_code == 404
    assert client_for(rep).get(version_url(draft, draft.version)).status_code == 204


def test_the_anonymous_get_401_not_the_login_page(in_review, client):
    response = client.get(version_url(in_review, in_review.version))
    assert response.status_code == 401
    assert "login" not in response.get("Location", "")


def test_a_poll_is_get_only(in_review, pm, client_for):
    assert client_for(pm).post(version_url(in_review, 1)).status_code == 405


def test_a_deal_poll_costs_one_query(in_review, pm, client_for, django_assert_num_queries):
    http = client_for(pm)
    http.get(version_url(in_review, in_review.version))
    with django_assert_num_queries(SESSION_AND_USER + 1):
        assert http.get(version_url(in_review, in_review.version)).status_code == 204
    with django_assert_num_queries(SESSION_AND_USER + 1):
        assert http.get(version_url(in_review, "stale")).status_code == 200
    with django_assert_num_queries(1):
        assert live.deal_version(pm, in_review.pk) == in_review.version


# The review queue

QUEUE_VERSION = reverse("deals:queue_version")


def queue_url(v: str) -> str:
    return f"{QUEUE_VERSION}?v={v}"


def test_the_queue_answers_204_until_a_round_opens_moves_or_closes(rep, pm, pm2, client_for):
    http = client_for(pm)
    deal = draft_deal(rep)
    empty = live.queue_version(pm)
    assert empty == "0"
    assert http.get(queue_url(empty)).status_code == 204

    services.deal_submit(deal=deal, actor=rep)
    submitted = live.queue_version(pm)
    changed = http.get(queue_url(empty))
    assert changed.status_code == 200
    assert changed["HX-Trigger"] == "queue-changed"
    assert http.get(queue_url(submitted)).status_code == 204

    services.review_claim(deal=deal, actor=pm2)
    claimed = live.queue_version(pm)
    assert claimed != submitted
    services.commitment_rule(
        commitment=deal.commitments.first(), actor=pm2, verdict=VerdictKind.FLAGGED, reason="No"
    )
    ruled = live.queue_version(pm)
    assert ruled != claimed
    for commitment in deal.commitments.all()[1:]:
        services.commitment_rule(commitment=commitment, actor=pm2, verdict=VerdictKind.APPROVED)
    services.deal_request_changes(deal=deal, actor=pm2)
    assert live.queue_version(pm) == "0"


def test_the_queue_page_polls_with_its_version_and_refreshes_its_table_where_it_was(
    rep, pm, client_for
):
    services.deal_submit(deal=draft_deal(rep), actor=rep)
    html = client_for(pm).get(reverse("deals:queue") + "?q=deal&sort=-due").content.decode()

    assert polled_version(html, "queue-live-poll") == live.queue_version(pm)
    poll = poll_of(html, "queue-live-poll")
    assert 'hx-swap="none"' in poll and "data-live" in poll
    region = re.search(r'<div id="queue-live"[^>]*>', html).group(0)
    assert 'hx-get="/deals/queue/?q=deal&amp;sort=-due"' in region
    assert 'hx-trigger="queue-changed from:body"' in region
    assert 'hx-select="#queue-live"' in region and 'hx-disinherit="*"' in region


def test_the_queue_poll_is_for_those_who_see_the_queue(rep, manager, client_for, client):
    assert client_for(rep).get(queue_url("0")).status_code == 403
    assert client_for(manager).get(queue_url("0")).status_code == 204
    assert client.get(queue_url("0")).status_code == 401


def test_a_queue_poll_costs_one_query(rep, pm, client_for, django_assert_num_queries):
    for _ in range(3):
        services.deal_submit(deal=draft_deal(rep), actor=rep)
    http = client_for(pm)
    version = live.queue_version(pm)
    http.get(queue_url(version))
    with django_assert_num_queries(SESSION_AND_USER + 1):
        assert http.get(queue_url(version)).status_code == 204
    with django_assert_num_queries(SESSION_AND_USER + 1):
        assert http.get(queue_url("stale")).status_code == 200
    with django_assert_num_queries(1):
        assert live.queue_version(pm) == version


# The polls' reads as PostgreSQL plans them on 10,000 generated deals: an index, never the table


@pytest.mark.postgres
@pytest.mark.usefixtures("scale")
def test_the_polls_read_indexes_at_scale():
    from bench.generate import bench_user
    from feedback.models import Notification
    from handoff.models import User

    pm = User.objects.get(username=bench_user("pm"))
    deal = Deal.objects.filter(status=DealStatus.IN_REVIEW).first()
    version = deals_visible_to(pm).filter(pk=deal.pk).order_by().values_list("version")
    assert assert_indexed(version, "deals_deal")
    assert assert_indexed(live.queue_stamp(), "deals_deal") == ["deal_status_updated_idx"]
    unread = Notification.objects.filter(recipient=pm, read_at__isnull=True).values("pk")
    assert "notification_unread_idx" in assert_indexed(unread, "feedback_notification")

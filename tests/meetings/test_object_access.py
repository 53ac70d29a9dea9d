"""A rep never learns of another rep's deal through the weekly sync: not from the meeting page,
the printable or Markdown minutes, the API, the action items, the search or the email."""

import pytest
from django.utils import timezone

from feedback.models import EmailOutbox
from meetings import services
from meetings.models import AgendaItem
from tests.meetings.conftest import add_action, started

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(manager, rep, rep2, teams, in_review, django_capture_on_commit_callbacks):
    """A closed meeting that decided on rep's deal and gave rep an action item on it."""
    meeting = services.meeting_create(actor=manager, held_on=timezone.localdate())
    started(meeting, manager)
    item = AgendaItem.objects.filter(meeting=meeting, deal_id=in_review.pk).first()
    services.item_decide(item=item, actor=manager, note="Secret discount for Warehouse")
    action = add_action(
        meeting, manager, rep, what="Phone the buyer", deal=in_review, agenda_item=item
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_close(meeting=meeting, actor=manager, present=[manager, rep, rep2])
    return meeting, action


SURFACES = [
    "/meetings/{m}/",
    "/meetings/{m}/minutes/",
    "/meetings/{m}/minutes.md",
    "/api/v1/meetings/{m}/",
    "/api/v1/meetings/",
    "/api/v1/action-items/",
    "/meetings/action-items/?owner=&status=all",
    "/meetings/?q=Secret",
    "/",
]


@pytest.mark.parametrize("url", SURFACES)
def test_rep2_reads_nothing_of_reps_deal(url, held, in_review, client_for, rep, rep2):
    meeting, _ = held
    path = url.format(m=meeting.pk)
    theirs = client_for(rep2).get(path)
    assert theirs.status_code == 200
    body = theirs.content.decode()
    for secret in (in_review.title, "Secret discount", "Phone the buyer"):
        assert secret not in body, (path, secret)


@pytest.mark.parametrize("url", SURFACES[:4])
def test_rep_reads_their_own(url, held, in_review, client_for, rep):
    meeting, _ = held
    body = client_for(rep).get(url.format(m=meeting.pk)).content.decode()
    assert in_review.title in body


def test_rep2_cannot_reach_reps_action_item(held, client_for, rep2):
    _, action = held
    http = client_for(rep2)
    assert http.get(f"/api/v1/action-items/{action.pk}/").status_code == 404
    assert (
        http.patch(
            f"/api/v1/action-items/{action.pk}/",
            {"status": "done"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        http.post(f"/meetings/action-items/{action.pk}/status/", {"status": "done"}).status_code
        == 404
    )


def test_rep2s_minutes_email_names_none_of_it(held, in_review, rep2):
    email = EmailOutbox.objects.get(kind="meeting_minutes", recipient=rep2)
    for secret in (in_review.title, "Secret discount", "Phone the buyer"):
        assert secret not in email.text_body
        assert secret not in email.html_body


def test_reps_deal_page_shows_the_decision_and_rep2_gets_no_page(
    held, in_review, client_for, rep, rep2
):
    page = client_for(rep).get(in_review.get_absolute_url()).content.decode()
    assert "Secret discount for Warehouse" in page and "Phone the buyer" in page
    assert client_for(rep2).get(in_review.get_absolute_url()).status_code == 404

"""The meeting pages: list and search, running one item at a time, closing, the action items."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import ReviewRound
from feedback.models import EmailOutbox
from meetings import services
from meetings.models import ActionItem, AgendaItem, Meeting, MeetingStatus
from tests.meetings.conftest import add_action, started

pytestmark = pytest.mark.django_db


def test_a_manager_calls_a_meeting_and_bad_input_keeps_it(client_for, manager, teams):
    http = client_for(manager)
    assert http.get("/meetings/new/").status_code == 200
    response = http.post("/meetings/new/", {"held_on": "1900-01-01"})
    assert response.status_code == 200
    assert "1900-01-01" in response.content.decode()
    assert response.context["form"].errors["held_on"]
    sales, _ = teams
    response = http.post(
        "/meetings/new/",
        {"held_on": timezone.localdate().isoformat(), "sales_team": sales.pk},
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url()
    assert meeting.sales_team == sales


def test_a_rep_may_not_call_a_meeting(client_for, rep):
    assert client_for(rep).get("/meetings/new/").status_code == 403


def test_running_a_meeting_from_its_page(client_for, manager, in_review, pm2, meeting):
    http = client_for(manager)
    page = http.get(meeting.get_absolute_url())
    assert b"Start meeting" in page.content
    assert http.get(f"/meetings/{meeting.pk}/start/").status_code == 200  # asks first
    assert http.post(f"/meetings/{meeting.pk}/start/").status_code == 302
    item = AgendaItem.objects.get(meeting=meeting, deal_id=in_review.pk)
    page = http.get(f"{meeting.get_absolute_url()}?item={item.position}")
    body = page.content.decode()
    assert in_review.title in body
    assert "Reassign the review to" in body
    response = http.post(
        f"/meetings/{meeting.pk}/items/{item.pk}/decision/",
        {"note": "pm2 takes it", "reviewer": pm2.pk},
    )
    assert response.status_code == 302
    assert ReviewRound.objects.get(deal=in_review, decided_at__isnull=True).reviewer == pm2
    response = http.post(
        f"/meetings/{meeting.pk}/action-items/",
        {
            "what": "",
            "owner": manager.pk,
            "due_on": "2000-01-01",
            "agenda_item": item.pk,
        },
    )
    assert response.status_code == 400
    assert response.context["action_form"].errors.keys() >= {"what"}
    response = http.post(
        f"/meetings/{meeting.pk}/action-items/",
        {
            "what": "Tell the client",
            "owner": in_review.owner.pk,
            "due_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
            "agenda_item": item.pk,
        },
    )
    assert response.status_code == 302
    action = ActionItem.objects.get()
    assert action.deal_id == in_review.pk  # the item's deal, when none is chosen
    close = http.get(f"/meetings/{meeting.pk}/close/")
    assert close.status_code == 200
    response = http.post(f"/meetings/{meeting.pk}/close/", {"present": [manager.pk]})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert EmailOutbox.objects.filter(kind="meeting_minutes").exists()
    minutes = http.get(f"/meetings/{meeting.pk}/minutes/").content.decode()
    assert "pm2 takes it" in minutes and "Tell the client" in minutes
    markdown = http.get(f"/meetings/{meeting.pk}/minutes.md")
    assert markdown["Content-Type"].startswith("text/markdown")
    assert "Tell the client" in markdown.content.decode()


def test_a_failed_decision_keeps_its_input(client_for, manager, meeting, in_review):
    started(meeting, manager)
    item = AgendaItem.objects.get(meeting=meeting, deal_id=in_review.pk)
    response = client_for(manager).post(
        f"/meetings/{meeting.pk}/items/{item.pk}/decision/", {"note": "x" * 2001}
    )
    assert response.status_code == 400
    assert response.context["decision_form"].errors["note"]


def test_someone_who_does_not_attend_reads_but_does_not_run(
    client_for, manager, meeting, in_review, django_user_model
):
    started(meeting, manager)
    outsider = django_user_model.objects.create(username="outsider", role="pm")
    http = client_for(outsider)
    page = http.get(meeting.get_absolute_url())
    assert page.status_code == 200
    assert b"Decide" not in page.content
    item = AgendaItem.objects.filter(meeting=meeting).first()
    assert (
        http.post(f"/meetings/{meeting.pk}/items/{item.pk}/decision/", {"note": "x"}).status_code
        == 403
    )
    assert http.get(f"/meetings/{meeting.pk}/close/").status_code == 403


def test_the_owner_marks_their_action_item_done(client_for, manager, rep, rep2, meeting):
    started(meeting, manager)
    item = add_action(meeting, manager, rep, what="Send the quote")
    home = client_for(rep).get("/")
    assert b"My action items" in home.content and b"Send the quote" in home.content
    assert (
        client_for(rep2)
        .post(f"/meetings/action-items/{item.pk}/status/", {"status": "done"})
        .status_code
        == 403
    )  # it names nothing rep2 may not see, but it is not theirs
    response = client_for(rep).post(f"/meetings/action-items/{item.pk}/status/", {"status": "done"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.closed_by == rep
    listing = client_for(rep).get("/meetings/action-items/?status=done").content.decode()
    assert "Done by Rita Reyes" in listing


def test_search_finds_words_of_the_minutes_the_reader_may_see(
    client_for, manager, rep, meeting, rep2_in_review
):
    started(meeting, manager)
    item = AgendaItem.objects.get(meeting=meeting, deal_id=rep2_in_review.pk)
    services.item_decide(item=item, actor=manager, note="Discount approved for the pilot")
    assert meeting in client_for(manager).get("/meetings/?q=discount").context["page"]
    assert meeting not in client_for(rep).get("/meetings/?q=discount").context["page"]
    page = client_for(rep).get(meeting.get_absolute_url()).content.decode()
    assert rep2_in_review.title not in page


def _meetings(manager, n):
    for i in range(n):
        services.meeting_create(
            actor=manager, held_on=timezone.localdate() - datetime.timedelta(days=i)
        )


def test_the_meeting_list_costs_the_same_for_one_meeting_or_thirty(
    client_for, manager, teams, django_assert_num_queries
):
    http = client_for(manager)
    _meetings(manager, 1)
    with CaptureQueriesContext(connection) as few:
        assert http.get("/meetings/?q=x").status_code == 200
    _meetings(manager, 30)
    with django_assert_num_queries(len(few)):
        assert http.get("/meetings/?q=x").status_code == 200


@pytest.mark.parametrize("url", ["/meetings/action-items/", "/", "{deal}"])
def test_action_item_lists_cost_the_same_for_one_or_thirty(
    url, client_for, manager, rep, teams, in_review, django_assert_num_queries
):
    sales, delivery = teams
    http = client_for(rep)
    url = url.format(deal=in_review.get_absolute_url())

    def team_meeting():
        meeting = services.meeting_create(
            actor=manager, held_on=timezone.localdate(), sales_team=sales, delivery_team=delivery
        )
        return started(meeting, manager)

    add_action(team_meeting(), manager, rep, deal=in_review)
    with CaptureQueriesContext(connection) as few:
        assert http.get(url).status_code == 200
    for i in range(30):
        add_action(team_meeting(), manager, rep, what=f"Item {i}", deal=in_review)
    with django_assert_num_queries(len(few)):
        assert http.get(url).status_code == 200


def test_the_running_meeting_costs_the_same_for_few_or_many_items(
    client_for, manager, rep, pm, teams, django_assert_num_queries
):
    from tests.deals.builders import deal_in

    deal_in("in_review", owner=rep, pm=pm)
    meeting = services.meeting_create(actor=manager, held_on=timezone.localdate())
    started(meeting, manager)
    add_action(
        meeting, manager, rep, agenda_item=AgendaItem.objects.filter(meeting=meeting).first()
    )
    http = client_for(manager)
    with CaptureQueriesContext(connection) as few:
        assert http.get(meeting.get_absolute_url()).status_code == 200
    for _ in range(8):
        deal_in("in_review", owner=rep, pm=pm)
    other = services.meeting_create(actor=manager, held_on=timezone.localdate())
    started(other, manager)
    for item in AgendaItem.objects.filter(meeting=other)[:5]:
        add_action(other, manager, rep, agenda_item=item)
        services.item_decide(item=item, actor=manager, note="ok")
    with django_assert_num_queries(len(few)):
        assert http.get(other.get_absolute_url()).status_code == 200


def test_the_action_items_list_says_how_often_an_overdue_item_was_carried(
    client_for, manager, rep, teams
):
    past = services.meeting_create(
        actor=manager, held_on=timezone.localdate() - datetime.timedelta(days=14)
    )
    started(past, manager)
    item = add_action(past, manager, rep, what="Chase the purchase order")
    ActionItem.objects.filter(pk=item.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=10)
    )
    services.meeting_create(actor=manager, held_on=timezone.localdate())
    page = client_for(rep).get("/meetings/action-items/?due=overdue").content.decode()
    assert "Chase the purchase order" in page and "carried 1 time" in page and "overdue" in page


def test_an_empty_new_meeting_form_says_what_is_missing(client_for, manager):
    response = client_for(manager).post("/meetings/new/", {})
    assert response.status_code == 200
    assert response.context["form"].errors["held_on"]
    assert not Meeting.objects.exists()


def test_an_item_number_out_of_range_shows_the_nearest_item(
    client_for, manager, meeting, in_review
):
    started(meeting, manager)
    http = client_for(manager)
    for item in ("0", "-3", "abc", "99999999999999999999"):
        response = http.get(f"{meeting.get_absolute_url()}?item={item}")
        assert response.status_code == 200
        assert 1 <= response.context["position"] <= len(response.context["items"])


def test_attendees_change_while_the_meeting_runs_and_not_after(
    client_for, manager, rep, pm, meeting
):
    started(meeting, manager)
    http = client_for(manager)
    assert b"Save attendees" in http.get(meeting.get_absolute_url()).content
    http.post(f"/meetings/{meeting.pk}/attendees/", {"attendees": [manager.pk, pm.pk]})
    assert set(meeting.attendees.values_list("user__username", flat=True)) == {"manager", "pm"}
    services.meeting_close(meeting=meeting, actor=manager, present=[manager])
    assert b"Save attendees" not in http.get(meeting.get_absolute_url()).content
    response = http.post(f"/meetings/{meeting.pk}/attendees/", {"attendees": [rep.pk]})
    assert response.status_code == 403
    assert not meeting.attendees.filter(user=rep).exists()

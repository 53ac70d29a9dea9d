"""Feedback pages: inbox, notes, notifications, badge, lessons, preferences — by role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import Verdict
from feedback import services
from feedback.models import FeedbackNote, Notification
from tests.factories import UserFactory
from tests.feedback.conftest import CaptureCount, changes_requested, submitted

pytestmark = pytest.mark.django_db


def note(author, direction="to_delivery", **kwargs):
    return services.note_create(
        author=author,
        direction=direction,
        topic=kwargs.pop("topic", "customer_insight"),
        body=kwargs.pop("body", "They want weekly demos"),
        **kwargs,
    )


@pytest.mark.parametrize("who", ["rep", "pm", "manager"])
def test_inbox_opens_for_every_role(who, request, client_for):
    user = request.getfixturevalue(who)
    for tab in ("to_me", "team", "sent"):
        response = client_for(user).get(reverse("feedback:inbox"), {"tab": tab})
        assert response.status_code == 200
        assert b"To my team" in response.content


def test_inbox_needs_a_signed_in_user(client):
    response = client.get(reverse("feedback:inbox"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_inbox_tabs(client_for, rep, rep2, pm, pm2):
    to_pm = note(rep, recipient=pm, body="Only for Priya")
    to_team = note(rep2, body="For all of delivery")
    sent = note(pm, "to_sales", topic="praise", body="Great handoff")
    http = client_for(pm)
    mine = http.get(reverse("feedback:inbox"), {"tab": "to_me"}).context["page"]
    team = http.get(reverse("feedback:inbox"), {"tab": "team"}).context["page"]
    outgoing = http.get(reverse("feedback:inbox"), {"tab": "sent"}).context["page"]
    assert list(mine) == [to_pm]
    assert list(team) == [to_team]
    assert list(outgoing) == [sent]
    rep2_team = client_for(rep2).get(reverse("feedback:inbox"), {"tab": "team"}).context["page"]
    assert list(rep2_team) == [sent]


@pytest.mark.parametrize("tab", ["to_me", "team", "sent"])
def test_inbox_queries_do_not_grow_with_rows(tab, client_for, rep, pm):
    deal = submitted(rep)
    http = client_for(pm)

    def make(n):
        for _ in range(n):
            note(rep, recipient=pm, deal=deal)
            note(rep, deal=deal)
            note(pm, "to_sales", deal=deal, topic="praise")

    make(1)
    http.get(reverse("feedback:inbox"), {"tab": tab})
    with CaptureCount() as one:
        assert http.get(reverse("feedback:inbox"), {"tab": tab}).status_code == 200
    make(49)
    with CaptureCount() as many:
        assert http.get(reverse("feedback:inbox"), {"tab": tab}).status_code == 200
    assert one.count == many.count


def test_new_note_form_is_prefilled_from_the_query(client_for, rep, pm):
    deal = submitted(rep)
    commitment = deal.commitments.first()
    url = reverse("feedback:note_new")
    response = client_for(pm).get(
        url,
        {"deal": deal.pk, "commitment": commitment.pk, "topic": "hard_to_deliver"},
    )
    form = response.context["form"]
    assert form.initial == {
        "deal": str(deal.pk),
        "commitment": str(commitment.pk),
        "topic": "hard_to_deliver",
    }
    assert [value for value, _ in form.fields["direction"].choices] == ["to_sales"]


def test_new_note_keeps_input_on_error(client_for, rep):
    response = client_for(rep).post(
        reverse("feedback:note_new"),
        {"direction": "to_sales", "topic": "competitor", "body": "Acme cut prices by 20%"},
    )
    assert response.status_code == 200
    assert b"Acme cut prices by 20%" in response.content
    assert response.context["form"].errors["direction"]
    assert not FeedbackNote.objects.exists()


def test_new_note_is_sent(client_for, rep, pm):
    response = client_for(rep).post(
        reverse("feedback:note_new"),
        {"direction": "to_delivery", "topic": "competitor", "body": "Acme cut prices"},
    )
    created = FeedbackNote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()
    assert created.author == rep and created.recipient is None


def test_a_rep_cannot_link_a_deal_they_cannot_see(client_for, rep, rep2):
    other = submitted(rep2)
    response = client_for(rep).post(
        reverse("feedback:note_new"),
        {"direction": "to_delivery", "topic": "competitor", "body": "x", "deal": other.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["deal"]


def test_note_page_visibility(client_for, rep, rep2, pm, manager):
    written = note(rep, recipient=pm)
    url = written.get_absolute_url()
    assert client_for(rep).get(url).status_code == 200
    assert client_for(pm).get(url).status_code == 200
    assert client_for(manager).get(url).status_code == 200
    assert client_for(rep2).get(url).status_code == 404


def test_acknowledge_by_the_recipient_only(client_for, rep, pm, pm2):
    written = note(rep, recipient=pm)
    url = reverse("feedback:note_acknowledge", args=[written.pk])
    assert client_for(rep).post(url).status_code == 403
    assert client_for(pm2).post(url).status_code == 403
    response = client_for(pm).post(url)
    assert response.status_code == 302
    written.refresh_from_db()
    assert written.acknowledged_by == pm
    page = client_for(rep).get(written.get_absolute_url())
    assert b"Acknowledged by Priya Mehta" in page.content


def test_a_team_note_is_acknowledged_by_anyone_in_the_team(client_for, rep, pm2):
    written = note(rep)
    response = client_for(pm2).post(reverse("feedback:note_acknowledge", args=[written.pk]))
    assert response.status_code == 302


def test_acknowledge_is_post_only(client_for, rep, pm):
    written = note(rep, recipient=pm)
    url = reverse("feedback:note_acknowledge", args=[written.pk])
    assert client_for(pm).get(url).status_code == 405


def test_reply(client_for, rep, pm):
    written = note(rep, recipient=pm)
    url = reverse("feedback:note_reply", args=[written.pk])
    empty = client_for(pm).post(url, {"reply": ""})
    assert empty.status_code == 400
    response = client_for(pm).post(url, {"reply": "Noted, we will plan for it"})
    assert response.status_code == 302
    written.refresh_from_db()
    assert written.reply == "Noted, we will plan for it"
    assert written.is_acknowledged
    assert client_for(rep).post(url, {"reply": "me too"}).status_code == 403


# Notifications


def test_notification_centre_lists_and_opens(client_for, rep, pm):
    deal = submitted(rep, pm)
    http = client_for(rep)
    response = http.get(reverse("feedback:notifications"))
    assert b"is reviewing" in response.content
    claimed = Notification.objects.get(recipient=rep)
    opened = http.get(reverse("feedback:notification_open", args=[claimed.pk]))
    assert opened.status_code == 302
    assert opened["Location"] == deal.get_absolute_url()
    claimed.refresh_from_db()
    assert claimed.read_at is not None


def test_someone_elses_notification_is_404(client_for, rep, pm):
    submitted(rep, pm)
    claimed = Notification.objects.get(recipient=rep)
    assert (
        client_for(pm).get(reverse("feedback:notification_open", args=[claimed.pk])).status_code
        == 404
    )
    assert (
        client_for(pm).post(reverse("feedback:notification_read", args=[claimed.pk])).status_code
        == 404
    )


def test_mark_read_and_mark_all_read(client_for, rep, pm):
    changes_requested(rep, pm)
    unread = Notification.objects.filter(recipient=rep, read_at__isnull=True)
    first = unread.first()
    http = client_for(rep)
    http.post(reverse("feedback:notification_read", args=[first.pk]))
    first.refresh_from_db()
    assert first.read_at is not None
    assert unread.exists()
    http.post(reverse("feedback:notifications_read_all"))
    assert not unread.exists()


def test_notifications_page_queries_do_not_grow(client_for, rep, pm):
    http = client_for(rep)
    submitted(rep, pm)
    http.get(reverse("feedback:notifications"))
    with CaptureCount() as one:
        http.get(reverse("feedback:notifications"))
    for _ in range(12):
        submitted(rep, pm)
    assert Notification.objects.filter(recipient=rep).count() >= 13
    with CaptureCount() as many:
        http.get(reverse("feedback:notifications"))
    assert one.count == many.count


def test_badge_counts_unread_in_one_query(client_for, rep, pm, django_assert_num_queries):
    submitted(rep, pm)
    changes_requested(rep, pm)
    http = client_for(rep)
    count = Notification.objects.filter(recipient=rep, read_at__isnull=True).count()
    http.get(reverse("feedback:bell"))
    # the session and the user, then one COUNT
    with django_assert_num_queries(3):
        response = http.get(reverse("feedback:bell"))
    assert f'data-unread="{count}"' in response.content.decode()
    assert 'hx-trigger="every 30s"' in response.content.decode()
    assert f'href="{reverse("feedback:notifications")}"' in response.content.decode()


def test_every_page_shows_the_badge(client_for, rep, pm):
    submitted(rep, pm)
    response = client_for(rep).get(reverse("feedback:inbox"))
    assert b'id="notification-bell"' in response.content
    assert b'data-unread="1"' in response.content


# Lessons in context


def test_lessons_for_a_kind(client_for, rep, pm):
    deal = changes_requested(rep, pm)
    verdict = Verdict.objects.filter(round__deal=deal, verdict="flagged").first()
    note(
        pm,
        "to_sales",
        topic="hard_to_deliver",
        body="SSO always takes longer",
        commitment=verdict.commitment,
    )
    response = client_for(rep).get(reverse("feedback:lessons"), {"kind": "scope"})
    lessons = response.context["lessons"]
    assert (lessons.ruled, lessons.flagged) == (2, 1)
    assert "PMs flagged 1 of 2 ruled (50\u202f%)" in response.content.decode()
    assert b"SSO always takes longer" in response.content


def test_lessons_for_an_unknown_kind_are_empty(client_for, rep):
    response = client_for(rep).get(reverse("feedback:lessons"), {"kind": "nonsense"})
    assert response.status_code == 200
    assert response.context["lessons"] is None


def test_lessons_cost_the_same_queries_for_any_history(client_for, rep, pm):
    http = client_for(rep)
    changes_requested(rep, pm)
    http.get(reverse("feedback:lessons"), {"kind": "scope"})
    with CaptureCount() as one:
        http.get(reverse("feedback:lessons"), {"kind": "scope"})
    for _ in range(4):
        changes_requested(rep, pm)
    with CaptureCount() as many:
        http.get(reverse("feedback:lessons"), {"kind": "scope"})
    assert one.count == many.count


# Preferences


def test_preferences_are_saved(client_for, rep):
    http = client_for(rep)
    data = {"digest_frequency": "daily"}
    data.update(
        {
            f"email_{c}": "immediate"
            for c in ["reviews", "outcomes", "escalations", "delivery", "feedback", "mentions"]
        }
    )
    data["email_mentions"] = "off"
    response = http.post(reverse("feedback:preferences"), data)
    assert response.status_code == 302
    assert response["Location"] == "/settings/#notifications"
    rep.refresh_from_db()
    assert rep.digest_frequency == "daily"
    assert rep.email_preferences["mentions"] == "off"


def test_preferences_refuse_unknown_values(client_for, rep):
    response = client_for(rep).post(reverse("feedback:preferences"), {"digest_frequency": "hourly"})
    assert response.status_code == 400
    assert response.context["preferences_form"].errors["digest_frequency"]
    assert b"Notifications and digest" in response.content


def test_the_old_preferences_address_leads_to_the_settings_page(client_for, rep):
    response = client_for(rep).get(reverse("feedback:preferences"))
    assert response.status_code == 302
    assert response["Location"] == "/settings/#notifications"


def test_inactive_users_are_not_told_of_team_notes(rep):
    UserFactory(username="gone", role="pm", is_active=False)
    note(rep)
    assert not Notification.objects.filter(recipient__username="gone").exists()


def test_deal_page_shows_its_feedback_notes(client_for, rep, pm):
    deal = submitted(rep)
    note(rep, deal=deal, body="The CFO signs off, not IT")
    response = client_for(pm).get(deal.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert "Feedback notes" in content
    assert "The CFO signs off, not IT" in content
    assert f"/feedback/notes/new/?deal={deal.pk}&amp;direction=to_sales" in content


def test_the_deal_pages_notes_join_only_their_author_and_promise(client_for, rep, pm):
    """The list shows who wrote each note and about which promise; it reads nothing more."""
    deal = submitted(rep)
    promise = deal.commitments.first()
    note(rep, deal=deal, body="The CFO signs off, not IT", commitment=promise)
    http = client_for(pm)
    with CaptureQueriesContext(connection) as queries:
        response = http.get(deal.get_absolute_url())

    notes = [q["sql"] for q in queries if q["sql"].startswith('SELECT "feedback_feedbacknote"')]
    assert len(notes) == 1
    assert notes[0].count(" JOIN ") == 2
    content = response.content.decode()
    assert "The CFO signs off, not IT" in content
    assert f"about “{promise.summary}”" in content
    assert rep.display_name in content


def test_settings_page_has_the_notification_section(client_for, rep):
    http = client_for(rep)
    response = http.get("/settings/")
    assert b"Notifications and digest" in response.content
    data = {"digest_frequency": "off", "next": "/settings/"}
    data.update(
        {
            f"email_{c}": "digest"
            for c in ["reviews", "outcomes", "escalations", "delivery", "feedback", "mentions"]
        }
    )
    response = http.post(reverse("feedback:preferences"), data)
    assert response["Location"] == "/settings/"
    rep.refresh_from_db()
    assert rep.digest_frequency == "off"


def test_lessons_answer_the_deal_forms_row_field(client_for, rep, pm):
    changes_requested(rep, pm)
    response = client_for(rep).get(reverse("feedback:lessons"), {"commitments-3-kind": "scope"})
    assert response.context["lessons"].kind == "scope"


def test_the_deal_form_asks_for_lessons_when_the_kind_changes(client_for, rep):
    response = client_for(rep).get(reverse("deals:create"))
    content = response.content.decode()
    assert f'hx-get="{reverse("feedback:lessons")}"' in content
    assert 'hx-target="#lessons-0"' in content


def test_project_page_shows_notes_and_a_late_deliverable_links_to_a_note(client_for, rep, pm):
    from projects.models import Deliverable
    from tests.feedback.conftest import won

    deal = won(rep, pm)
    project = deal.project
    late = Deliverable.objects.filter(project=project).first()
    Deliverable.objects.filter(pk=late.pk).update(
        promised_date=late.promised_date.replace(year=late.promised_date.year - 2)
    )
    note(rep, project=project, body="Go-live must avoid the Black Friday freeze")
    response = client_for(pm).get(project.get_absolute_url())
    content = response.content.decode()
    assert "Go-live must avoid the Black Friday freeze" in content
    link = (
        f"/feedback/notes/new/?direction=to_sales&amp;project={project.pk}&amp;deal={deal.pk}"
        f"&amp;commitment={late.commitment_id}&amp;topic=hard_to_deliver"
    )
    assert link in content
    form = client_for(pm).get(link.replace("&amp;", "&")).context["form"]
    assert form.initial["topic"] == "hard_to_deliver"
    assert form.initial["commitment"] == str(late.commitment_id)

"""Confirmations before what cannot be undone: the shared dialog and page, and each action that asks.

Each: a GET shows the question and changes nothing, the POST acts, and the roles that may not
act are refused on both. Completing a project is in tests/projects/test_views.py.
"""

import datetime

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from handoff.models import SharedGoal
from handoff.web.confirm import Confirmation, confirm_page
from projects import services
from projects.models import CapacityException, ProjectStatus
from tests.projects.builders import win

pytestmark = pytest.mark.django_db


@pytest.fixture
def won_project(rep, pm):
    return win(rep, pm)


def asks(response, question: str, action: str) -> None:
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{question}</h1>" in page
    assert f'<form method="post" action="{action}" data-send-once>' in page
    assert "js/confirm.js" in page


class TestSharedPattern:
    CONFIRM = Confirmation(
        key="wipe",
        question="Wipe the board?",
        url="/board/wipe/",
        label="Wipe board",
        cancel_url="/board/",
        detail="Nothing on it comes back.",
        hidden=(("scope", "all"),),
        css="contrast",
        opener_label="Wipe",
        opener_aria_label="Wipe the board",
    )

    def test_the_dialog_opens_from_a_button_that_falls_back_to_the_page(self):
        html = Template('{% include "partials/confirm_dialog.html" %}').render(
            Context({"confirm": self.CONFIRM, "csrf_token": "t"})
        )
        assert '<form method="get" action="/board/wipe/" class="confirm-opener">' in html
        assert 'data-confirm-dialog="confirm-wipe"' in html and 'aria-haspopup="dialog"' in html
        assert 'aria-label="Wipe the board">Wipe</button>' in html
        assert '<dialog id="confirm-wipe" class="confirm-dialog"' in html
        assert 'aria-labelledby="confirm-wipe-title"' in html
        assert '<h2 id="confirm-wipe-title">Wipe the board?</h2>' in html
        assert "Nothing on it comes back." in html
        assert '<form method="post" action="/board/wipe/" data-send-once>' in html
        assert '<input type="hidden" name="scope" value="all">' in html
        assert "data-dialog-close autofocus>Cancel</button>" in html
        assert '<button type="submit" class="contrast">Wipe board</button>' in html

    def test_the_page_asks_the_same_question(self, rep):
        request = RequestFactory().get("/board/wipe/")
        request.user = rep
        page = confirm_page(request, self.CONFIRM).content.decode()
        assert "<title>Wipe the board? · Handoff</title>" in page
        assert "<h1>Wipe the board?</h1>" in page and "Nothing on it comes back." in page
        assert '<a href="/board/">Cancel</a>' in page

    def test_a_template_builds_one_without_its_view(self):
        html = Template(
            '{% load confirmations %}{% confirmation "goal" 7 question="Delete?" url="/g/7/" '
            'label="Delete goal" cancel_url="/g/" as confirm %}{{ confirm.dialog_id }} '
            "{{ confirm.cancel_url }} {{ confirm.label }}"
        ).render(Context())
        assert html == "confirm-goal-7 /g/ Delete goal"


class TestAcceptHandoff:
    def url(self, project):
        return reverse("projects:accept", args=[project.pk])

    def test_the_project_page_asks_in_a_dialog(self, won_project, pm, client_for):
        page = client_for(pm).get(won_project.get_absolute_url()).content.decode()
        assert 'data-confirm-dialog="confirm-accept"' in page
        assert "cannot go back to kickoff" in page

    def test_get_asks_and_changes_nothing_post_accepts(self, won_project, pm, client_for):
        http = client_for(pm)
        asks(http.get(self.url(won_project)), "Accept the handoff?", self.url(won_project))
        won_project.refresh_from_db()
        assert won_project.status == ProjectStatus.KICKOFF and won_project.accepted_at is None
        assert http.post(self.url(won_project)).status_code == 302
        won_project.refresh_from_db()
        assert won_project.status == ProjectStatus.ACTIVE

    def test_once_accepted_the_page_says_so(self, won_project, pm, client_for):
        services.project_accept_handoff(project=won_project, actor=pm)
        response = client_for(pm).get(self.url(won_project), follow=True)
        assert response.redirect_chain[-1][0] == won_project.get_absolute_url()
        assert "already accepted" in response.content.decode()

    def test_each_role(self, won_project, rep, rep2, pm2, manager, client_for):
        for user, status in ((rep, 403), (rep2, 404), (pm2, 403), (manager, 403)):
            http = client_for(user)
            assert http.get(self.url(won_project)).status_code == status, user
            assert http.post(self.url(won_project)).status_code == status, user
        won_project.refresh_from_db()
        assert won_project.status == ProjectStatus.KICKOFF


class TestKickoffItemRemove:
    def url(self, item):
        return reverse("projects:kickoff_remove", args=[item.pk])

    def test_the_checklist_asks_in_a_dialog(self, won_project, pm, client_for):
        item = won_project.kickoff_items.first()
        page = client_for(pm).get(won_project.get_absolute_url()).content.decode()
        assert f'data-confirm-dialog="confirm-kickoff-{item.pk}"' in page
        assert f'aria-label="Remove {item.text}">Remove</button>' in page

    def test_get_asks_and_changes_nothing_post_removes(self, won_project, pm, client_for):
        item = won_project.kickoff_items.first()
        http = client_for(pm)
        asks(http.get(self.url(item)), f"Remove “{item.text}” from the checklist?", self.url(item))
        assert won_project.kickoff_items.filter(pk=item.pk).exists()
        response = http.post(self.url(item), follow=True)
        assert f"Removed “{item.text}” from the checklist." in response.content.decode()
        assert not won_project.kickoff_items.filter(pk=item.pk).exists()

    def test_each_role(self, won_project, rep, rep2, pm2, manager, client_for):
        item = won_project.kickoff_items.first()
        for user, status in ((rep, 403), (rep2, 404), (pm2, 403), (manager, 403)):
            http = client_for(user)
            assert http.get(self.url(item)).status_code == status, user
            assert http.post(self.url(item)).status_code == status, user
        assert won_project.kickoff_items.filter(pk=item.pk).exists()

    def test_a_completed_project_keeps_its_checklist(self, won_project, pm, client_for):
        item = won_project.kickoff_items.first()
        won_project.status = ProjectStatus.COMPLETED
        won_project.save(update_fields=["status"])
        response = client_for(pm).get(self.url(item), follow=True)
        assert "This project is completed." in response.content.decode()
        assert 'data-confirm-dialog="confirm-kickoff' not in response.content.decode()


class TestTimeOffRemove:
    @pytest.fixture
    def week(self, pm):
        return services.capacity_exception_add(
            pm=pm, actor=pm, week_start=datetime.date(2026, 12, 21), days=0, note="Holidays"
        )

    def url(self, week):
        return reverse("projects:time_off_remove", args=[week.pk])

    def test_the_settings_page_asks_in_a_dialog(self, week, pm, client_for):
        page = client_for(pm).get(reverse("settings")).content.decode()
        assert f'data-confirm-dialog="confirm-time-off-{week.pk}"' in page
        assert 'aria-label="Remove week 52">Remove</button>' in page
        assert "js/confirm.js" in page

    def test_get_asks_and_changes_nothing_post_removes(self, week, pm, client_for):
        http = client_for(pm)
        asks(http.get(self.url(week)), "Remove week 52 (from 21 Dec 2026)?", self.url(week))
        assert CapacityException.objects.filter(pk=week.pk).exists()
        assert http.post(self.url(week)).status_code == 302
        assert not CapacityException.objects.filter(pk=week.pk).exists()

    def test_only_its_owner(self, week, rep, pm2, manager, client_for):
        for user in (rep, pm2, manager):
            http = client_for(user)
            assert http.get(self.url(week)).status_code == 404, user
            assert http.post(self.url(week)).status_code == 404, user
        assert CapacityException.objects.filter(pk=week.pk).exists()


class TestGoalDelete:
    @pytest.fixture
    def goal(self, manager):
        goal = SharedGoal.objects.create(
            quarter="2026-Q4", metric="kept_rate", comparison="gte", target=90, created_by=manager
        )
        goal.refresh_from_db()  # its target as stored: 90.00
        return goal

    def url(self, goal):
        return reverse("dashboard-goal-delete", args=[goal.pk])

    def test_the_goals_page_asks_in_a_dialog(self, goal, manager, client_for):
        page = client_for(manager).get(reverse("dashboard-goals")).content.decode()
        assert f'data-confirm-dialog="confirm-goal-{goal.pk}"' in page
        assert f'aria-label="Delete {goal}">Delete</button>' in page
        assert "js/confirm.js" in page

    def test_get_asks_and_changes_nothing_post_deletes(self, goal, manager, client_for):
        http = client_for(manager)
        response = http.get(self.url(goal))
        asks(response, "Delete this goal?", self.url(goal))
        assert "data-confirm=" not in response.content.decode()  # it asks once, not twice
        assert SharedGoal.objects.filter(pk=goal.pk).exists()
        assert http.post(self.url(goal)).status_code == 302
        assert not SharedGoal.objects.exists()

    def test_each_role(self, goal, rep, pm, client_for):
        for user in (rep, pm):
            http = client_for(user)
            assert http.get(self.url(goal)).status_code == 403
            assert http.post(self.url(goal)).status_code == 403
        assert SharedGoal.objects.filter(pk=goal.pk).exists()

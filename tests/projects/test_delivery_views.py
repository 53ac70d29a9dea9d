"""Delivery truth on the pages: the estimate at acceptance, time entries, change requests."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import services, services_changes, services_time
from projects.models import ChangeRequest, ChangeRequestStatus, ProjectStatus, TimeEntry
from tests.projects.builders import win

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def active_project(rep, pm):
    project = win(rep, pm)
    services.project_accept_handoff(project=project, actor=pm)
    project.refresh_from_db()
    return project


def first(project):
    return project.deliverables.order_by("promised_date").first()


class TestAcceptWithEstimates:
    def test_the_dialog_and_the_page_ask_for_each_estimate_prefilled(self, rep, pm, client_for):
        project = win(rep, pm)
        d = first(project)
        http = client_for(pm)
        page = http.get(project.get_absolute_url()).content.decode()
        assert f'name="estimate_{d.pk}"' in page and 'value="10"' in page
        asks = http.get(reverse("projects:accept", args=[project.pk])).content.decode()
        assert "Your estimate per deliverable" in asks and f'name="estimate_{d.pk}"' in asks

    def test_post_saves_the_estimates(self, rep, pm, client_for):
        project = win(rep, pm)
        d = first(project)
        response = client_for(pm).post(
            reverse("projects:accept", args=[project.pk]), {f"estimate_{d.pk}": "14.5"}
        )
        assert response.status_code == 302
        d.refresh_from_db()
        assert d.estimate_days == Decimal("14.5")

    def test_a_bad_estimate_shows_its_error_and_keeps_the_input(self, rep, pm, client_for):
        project = win(rep, pm)
        d = first(project)
        response = client_for(pm).post(
            reverse("projects:accept", args=[project.pk]), {f"estimate_{d.pk}": "-3"}
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert 'value="-3"' in page and "Enter between 0 and 5,000 person-days." in page
        project.refresh_from_db()
        assert project.status == ProjectStatus.KICKOFF


class TestTimeOnThePage:
    def url(self, project):
        return reverse("projects:time_entry_add", args=[project.pk])

    def test_the_pm_enters_time_and_the_effort_shows(self, active_project, pm, client_for):
        d = first(active_project)
        http = client_for(pm)
        response = http.post(
            self.url(active_project),
            {"deliverable": d.pk, "day": TODAY().isoformat(), "amount": "12", "unit": "hours"},
        )
        assert response.status_code == 302 and response.url.endswith("#time")
        page = http.get(active_project.get_absolute_url()).content.decode()
        assert 'data-effort-actual="1.50"' in page
        assert "Sold" in page and "Estimate" in page and "Actual" in page
        assert "12 h" in page

    def test_an_overrun_shows(self, rep, pm, client_for):
        project = win(rep, pm, start=TODAY() - datetime.timedelta(days=10))
        services.project_accept_handoff(project=project, actor=pm)
        d = first(project)
        for back in range(4):
            services_time.time_entry_add(
                deliverable=d, actor=pm, day=TODAY() - datetime.timedelta(days=back), days="3"
            )
        page = client_for(pm).get(project.get_absolute_url()).content.decode()
        assert 'data-overrun="2"' in page and "2 over plan" in page

    def test_errors_show_on_the_page_with_the_input_kept(self, active_project, pm, client_for):
        d = first(active_project)
        tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
        response = client_for(pm).post(
            self.url(active_project),
            {"deliverable": d.pk, "day": tomorrow, "amount": "30", "unit": "hours", "note": "kept"},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "not for days to come" in page or "24" in page
        assert 'value="kept"' in page and f'value="{tomorrow}"' in page
        assert not TimeEntry.objects.exists()

    def test_a_day_too_full_is_an_error_on_the_amount(self, active_project, pm, client_for):
        d = first(active_project)
        services_time.time_entry_add(deliverable=d, actor=pm, day=TODAY(), hours="20")
        response = client_for(pm).post(
            self.url(active_project),
            {"deliverable": d.pk, "day": TODAY().isoformat(), "amount": "1", "unit": "days"},
        )
        assert response.status_code == 400
        assert "at most 4 more fit in the day" in response.content.decode()

    def test_roles(self, active_project, rep, rep2, pm2, manager, client_for):
        data = {
            "deliverable": first(active_project).pk,
            "day": TODAY().isoformat(),
            "amount": "1",
            "unit": "hours",
        }
        assert client_for(rep2).post(self.url(active_project), data).status_code == 404
        for user in (rep, manager):
            assert client_for(user).post(self.url(active_project), data).status_code == 403
        assert client_for(pm2).post(self.url(active_project), data).status_code == 302
        page = client_for(rep).get(active_project.get_absolute_url()).content.decode()
        assert "Enter time" not in page and "Time spent" in page

    def test_edit_own_keeps_the_bounds(self, active_project, pm, pm2, client_for):
        entry = services_time.time_entry_add(
            deliverable=first(active_project), actor=pm, day=TODAY(), hours="2", note="Before"
        )
        url = reverse("projects:time_entry_edit", args=[entry.pk])
        assert client_for(pm2).get(url).status_code == 403
        page = client_for(pm).get(url).content.decode()
        assert 'value="Before"' in page and 'value="2"' in page
        response = client_for(pm).post(
            url, {"day": TODAY().isoformat(), "amount": "25", "unit": "hours", "note": "After"}
        )
        assert response.status_code == 400 and 'value="After"' in response.content.decode()
        response = client_for(pm).post(
            url, {"day": TODAY().isoformat(), "amount": "0.5", "unit": "days", "note": "After"}
        )
        assert response.status_code == 302
        entry.refresh_from_db()
        assert entry.hours == 4 and entry.note == "After"

    def test_remove_asks_then_removes_own_only(self, active_project, pm, pm2, client_for):
        entry = services_time.time_entry_add(
            deliverable=first(active_project), actor=pm, day=TODAY(), hours="2"
        )
        url = reverse("projects:time_entry_remove", args=[entry.pk])
        assert client_for(pm2).get(url).status_code == 403
        assert client_for(pm2).post(url).status_code == 403
        assert client_for(pm).get(url).status_code == 200
        assert TimeEntry.objects.exists()
        assert client_for(pm).post(url).status_code == 302
        assert not TimeEntry.objects.exists()


class TestChangesOnThePages:
    def test_the_pm_asks_the_rep_approves_on_the_pages(self, active_project, rep, pm, client_for):
        d = first(active_project)
        new_date = d.promised_date + datetime.timedelta(days=21)
        url = reverse("projects:change_new", args=[d.pk])
        assert client_for(pm).get(url).status_code == 200
        response = client_for(pm).post(
            url, {"proposed_date": new_date.isoformat(), "reason": "Data arrives late"}
        )
        assert response.status_code == 302
        change = ChangeRequest.objects.get()
        rep_page = client_for(rep).get(active_project.get_absolute_url()).content.decode()
        assert f'data-confirm-dialog="confirm-change-{change.pk}"' in rep_page
        assert "Asked by" in rep_page and "Data arrives late" in rep_page
        pm_page = client_for(pm).get(active_project.get_absolute_url()).content.decode()
        assert f"confirm-change-{change.pk}" not in pm_page  # not one's own
        approve = reverse("projects:change_approve", args=[change.pk])
        assert client_for(pm).get(approve).status_code == 403
        assert client_for(rep).get(approve).status_code == 200
        assert client_for(rep).post(approve).status_code == 302
        change.refresh_from_db()
        assert change.status == ChangeRequestStatus.APPROVED
        deal_page = client_for(rep).get(active_project.deal.get_absolute_url()).content.decode()
        assert "Changes to the promises since the win" in deal_page
        assert "Approved by" in deal_page and "now due" in deal_page

    def test_the_form_keeps_input_and_shows_errors(self, active_project, pm, client_for):
        d = first(active_project)
        response = client_for(pm).post(
            reverse("projects:change_new", args=[d.pk]),
            {"proposed_effort_days": "-1", "reason": "kept reason"},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "kept reason" in page and "greater than or equal to 0" in page
        response = client_for(pm).post(
            reverse("projects:change_new", args=[d.pk]), {"reason": "nothing asked"}
        )
        assert response.status_code == 400
        assert "Give a new date, a new effort, or ask to descope." in response.content.decode()

    def test_reject_needs_a_reason(self, active_project, rep, pm, client_for):
        change = services_changes.change_request_raise(
            deliverable=first(active_project), actor=rep, reason="Client asks", descope=True
        )
        url = reverse("projects:change_reject", args=[change.pk])
        assert client_for(rep).get(url).status_code == 403
        assert client_for(pm).post(url, {"reason": ""}).status_code == 400
        assert client_for(pm).post(url, {"reason": "Still needed"}).status_code == 302
        change.refresh_from_db()
        assert change.status == ChangeRequestStatus.REJECTED

    def test_deciding_twice_says_so(self, active_project, rep, pm, client_for):
        change = services_changes.change_request_raise(
            deliverable=first(active_project), actor=pm, reason="x", proposed_effort_days="12"
        )
        services_changes.change_request_approve(change=change, actor=rep)
        response = client_for(rep).post(
            reverse("projects:change_approve", args=[change.pk]), follow=True
        )
        assert "approved already" in response.content.decode()

    def test_others_do_not_see_or_reach_them(self, active_project, rep, rep2, pm, client_for):
        d = first(active_project)
        change = services_changes.change_request_raise(
            deliverable=d, actor=pm, reason="secret reason", proposed_effort_days="12"
        )
        for url in (
            reverse("projects:change_new", args=[d.pk]),
            reverse("projects:change_approve", args=[change.pk]),
            reverse("projects:change_reject", args=[change.pk]),
        ):
            assert client_for(rep2).get(url).status_code == 404
            assert client_for(rep2).post(url, {"reason": "x"}).status_code == 404


def test_project_page_query_count_does_not_grow_with_entries_and_changes(
    active_project, rep, pm, pm2, client_for
):
    http = client_for(pm)
    d1, d2 = active_project.deliverables.order_by("promised_date")
    services_time.time_entry_add(deliverable=d1, actor=pm, day=TODAY(), hours="1")
    services_changes.change_request_raise(
        deliverable=d1, actor=pm, reason="x", proposed_effort_days="12"
    )
    http.get(active_project.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        http.get(active_project.get_absolute_url())
    for i in range(10):
        services_time.time_entry_add(deliverable=d2, actor=pm2, day=TODAY(), hours="1", note=f"{i}")
    change = services_changes.change_request_raise(
        deliverable=d2, actor=rep, reason="y", proposed_effort_days="9"
    )
    services_changes.change_request_approve(change=change, actor=pm)
    with CaptureQueriesContext(connection) as many:
        response = http.get(active_project.get_absolute_url())
    assert response.status_code == 200
    assert len(many) <= len(one), [q["sql"][:120] for q in many.captured_queries]


def test_the_time_list_pages_by_twenty(rep, pm, client_for):
    project = win(rep, pm, start=TODAY() - datetime.timedelta(days=30))
    services.project_accept_handoff(project=project, actor=pm)
    d = first(project)
    for back in range(25):
        services_time.time_entry_add(
            deliverable=d, actor=pm, day=TODAY() - datetime.timedelta(days=back), hours="1"
        )
    http = client_for(pm)
    page_one = http.get(project.get_absolute_url()).content.decode()
    assert page_one.count("data-time-entry=") == 20 and 'rel="next"' in page_one
    page_two = http.get(project.get_absolute_url(), {"page": 2}).content.decode()
    assert page_two.count("data-time-entry=") == 5


def test_a_renegotiated_promise_says_how_it_stands_against_the_agreed_date(
    active_project, rep, pm, client_for
):
    d = first(active_project)
    change = services_changes.change_request_raise(
        deliverable=d,
        actor=pm,
        reason="Late data",
        proposed_date=d.promised_date + datetime.timedelta(days=9),
    )
    services_changes.change_request_approve(change=change, actor=rep)
    page = client_for(pm).get(active_project.get_absolute_url()).content.decode()
    assert (
        "on time as renegotiated" in page and f'data-renegotiated="{change.proposed_date}' in page
    )

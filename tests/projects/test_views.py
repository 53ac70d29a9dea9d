import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals import services as deal_services
from projects import services
from projects.models import CapacityException, Deliverable, PMCapacity, ProjectStatus
from tests.factories import CommitmentFactory
from tests.projects.builders import bulk_project, make_deal, win

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def detail(project):
    return reverse("projects:detail", args=[project.pk])


class TestProjectList:
    def test_each_role_sees_what_it_may(self, won_project, rep, rep2, pm, pm2, manager, client_for):
        for user, visible in ((rep, True), (rep2, False), (pm, True), (pm2, True), (manager, True)):
            response = client_for(user).get(reverse("projects:list"))
            assert response.status_code == 200
            assert (won_project.deal.title in response.content.decode()) is visible, user

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(reverse("projects:list"))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_filters(self, rep, pm, pm2, client_for):
        late = win(rep, pm, title="Late one")
        on_time = win(rep, pm2, title="On time one")
        Deliverable.objects.filter(project=late).update(
            promised_date=TODAY() - datetime.timedelta(days=2)
        )
        risky = on_time.deliverables.first()
        services.deliverable_update_status(
            deliverable=risky, actor=pm2, status="at_risk", reason="Vendor slip"
        )
        http = client_for(pm)

        def titles(**params):
            page = http.get(reverse("projects:list"), params).content.decode()
            return {t for t in ("Late one", "On time one") if t in page}

        assert titles() == {"Late one", "On time one"}
        assert titles(late="on") == {"Late one"}
        assert titles(at_risk="on") == {"On time one"}
        assert titles(pm=pm2.pk) == {"On time one"}
        assert titles(status="active") == set()
        assert titles(status="kickoff") == {"Late one", "On time one"}

    def test_the_pm_filter_reads_the_pms_names_only(self, pm, pm2, client_for):
        http = client_for(pm)
        with CaptureQueriesContext(connection) as queries:
            page = http.get(reverse("projects:list")).content.decode()
        (read,) = [q["sql"] for q in queries if '"handoff_user"."role" =' in q["sql"]]
        assert "first_name" in read
        assert "password" not in read
        assert "email_preferences" not in read
        assert f'<option value="{pm2.pk}">{pm2.display_name}</option>' in page

    def test_late_is_shown_on_the_list(self, won_project, pm, client_for):
        Deliverable.objects.filter(project=won_project).update(
            promised_date=TODAY() - datetime.timedelta(days=1)
        )
        page = client_for(pm).get(reverse("projects:list")).content.decode()
        assert "2 late" in page

    def test_query_count_is_the_same_for_1_and_50(
        self, rep, pm, client_for, django_assert_num_queries
    ):
        bulk_project(rep, pm, 0)
        http = client_for(pm)
        http.get(reverse("projects:list"))  # warm the session
        with CaptureQueriesContext(connection) as one:
            http.get(reverse("projects:list"))
        for i in range(1, 50):
            bulk_project(rep, pm, i)
        with django_assert_num_queries(len(one)):
            response = http.get(reverse("projects:list"))
        assert response.content.decode().count("<tr data-status") == 25
        assert len(one) <= 8


class TestProjectPage:
    def test_visible_roles_see_it(self, won_project, rep, pm, pm2, manager, client_for):
        for user in (rep, pm, pm2, manager):
            response = client_for(user).get(detail(won_project))
            assert response.status_code == 200
            assert "Data warehouse" in response.content.decode()

    def test_other_rep_gets_404(self, won_project, rep2, client_for):
        assert client_for(rep2).get(detail(won_project)).status_code == 404

    def test_only_the_project_pm_sees_accept_and_questions(
        self, won_project, pm, pm2, rep, client_for
    ):
        assert "Accept handoff" in client_for(pm).get(detail(won_project)).content.decode()
        for user in (pm2, rep):
            page = client_for(user).get(detail(won_project)).content.decode()
            assert "Accept handoff" not in page
            assert "Update status" not in page

    def test_pm_accepts_handoff(self, won_project, pm, client_for):
        response = client_for(pm).post(reverse("projects:accept", args=[won_project.pk]))
        assert response.status_code == 302
        won_project.refresh_from_db()
        assert won_project.status == ProjectStatus.ACTIVE

    def test_accepting_twice_shows_a_message(self, won_project, pm, client_for):
        http = client_for(pm)
        http.post(reverse("projects:accept", args=[won_project.pk]))
        response = http.post(reverse("projects:accept", args=[won_project.pk]), follow=True)
        assert "already accepted" in response.content.decode()

    def test_rep_cannot_accept(self, won_project, rep, rep2, client_for):
        assert (
            client_for(rep).post(reverse("projects:accept", args=[won_project.pk])).status_code
            == 403
        )
        assert (
            client_for(rep2).post(reverse("projects:accept", args=[won_project.pk])).status_code
            == 404
        )

    def test_send_questions(self, won_project, pm, client_for):
        url = reverse("projects:questions", args=[won_project.pk])
        response = client_for(pm).post(url, {"questions": "Who is the client's IT contact?"})
        assert response.status_code == 302
        assert won_project.events.filter(kind="questions_sent").exists()
        response = client_for(pm).post(url, {"questions": ""})
        assert response.status_code == 400
        assert "This field is required" in response.content.decode()

    def test_kickoff_checklist(self, won_project, pm, rep, client_for):
        http = client_for(pm)
        http.post(reverse("projects:kickoff_add", args=[won_project.pk]), {"text": "Book rooms"})
        item = won_project.kickoff_items.get(text="Book rooms")
        http.post(reverse("projects:kickoff_toggle", args=[item.pk]), {"done": "1"})
        item.refresh_from_db()
        assert item.done
        assert (
            client_for(rep).post(reverse("projects:kickoff_remove", args=[item.pk])).status_code
            == 403
        )
        http.post(reverse("projects:kickoff_remove", args=[item.pk]))
        assert not won_project.kickoff_items.filter(pk=item.pk).exists()

    def test_rep_writes_the_brief(self, won_project, rep, pm, client_for):
        url = reverse("projects:brief", args=[won_project.pk])
        assert client_for(pm).get(url).status_code == 403
        response = client_for(rep).post(
            url, {"customer_context": "Retailer, 40 stores", "risks": "Legacy ERP"}
        )
        assert response.status_code == 302
        page = client_for(pm).get(detail(won_project)).content.decode()
        assert "Retailer, 40 stores" in page


class TestDeliverableStatus:
    def url(self, project):
        return reverse("projects:deliverable_status", args=[project.deliverables.first().pk])

    def test_pm_marks_delivered_without_js(self, won_project, pm, client_for):
        response = client_for(pm).post(
            self.url(won_project), {"status": "delivered", "delivered_on": TODAY().isoformat()}
        )
        assert response.status_code == 302
        deliverable = won_project.deliverables.first()
        assert deliverable.status == "delivered" and deliverable.is_kept

    def test_pm_updates_in_place_with_htmx(self, won_project, pm, client_for):
        http = client_for(pm)
        form = http.get(self.url(won_project), HTTP_HX_REQUEST="true")
        assert form.status_code == 200
        assert "<form" in form.content.decode() and "<html" not in form.content.decode()
        response = http.post(
            self.url(won_project), {"status": "in_progress"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert body.strip().startswith("<tr") and "In progress" in body

    def test_missing_reason_keeps_input_and_shows_error(self, won_project, pm, client_for):
        response = client_for(pm).post(
            self.url(won_project), {"status": "at_risk"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200  # htmx swaps only 2xx
        assert "Say why." in response.content.decode()
        assert 'value="at_risk" selected' in response.content.decode()

    def test_missing_date_without_js_is_400_with_the_form(self, won_project, pm, client_for):
        response = client_for(pm).post(self.url(won_project), {"status": "delivered"})
        assert response.status_code == 400
        assert "Give the date it was delivered." in response.content.decode()

    def test_reps_cannot_change_deliverables(self, won_project, rep, rep2, pm2, client_for):
        assert (
            client_for(rep).post(self.url(won_project), {"status": "in_progress"}).status_code
            == 403
        )
        assert client_for(rep).get(self.url(won_project)).status_code == 403
        assert (
            client_for(pm2).post(self.url(won_project), {"status": "in_progress"}).status_code
            == 403
        )
        assert (
            client_for(rep2).post(self.url(won_project), {"status": "in_progress"}).status_code
            == 404
        )
        assert won_project.deliverables.first().status == "planned"


class TestCapacityPage:
    def test_heat_map_for_pms_and_managers(self, won_project, pm, manager, client_for):
        for user in (pm, manager):
            response = client_for(user).get(reverse("projects:capacity"))
            assert response.status_code == 200
            page = response.content.decode()
            assert "heat-" in page and "Priya Mehta" in page

    def test_reps_are_refused(self, rep, client_for):
        assert client_for(rep).get(reverse("projects:capacity")).status_code == 403


class TestSettings:
    def test_pm_sets_capacity_and_time_off(self, pm, client_for):
        http = client_for(pm)
        page = http.get(reverse("settings")).content.decode()
        assert "Person-days per week" in page
        assert (
            http.post(reverse("projects:capacity_set"), {"weekly_days": "3.5"}).status_code == 302
        )
        assert str(PMCapacity.objects.get(user=pm).weekly_days) == "3.5"
        response = http.post(
            reverse("projects:time_off_add"),
            {"week_start": "2026-W52", "days": "0", "note": "Holidays"},
        )
        assert response.status_code == 302
        exception = CapacityException.objects.get(pm=pm)
        assert exception.week_start == datetime.date(2026, 12, 21)
        http.post(reverse("projects:time_off_remove", args=[exception.pk]))
        assert not CapacityException.objects.exists()

    def test_bad_capacity_shows_the_error(self, pm, client_for):
        response = client_for(pm).post(reverse("projects:capacity_set"), {"weekly_days": "9"})
        assert response.status_code == 400
        assert "less than or equal to 7" in response.content.decode()

    def test_rep_sees_no_capacity_section(self, rep, client_for):
        response = client_for(rep).get(reverse("settings"))
        assert response.status_code == 200
        assert "Person-days per week" not in response.content.decode()

    def test_other_pm_cannot_remove_my_week(self, pm, pm2, client_for):
        exception = services.capacity_exception_add(
            pm=pm, actor=pm, week_start=datetime.date(2026, 12, 21), days=0
        )
        assert (
            client_for(pm2)
            .post(reverse("projects:time_off_remove", args=[exception.pk]))
            .status_code
            == 404
        )


class TestDealPage:
    def test_pm_sees_capacity_check_during_review(self, rep, pm, client_for):
        deal = make_deal(rep)
        deal_services.deal_submit(deal=deal, actor=rep)
        response = client_for(pm).get(reverse("deals:detail", args=[deal.pk]))
        page = response.content.decode()
        assert "Capacity check" in page
        assert 'id="capacity-data"' in page
        assert "Fits:" in page or "Over capacity" in page
        # The week-by-week table shows each week's figures as the check computed them.
        for scope in response.context["capacity_check"]["scopes"]:
            week = scope["check"]["weeks"][0]
            assert f"<td>{week.without_text}</td>" in page
            assert f"<td>{week.capacity_text}</td>" in page
            assert f"<td>{week.with_text}" in page

    def test_the_capacity_check_reads_no_round_or_commitment_the_page_has_read(
        self, rep, pm, pm2, client_for
    ):
        deal = make_deal(rep)
        deal_services.deal_submit(deal=deal, actor=rep)
        deal_services.review_claim(deal=deal, actor=pm)
        http = client_for(pm2)
        with CaptureQueriesContext(connection) as queries:
            page = http.get(reverse("deals:detail", args=[deal.pk]))
        assert page.status_code == 200
        assert page.context["capacity_check"]["scopes"]  # checked for the claimant, pm

        # This deal's rows of a table (the tentative load of all deals is a read of its own).
        def reads(table: str) -> int:
            return sum(
                q["sql"].startswith(f'SELECT "{table}".')
                and f'WHERE "{table}"."deal_id"' in q["sql"]
                for q in queries.captured_queries
            )

        assert reads("deals_reviewround") == 1
        assert reads("deals_commitment") == 1

    def test_rep_sees_promises_of_the_won_deal(self, won_project, rep, pm, client_for):
        deliverable = won_project.deliverables.first()
        services.deliverable_update_status(
            deliverable=deliverable, actor=pm, status="delivered", delivered_on=TODAY()
        )
        page = (
            client_for(rep)
            .get(reverse("deals:detail", args=[won_project.deal.pk]))
            .content.decode()
        )
        assert "How the promises are delivered" in page
        assert "Kept" in page


class TestAdmin:
    def test_admin_pages_open_and_status_is_read_only(self, won_project):
        from tests.factories import UserFactory

        admin_user = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
        from django.test import Client

        http = Client()
        http.force_login(admin_user)
        for url in (
            "/admin/projects/project/",
            f"/admin/projects/project/{won_project.pk}/change/",
            "/admin/projects/deliverable/",
            "/admin/projects/projectevent/",
            "/admin/projects/pmcapacity/",
            "/admin/projects/capacityexception/",
        ):
            assert http.get(url).status_code == 200, url
        page = http.get(f"/admin/projects/project/{won_project.pk}/change/").content.decode()
        assert 'name="status"' not in page


def test_status_form_page_without_javascript(won_project, pm, client_for):
    deliverable = won_project.deliverables.first()
    response = client_for(pm).get(reverse("projects:deliverable_status", args=[deliverable.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and 'name="status"' in page and "Delivered on" in page


def test_capacity_page_query_count_does_not_grow(rep, pm, client_for, django_assert_num_queries):
    from django.core.cache import cache

    from tests.factories import UserFactory
    from tests.projects.builders import bulk_project

    bulk_project(rep, pm, 0)
    http = client_for(pm)
    http.get(reverse("projects:capacity"))
    with CaptureQueriesContext(connection) as cached:
        http.get(reverse("projects:capacity"))
    cache.clear()
    with CaptureQueriesContext(connection) as one:
        http.get(reverse("projects:capacity"))
    # From the cache: the open work's load, the tentative load and the chances to win (two).
    assert len(cached) == len(one) - 4
    for i in range(1, 20):
        bulk_project(rep, UserFactory(username=f"pm-extra-{i}", role="pm"), i)
    cache.clear()
    with django_assert_num_queries(len(one)):
        response = http.get(reverse("projects:capacity"))
    assert response.content.decode().count('<th scope="row">') == 20


def test_row_after_marking_missed_links_to_a_note_about_it(won_project, pm, client_for):
    deliverable = won_project.deliverables.first()
    response = client_for(pm).post(
        reverse("projects:deliverable_status", args=[deliverable.pk]),
        {"status": "missed"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f"project={won_project.pk}&amp;deal={won_project.deal_id}" in response.content.decode()


# The project page as a record


def fragment(html: str, element_id: str) -> str:
    """The element with this id, from its opening tag to the end of its section."""
    start = html.rindex("<", 0, html.index(f'id="{element_id}"'))
    return html[start : html.index("</section>", start)]


def deliverable_url(deliverable):
    return reverse("projects:deliverable_status", args=[deliverable.pk])


class TestRecordLayout:
    def test_header_facts_actions_and_rows(self, won_project, pm, client_for):
        page = client_for(pm).get(detail(won_project)).content.decode()
        head = page[page.index('project-head"') : page.index('class="project-layout"')]
        for label in (
            "Client",
            "Project manager",
            "Priya Mehta",
            "Starts",
            'data-status="kickoff"',
        ):
            assert label in head, label
        assert "<h1>Data platform rollout</h1>" in head
        side = page[page.index('class="project-side"') : page.index('class="project-more"')]
        for label in ("Your actions", "Accept handoff", "Facts", "Deal value", "€80,000"):
            assert label in side, label
        assert "Sales rep" in side and "Rita Reyes" in side
        assert "0 of 5 done" in side and "Not written yet." in side
        promises = fragment(page, "project-promises")
        for count in ("kept", "missed", "open"):
            assert f'data-count="{count}"' in promises
        assert '<dd data-count="open">2</dd>' in promises
        row = fragment(page, "deliverables")
        assert "10 person-days" in row and "6 person-days" in row
        for label in ("Promised", "Effort", "Status", "Delivered", "Promise"):
            assert f'data-label="{label}"' in row
        assert 'hx-disabled-elt="this"' in row and 'hx-sync="this:drop"' in row
        more = page[page.index('class="project-more"') :]
        assert 'id="project-history"' in more and "Feedback notes" in more

    def test_the_brief_summary_and_kickoff_progress(self, won_project, pm, rep, client_for):
        services.project_update_brief(
            project=won_project, actor=rep, data={"customer_context": "Retailer, 40 stores"}
        )
        item = won_project.kickoff_items.first()
        services.kickoff_item_toggle(item=item, actor=pm, done=True)
        page = client_for(rep).get(detail(won_project)).content.decode()
        side = page[page.index('class="project-side"') : page.index('class="project-more"')]
        assert "Retailer, 40 stores" in side and 'href="#brief"' in side
        assert 'data-kickoff="1/5"' in side
        assert "Accept handoff" not in side and "Write a feedback note" in side

    def test_the_promises_count_kept_missed_and_open(self, won_project, pm, client_for):
        first, second = won_project.deliverables.order_by("promised_date")
        services.deliverable_update_status(
            deliverable=first, actor=pm, status="delivered", delivered_on=TODAY()
        )
        services.deliverable_update_status(deliverable=second, actor=pm, status="missed")
        promises = fragment(
            client_for(pm).get(detail(won_project)).content.decode(), "project-promises"
        )
        assert '<dd data-count="kept">1</dd>' in promises
        assert '<dd data-count="missed">1</dd>' in promises
        assert '<dd data-count="open">0</dd>' in promises
        assert "<strong>1 of 2</strong> resolved promises kept" in promises

    def test_query_count_is_the_same_for_1_and_many_deliverables(
        self, rep, pm, client_for, django_assert_num_queries
    ):
        project = bulk_project(rep, pm, 0)
        http = client_for(pm)
        http.get(detail(project))  # warm the session
        with CaptureQueriesContext(connection) as one:
            assert http.get(detail(project)).status_code == 200
        for i in range(1, 25):
            Deliverable.objects.create(
                project=project,
                commitment=CommitmentFactory(deal=project.deal),
                kind="scope",
                summary=f"Part {i}",
                promised_date=TODAY() + datetime.timedelta(days=i),
                effort_days=i,
            )
        with django_assert_num_queries(len(one)):
            page = http.get(detail(project)).content.decode()
        assert page.count('class="deliverable"') == 25


class TestUpdatedInPlace:
    def test_the_promises_and_history_come_back_out_of_band(self, won_project, pm, client_for):
        http = client_for(pm)
        deliverable = won_project.deliverables.order_by("promised_date").first()
        before = http.get(detail(won_project)).content.decode()
        assert '<dd data-count="kept">0</dd>' in fragment(before, "project-promises")
        response = http.post(
            deliverable_url(deliverable),
            {"status": "delivered", "delivered_on": TODAY().isoformat()},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert body.strip().startswith(f'<tr id="deliverable-{deliverable.pk}"')
        promises = fragment(body, "project-promises")
        assert 'hx-swap-oob="true"' in promises
        assert '<dd data-count="kept">1</dd>' in promises
        assert '<dd data-count="open">1</dd>' in promises
        history = fragment(body, "project-history")
        assert 'hx-swap-oob="true"' in history
        assert "Deliverable status changed by Priya Mehta: Data warehouse → Delivered" in history

    def test_the_answer_to_an_error_changes_nothing_else(self, won_project, pm, client_for):
        deliverable = won_project.deliverables.first()
        body = (
            client_for(pm)
            .post(deliverable_url(deliverable), {"status": "at_risk"}, HTTP_HX_REQUEST="true")
            .content.decode()
        )
        assert "Say why." in body and "hx-swap-oob" not in body

    def test_the_edit_row_sends_once(self, won_project, pm, client_for):
        body = (
            client_for(pm)
            .get(deliverable_url(won_project.deliverables.first()), HTTP_HX_REQUEST="true")
            .content.decode()
        )
        assert 'hx-disabled-elt="find button, find a"' in body and 'hx-sync="this:drop"' in body


class TestCompleteProject:
    def url(self, project):
        return reverse("projects:complete", args=[project.pk])

    def active(self, project, pm):
        services.project_accept_handoff(project=project, actor=pm)
        for deliverable in project.deliverables.all():
            services.deliverable_update_status(
                deliverable=deliverable, actor=pm, status="delivered", delivered_on=TODAY()
            )
        project.refresh_from_db()
        return project

    def test_the_page_asks_in_a_dialog(self, won_project, pm, client_for):
        project = self.active(won_project, pm)
        page = client_for(pm).get(detail(project)).content.decode()
        assert 'data-confirm-dialog="confirm-complete"' in page
        start = page.index('<dialog id="confirm-complete"')
        dialog = page[start : page.index("</dialog>", start)]
        assert "Complete this project?" in dialog and "closes the project for good" in dialog
        assert f'action="{self.url(project)}"' in dialog and 'method="post"' in dialog
        assert "js/confirm.js" in page

    def test_get_asks_and_changes_nothing_post_completes(self, won_project, pm, client_for):
        project = self.active(won_project, pm)
        http = client_for(pm)
        response = http.get(self.url(project))
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>Complete this project?</h1>" in page
        assert f'<form method="post" action="{self.url(project)}"' in page
        project.refresh_from_db()
        assert project.status == ProjectStatus.ACTIVE
        response = http.post(self.url(project))
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.status == ProjectStatus.COMPLETED

    def test_open_deliverables_are_named_and_refused(self, won_project, pm, client_for):
        services.project_accept_handoff(project=won_project, actor=pm)
        http = client_for(pm)
        page = http.get(detail(won_project)).content.decode()
        assert 'data-confirm-dialog="confirm-complete"' not in page
        assert "once every deliverable is delivered, missed or descoped (2 still open)" in page
        assert "2 deliverables are still open" in http.get(self.url(won_project)).content.decode()
        response = http.post(self.url(won_project), follow=True)
        assert "2 deliverables are still open" in response.content.decode()
        won_project.refresh_from_db()
        assert won_project.status == ProjectStatus.ACTIVE

    def test_each_role(self, won_project, rep, rep2, pm, pm2, manager, client_for):
        project = self.active(won_project, pm)
        for user, status in ((rep, 403), (rep2, 404), (pm2, 403), (manager, 200)):
            assert client_for(user).get(self.url(project)).status_code == status, user
        for user, status in ((rep, 403), (rep2, 404), (pm2, 403)):
            assert client_for(user).post(self.url(project)).status_code == status, user
        project.refresh_from_db()
        assert project.status == ProjectStatus.ACTIVE
        assert client_for(manager).post(self.url(project)).status_code == 302
        project.refresh_from_db()
        assert project.status == ProjectStatus.COMPLETED

    def test_a_project_in_kickoff_cannot_be_completed(self, won_project, pm, client_for):
        response = client_for(pm).get(self.url(won_project), follow=True)
        assert response.redirect_chain[-1][0] == detail(won_project)
        assert "A project that is kickoff cannot be completed." in response.content.decode()

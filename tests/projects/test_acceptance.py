"""Customer acceptance: the services' rules, the link's refusals, the pages and the API."""

import datetime

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from deals.approval_links import SALT as APPROVAL_SALT
from feedback.models import EmailOutbox, Notification
from handoff.errors import ActionForbidden, DomainError
from projects import acceptance, services
from projects.acceptance_links import (
    SALT,
    LinkRefused,
    acceptance_path,
    acceptance_token,
    link_open,
)
from projects.acceptance_models import AcceptanceLinkUse, AcceptanceRequest
from projects.models import Project, ProjectEvent
from tests.projects.acceptance_builders import deliver, link_in_email, send
from tests.projects.builders import win

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(won_project):
    return won_project.deliverables.order_by("promised_date", "id").first()


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def decide(token, decision="accepted", rating=4, comment=""):
    return acceptance.acceptance_decide(
        token=token, decision=decision, rating=rating, comment=comment
    )


def respond_url(token):
    return acceptance_path(token)


def expire(request):
    AcceptanceRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )


class TestSending:
    def test_only_a_delivered_deliverable_goes_to_the_customer(self, deliverable, pm):
        with pytest.raises(DomainError) as refused:
            acceptance.acceptance_send(
                deliverable=deliverable,
                actor=pm,
                contact_name="Dana Client",
                contact_email="dana@client.example",
            )
        assert refused.value.code == "not_delivered"
        assert not AcceptanceRequest.objects.exists()

    def test_the_projects_pm_or_a_manager_sends_reps_and_other_pms_may_not(
        self, deliverable, rep, pm, pm2, manager
    ):
        deliver(deliverable, pm)
        for user in (rep, pm2):
            with pytest.raises(ActionForbidden):
                acceptance.acceptance_send(
                    deliverable=deliverable,
                    actor=user,
                    contact_name="Dana",
                    contact_email="dana@client.example",
                )
        request = acceptance.acceptance_send(
            deliverable=deliverable,
            actor=manager,
            contact_name="  Dana   Client ",
            contact_email="dana@CLIENT.example",
        )
        assert request.contact_name == "Dana Client"
        assert request.contact_email == "dana@client.example"
        assert request.delivered_on == timezone.localdate()
        assert request.expires_at > timezone.now() + datetime.timedelta(days=13)
        event = ProjectEvent.objects.filter(kind="acceptance_sent").get()
        assert event.actor == manager and event.data["contact"] == "Dana Client"

    @pytest.mark.parametrize(
        ("name", "email", "field"),
        [
            ("", "dana@client.example", "contact_name"),
            ("D" * 121, "dana@client.example", "contact_name"),
            ("Dana\x07", "dana@client.example", "contact_name"),
            ("Dana", "", "contact_email"),
            ("Dana", "not-an-address", "contact_email"),
            ("Dana", "d" * 250 + "@x.example", "contact_email"),
        ],
    )
    def test_the_contact_is_bounded_and_validated(self, deliverable, pm, name, email, field):
        deliver(deliverable, pm)
        with pytest.raises(ValidationError) as refused:
            acceptance.acceptance_send(
                deliverable=deliverable, actor=pm, contact_name=name, contact_email=email
            )
        assert field in refused.value.message_dict
        assert not AcceptanceRequest.objects.exists()

    def test_the_contact_gets_the_link_by_email_through_the_outbox(
        self, deliverable, pm, client, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _, token = send(deliverable, pm)
        assert callbacks, "the email is handed to a worker after commit"
        email = EmailOutbox.objects.get(kind="acceptance_request")
        assert email.to_address == "dana@client.example" and email.recipient is None
        assert email.subject == f"Please confirm delivery of “{deliverable.summary}”"
        assert respond_url(token) in email.text_body and respond_url(token) in email.html_body
        assert link_in_email("dana@client.example") == respond_url(token)

    def test_one_request_waits_at_a_time_an_expired_one_gives_way(self, deliverable, pm):
        first, _ = send(deliverable, pm)
        with pytest.raises(DomainError) as refused:
            send(deliverable, pm, name="Someone Else")
        assert refused.value.code == "acceptance_pending"
        expire(first)
        second, _ = send(deliverable, pm, name="Someone Else")
        first.refresh_from_db()
        assert first.status == "cancelled" and second.status == "pending"

    def test_an_accepted_delivery_is_not_sent_again(self, deliverable, pm):
        _, token = send(deliverable, pm)
        decide(token)
        with pytest.raises(DomainError) as refused:
            send(deliverable, pm)
        assert refused.value.code == "already_accepted"

    def test_a_completed_project_sends_nothing(self, won_project, deliverable, pm):
        deliver(deliverable, pm)
        # Completed through the workflow elsewhere (tests/projects/test_services.py).
        Project.objects.filter(pk=won_project.pk).update(status="completed")
        with pytest.raises(DomainError) as refused:
            send(deliverable, pm)
        assert refused.value.code == "project_completed"


class TestResendAndCancel:
    def test_sending_again_replaces_the_link(self, deliverable, pm):
        request, old = send(deliverable, pm)
        expire(request)
        request = acceptance.acceptance_resend(acceptance=request, actor=pm)
        new = acceptance_token(request)
        assert request.times_sent == 2 and not request.is_expired
        with pytest.raises(LinkRefused) as refused:
            link_open(token=old)
        assert refused.value.code == "replaced"
        assert link_open(token=new).pk == request.pk
        assert EmailOutbox.objects.filter(kind="acceptance_request").count() == 2

    def test_sending_again_is_bounded(self, deliverable, pm):
        request, _ = send(deliverable, pm)
        for _ in range(acceptance.MAX_SENDS - 1):
            request = acceptance.acceptance_resend(acceptance=request, actor=pm)
        with pytest.raises(DomainError) as refused:
            acceptance.acceptance_resend(acceptance=request, actor=pm)
        assert refused.value.code == "sent_too_often"

    def test_cancel_stops_the_link_and_only_a_pending_request_cancels(self, deliverable, pm, pm2):
        request, token = send(deliverable, pm)
        with pytest.raises(ActionForbidden):
            acceptance.acceptance_cancel(acceptance=request, actor=pm2)
        acceptance.acceptance_cancel(acceptance=request, actor=pm)
        with pytest.raises(LinkRefused) as refused:
            link_open(token=token)
        assert refused.value.code == "cancelled"
        with pytest.raises(DomainError) as again:
            acceptance.acceptance_cancel(acceptance=request, actor=pm)
        assert again.value.code == "not_pending"
        with pytest.raises(DomainError):
            acceptance.acceptance_resend(acceptance=request, actor=pm)


class TestDecision:
    def test_accepting_records_the_rating_and_keeps_the_delivery(self, deliverable, pm):
        request, token = send(deliverable, pm)
        decided = decide(token, rating=5, comment="Exactly what we asked for.")
        deliverable.refresh_from_db()
        assert decided.status == "accepted" and decided.rating == 5 and decided.decided_at
        assert deliverable.status == "delivered"
        assert AcceptanceLinkUse.objects.filter(request=request).count() == 1
        event = ProjectEvent.objects.get(kind="acceptance_accepted")
        assert event.actor is None and event.data["rating"] == 5
        assert not Notification.objects.filter(kind="acceptance_declined").exists()

    def test_declining_reopens_the_deliverable_and_tells_the_pm(self, deliverable, pm):
        _, token = send(deliverable, pm)
        decide(token, decision="declined", rating=2, comment="The exports are missing.")
        deliverable.refresh_from_db()
        assert deliverable.status == "in_progress"
        assert deliverable.delivered_on is None and deliverable.slip_days is None
        change = ProjectEvent.objects.get(kind="deliverable_status_changed", actor=None)
        assert change.data["from"] == "delivered" and change.data["to"] == "in_progress"
        notice = Notification.objects.get(kind="acceptance_declined")
        assert notice.recipient == pm
        assert "The exports are missing." in notice.text
        email = EmailOutbox.objects.get(kind="acceptance_declined")
        assert email.to_address == pm.email

    def test_a_decline_after_the_project_completed_is_recorded_not_reopened(
        self, won_project, deliverable, pm
    ):
        _, token = send(deliverable, pm)
        Project.objects.filter(pk=won_project.pk).update(status="completed")
        decide(token, decision="declined", rating=3, comment="One report is off.")
        deliverable.refresh_from_db()
        assert deliverable.status == "delivered"
        assert Notification.objects.filter(kind="acceptance_declined", recipient=pm).exists()

    def test_declining_needs_a_comment(self, deliverable, pm):
        _, token = send(deliverable, pm)
        with pytest.raises(ValidationError) as refused:
            decide(token, decision="declined", rating=2, comment="  ")
        assert "comment" in refused.value.message_dict
        assert link_open(token=token).status == "pending"

    @pytest.mark.parametrize("rating", [0, 6, "x", None, -1])
    def test_the_rating_is_1_to_5(self, deliverable, pm, rating):
        _, token = send(deliverable, pm)
        with pytest.raises(ValidationError) as refused:
            decide(token, rating=rating)
        assert "rating" in refused.value.message_dict
        assert not AcceptanceLinkUse.objects.exists()

    def test_a_comment_is_bounded(self, deliverable, pm):
        _, token = send(deliverable, pm)
        with pytest.raises(ValidationError):
            decide(token, comment="x" * 2001)

    def test_a_link_works_once(self, deliverable, pm):
        _, token = send(deliverable, pm)
        decide(token)
        with pytest.raises(LinkRefused) as refused:
            decide(token, decision="declined", rating=1, comment="Changed my mind")
        assert refused.value.code == "already_used" and refused.value.status == 409
        assert refused.value.request.status == "accepted"

    def test_an_expired_link_decides_nothing(self, deliverable, pm):
        request, token = send(deliverable, pm)
        expire(request)
        with pytest.raises(LinkRefused) as refused:
            decide(token)
        assert refused.value.code == "expired" and refused.value.status == 410
        request.refresh_from_db()
        assert request.status == "pending"

    def test_a_link_stops_when_the_delivery_changes(self, deliverable, pm):
        _, token = send(deliverable, pm)
        services.deliverable_update_status(deliverable=deliverable, actor=pm, status="in_progress")
        with pytest.raises(LinkRefused) as refused:
            decide(token)
        assert refused.value.code == "stale"

    @pytest.mark.parametrize(
        "make",
        [
            lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            lambda token: "not-a-token",
            lambda token: signing.dumps({"a": 1, "n": "x"}, salt=APPROVAL_SALT),
            lambda token: signing.dumps({"a": "one", "n": "x"}, salt=SALT),
            lambda token: signing.dumps(["a", "n"], salt=SALT),
            lambda token: signing.dumps({"a": 1, "n": ""}, salt=SALT),
        ],
        ids=["tampered", "garbage", "foreign-salt", "bad-id", "not-a-dict", "no-nonce"],
    )
    def test_a_tampered_or_foreign_token_is_refused(self, deliverable, pm, make):
        _, token = send(deliverable, pm)
        with pytest.raises(LinkRefused) as refused:
            decide(make(token))
        assert refused.value.code == "invalid" and refused.value.status == 400
        assert not AcceptanceLinkUse.objects.exists()

    def test_a_genuine_token_of_another_request_decides_only_its_own(self, rep, pm, deliverable):
        _, mine = send(deliverable, pm)
        other_project = win(rep, pm, title="Second rollout")
        other, theirs = send(other_project.deliverables.first(), pm, email="eve@other.example")
        decide(theirs)
        other.refresh_from_db()
        assert other.status == "accepted"
        assert link_open(token=mine).status == "pending"

    def test_a_request_that_is_gone_is_not_found(self, deliverable, pm):
        request, token = send(deliverable, pm)
        AcceptanceRequest.objects.filter(pk=request.pk).delete()
        with pytest.raises(LinkRefused) as refused:
            link_open(token=token)
        assert refused.value.status == 404


class TestCustomerPage:
    def test_the_page_shows_the_promise_and_nothing_else(self, won_project, deliverable, pm):
        services.project_update_brief(
            project=won_project,
            actor=won_project.deal.owner,
            data={"risks": "Internal: the client's CTO is hard to reach"},
        )
        _, token = send(deliverable, pm)
        response = HttpClient().get(respond_url(token))
        html = response.content.decode()
        assert response.status_code == 200
        assert deliverable.summary in html and "Promised by" in html and "Delivered on" in html
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
        for private in ("CTO is hard to reach", "80,000", "Dashboards live"):
            assert private not in html

    def test_accepting_through_the_page(self, won_project, deliverable, pm, client_for):
        _, token = send(deliverable, pm)
        customer = HttpClient(enforce_csrf_checks=True)
        page = customer.get(respond_url(token))
        csrf = page.cookies["csrftoken"].value
        refused = customer.post(respond_url(token), {"decision": "accepted", "rating": "4"})
        assert refused.status_code == 403  # CSRF applies without an account too
        done = customer.post(
            respond_url(token),
            {"decision": "accepted", "rating": "4", "csrfmiddlewaretoken": csrf},
        )
        assert done.status_code == 302
        result = customer.get(respond_url(token))
        assert result.status_code == 200
        assert "You accepted" in result.content.decode()
        project_page = client_for(pm).get(won_project.get_absolute_url()).content.decode()
        assert "Accepted by Dana Client on" in project_page
        assert 'data-acceptance="accepted"' in project_page

    @pytest.mark.parametrize("rating", ["0", "6", "", "five"])
    def test_a_bad_rating_shows_the_form_again_with_its_input(self, deliverable, pm, rating):
        _, token = send(deliverable, pm)
        response = HttpClient().post(
            respond_url(token), {"decision": "accepted", "rating": rating, "comment": "Kept"}
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "Rate the deliverable from 1 to 5." in html
        assert "Kept</textarea>" in html
        assert not AcceptanceLinkUse.objects.exists()

    def test_a_used_link_posted_again_changes_nothing(self, deliverable, pm):
        _, token = send(deliverable, pm)
        HttpClient().post(respond_url(token), {"decision": "accepted", "rating": "5"})
        again = HttpClient().post(
            respond_url(token), {"decision": "declined", "rating": "1", "comment": "No"}
        )
        assert again.status_code == 409
        deliverable.refresh_from_db()
        assert deliverable.status == "delivered"
        assert AcceptanceRequest.objects.get().status == "accepted"

    def test_refusals_say_why_and_reveal_nothing(self, deliverable, pm):
        request, token = send(deliverable, pm)
        bad = HttpClient().get(respond_url(token[:-3] + "xyz"))
        assert bad.status_code == 400
        assert deliverable.summary not in bad.content.decode()
        expire(request)
        expired = HttpClient().get(respond_url(token))
        assert expired.status_code == 410
        assert "expired" in expired.content.decode()
        assert deliverable.summary not in expired.content.decode()


class TestProjectPage:
    def test_the_pm_sends_from_the_project_page(self, won_project, deliverable, pm, client_for):
        deliver(deliverable, pm)
        http = client_for(pm)
        page = http.get(won_project.get_absolute_url()).content.decode()
        assert "Send for customer acceptance" in page
        url = reverse("projects:acceptance_send", args=[won_project.pk])
        bad = http.post(
            url,
            {"deliverable": deliverable.pk, "contact_name": "Dana Client", "contact_email": "nope"},
        )
        assert bad.status_code == 400
        assert "Enter a valid email address." in bad.content.decode()
        assert 'value="Dana Client"' in bad.content.decode()
        done = http.post(
            url,
            {
                "deliverable": deliverable.pk,
                "contact_name": "Dana Client",
                "contact_email": "dana@client.example",
            },
        )
        assert done.status_code == 302 and done["Location"].endswith("#acceptance")
        page = http.get(won_project.get_absolute_url()).content.decode()
        assert 'data-acceptance-state="pending"' in page and "Send again" in page

    def test_an_undelivered_deliverable_cannot_be_chosen(
        self, won_project, deliverable, pm, client_for
    ):
        response = client_for(pm).post(
            reverse("projects:acceptance_send", args=[won_project.pk]),
            {"deliverable": deliverable.pk, "contact_name": "Dana", "contact_email": "d@x.example"},
        )
        assert response.status_code == 400
        assert "Choose a delivered deliverable of this project." in response.content.decode()
        assert not AcceptanceRequest.objects.exists()

    def test_reps_see_the_result_but_not_the_form(
        self, won_project, deliverable, rep, pm, client_for
    ):
        _, token = send(deliverable, pm)
        decide(token)
        page = client_for(rep).get(won_project.get_absolute_url()).content.decode()
        assert "Accepted by Dana Client" in page
        assert "Send for customer acceptance" not in page and "Send again" not in page
        response = client_for(rep).post(
            reverse("projects:acceptance_send", args=[won_project.pk]),
            {"deliverable": deliverable.pk, "contact_name": "X", "contact_email": "x@x.example"},
        )
        assert response.status_code == 403

    def test_cancel_asks_first(self, deliverable, pm, client_for):
        request, _ = send(deliverable, pm)
        http = client_for(pm)
        url = reverse("projects:acceptance_cancel", args=[request.pk])
        ask = http.get(url)
        assert (
            ask.status_code == 200 and "Cancel the request to Dana Client?" in ask.content.decode()
        )
        request.refresh_from_db()
        assert request.status == "pending"
        assert http.post(url).status_code == 302
        request.refresh_from_db()
        assert request.status == "cancelled"

    def test_resend_from_the_page(self, deliverable, pm, client_for):
        request, _ = send(deliverable, pm)
        response = client_for(pm).post(reverse("projects:acceptance_resend", args=[request.pk]))
        assert response.status_code == 302
        request.refresh_from_db()
        assert request.times_sent == 2


class TestList:
    def test_states_and_filter(self, deliverable, pm, manager, client_for):
        request, _ = send(deliverable, pm)
        http = client_for(manager)
        page = http.get(reverse("projects:acceptance_list")).content.decode()
        assert 'data-acceptance-state="pending"' in page and "Dana Client" in page
        expire(request)
        expired = http.get(reverse("projects:acceptance_list"), {"state": "expired"})
        assert 'data-acceptance-state="expired"' in expired.content.decode()
        none = http.get(reverse("projects:acceptance_list"), {"state": "accepted"})
        assert "No acceptance request has this status." in none.content.decode()

    def test_empty(self, pm, client_for):
        page = client_for(pm).get(reverse("projects:acceptance_list")).content.decode()
        assert "No deliverable has gone to a customer for acceptance yet." in page

    def test_the_project_list_links_to_it_for_pms_and_managers(self, rep, pm, client_for):
        link = f'href="{reverse("projects:acceptance_list")}"'
        assert link in client_for(pm).get(reverse("projects:list")).content.decode()
        assert link not in client_for(rep).get(reverse("projects:list")).content.decode()

    def test_reps_may_not(self, rep, client_for):
        assert client_for(rep).get(reverse("projects:acceptance_list")).status_code == 403

    def test_query_count_is_the_same_for_1_and_30(
        self, rep, pm, client_for, api, django_assert_num_queries
    ):
        def requests(n):
            for i in range(n):
                project = win(rep, pm, title=f"Rollout {i}")
                send(project.deliverables.first(), pm, email=f"c{i}@client.example")

        requests(1)
        http, client = client_for(pm), api(pm)
        with CaptureQueriesContext(connection) as one:
            assert http.get(reverse("projects:acceptance_list")).status_code == 200
            assert client.get("/api/v1/acceptance-requests/").status_code == 200
        requests(29)
        with django_assert_num_queries(len(one)):
            page = http.get(reverse("projects:acceptance_list"))
            body = client.get("/api/v1/acceptance-requests/").json()
        assert page.content.decode().count("data-acceptance-state=") == 25
        assert body["count"] == 30


class TestApi:
    def test_list_create_and_who_may(self, deliverable, rep, rep2, pm, manager, api):
        deliver(deliverable, pm)
        data = {
            "deliverable": deliverable.pk,
            "contact_name": "Dana Client",
            "contact_email": "dana@client.example",
        }
        for user in (rep, rep2):
            assert api(user).get("/api/v1/acceptance-requests/").status_code == 403
            assert api(user).post("/api/v1/acceptance-requests/", data).status_code == 403
        assert APIClient().get("/api/v1/acceptance-requests/").status_code == 401
        created = api(pm).post("/api/v1/acceptance-requests/", data, format="json")
        assert created.status_code == 201
        body = created.json()
        assert body["state"] == "pending" and body["project"] == deliverable.project_id
        assert "nonce" not in body and "token" not in body
        listed = api(manager).get("/api/v1/acceptance-requests/", {"state": "pending"}).json()
        assert [row["id"] for row in listed["results"]] == [body["id"]]
        again = api(pm).post("/api/v1/acceptance-requests/", data, format="json")
        assert again.status_code == 409 and again.json()["code"] == "acceptance_pending"

    def test_bad_input(self, deliverable, pm, api):
        client = api(pm)
        url = "/api/v1/acceptance-requests/"
        cases = [
            {"deliverable": deliverable.pk, "contact_name": "", "contact_email": "d@x.example"},
            {"deliverable": deliverable.pk, "contact_name": "D", "contact_email": "nope"},
            {"deliverable": deliverable.pk, "contact_name": "D" * 121, "contact_email": "d@x.io"},
            {"deliverable": 0, "contact_name": "D", "contact_email": "d@x.example"},
            {"deliverable": "x", "contact_name": "D", "contact_email": "d@x.example"},
            {"contact_name": 5, "contact_email": "d@x.example"},
        ]
        for data in cases:
            assert client.post(url, data, format="json").status_code == 400, data
        missing = {"deliverable": 999999, "contact_name": "D", "contact_email": "d@x.example"}
        assert client.post(url, missing, format="json").status_code == 404
        undelivered = {
            "deliverable": deliverable.pk,
            "contact_name": "D",
            "contact_email": "d@x.io",
        }
        response = client.post(url, undelivered, format="json")
        assert response.status_code == 409 and response.json()["code"] == "not_delivered"
        assert client.get(url, {"state": "nope"}).status_code == 400

    def test_resend_and_cancel(self, deliverable, pm, pm2, api):
        request, _ = send(deliverable, pm)
        base = f"/api/v1/acceptance-requests/{request.pk}"
        assert api(pm2).post(f"{base}/cancel/").status_code == 403
        assert api(pm).post(f"{base}/resend/").json()["times_sent"] == 2
        assert api(pm).post(f"{base}/cancel/").json()["status"] == "cancelled"
        again = api(pm).post(f"{base}/cancel/")
        assert again.status_code == 409 and again.json()["code"] == "not_pending"
        assert api(pm).get("/api/v1/acceptance-requests/999999/").status_code == 404


class TestObjectAccess:
    def test_rep2_sees_nothing_of_reps_acceptance(
        self, won_project, deliverable, rep, rep2, pm, client_for, api
    ):
        request, _ = send(deliverable, pm)
        http = client_for(rep2)
        assert http.get(won_project.get_absolute_url()).status_code == 404
        assert http.get(reverse("projects:acceptance_cancel", args=[request.pk])).status_code == 404
        assert (
            http.post(reverse("projects:acceptance_resend", args=[request.pk])).status_code == 404
        )
        assert http.get(reverse("projects:acceptance_list")).status_code == 403
        assert api(rep2).get(f"/api/v1/acceptance-requests/{request.pk}/").status_code == 403
        assert "dana@client.example" not in http.get(reverse("home")).content.decode()
        # rep2's own project shows none of rep's requests.
        own = win(rep2, pm, title="Rep two's rollout")
        page = client_for(rep2).get(own.get_absolute_url()).content.decode()
        assert "Dana Client" not in page and "dana@client.example" not in page


class TestAdmin:
    def test_the_admin_reads_requests_and_never_shows_the_nonce(self, deliverable, pm):
        from tests.factories import UserFactory

        request, _ = send(deliverable, pm)
        root = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
        http = HttpClient()
        http.force_login(root)
        assert http.get("/admin/projects/acceptancerequest/").status_code == 200
        page = http.get(f"/admin/projects/acceptancerequest/{request.pk}/change/")
        assert page.status_code == 200
        assert request.nonce not in page.content.decode()
        assert 'name="status"' not in page.content.decode()
        assert http.get("/admin/projects/acceptancerequest/add/").status_code == 403

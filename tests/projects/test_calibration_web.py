"""Calibrated promises on the web: the API, its bounds and schema, the deal form's fragment,
the no-script path, the review, and that a commitment records the suggestion."""

import datetime
from decimal import Decimal

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from deals import services as deal_services
from deals.models import Commitment, DealStatus
from projects.models import Deliverable, DeliverableStatus, Project
from tests.deals.builders import deal_in, draft_deal
from tests.factories import ClientFactory, CommitmentFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def resolved_history(rep, pm, slips, *, kind="integration", effort="15", title="Past"):
    """Resolved deliverables of one won-looking project each, slip as given (ORM, no workflow)."""
    for i, slip in enumerate(slips):
        deal = draft_deal(rep, commitments=0, title=f"{title} {kind} {i}")
        commitment = CommitmentFactory(deal=deal, kind=kind, effort_days=Decimal(effort))
        project = Project.objects.create(deal=deal, pm=pm, start_date=TODAY())
        promised = TODAY() - datetime.timedelta(days=60)
        Deliverable.objects.create(
            project=project,
            commitment=commitment,
            kind=kind,
            summary=f"Past {i}",
            promised_date=promised,
            effort_days=Decimal(effort),
            status=DeliverableStatus.DELIVERED,
            delivered_on=promised + datetime.timedelta(days=slip),
            slip_days=slip,
        )


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def ask(user, **params):
    query = {"kind": "integration", "effort_days": "12", "promised_date": "2027-06-01", **params}
    return api_for(user).get("/api/v1/calibration/", query)


class TestApi:
    def test_figures_and_the_suggested_date(self, rep, pm):
        resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
        body = ask(rep).json()
        assert body["enough_history"] is True
        assert body["sample_size"] == 10 and body["scope"] == "kind_band"
        assert body["slip_days"] == {"sample_size": 10, "median": 9.0, "p80": 14.0}
        assert body["suggested_date"] == "2027-06-15"
        assert body["effort_overrun"]["sample_size"] == 0
        assert "a median of 9 days late" in body["sentence"]

    def test_a_team_that_did_better_does_not_bring_the_date_earlier(self, rep, pm, pm2):
        from handoff.models import TeamKind
        from tests.factories import TeamFactory

        TeamFactory(name="Integration", kind=TeamKind.DELIVERY).members.add(pm)
        resolved_history(rep, pm, [0, 0, 0, 0, 1], title="Team")
        resolved_history(rep, pm2, [10, 10, 12, 14, 20], title="Others")
        body = ask(rep, pm=pm.pk).json()
        # The team's own five met their dates; all ten in the band met 12 days: the later date stands,
        # and the figures shown are those of the band that set it.
        assert body["scope"] == "kind_band" and body["sample_size"] == 10
        assert body["slip_days"]["p80"] == 12.0 and body["suggested_date"] == "2027-06-13"
        assert body["scope_label"] == "integration promises of 10\u201320 days"
        assert [(g["scope"], g["suggested_date"]) for g in body["groups"]] == [
            ("kind_band_team", "2027-06-01"),
            ("kind_band", "2027-06-13"),
            ("kind", "2027-06-13"),
        ]
        assert body["groups"][0]["slip_days"] == {"sample_size": 5, "median": 0.0, "p80": 0.0}
        assert body["narrower_sentence"].startswith(
            "Integration promises of 10\u201320 days delivered by this team alone did better"
        )
        page = _client(rep).get(
            reverse("projects:calibration"),
            {"kind": "integration", "effort_days": "12", "promised_date": "2027-06-01"},
        )
        assert "80 % of integration promises of 10\u201320 days were delivered by then" in (
            page.content.decode()
        )

    def test_too_little_history_says_so(self, rep, pm):
        resolved_history(rep, pm, [3, 4])
        body = ask(rep).json()
        assert body["enough_history"] is False and body["suggested_date"] is None
        assert body["sample_size"] == 2 and body["minimum_sample"] == 5
        assert body["sentence"].startswith("Not enough history yet")

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"kind": "magic"}, "kind"),
            ({"effort_days": "-1"}, "effort_days"),
            ({"effort_days": "99999999"}, "effort_days"),
            ({"effort_days": "lots"}, "effort_days"),
            ({"promised_date": "3026-01-01"}, "promised_date"),
            ({"promised_date": "1990-01-01"}, "promised_date"),
            ({"promised_date": "soon"}, "promised_date"),
            ({"kind": ""}, "kind"),
            ({"pm": "0"}, "pm"),
        ],
    )
    def test_bounds_answer_400_with_the_reason(self, rep, params, field):
        response = ask(rep, **params)
        assert response.status_code == 400
        assert field in response.json()

    def test_a_missing_parameter_is_400(self, rep):
        response = api_for(rep).get("/api/v1/calibration/", {"kind": "scope"})
        assert response.status_code == 400
        assert {"effort_days", "promised_date"} <= set(response.json())

    def test_anonymous_is_401(self):
        assert APIClient().get("/api/v1/calibration/").status_code == 401

    def test_aggregates_only_no_other_reps_deal_is_named(self, rep, rep2, pm):
        resolved_history(rep, pm, [1, 2, 3, 4, 5], title="Secret Acme rollout")
        response = ask(rep2)
        assert response.status_code == 200 and response.json()["sample_size"] == 5
        text = response.content.decode()
        assert "Secret Acme" not in text and "Past 0" not in text and rep.username not in text
        page = _client(rep2).get(
            reverse("projects:calibration"),
            {"kind": "integration", "effort_days": "12", "promised_date": "2027-06-01"},
        )
        assert page.status_code == 200 and "Secret Acme" not in page.content.decode()

    def test_query_count_is_flat_with_history(self, rep, pm):
        resolved_history(rep, pm, [1, 2, 3, 4, 5])

        def count():
            cache.clear()
            with CaptureQueriesContext(connection) as cold:
                assert ask(rep).status_code == 200
            with CaptureQueriesContext(connection) as warm:
                assert ask(rep).status_code == 200
            return len(cold), len(warm)

        small = count()
        resolved_history(rep, pm, list(range(30)), title="More")
        assert count() == small
        # Warm, the table comes from the cache: only the request's own queries remain.
        assert small[1] < small[0]

    def test_a_resolved_deliverable_refreshes_the_table(self, rep, pm):
        resolved_history(rep, pm, [1, 1, 1, 1])
        assert ask(rep).json()["enough_history"] is False
        resolved_history(rep, pm, [1], title="Fifth")
        assert ask(rep).json()["enough_history"] is True


def test_schema_documents_the_calibration(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    get = schema["paths"]["/api/v1/calibration/"]["get"]
    names = {p["name"]: p for p in get["parameters"]}
    assert {"kind", "effort_days", "promised_date", "pm"} <= set(names)
    assert names["kind"]["required"] is True
    assert {"200", "400"} <= set(get["responses"])
    answer = schema["components"]["schemas"]["Calibration"]["properties"]
    assert {"scope", "sample_size", "suggested_date", "groups", "narrower_sentence"} <= set(answer)
    capacity = schema["components"]["schemas"]["CapacityWeek"]["properties"]
    assert {"tentative_days", "over_capacity_with_tentative", "load_days"} <= set(capacity)


def _client(user):
    from django.test import Client

    http = Client()
    http.force_login(user)
    return http


class TestDealForm:
    def test_fragment_while_typing(self, rep, pm):
        resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
        response = _client(rep).get(
            reverse("projects:calibration"),
            {
                "index": "0",
                "commitments-0-kind": "integration",
                "commitments-0-effort_days": "15",
                "commitments-0-promised_date": "2027-06-01",
            },
            HTTP_HX_REQUEST="true",
        )
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert "a median of 9 days late" in html
        assert 'data-take-date="2027-06-15"' in html
        assert 'data-date-input="id_commitments-0-promised_date"' in html
        assert 'value="0:2027-06-15"' in html
        assert 'data-planned="2027-06-01"' in html

    def test_fragment_after_taking_says_so_instead_of_suggesting_again(self, rep, pm):
        resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
        html = (
            _client(rep)
            .get(
                reverse("projects:calibration"),
                {
                    "index": "0",
                    "commitments-0-kind": "integration",
                    "commitments-0-effort_days": "15",
                    "commitments-0-promised_date": "2027-06-15",
                    "commitments-0-planned_date": "2027-06-01",
                },
                HTTP_HX_REQUEST="true",
            )
            .content.decode()
        )
        assert "data-suggestion-taken" in html and "data-take-date" not in html

    def test_fragment_with_half_a_promise_asks_for_the_rest(self, rep):
        response = _client(rep).get(
            reverse("projects:calibration"),
            {"index": "1", "commitments-1-kind": "integration"},
            HTTP_HX_REQUEST="true",
        )
        assert "Choose a kind and a promised date" in response.content.decode()

    def test_page_keeps_input_and_shows_errors(self, rep):
        response = _client(rep).get(
            reverse("projects:calibration"),
            {"kind": "integration", "effort_days": "-3", "promised_date": "2027-06-01"},
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert 'value="2027-06-01"' in html and "greater than or equal to 0" in html

    def _post(self, rep, **extra):
        data = {
            "title": "Calibrated",
            "client": ClientFactory().pk,
            "value": "1000",
            "currency": "EUR",
            "expected_close_date": (TODAY() + datetime.timedelta(days=10)).isoformat(),
            "commitments-TOTAL_FORMS": "1",
            "commitments-INITIAL_FORMS": "0",
            "commitments-0-kind": "integration",
            "commitments-0-summary": "ERP link",
            "commitments-0-promised_date": "2027-06-01",
            "commitments-0-effort_days": "15",
            **extra,
        }
        return _client(rep).post(reverse("deals:create"), data)

    def test_without_script_the_button_shows_history_and_takes_the_date(self, rep, pm):
        resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
        shown = self._post(rep, calibrate="1")
        html = shown.content.decode()
        assert shown.status_code == 200 and "a median of 9 days late" in html
        taken = self._post(rep, take_suggestion="0:2027-06-15")
        html = taken.content.decode()
        assert taken.status_code == 200  # the form again, with the date set
        assert 'value="2027-06-15"' in html
        assert "Suggested date taken" in html and 'value="2027-06-01"' in html  # planned
        saved = self._post(
            rep,
            **{
                "commitments-0-promised_date": "2027-06-15",
                "commitments-0-planned_date": "2027-06-01",
            },
        )
        assert saved.status_code == 302
        commitment = Commitment.objects.get(summary="ERP link")
        assert commitment.suggested_date == datetime.date(2027, 6, 15)
        assert commitment.suggestion_taken is True

    def test_a_commitment_records_the_suggestion_and_whether_it_took_it(self, rep, pm):
        resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
        assert self._post(rep).status_code == 302
        first = Commitment.objects.get(summary="ERP link")
        assert first.suggested_date == datetime.date(2027, 6, 15)
        assert first.suggestion_taken is False
        deal_services.commitment_update(
            commitment=first, actor=rep, data={"promised_date": datetime.date(2027, 6, 15)}
        )
        first.refresh_from_db()
        assert first.suggested_date == datetime.date(2027, 6, 29)  # suggested for the new date
        assert first.suggestion_taken is False
        resolved_history(rep, pm, [0] * 40, title="Punctual")  # now most were on time
        deal_services.commitment_update(
            commitment=first, actor=rep, data={"promised_date": datetime.date(2027, 7, 1)}
        )
        first.refresh_from_db()
        assert first.suggested_date == datetime.date(2027, 7, 1) and first.suggestion_taken

    def test_thin_history_records_no_suggestion(self, rep):
        assert self._post(rep).status_code == 302
        commitment = Commitment.objects.get(summary="ERP link")
        assert commitment.suggested_date is None and not commitment.suggestion_taken


def test_the_reviewer_sees_the_calibration_beside_each_commitment(rep, pm, rep2):
    resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18], kind="scope", effort="5")
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, commitments=2)
    deal.commitments.update(kind="scope")
    html = _client(pm).get(deal.get_absolute_url()).content.decode()
    assert html.count("data-commitment-calibration") == 2
    assert "80 % met" in html
    # The rep's own page in review shows no calibration panel: it is the reviewer's.
    assert (
        "data-commitment-calibration"
        not in _client(rep).get(deal.get_absolute_url()).content.decode()
    )


def test_the_deal_form_asks_history_in_as_many_queries_for_one_promise_as_for_five(rep, pm):
    resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    http = _client(rep)

    def count(deal):
        cache.clear()
        http.get(reverse("deals:edit", args=[deal.pk]))  # fills the caches
        with CaptureQueriesContext(connection) as queries:
            response = http.get(reverse("deals:edit", args=[deal.pk]))
        assert response.status_code == 200
        assert response.content.decode().count("data-calibration=") == deal.commitments.count()
        return len(queries)

    one = draft_deal(rep, commitments=1, title="One promise")
    five = draft_deal(rep, commitments=5, title="Five promises")
    for deal in (one, five):
        deal.commitments.update(kind="integration", effort_days=Decimal("15"))
    assert count(one) == count(five)


def test_a_deal_won_keeps_the_table_a_resolution_drops_it(rep, pm):
    from projects import services as project_services
    from projects.calibration import _cache_key
    from tests.projects.builders import win

    resolved_history(rep, pm, [1, 2, 3, 4, 5])
    assert ask(rep).status_code == 200
    project = win(rep, pm)  # new open deliverables: nothing resolved changed
    assert cache.get(_cache_key()) is not None
    project_services.project_accept_handoff(project=project, actor=pm)
    deliverable = project.deliverables.first()
    project_services.deliverable_update_status(
        deliverable=deliverable,
        actor=pm,
        status=DeliverableStatus.DELIVERED,
        reason="",
        delivered_on=TODAY(),
    )
    assert cache.get(_cache_key()) is None
    assert ask(rep).json()["sample_size"] == 5  # scope, not integration: the cell is the same


def test_the_commitments_api_says_the_suggestion_recorded(rep, pm):
    resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    deal = draft_deal(rep, commitments=0)
    created = api_for(rep).post(
        "/api/v1/commitments/",
        {
            "deal": deal.pk,
            "kind": "integration",
            "summary": "ERP link",
            "promised_date": "2027-06-15",
            "effort_days": "15",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = api_for(rep).get(f"/api/v1/commitments/{created.json()['id']}/").json()
    assert body["suggested_date"] == "2027-06-29" and body["suggestion_taken"] is False

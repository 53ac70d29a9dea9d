"""The dashboard's pages, exports and API: who may open them, what they show, and their cost."""

import codecs
import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import VerdictKind
from handoff.models import MetricsSnapshot, Role, SharedGoal, TeamKind, quarter_of
from insights.figures.alignment import TABLE_KEYS
from insights.figures.window import DEFAULT_RANGE_DAYS, default_range
from tests.factories import TeamFactory, UserFactory
from tests.insights.crafted import at, history, make_deal, review, set_clock

MANAGER_PAGES = [
    "/dashboard/",
    "/dashboard/?from=2026-01-01&to=2026-03-31",
    "/dashboard/export/figures.csv",
    "/dashboard/export/flag-rate-by-rep.csv",
    "/dashboard/export/pipeline-capacity.csv",
    "/dashboard/agenda/",
    "/dashboard/goals/",
    "/dashboard/goals/new/",
    "/api/v1/metrics/alignment/",
]


# Who may open what


@pytest.mark.django_db
@pytest.mark.parametrize("url", MANAGER_PAGES)
def test_reps_and_pms_are_refused(url, rep, pm, client_for):
    for user in (rep, pm):
        assert client_for(user).get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", MANAGER_PAGES)
def test_managers_and_admins_may_open(url, manager, client_for):
    admin = UserFactory(username="admin", role=Role.ADMIN)
    for user in (manager, admin):
        assert client_for(user).get(url).status_code == 200


@pytest.mark.django_db
def test_anonymous_users_sign_in_first_and_get_401_from_the_api():
    http = HttpClient()
    response = http.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert http.get("/api/v1/metrics/alignment/").status_code == 401


@pytest.mark.django_db
def test_nav_link_dashboard_for_managers_only(manager, rep, client_for):
    assert b'href="/dashboard/"' in client_for(manager).get("/dashboard/").content
    assert b">Dashboard<" not in client_for(rep).get("/dashboard/goals/").content


# What the dashboard shows


@pytest.mark.django_db
def test_dashboard_shows_each_figure_with_how_and_its_deals(rep, pm, manager, client_for):
    history([rep], pm, manager, 3)
    response = client_for(manager).get("/dashboard/")
    page = response.content.decode()
    for figure in response.context["figures"]:
        assert figure.label in page
        assert figure.how.split(":")[0][:40] in page
    assert "/deals/?status=in_review" in page
    assert 'data-chart="chart-pipeline-capacity"' in page
    assert 'id="chart-pipeline-capacity" type="application/json"' in page
    # One rep is a row of a table, not a chart of one bar.
    assert 'data-chart="chart-flag-rate-by-rep"' not in page
    assert 'data-panel="flag-rate-by-rep"' in page
    assert "<script>" not in page  # data islands only: the CSP forbids inline scripts
    assert "Promise-kept rate" in page  # the goal of the quarter


@pytest.mark.django_db
def test_dashboard_range_and_team_filters(rep, rep2, pm, manager, client_for):
    team = TeamFactory(name="Sales South", kind=TeamKind.SALES)
    team.members.add(rep2)
    deal = make_deal(rep)
    set_clock(review(deal, pm, [VerdictKind.FLAGGED]), at(datetime.date(2026, 2, 2)))
    http = client_for(manager)
    in_range = http.get("/dashboard/?from=2026-02-01&to=2026-02-28")
    assert in_range.context["window"].start == datetime.date(2026, 2, 1)
    flag = next(f for f in in_range.context["figures"] if f.key == "flag_rate")
    assert flag.display == "100\u202f%"
    other_team = http.get(f"/dashboard/?from=2026-02-01&to=2026-02-28&team={team.pk}")
    flag = next(f for f in other_team.context["figures"] if f.key == "flag_rate")
    assert flag.display == "—"


@pytest.mark.django_db
def test_dashboard_bad_range_shows_errors_and_the_default_range(manager, client_for):
    response = client_for(manager).get("/dashboard/?from=2026-03-01&to=2026-02-01")
    assert response.status_code == 200
    assert "must not be before its start" in response.content.decode()
    assert response.context["window"].days == DEFAULT_RANGE_DAYS
    response = client_for(manager).get("/dashboard/?from=yesterday")
    assert response.status_code == 200
    assert response.context["form"].errors["from"]


# CSV exports


@pytest.mark.django_db
def test_csv_export_of_a_table(rep, rep2, pm, manager, client_for):
    set_clock(review(make_deal(rep), pm, [VerdictKind.FLAGGED]), at(datetime.date(2026, 2, 2)))
    set_clock(review(make_deal(rep2), pm, [VerdictKind.APPROVED]), at(datetime.date(2026, 2, 3)))
    response = client_for(manager).get(
        "/dashboard/export/flag-rate-by-rep.csv?from=2026-02-01&to=2026-02-28"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="flag-rate-by-rep-2026-02-01-2026-02-28.csv"'
    )
    assert response.content.startswith(codecs.BOM_UTF8)  # Excel reads UTF-8 only with it
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Rep", "Verdicts", "Flagged", "Flag rate (%)"],
        ["Rita Reyes", "1", "1", "100.0"],
        ["Sam Osei", "1", "0", "0.0"],
    ]


@pytest.mark.django_db
def test_csv_export_of_the_figures_and_empty_values(manager, client_for):
    response = client_for(manager).get("/dashboard/export/figures.csv")
    assert response.content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Figure", "Value", "Unit", "Detail", "How"]
    values = {r[0]: r[1:3] for r in rows[1:]}
    assert values["Deals in review now"] == ["0", ""]
    assert values["First-pass approval rate"] == ["", "%"]


@pytest.mark.django_db
def test_csv_figures_are_plain_numbers_with_their_unit_beside_them(rep, pm, manager, client_for):
    set_clock(review(make_deal(rep), pm, [VerdictKind.APPROVED]), at(datetime.date(2026, 2, 2)))
    set_clock(review(make_deal(rep), pm, [VerdictKind.FLAGGED]), at(datetime.date(2026, 2, 3)))
    response = client_for(manager).get(
        "/dashboard/export/figures.csv?from=2026-02-01&to=2026-02-28"
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    values = {r[0]: r[1:3] for r in rows[1:]}

    assert values["First-pass approval rate"] == ["50.0", "%"]
    for value, unit in values.values():
        assert value == "" or float(value) is not None, (value, unit)
        assert unit in ("", "%", "days", "hours")


@pytest.mark.django_db
def test_every_csv_header_names_the_unit_of_its_numbers(rep, pm, manager, client_for):
    set_clock(review(make_deal(rep), pm, [VerdictKind.FLAGGED]), at(datetime.date(2026, 2, 2)))
    http = client_for(manager)
    for key in TABLE_KEYS:
        body = http.get(f"/dashboard/export/{key}.csv?from=2026-02-01&to=2026-02-28").content
        header, *rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
        measured = [n for n, h in enumerate(header) if h.endswith(("(%)", "(days)", "(hours)"))]
        for row in rows:
            for n in measured:
                assert row[n] == "" or isinstance(float(row[n]), float), (key, header[n], row[n])


@pytest.mark.django_db
def test_every_table_has_an_export(manager, client_for):
    http = client_for(manager)
    for key in TABLE_KEYS:
        assert http.get(f"/dashboard/export/{key}.csv").status_code == 200
    assert http.get("/dashboard/export/nothing.csv").status_code == 404
    assert http.get("/dashboard/export/figures.csv?from=bad").status_code == 400


@pytest.mark.django_db
def test_csv_cells_never_start_a_formula(manager, client_for):
    sneaky = UserFactory(username="sneaky", role=Role.SALES, first_name="=cmd", last_name="")
    pm = UserFactory(username="pmx", role=Role.PM)
    set_clock(review(make_deal(sneaky), pm, [VerdictKind.FLAGGED]), at(datetime.date(2026, 2, 2)))
    response = client_for(manager).get(
        "/dashboard/export/flag-rate-by-rep.csv?from=2026-02-01&to=2026-02-28"
    )
    assert "'=cmd" in response.content.decode()


# Query counts: the same for 1 deal and for 50


def _count(http, url) -> int:
    # Count the computation, not a stored read or a cached table.
    MetricsSnapshot.objects.all().delete()
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/dashboard/agenda/",
        "/dashboard/export/figures.csv",
        "/dashboard/goals/",
        "/api/v1/metrics/alignment/",
        "/people/rep/",
    ],
)
def test_query_count_does_not_grow_with_the_deals(
    url, rep, rep2, pm, manager, client_for, django_assert_num_queries
):
    http = client_for(manager)
    # One deal, won, with a goal this quarter: every figure group runs its query.
    history([rep], pm, manager, 1)
    with_one = _count(http, url)
    history([rep, rep2], pm, manager, 49)
    MetricsSnapshot.objects.all().delete()
    cache.clear()
    with django_assert_num_queries(with_one):
        assert http.get(url).status_code == 200


# Shared goals


@pytest.mark.django_db
def test_manager_creates_edits_and_deletes_a_goal(manager, client_for):
    http = client_for(manager)
    response = http.post(
        "/dashboard/goals/new/",
        {"quarter": "2026-Q4", "metric": "kept_rate", "comparison": "gte", "target": "90"},
    )
    assert response.status_code == 302
    goal = SharedGoal.objects.get()
    assert goal.created_by == manager
    assert str(goal) == "2026-Q4: Promise-kept rate ≥ 90.00"
    response = http.post(
        f"/dashboard/goals/{goal.pk}/edit/",
        {"quarter": "2026-Q4", "metric": "kept_rate", "comparison": "gte", "target": "85"},
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.target == Decimal("85")
    confirm = http.get(f"/dashboard/goals/{goal.pk}/delete/")
    assert b"Delete this goal?" in confirm.content
    form = f'<form method="post" action="/dashboard/goals/{goal.pk}/delete/"'
    assert form.encode() in confirm.content
    assert SharedGoal.objects.filter(pk=goal.pk).exists()  # the page only asks
    assert http.post(f"/dashboard/goals/{goal.pk}/delete/").status_code == 302
    assert not SharedGoal.objects.exists()


@pytest.mark.django_db
def test_goal_form_errors_keep_what_was_typed(manager, client_for):
    http = client_for(manager)
    data = {"quarter": "2026-Q4", "metric": "kept_rate", "comparison": "gte", "target": "90"}
    http.post("/dashboard/goals/new/", data)
    duplicate = http.post("/dashboard/goals/new/", data)
    assert duplicate.status_code == 200
    assert duplicate.context["form"].errors
    bad = http.post(
        "/dashboard/goals/new/",
        {"quarter": "Q4 2026", "metric": "kept_rate", "comparison": "gte", "target": "150"},
    )
    errors = bad.context["form"].errors
    assert "quarter" in errors
    assert "target" in errors
    assert b'value="Q4 2026"' in bad.content


@pytest.mark.django_db
def test_reps_cannot_write_goals(rep, pm, client_for):
    goal = SharedGoal.objects.create(quarter="2026-Q4", metric="kept_rate", target=Decimal("90"))
    for user in (rep, pm):
        http = client_for(user)
        assert http.post("/dashboard/goals/new/", {}).status_code == 403
        assert http.post(f"/dashboard/goals/{goal.pk}/delete/").status_code == 403
    assert SharedGoal.objects.filter(pk=goal.pk).exists()


@pytest.mark.django_db
def test_home_pages_show_the_quarters_goals(rep, pm, client_for):
    SharedGoal.objects.create(
        quarter=quarter_of(timezone.localdate()), metric="kept_rate", target=Decimal("90")
    )
    for user in (rep, pm):
        page = client_for(user).get("/").content.decode()
        assert "Shared goals" in page
        assert "Promise-kept rate" in page


# Scorecards


@pytest.mark.django_db
def test_scorecard_visibility(rep, rep2, pm, pm2, manager, client_for):
    team = TeamFactory(name="Sales West", kind=TeamKind.SALES)
    team.members.add(rep, rep2)
    assert client_for(manager).get("/people/rep/").status_code == 200
    assert client_for(manager).get("/people/pm/").status_code == 200
    assert client_for(rep).get("/people/rep/").status_code == 200
    assert client_for(rep2).get("/people/rep/").status_code == 200  # a teammate
    assert client_for(pm).get("/people/pm/").status_code == 200
    assert client_for(pm).get("/people/rep/").status_code == 403
    assert client_for(pm2).get("/people/pm/").status_code == 403
    assert client_for(rep).get("/people/manager/").status_code == 404
    assert client_for(rep).get("/people/nobody/").status_code == 404


@pytest.mark.django_db
def test_scorecard_shows_own_figures_against_the_team(rep, pm, client_for):
    set_clock(review(make_deal(rep), pm, [VerdictKind.FLAGGED]), at(datetime.date(2026, 2, 2)))
    page = client_for(rep).get("/people/rep/?from=2026-02-01&to=2026-02-28").content.decode()
    assert "Scorecard of Rita Reyes" in page
    assert "All reps" in page
    assert "Flag rate" in page
    assert "100\u202f%" in page


@pytest.mark.django_db
def test_home_page_links_reps_and_pms_to_their_scorecard(rep, pm, manager, client_for):
    assert b'href="/people/rep/"' in client_for(rep).get("/").content
    assert b'href="/people/pm/"' in client_for(pm).get("/").content
    assert b"Your scorecard" not in client_for(manager).get("/").content


@pytest.mark.django_db
def test_htmx_filter_answers_with_the_results_only(manager, client_for):
    response = client_for(manager).get(
        "/dashboard/?from=2026-02-01&to=2026-02-28", HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="dashboard-results">')
    assert "<html" not in page
    assert 'data-panel="pipeline-capacity"' in page
    assert 'aria-labelledby="figures-heading"' in page


@pytest.mark.django_db
def test_range_fields_show_the_range_in_iso_dates(manager, client_for):
    page = client_for(manager).get("/dashboard/").content.decode()
    start, end = default_range()
    assert f'type="date" name="from" value="{start.isoformat()}"' in page
    assert f'type="date" name="to" value="{end.isoformat()}"' in page
    page = client_for(manager).get("/dashboard/?from=2026-02-01&to=2026-02-28").content.decode()
    assert 'value="2026-02-01"' in page

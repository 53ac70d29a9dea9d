"""Stored dashboard figures: what they keep, when they are recomputed, who may ask for it."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from deals import services
from deals.models import CommitmentKind, VerdictKind
from handoff.models import MetricsSnapshot, Role, TeamKind, quarter_of
from handoff.templatetags.formats import when
from insights import snapshots, tasks
from insights.figures import alignment as alignment_module
from insights.figures import trends
from insights.figures.alignment import alignment, stored_alignment
from insights.figures.goals import stored_goal_values
from insights.figures.refresh import refresh_stored
from insights.figures.results import PAGE_ROWS
from insights.figures.trends import previous_window, stored_previous_figures
from insights.figures.window import default_range, window_for, window_params
from insights.tasks import refresh_metrics
from tests.factories import TeamFactory, UserFactory
from tests.insights.crafted import history, make_deal, review

IN_REVIEW = "deals_in_review"
ONE_DAY = datetime.timedelta(days=1)


def submit_one(rep) -> None:
    services.deal_submit(deal=make_deal(rep, [(CommitmentKind.SCOPE, "3")]), actor=rep)


def in_review_shown(response) -> float | None:
    return next(f for f in response.context["figures"] if f.key == IN_REVIEW).value


@pytest.mark.django_db
def test_the_stored_alignment_equals_the_computed_one(rep, rep2, pm, manager):
    history([rep, rep2], pm, manager, 6)
    w = window_for(*default_range())
    computed = alignment(w)
    first = stored_alignment(w)  # computes and stores
    again = stored_alignment(w)  # reads what was stored
    for result in (first, again):
        assert result.figures == computed.figures
        assert result.tables == computed.tables
    assert again.computed_at == first.computed_at
    assert MetricsSnapshot.objects.count() == 1


# The dashboard reads the stored result


@pytest.mark.django_db
def test_a_stored_read_costs_the_same_few_queries_whatever_the_history(
    rep, rep2, pm, manager, client_for
):
    http = client_for(manager)
    history([rep], pm, manager, 1)
    http.get("/dashboard/")  # stores
    with CaptureQueriesContext(connection) as small:
        assert http.get("/dashboard/").status_code == 200
    history([rep, rep2], pm, manager, 30)
    stored_alignment(window_for(*default_range()), recompute=True)
    # The heat map's open load is cached for a minute and dropped when a deliverable changes,
    # as the new deals' did: read it once, so both counts find it cached.
    http.get("/dashboard/")
    with CaptureQueriesContext(connection) as large:
        assert http.get("/dashboard/").status_code == 200
    assert len(small) == len(large)
    assert not any("deals_reviewround" in q["sql"] for q in large.captured_queries)


@pytest.mark.django_db
def test_the_page_says_when_its_figures_were_computed(rep, pm, manager, client_for):
    history([rep], pm, manager, 1)
    page = client_for(manager).get("/dashboard/").content.decode()
    computed_at = timezone.localtime(
        MetricsSnapshot.objects.get(key__startswith="alignment:").computed_at
    )
    assert f'<time datetime="{computed_at.isoformat()}">{when(computed_at)}</time>' in page
    assert "Figures computed at" in page
    assert "they are recomputed every minute." in page
    assert "Recalculate now" in page


def age_all_snapshots(seconds: float) -> None:
    MetricsSnapshot.objects.update(computed_at=timezone.now() - datetime.timedelta(seconds=seconds))


@pytest.fixture
def queued(monkeypatch) -> list:
    """The (kind, params) of each refresh a reader hands to the job queue, which runs none."""
    jobs = []
    monkeypatch.setattr(
        tasks.refresh_stored, "apply_async", lambda args, **options: jobs.append(args)
    )
    return jobs


def stale_dashboard(http, rep, pm, manager, seconds: float) -> float:
    """The in-review figure the manager saw before a new submission; then every result aged."""
    history([rep], pm, manager, 3)
    before = in_review_shown(http.get("/dashboard/"))
    submit_one(rep)
    age_all_snapshots(seconds)
    return before


@pytest.mark.django_db
def test_a_stale_result_is_shown_as_it_is_while_a_worker_recomputes_it(
    rep, pm, manager, client_for, monkeypatch, queued
):
    http = client_for(manager)
    before = stale_dashboard(http, rep, pm, manager, settings.METRICS_SNAPSHOT_MAX_AGE_SECONDS + 1)
    computed = []
    for module, name in ((alignment_module, "alignment"), (trends, "headline_figures")):
        real = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda w, real=real, name=name: computed.append(name) or real(w)
        )

    assert in_review_shown(http.get("/dashboard/")) == before
    assert computed == []  # nothing computed in the request
    kinds = sorted(kind for kind, _ in queued)
    assert kinds == ["alignment", "goals", "headline"]

    # Other readers meanwhile: the stale figures, and nothing queued twice.
    assert in_review_shown(http.get("/dashboard/")) == before
    assert len(queued) == 3

    # The worker runs the jobs; the next reader gets the new figures, and queues nothing.
    for kind, params in queued:
        assert tasks.refresh_stored(kind, params) == "stored"
    assert sorted(computed) == ["alignment", "headline_figures"]
    assert in_review_shown(http.get("/dashboard/")) == before + 1
    assert len(queued) == 3 and len(computed) == 2


@pytest.mark.django_db
def test_a_result_stale_past_the_limit_is_recomputed_on_read(rep, pm, manager, client_for, queued):
    http = client_for(manager)
    # No worker has kept up for longer than the limit: the request computes it.
    limit = settings.METRICS_SNAPSHOT_STALE_LIMIT_SECONDS + 1
    before = stale_dashboard(http, rep, pm, manager, limit)
    assert in_review_shown(http.get("/dashboard/")) == before + 1
    assert queued == []


@pytest.mark.django_db
def test_a_stale_result_is_recomputed_on_read_when_the_broker_is_down(
    rep, pm, manager, client_for, monkeypatch, caplog
):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.refresh_stored, "apply_async", down)
    http = client_for(manager)
    before = stale_dashboard(http, rep, pm, manager, settings.METRICS_SNAPSHOT_MAX_AGE_SECONDS + 1)
    assert in_review_shown(http.get("/dashboard/")) == before + 1
    assert "Broker unavailable" in caplog.text


@pytest.mark.django_db
def test_the_worker_stores_each_kind_under_the_key_its_readers_read(rep, pm, manager):
    sales = TeamFactory(name="Sales", kind=TeamKind.SALES)
    sales.members.add(rep)
    history([rep], pm, manager, 2)
    today = timezone.localdate()
    for w in (window_for(*default_range()), window_for(*default_range(), sales)):
        stored_alignment(w)
        stored_previous_figures(w)
    stored_goal_values(quarter_of(today), today)
    age_all_snapshots(settings.METRICS_SNAPSHOT_MAX_AGE_SECONDS + 1)
    for w in (window_for(*default_range()), window_for(*default_range(), sales)):
        assert refresh_stored("alignment", window_params(w)) == "stored"
        assert refresh_stored("headline", window_params(previous_window(w))) == "stored"
    goals = {"quarter": quarter_of(today), "today": today.isoformat()}
    assert refresh_stored("goals", goals) == "stored"
    fresh_after = timezone.now() - snapshots.max_age()
    assert not MetricsSnapshot.objects.filter(computed_at__lt=fresh_after).exists()
    assert MetricsSnapshot.objects.count() == 5

    # A team deleted since the reader asked: nothing to do.
    params = window_params(window_for(*default_range(), sales))
    sales.delete()
    assert refresh_stored("alignment", params) == "team gone"
    with pytest.raises(ValueError):
        refresh_stored("unknown", window_params(window_for(*default_range())))


@pytest.mark.django_db
def test_only_managers_recalculate_and_only_by_post(rep, pm, manager, client_for):
    for user in (rep, pm):
        assert client_for(user).post("/dashboard/recompute/").status_code == 403
    assert client_for(manager).get("/dashboard/recompute/").status_code == 405
    assert not MetricsSnapshot.objects.exists()


@pytest.mark.django_db
def test_exports_match_the_page(rep, pm, manager, client_for):
    http = client_for(manager)
    history([rep], pm, manager, 3)
    http.get("/dashboard/")
    submit_one(rep)
    exported = http.get("/dashboard/export/figures.csv").content.decode()
    shown = in_review_shown(http.get("/dashboard/"))
    assert f"Deals in review now,{shown}," in exported


@pytest.mark.django_db
def test_the_api_says_when_its_figures_were_computed(rep, pm, manager, client_for):
    history([rep], pm, manager, 1)
    body = client_for(manager).get("/api/v1/metrics/alignment/").json()
    stored = MetricsSnapshot.objects.get(key__startswith="alignment:")
    assert datetime.datetime.fromisoformat(body["computed_at"]) == stored.computed_at


# The scheduled job


@pytest.mark.django_db
def test_the_job_recomputes_the_default_ranges_and_forgets_old_ones(rep, pm, manager):
    sales = TeamFactory(name="Sales", kind=TeamKind.SALES)
    delivery = TeamFactory(name="Delivery", kind=TeamKind.DELIVERY)
    history([rep], pm, manager, 2)
    old = MetricsSnapshot.objects.create(
        key="alignment:v3:2026-01-01:2026-03-31:all",
        computed_at=timezone.now() - datetime.timedelta(days=3),
        seconds=0.1,
        payload={},
    )
    result = refresh_metrics.delay().get()
    assert result == {"alignments": 3, "previous_periods": 3, "goals": 1, "forgotten": 1}
    start, end = default_range()
    before_start, before_end = start - (end - start) - datetime.timedelta(1), start - ONE_DAY
    keys = set(MetricsSnapshot.objects.values_list("key", flat=True))
    assert keys == {
        f"alignment:v3:{start}:{end}:all",
        f"alignment:v3:{start}:{end}:{sales.pk}",
        f"alignment:v3:{start}:{end}:{delivery.pk}",
        f"headline:v3:{before_start}:{before_end}:all",
        f"headline:v3:{before_start}:{before_end}:{sales.pk}",
        f"headline:v3:{before_start}:{before_end}:{delivery.pk}",
        f"goals:v3:{quarter_of(end)}:{end}",
    }
    assert not MetricsSnapshot.objects.filter(pk=old.pk).exists()


def test_the_job_is_scheduled_more_often_than_results_expire():
    entry = settings.CELERY_BEAT_SCHEDULE["handoff-refresh-metrics"]
    assert entry["task"] == "insights.tasks.refresh_metrics"
    assert entry["schedule"] < settings.METRICS_SNAPSHOT_MAX_AGE_SECONDS


# Tables of people: the page shows the busiest, the CSV all


@pytest.mark.django_db
def test_the_page_shows_the_busiest_reps_and_the_csv_every_rep(pm, manager, client_for):
    reps = [UserFactory(username=f"rep{i:02}", role=Role.SALES) for i in range(PAGE_ROWS + 3)]
    for i, rep in enumerate(reps):
        for _ in range(1 + (i == 0)):  # rep00 has two deals: the most verdicts
            deal = make_deal(rep, [(CommitmentKind.SCOPE, "3")])
            review(deal, pm, [VerdictKind.APPROVED])
    http = client_for(manager)
    response = http.get("/dashboard/")
    table = next(t for t in response.context["tables"] if t.key == "flag-rate-by-rep")
    assert len(table.page_rows) == PAGE_ROWS
    assert table.page_rows[0]["rep_url"].endswith("/people/rep00/")
    page = response.content.decode()
    assert f"The {PAGE_ROWS} rows with the most verdicts, of {len(reps)}" in page
    chart = table.chart_data()
    assert len(chart["labels"]) == PAGE_ROWS
    exported = http.get("/dashboard/export/flag-rate-by-rep.csv").content.decode()
    assert len(exported.strip().splitlines()) == 1 + len(reps)
    body = http.get("/api/v1/metrics/alignment/").json()
    api_table = next(t for t in body["tables"] if t["key"] == "flag-rate-by-rep")
    assert len(api_table["rows"]) == len(reps)


@pytest.mark.django_db
def test_while_one_reader_recomputes_a_stale_result_the_others_read_it_as_stored():
    from django.core.cache import cache

    calls = []

    def compute(value):
        def run():
            calls.append(value)
            return value

        return run

    snapshots.store("figures:test", compute("old"))
    limit = datetime.timedelta(seconds=settings.METRICS_SNAPSHOT_MAX_AGE_SECONDS)
    stale_at = timezone.now() - limit - ONE_DAY
    MetricsSnapshot.objects.filter(key="figures:test").update(computed_at=stale_at)

    # Another reader is computing it: this one gets the stale result, and computes nothing.
    cache.add(snapshots._claim_key("figures:test"), 1)
    try:
        stored = snapshots.read("figures:test", compute("new"))
    finally:
        cache.delete(snapshots._claim_key("figures:test"))
    assert (stored.value, stored.computed_at) == ("old", stale_at)
    assert calls == ["old"]

    # Nobody is: this reader computes it, stores it and lets go of the claim.
    stored = snapshots.read("figures:test", compute("new"))
    assert stored.value == "new" and stored.computed_at > stale_at
    assert calls == ["old", "new"]
    assert cache.add(snapshots._claim_key("figures:test"), 1)
    cache.delete(snapshots._claim_key("figures:test"))

    # A key with nothing stored is computed by whoever reads it, claim or not.
    cache.add(snapshots._claim_key("figures:other"), 1)
    try:
        assert snapshots.read("figures:other", compute("first")).value == "first"
    finally:
        cache.delete(snapshots._claim_key("figures:other"))

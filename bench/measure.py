"""Page timings in-process: django.test.Client, median and p95 after a warm-up, query counts."""

import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from bench.generate import bench_user

WARM_UP = 3
# A page answers 200; a poll whose page is up to date answers 204, with no body.
ANSWERED = frozenset({200, 204})


@dataclass
class Subjects:
    """Who looks at what: the same users and the same deal at every scale."""

    users: dict[str, object]
    deal_id: int | None
    project_id: int | None
    in_review_id: int | None = None
    webhook_id: int | None = None


@dataclass
class Page:
    name: str
    role: str
    url: Callable[[Subjects], str | None]
    kind: str = "page"  # page, list, poll (a live page's version check), floor, peer
    # A POST: the form fields of each request (a file is read once, so each gets its own).
    data: Callable[[], dict] | None = None


PAGES = [
    Page("deal list (rep)", "sales", lambda s: "/deals/", "list"),
    Page("deal list (manager)", "manager", lambda s: "/deals/", "list"),
    Page("review queue (PM)", "pm", lambda s: "/deals/queue/", "list"),
    Page("deal page, won (PM)", "pm", lambda s: s.deal_id and f"/deals/{s.deal_id}/"),
    Page(
        "deal page, in review (PM)",
        "pm",
        lambda s: s.in_review_id and f"/deals/{s.in_review_id}/",
    ),
    Page("project page (PM)", "pm", lambda s: s.project_id and f"/projects/{s.project_id}/"),
    Page("project list (PM)", "pm", lambda s: "/projects/", "list"),
    Page("dashboard (manager)", "manager", lambda s: "/dashboard/"),
    Page("deal form (rep)", "sales", lambda s: "/deals/new/"),
    Page("home (PM)", "pm", lambda s: "/"),
    # What history says about a promise: the cached table, one cell looked up.
    Page("API calibration (rep)", "sales", lambda s: _calibration_url()),
    # Committed and tentative load: deals in review and signed off, weighted.
    Page("API capacity (PM)", "pm", lambda s: "/api/v1/capacity/"),
    Page("capacity heat map (PM)", "pm", lambda s: "/projects/capacity/"),
    # What a live page costs each time it asks whether it changed: nothing did, so 204.
    Page("poll: deal in review (PM)", "pm", lambda s: _deal_poll_url(s), "poll"),
    Page("poll: review queue (PM)", "pm", lambda s: _queue_poll_url(s), "poll"),
    Page("poll: badge (PM)", "pm", lambda s: _badge_poll_url(s), "poll"),
    # What the lead reviewer sees of the requirements of each commitment, met or not.
    Page(
        "API approvals (PM)",
        "pm",
        lambda s: s.in_review_id and f"/api/v1/deals/{s.in_review_id}/approvals/",
    ),
    # A CSV of 1,000 rows (200 deals) previewed: every row's fate, nothing imported.
    Page(
        "API import preview (rep)",
        "sales",
        lambda s: "/api/v1/imports/deals/",
        data=lambda: _import_preview_form(1_000),
    ),
    Page(
        "webhook log (manager)",
        "manager",
        lambda s: s.webhook_id and f"/settings/webhooks/{s.webhook_id}/",
        "list",
    ),
    Page(
        "API webhook log (manager)",
        "manager",
        lambda s: s.webhook_id and f"/api/v1/webhooks/{s.webhook_id}/deliveries/",
        "list",
    ),
    # Deals, clients and projects at once, as the header's search box asks.
    Page("search (rep)", "sales", lambda s: "/search/?q=platform", "list"),
    Page("search (manager)", "manager", lambda s: "/search/?q=platform", "list"),
    Page("API search (PM)", "pm", lambda s: "/api/v1/search/?q=migration", "list"),
    Page("API deal list (rep)", "sales", lambda s: "/api/v1/deals/", "list"),
    Page("API deal list (manager)", "manager", lambda s: "/api/v1/deals/", "list"),
    Page("floor: bare view", "sales", lambda s: "/bench/floor/", "floor"),
    Page("admin deal changelist", "admin", lambda s: _admin_url(), "peer"),
]


def _calibration_url() -> str:
    import datetime

    from django.utils import timezone

    promised = timezone.localdate() + datetime.timedelta(days=60)
    return f"/api/v1/calibration/?kind=integration&effort_days=15&promised_date={promised}"


def _import_preview_form(rows: int) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bench.imports import csv_text

    text = csv_text(rows, bench_user("sales")).encode()
    return {
        "file": SimpleUploadedFile("deals.csv", text, content_type="text/csv"),
        "dry_run": "true",
    }


def _admin_url() -> str:
    from bench.urls import admin_changelist_url

    return admin_changelist_url()


def _deal_poll_url(s: Subjects) -> str | None:
    from deals.live import deal_version

    if not s.in_review_id:
        return None
    version = deal_version(s.users["pm"], s.in_review_id)
    return f"/deals/{s.in_review_id}/version/?v={version}"


def _queue_poll_url(s: Subjects) -> str:
    from deals.live import queue_version

    return f"/deals/queue/version/?v={queue_version(s.users['pm'])}"


def _badge_poll_url(s: Subjects) -> str:
    from feedback.selectors import unread_count

    return f"/feedback/notifications/badge/version/?v={unread_count(s.users['pm'])}"


def pick_subjects() -> Subjects:
    """A won deal from the first thousand, with two review rounds: it exists at every scale."""
    from django.apps import apps

    from deals.models import Deal
    from handoff.models import User

    users = {
        role: User.objects.get(username=bench_user(role))
        for role in ("sales", "pm", "manager", "admin")
    }
    deal = (
        Deal.objects.filter(pk__lte=1000, status="won", rounds__number=2).order_by("pk").first()
        or Deal.objects.filter(pk__lte=1000, status="won").order_by("pk").first()
    )
    project_id = None
    if deal is not None:
        try:
            Project = apps.get_model("projects", "Project")
            project_id = Project.objects.filter(deal=deal).values_list("pk", flat=True).first()
        except LookupError:
            pass
    # In review, the page adds the capacity check against all open work.
    in_review = (
        Deal.objects.filter(pk__lte=1000, status="in_review").order_by("pk").values_list("pk")
    ).first()
    webhook_id = None
    try:
        Endpoint = apps.get_model("feedback", "WebhookEndpoint")
        webhook_id = Endpoint.objects.order_by("pk").values_list("pk", flat=True).first()
    except LookupError:
        pass
    return Subjects(
        users=users,
        deal_id=deal.pk if deal else None,
        project_id=project_id,
        in_review_id=in_review[0] if in_review else None,
        webhook_id=webhook_id,
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def use_database(name: str) -> None:
    """Point the default connection at another database of the same server, and the cache at
    that database's entries: a user, a session or a load cached from one is never read from
    the other."""
    from django.core.cache import caches

    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name
    connection.ensure_connection()
    caches["default"].key_prefix = name


def _send(http: HttpClient, page: Page, url: str):
    if page.data is None:
        return http.get(url)
    return http.post(url, page.data())


def _get(http: HttpClient, page: Page, url: str) -> tuple[float, int]:
    """One request's milliseconds and status; a POST's form is made before the clock starts."""
    if page.data is None:
        started = time.perf_counter()
        response = http.get(url)
    else:
        data = page.data()
        started = time.perf_counter()
        response = http.post(url, data)
    return (time.perf_counter() - started) * 1000, response.status_code


def measure_scales(databases: dict[str, str], requests: int, log=print) -> dict[str, dict]:
    """Time every page at every scale, taking turns round by round.

    The machine is shared, so its load drifts; alternating the scales within each round
    lets a drift touch both alike, which keeps the ratio between them honest.
    """
    setups = {}
    for label, name in databases.items():
        use_database(name)
        subjects = pick_subjects()
        clients = {}
        pages = []
        for page in PAGES:
            url = page.url(subjects)
            if not url:
                continue
            if page.role not in clients:
                clients[page.role] = HttpClient()
                clients[page.role].force_login(subjects.users[page.role])
            pages.append((page, url, clients[page.role]))
        setups[label] = pages

    results: dict[str, dict] = {label: {} for label in databases}
    live: dict[str, list] = {}
    for label, pages in setups.items():
        use_database(databases[label])
        for page, url, http in pages:
            _, status = _get(http, page, url)
            results[label][page.name] = {"status": status, "url": url}
            if status in ANSWERED:
                for _ in range(WARM_UP - 1):
                    _get(http, page, url)
                results[label][page.name]["timings"] = []
        live[label] = [p for p in pages if results[label][p[0].name]["status"] in ANSWERED]

    for _ in range(requests):
        for label, pages in live.items():
            use_database(databases[label])
            for page, url, http in pages:
                elapsed, _ = _get(http, page, url)
                results[label][page.name]["timings"].append(elapsed)

    for label, pages in live.items():
        use_database(databases[label])
        log(f"At {label}:")
        for page, url, http in pages:
            result = results[label][page.name]
            timings = result.pop("timings")
            with CaptureQueriesContext(connection) as queries:
                response = _send(http, page, url)
            result.update(
                median_ms=round(statistics.median(timings), 2),
                p95_ms=round(percentile(timings, 0.95), 2),
                queries=len(queries),
                bytes=len(response.content),
            )
            log(
                f"  {page.name:<26} {result['median_ms']:>8.1f} ms median "
                f"{result['p95_ms']:>8.1f} ms p95 {result['queries']:>4} queries"
            )
        for page in PAGES:
            result = results[label].get(page.name)
            if result is None:
                results[label][page.name] = {"status": None, "note": "nothing to show"}
            elif result["status"] not in ANSWERED:
                log(f"  {page.name:<26} HTTP {result['status']} at {result['url']}")
    return results


# The events a busy minute writes (the load test's submissions, rulings and decisions come to
# about five a second): the fold's share of each run of the scheduled job.
MINUTE_OF_EVENTS = 300


def measure_computations(databases: dict[str, str], runs: int = 3, log=print) -> dict:
    """What the dashboard's stored figures cost to compute: the scheduled job's work.

    The job folds the events since its watermark into the summary tables, then sums the
    default range's figures from them (both teams). Timed: the first fold, which builds every
    day (once per database); the fold of a minute's worth of events (the watermark moved back
    by MINUTE_OF_EVENTS, so the days of the newest events' deals are refolded); the figures
    summed from the summaries; and, for comparison, the same figures computed live from the
    rows. median_ms is the job's work, fold plus figures; medians of a few runs.
    """
    from deals.models import DealEvent
    from insights.figures.alignment import alignment
    from insights.figures.window import default_range, window_for
    from insights.models import SummaryState
    from insights.summary_fold import summaries_fold

    results = {}
    for label, name in databases.items():
        use_database(name)
        w = window_for(*default_range())
        started = time.perf_counter()
        summaries_fold()
        backfill = time.perf_counter() - started
        newest = DealEvent.objects.order_by("-pk").values_list("pk", flat=True)
        mark = newest[MINUTE_OF_EVENTS] if newest.count() > MINUTE_OF_EVENTS else 0
        folds, reads, lives = [], [], []
        for _ in range(runs):
            SummaryState.objects.update(deal_event_id=mark)
            started = time.perf_counter()
            summaries_fold()
            folds.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                alignment(w)
            reads.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            alignment(w, live=True)
            lives.append((time.perf_counter() - started) * 1000)
        fold, read = statistics.median(folds), statistics.median(reads)
        results[label] = {
            "median_ms": round(fold + read, 1),
            "fold_ms": round(fold, 1),
            "figures_ms": round(read, 1),
            "live_ms": round(statistics.median(lives), 1),
            "first_fold_s": round(backfill, 1),
            "queries": len(queries),
        }
        log(
            f"  dashboard computation at {label}: fold of {MINUTE_OF_EVENTS} events "
            f"{fold:.0f} ms + figures {read:.0f} ms (live from the rows "
            f"{results[label]['live_ms']:.0f} ms; first fold {backfill:.1f} s)"
        )
    return results


def measure_cache_fills(databases: dict[str, str], runs: int = 3, log=print) -> dict:
    """What a cold cache costs: the calibration table built from every resolved promise, and
    the tentative load of every deal in review or signed off. Pages read both from the cache;
    the table is built again after a deliverable is resolved, the load after a deal changes."""
    from django.core.cache import cache

    from projects.calibration import build_table, resolved_samples
    from projects.tentative import tentative_load, win_chances

    results = {}
    for label, name in databases.items():
        use_database(name)
        found = {}
        for key, build in (
            ("calibration_table", lambda: build_table(resolved_samples())),
            ("tentative_load", lambda: (cache.clear(), win_chances(), tentative_load())),
        ):
            timings = []
            for _ in range(runs):
                cache.clear()
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    build()
                timings.append((time.perf_counter() - started) * 1000)
            found[key] = {
                "median_ms": round(statistics.median(timings), 1),
                "queries": len(queries),
            }
            log(f"  {key} built cold at {label}: {found[key]['median_ms']:.0f} ms")
        results[label] = found
    return results


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    import os

    import django

    memory_gb = None
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "cpu": _cpu_model(),
        "postgresql": pg_version,
        "python": platform.python_version(),
        "django": django.get_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }

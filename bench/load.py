"""The load test: gunicorn on 127.0.0.1, locust headless for a bounded time, then both stopped."""

import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient

from bench.generate import USERNAME_PREFIX

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
PEOPLE = {"sales": 16, "pm": 10, "manager": 4}
REVIEWS_PER_PM = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare() -> Path:
    """Sessions, tokens and work for each load-test user, written where locust reads it."""
    from rest_framework.authtoken.models import Token

    from deals.models import Client, Deal, ReviewRound
    from handoff.models import User

    users: dict[str, list[dict]] = {}
    open_rounds = list(
        ReviewRound.objects.filter(decided_at__isnull=True, deal__status="in_review")
        .order_by("due_at")
        .values_list("deal_id", "reviewer_id")[:20_000]
    )
    for role, count in PEOPLE.items():
        people = User.objects.filter(username__startswith=USERNAME_PREFIX[role], role=role)
        for person in people.order_by("username")[:count]:
            http = HttpClient()
            http.force_login(person)
            token, _ = Token.objects.get_or_create(user=person)
            entry = {
                "username": person.username,
                "session": http.cookies[settings.SESSION_COOKIE_NAME].value,
                "token": token.key,
                "deals": list(
                    Deal.objects.filter(owner=person)
                    .order_by("-updated_at")
                    .values_list("pk", flat=True)[:50]
                ),
                "reviews": [],
            }
            users.setdefault(role, []).append(entry)
    # Each PM reviews deals nobody else holds: unclaimed ones, or already claimed by that PM.
    pms = users.get("pm", [])
    pm_ids = {p["username"]: i for i, p in enumerate(pms)}
    by_pk = dict(User.objects.filter(username__in=pm_ids).values_list("pk", "username"))
    unclaimed = iter(deal for deal, reviewer in open_rounds if reviewer is None)
    for deal, reviewer in open_rounds:
        if reviewer in by_pk:
            pms[pm_ids[by_pk[reviewer]]]["reviews"].append(deal)
    for pm in pms:
        while len(pm["reviews"]) < REVIEWS_PER_PM:
            deal = next(unclaimed, None)
            if deal is None:
                break
            pm["reviews"].append(deal)
        del pm["reviews"][REVIEWS_PER_PM:]
    prepared = {
        "users": users,
        "clients": list(Client.objects.order_by("pk").values_list("pk", flat=True)[:200]),
        "deals": list(
            Deal.objects.filter(first_submitted_at__isnull=False)
            .order_by("-updated_at")
            .values_list("pk", flat=True)[:500]
        ),
        "projects": _projects(),
    }
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "load-users.json"
    path.write_text(json.dumps(prepared))
    return path


def _projects() -> list[int]:
    from django.apps import apps

    try:
        Project = apps.get_model("projects", "Project")
    except LookupError:
        return []
    return list(Project.objects.order_by("-created_at").values_list("pk", flat=True)[:300])


def redis_broker() -> str:
    """The benchmark's own Redis database as the broker, if Redis answers; else the folder broker."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # no Redis: the folder broker takes the tasks
        return ""
    return url


def forget_tasks(broker: str) -> None:
    """Nothing consumes the tasks the load test enqueued (emails to generated users): drop them."""
    if broker:
        import redis

        redis.Redis.from_url(broker).flushdb()


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own 127.0.0.1
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {seconds:.0f} s")


def warm_up(base: str, prepared: dict, workers: int) -> None:
    """Each page the load reads, a few times per worker, before anything is measured.

    A fresh gunicorn worker imports lazily and compiles each template on first use (about
    0.5 s for its first page), which a server that has run for a while has long done; the
    page timings get three warm-up requests for the same reason.
    """
    person = {role: people[0] for role, people in prepared["users"].items() if people}
    deal = prepared["deals"][0] if prepared["deals"] else None
    project = prepared["projects"][0] if prepared["projects"] else None
    pages = [
        ("sales", "/"),
        ("sales", "/deals/"),
        ("sales", "/deals/?q=platform&status=in_review"),
        ("pm", "/deals/queue/"),
        ("pm", deal and f"/deals/{deal}/"),
        ("pm", project and f"/projects/{project}/"),
        ("manager", "/dashboard/"),
        ("manager", "/deals/"),
    ]
    api = [("sales", "/api/v1/deals/"), ("manager", "/api/v1/deals/?status=won")]
    requests = [
        (url, {"Cookie": f"sessionid={person[role]['session']}"})
        for role, url in pages
        if url and role in person
    ] + [(url, {"Authorization": f"Token {person[role]['token']}"}) for role, url in api]
    for _ in range(3 * workers):
        for url, headers in requests:
            request = urllib.request.Request(base + url, headers=headers)  # noqa: S310 - 127.0.0.1
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(request, timeout=30) as response,  # noqa: S310
            ):
                response.read()


def run(*, seconds: int, users: int, rate: float, workers: int | None = None) -> dict:
    # gunicorn's rule of thumb for sync workers: two per core, plus one.
    workers = workers or 2 * (os.cpu_count() or 1) + 1
    prepared = prepare()
    connection.close()
    before = [round(x, 2) for x in os.getloadavg()]
    broker = redis_broker()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_bench"
        ),
        "BENCH_LOAD_USERS": str(prepared),
        "BENCH_SERVER": "1",
        "REDIS_URL": broker,
        "BENCH_LOAD_RATE": str(rate),
    }
    prefix = WORK / "load"
    for old in WORK.glob("load_*.csv"):
        old.unlink()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments, our own virtualenv
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(WORK / "gunicorn.log", "w"),  # noqa: SIM115 - closed with the process
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        warm_up(f"http://127.0.0.1:{port}", json.loads(prepared.read_text()), workers)
        subprocess.run(  # noqa: S603 - fixed arguments, our own virtualenv
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{seconds}s",
                "--stop-timeout",
                "5",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(WORK / "locust.log", "w"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
            timeout=seconds + 90,
            check=False,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        forget_tasks(broker)
    return summarise(
        prefix,
        broker=broker or "folder",
        seconds=seconds,
        users=users,
        rate=rate,
        workers=workers,
        load_average_before=before,
        load_average_after=[round(x, 2) for x in os.getloadavg()],
    )


def summarise(prefix: Path, **setup) -> dict:
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        return {"error": "locust wrote no statistics; see var/bench/locust.log", **setup}
    with stats.open() as handle:
        rows = list(csv.DictReader(handle))
    endpoints = {}
    total = {}
    for row in rows:
        figures = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "requests_per_second": round(float(row["Requests/s"]), 2),
            "p50_ms": _number(row["50%"]),
            "p95_ms": _number(row["95%"]),
            "p99_ms": _number(row["99%"]),
        }
        if row["Name"] == "Aggregated":
            total = figures
        else:
            endpoints[f"{row['Type']} {row['Name']}"] = figures
    failures = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with failures_csv.open() as handle:
            failures = [
                {
                    "request": f"{r['Method']} {r['Name']}",
                    "error": r["Error"][:200],
                    "count": int(r["Occurrences"]),
                }
                for r in csv.DictReader(handle)
            ]
    return {**total, "setup": setup, "endpoints": endpoints, "failure_kinds": failures}


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None

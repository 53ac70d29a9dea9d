"""The steps of the load: each a locust run offering a rate of requests for a bounded time, with
the stack's CPU read around it; the unloaded median, the knee and the figures reported."""

import csv
import math
import resource
import subprocess
import time
from pathlib import Path

from bench.cpu import StackMeter, busy_percent, database_server_pid, machine_ticks
from bench.mixes import left_out, write_share
from bench.stack import (
    BIN,
    ROOT,
    WEBHOOK_EVENTS,
    Receiver,
    Stack,
    deliveries,
    register_webhook,
    remove_webhook,
    settle,
)

# Each user offers this many requests per second, so a step of R requests/s has 2R users: enough
# that the rate is still offered while answers slow down, as independent people would send it.
REQUESTS_PER_USER = 0.5
UNLOADED = {"rate": 3.0, "users": 3}
# The knee: the last step (from the lowest) whose p95 is within this many unloaded medians.
KNEE_FACTOR = 4
WORKER_MB_LIMIT = 200
SUBMIT = "POST /api/v1/deals/<id>/submit/"
DEAL_PAGE = "GET /deals/<id>/"


def users_for(rate: float) -> int:
    return max(2, math.ceil(rate / REQUESTS_PER_USER))


def run_step(
    stack: Stack, *, part: Path, rate: float, users: int, seconds: int, mix: str, meter
) -> dict:
    """One locust run offering `rate` requests per second, with the stack's CPU around it."""
    prefix = stack.work / f"step-{part.stem}"
    for old in stack.work.glob(f"{prefix.name}_*.csv"):
        old.unlink()
    env = stack.env(
        BENCH_LOAD_USERS=str(part),
        BENCH_LOAD_RATE=str(rate / users),
        BENCH_LOAD_MIX=mix,
        PYTHONPATH=str(ROOT),
    )
    cpu_before = meter.read()
    backends_before = meter.read_backends()
    machine_before = machine_ticks()
    generator_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
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
            stack.base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(stack.work / f"locust-{part.stem}.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        timeout=seconds + 90,
        check=False,
    )
    wall = time.monotonic() - started
    # The CPU of the step's requests that were still queued when locust stopped is the step's.
    settling = settle(f"{stack.base}/healthz")
    spent = meter.spent(cpu_before, meter.read())
    own_database = meter.backends_spent(backends_before, meter.read_backends())
    machine_busy = busy_percent(machine_before, machine_ticks())
    generator_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = summarise(prefix)
    requests = figures.get("requests") or 0
    figures["offered_per_second"] = rate
    figures["users"] = users
    figures["wall_seconds"] = round(wall, 1)
    figures["settle_seconds"] = settling
    figures["machine_busy_percent"] = machine_busy
    figures["cpu_ms"] = {name: round(ms) for name, ms in spent.items()}
    figures["cpu_ms_per_request"] = round(sum(spent.values()) / requests, 2) if requests else None
    # The server's CPU counts every database on it; this one's backends alone, on a shared one.
    figures["postgresql_this_database_cpu_ms"] = round(own_database)
    figures["load_generator_cpu_ms_per_request"] = (
        round(
            (
                generator_after.ru_utime
                + generator_after.ru_stime
                - generator_before.ru_utime
                - generator_before.ru_stime
            )
            * 1000
            / requests,
            2,
        )
        if requests
        else None
    )
    return figures


def summarise(prefix: Path) -> dict:
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        return {"error": f"locust wrote no statistics; see {prefix.parent}/locust-*.log"}
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
            endpoints[f"{row['Type']} {row['Name']}".replace("POST POST ", "POST ")] = figures
    writes = sum(f["requests"] for name, f in endpoints.items() if name.startswith("POST "))
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
    return {
        **total,
        "write_share": round(writes / total["requests"], 3) if total.get("requests") else None,
        "submit_p95_ms": endpoints.get(SUBMIT, {}).get("p95_ms"),
        "deal_page_p95_ms": endpoints.get(DEAL_PAGE, {}).get("p95_ms"),
        "endpoints": endpoints,
        "failure_kinds": failures,
    }


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def knee(unloaded_median: float | None, steps: list[dict]) -> dict:
    """The last step, counting up from the lowest, whose p95 is within 4x the unloaded median."""
    limit = KNEE_FACTOR * unloaded_median if unloaded_median else None
    last = None
    for step in steps:
        if limit is None or step.get("p95_ms") is None or step["p95_ms"] > limit:
            break
        last = step["offered_per_second"]
    return {
        "requests_per_second": last,
        "p95_limit_ms": limit,
        "rule": f"the last step, from the lowest, with p95 within {KNEE_FACTOR}x the unloaded p50",
    }


def submit_versus_page(steps: list[dict]) -> list[dict]:
    rows = []
    for step in steps:
        submit, page = step.get("submit_p95_ms"), step.get("deal_page_p95_ms")
        rows.append(
            {
                "offered_per_second": step["offered_per_second"],
                "submit_p95_ms": submit,
                "deal_page_p95_ms": page,
                "ratio": round(submit / page, 2) if submit and page else None,
            }
        )
    return rows


def stepped(
    stacks: list[Stack], *, steps: list[float], seconds: int, mix: str, receiver: Receiver | None
) -> dict[str, dict]:
    """The unloaded median, then each step on every stack in turn, with its CPU and webhooks."""
    from django.db import connection

    postmaster = database_server_pid(connection)
    connection.close()
    meters = {
        s.label: StackMeter(
            {
                "gunicorn": s.server.pid if s.server else None,
                "celery": s.worker.pid if s.worker else None,
                "postgresql": postmaster,
            },
            database=(postmaster, s.database_url.rsplit("/", 1)[-1]),
        )
        for s in stacks
    }
    results = {s.label: {"steps": []} for s in stacks}
    endpoints = {}
    for stack in stacks:
        endpoints[stack.label] = register_webhook(stack, receiver.url) if receiver else None
        results[stack.label]["unloaded"] = run_step(
            stack,
            part=stack.parts[0],
            rate=UNLOADED["rate"],
            users=UNLOADED["users"],
            seconds=seconds,
            mix=mix,
            meter=meters[stack.label],
        )
    for i, rate in enumerate(steps):
        # Turns swap each step, so neither stack always runs right after the other.
        for stack in stacks if i % 2 == 0 else stacks[::-1]:
            received = receiver.received if receiver else 0
            step = run_step(
                stack,
                part=stack.parts[i + 1],
                rate=rate,
                users=users_for(rate),
                seconds=seconds,
                mix=mix,
                meter=meters[stack.label],
            )
            if endpoints[stack.label] is not None:
                step["webhooks_received"] = receiver.received - received
            results[stack.label]["steps"].append(step)
            print(f"  {stack.label:>8} {row(step)}", flush=True)
    for stack in stacks:
        figures = results[stack.label]
        endpoint = endpoints[stack.label]
        if endpoint is not None:
            figures["webhooks"] = drain(stack, endpoint, receiver)
            remove_webhook(stack, endpoint)
        figures["resident_mb"] = stack.resident_mb()
    return results


def drain(stack: Stack, endpoint: int, receiver: Receiver, seconds: float = 30) -> dict:
    """Wait (bounded) for the worker to post what the load left pending; say what it did."""
    deadline = time.monotonic() + seconds
    counts = deliveries(stack, endpoint)
    while (
        time.monotonic() < deadline
        and "error" not in counts
        and (counts.get("pending") or counts.get("sending"))
    ):
        time.sleep(1)
        counts = deliveries(stack, endpoint)
    return {"deliveries": counts, "received": receiver.received, "events": WEBHOOK_EVENTS}


def row(step: dict) -> str:
    if step.get("error"):
        return f"{step['offered_per_second']:>5g}/s: {step['error']}"
    return (
        f"{step['offered_per_second']:>5g}/s offered, {step['requests_per_second']:>6.1f}/s answered, "
        f"p50 {step['p50_ms']} ms, p95 {step['p95_ms']} ms, p99 {step['p99_ms']} ms, "
        f"{step['failures']} errors, {step['cpu_ms_per_request']} CPU ms/request"
    )


def report(figures: dict, *, mix: str, seconds: int, stack: Stack) -> dict:
    unloaded = figures["unloaded"]
    steps = figures["steps"]
    workers = figures["resident_mb"]["gunicorn_workers"]
    found = knee(unloaded.get("p50_ms"), steps)
    beside = submit_versus_page(steps)
    # Submit beside the deal page at the knee, or at the lowest step when none held.
    at = next((r for r in beside if r["offered_per_second"] == found["requests_per_second"]), None)
    at = at or (beside[0] if beside else None)
    return {
        "mix": mix,
        "write_share_designed": round(write_share(mix, stack.features), 3),
        "tasks_left_out": left_out(mix, stack.features),
        "seconds_per_step": seconds,
        "unloaded": {k: v for k, v in unloaded.items() if k not in ("endpoints", "failure_kinds")},
        "unloaded_p50_ms": unloaded.get("p50_ms"),
        "knee": found,
        "steps": steps,
        "submit_versus_deal_page_p95": beside,
        "submit_versus_deal_page_at_knee": at,
        "resident_mb": figures["resident_mb"],
        "largest_worker_mb": max(workers) if workers else None,
        "targets": {
            "submit_p95_at_most_2x_deal_page": bool(at and at["ratio"] and at["ratio"] <= 2),
            "every_worker_at_most_200_mb": bool(workers) and max(workers) <= WORKER_MB_LIMIT,
        },
        "webhooks": figures.get("webhooks"),
        "setup": {
            "code": stack.label,
            "database": stack.database_url.rsplit("/", 1)[-1],
            "gunicorn_workers": stack.workers,
            "celery_worker": bool(stack.worker),
            "broker": stack.broker or "none (tasks stay in the folder broker)",
            "requests_per_user_per_second": REQUESTS_PER_USER,
            "unloaded": UNLOADED,
        },
    }

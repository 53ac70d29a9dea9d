"""The stepped load test: gunicorn and a Celery worker on 127.0.0.1, locust offering each step's
requests per second for a bounded time, the stack's CPU per request, then everything stopped.

One stack is the code of this checkout on the bench database; `--baseline REV` adds a second,
an older commit from a git worktree on a database its own generator made (bench/baseline.py),
and the two take turns step by step on the same machine.
"""

import json
import os

from bench.stack import BIN, ROOT, Receiver, Stack, broker_answers, warm_up
from bench.steps import UNLOADED, report, stepped

DEFAULT_BROKER = "redis://127.0.0.1:6379/13"


def run(
    *,
    steps: list[float],
    seconds: int,
    mix: str = "mixed",
    workers: int | None = None,
    baseline: str | None = None,
    deals: int | None = None,
) -> dict:
    """The stepped load on this checkout; with `baseline`, on that commit too, taking turns."""
    from django.db import connection

    # gunicorn's rule of thumb for sync workers: two per core, plus one.
    workers = workers or 2 * (os.cpu_count() or 1) + 1
    name = connection.settings_dict["NAME"]
    work = ROOT / "var" / "bench" / name
    broker = os.environ.get("BENCH_REDIS_URL", DEFAULT_BROKER)
    current = Stack(
        label="current",
        root=ROOT,
        bin=BIN,
        database_url=database_url(name),
        broker=broker if broker_answers(broker) else "",
        work=work / "current",
        workers=workers,
    )
    stacks = [current]
    how = {}
    if baseline:
        from bench import baseline as base

        older, how = base.stack(
            baseline, deals=deals or count_deals(), workers=workers, work=work / "baseline"
        )
        if older.broker and not broker_answers(older.broker):
            older.broker = ""
        stacks.append(older)
    migrate()
    parts = [UNLOADED["rate"], *steps]
    load_before = [round(x, 2) for x in os.getloadavg()]
    try:
        for stack in stacks:
            stack.work.mkdir(parents=True, exist_ok=True)
            stack.prepare([p * seconds for p in parts])
        common = set.intersection(*(s.features for s in stacks))
        if baseline:
            how["features_left_out_of_both"] = sorted(
                set.union(*(s.features for s in stacks)) - common
            )
        for stack in stacks:
            stack.features = common
            for part in stack.parts:
                prepared = json.loads(part.read_text())
                prepared["features"] = sorted(common)
                part.write_text(json.dumps(prepared))
            stack.start()
            warm_up(stack)
        with Receiver() as receiver:
            figures = stepped(stacks, steps=steps, seconds=seconds, mix=mix, receiver=receiver)
    finally:
        for stack in stacks:
            stack.stop()
    reports = {s.label: report(figures[s.label], mix=mix, seconds=seconds, stack=s) for s in stacks}
    result = reports["current"]
    result["load_average"] = {
        "before": load_before,
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    if baseline:
        now, then = (reports[s]["knee"]["requests_per_second"] for s in ("current", "baseline"))
        result = {
            **how,
            "mix": mix,
            "current": reports["current"],
            "baseline": reports["baseline"],
            "knee_current": now,
            "knee_baseline": then,
            "knee_ratio": round(now / then, 2) if now and then else None,
            "load_average": result["load_average"],
        }
    return result


def database_url(name: str) -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_bench")
    return f"{url.rsplit('/', 1)[0]}/{name}"


def count_deals() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM deals_deal")
        return cursor.fetchone()[0]


def migrate() -> None:
    """The data of an earlier run brought to this checkout's schema, if it has moved on."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("Migrating the benchmark database to this checkout's schema …", flush=True)
        call_command("migrate", verbosity=0)
    connection.close()

"""Writes that tell many people: a submission a review rule routes to a team, and a comment
mentioning a team, each timed through its page for a team of 2 PMs and of 50.

Everything runs in one transaction rolled back at the end, so the database (the generated bench
data, or any other) is left as it was. The PMs outside the team are made inactive inside it, so
the team is everyone a submission tells. A request's figure is its view, from the POST to the
response; the commit and the one task it enqueues after are the same for any team. The job's
figure is what that task does in the worker (run inline here): notifications, outbox rows,
approval links; the emails are sent by another task, as before, and not timed here.
"""

import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from bench.queries import QueryCounter

SIZES = (2, 50)
WARM_UP = 3
PREFIX = "fanout-bench"


class World:
    """A rep, a manager and a delivery team of PMs, made for this run only."""

    def __init__(self) -> None:
        from deals import services
        from deals.models import ReviewRule
        from feedback.models import ChatChannel, WebhookEndpoint
        from handoff.models import Role, Team, TeamKind, User

        now = timezone.now()
        self.rep = User.objects.create(
            username=f"{PREFIX}-rep", email=f"{PREFIX}-rep@bench.handoff.test", role=Role.SALES
        )
        manager = User.objects.create(username=f"{PREFIX}-manager", role=Role.MANAGER)
        self.pms = [
            User.objects.create(
                username=f"{PREFIX}-pm{n:02d}",
                email=f"{PREFIX}-pm{n:02d}@bench.handoff.test",
                role=Role.PM,
            )
            for n in range(max(SIZES))
        ]
        # Every PM of the database but the team's is out of the picture until the rollback.
        User.objects.filter(role=Role.PM).exclude(pk__in=[u.pk for u in self.pms]).update(
            is_active=False
        )
        ReviewRule.objects.filter(retired_at__isnull=True).update(retired_at=now)
        # The generated endpoints name hosts that do not exist: nothing is posted from here.
        WebhookEndpoint.objects.filter(active=True).update(active=False, disabled_at=now)
        ChatChannel.objects.filter(active=True).update(active=False, disabled_at=now)
        self.team = Team.objects.create(name="Fanout Bench Crew", kind=TeamKind.DELIVERY)
        self.team.members.add(*self.pms)
        services.review_rule_create(
            actor=manager,
            data={
                "name": "Integrations need the crew",
                "approver": "pm",
                "team": self.team,
                "kinds": ["integration"],
            },
        )
        self.http = HttpClient()
        self.http.force_login(self.rep)
        self.discussed = self.draft()
        start = len(connection.run_on_commit)
        services.deal_submit(deal=self.discussed, actor=self.rep)
        self.run_jobs(start)

    def size(self, people: int) -> None:
        """Make exactly `people` of the team's PMs active."""
        from handoff.models import User

        User.objects.filter(pk__in=[u.pk for u in self.pms[:people]]).update(is_active=True)
        User.objects.filter(pk__in=[u.pk for u in self.pms[people:]]).update(is_active=False)

    def draft(self):
        from deals.models import Client, Commitment, Deal

        client = Client.objects.create(name=f"{PREFIX} client {timezone.now().timestamp()}")
        deal = Deal.objects.create(
            title="Warehouse integration",
            client=client,
            owner=self.rep,
            value=Decimal("80000.00"),
            expected_close_date=timezone.localdate(),
        )
        promised = timezone.localdate() + timezone.timedelta(days=90)
        for kind in ("scope", "integration"):
            Commitment.objects.create(
                deal=deal,
                kind=kind,
                summary=f"The {kind} promise",
                promised_date=promised,
                effort_days=Decimal("5.0"),
            )
        return deal

    def submit(self) -> Callable[[], int]:
        deal = self.draft()
        url = reverse("deals:submit", args=[deal.pk])
        return lambda: self.http.post(url).status_code

    def mention(self) -> Callable[[], int]:
        url = reverse("deals:comment", args=[self.discussed.pk])
        data = {"comment-body": "@fanout-bench-crew the client moved the start date"}
        return lambda: self.http.post(url, data).status_code

    @staticmethod
    def run_jobs(start: int) -> float:
        """Run what a request left for after commit (the worker's part, inline), in ms.

        The emails the worker queues in turn are not sent: sending is the outbox's, as before.
        """
        pending = connection.run_on_commit[start:]
        del connection.run_on_commit[start:]
        started = time.perf_counter()
        for _savepoints, hook, _robust in pending:
            hook()
        elapsed = (time.perf_counter() - started) * 1000
        del connection.run_on_commit[start:]
        return elapsed


def _once(world: World, case: str) -> tuple[float, int, float]:
    """One request of `case`: its ms and queries, then the ms of its job."""
    request = getattr(world, case)()
    start = len(connection.run_on_commit)
    with QueryCounter() as queries:
        started = time.perf_counter()
        status = request()
        elapsed = (time.perf_counter() - started) * 1000
    if status != 302:
        raise RuntimeError(f"{case}: HTTP {status}")
    return elapsed, queries.count, world.run_jobs(start)


def run(repeats: int = 30, log=print) -> dict:
    """Time both cases at both sizes, taking turns; roll everything back."""
    from feedback.models import Notification

    log(f"Timing fan-out writes for teams of {' and '.join(map(str, SIZES))} ({repeats} each) …")
    started = time.perf_counter()
    cases = ("submit", "mention")
    timings = {(case, size): [] for case in cases for size in SIZES}
    queries: dict[tuple[str, int], set[int]] = {key: set() for key in timings}
    jobs = {key: [] for key in timings}
    told: dict[tuple[str, int], int] = {}
    with transaction.atomic():
        world = World()
        for size in SIZES:
            world.size(size)
            for case in cases:
                for _ in range(WARM_UP):
                    _once(world, case)
        for _ in range(repeats):
            for size in SIZES:
                world.size(size)
                for case in cases:
                    before = Notification.objects.count()
                    elapsed, counted, job = _once(world, case)
                    timings[case, size].append(elapsed)
                    queries[case, size].add(counted)
                    jobs[case, size].append(job)
                    told[case, size] = Notification.objects.count() - before
        transaction.set_rollback(True)

    small, large = SIZES
    results: dict = {}
    for case, label in (("submit", "submission"), ("mention", "team_mention")):
        figures = {}
        for size in SIZES:
            figures[str(size)] = {
                "median_ms": round(statistics.median(timings[case, size]), 1),
                "queries": sorted(queries[case, size]),
                "told": told[case, size],
                "job_median_ms": round(statistics.median(jobs[case, size]), 1),
            }
        figures["ratio"] = round(
            figures[str(large)]["median_ms"] / figures[str(small)]["median_ms"], 2
        )
        results[label] = figures
    results["repeats"] = repeats
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["how"] = (
        "POST /deals/<id>/submit/ of a deal with an integration promise a review rule routes to "
        "a delivery team, and POST /deals/<id>/comments/ mentioning that team, by a rep, "
        f"through django.test.Client; median of {repeats} after {WARM_UP} warm-ups, teams of "
        f"{small} and {large} PMs taking turns; 'told' counts the notifications written, "
        "'job_median_ms' the work left for the worker (run inline). One transaction, rolled back."
    )
    return results


def main() -> None:
    import json
    import os
    import sys
    from pathlib import Path

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 30), indent=2))


if __name__ == "__main__":
    main()

"""A realistic dataset written straight into PostgreSQL with COPY.

Every deal gets a history consistent with its status: review rounds, verdicts,
sign-offs and events as the workflow would have written them, so the pages,
the API and the win gate read it like real data. Models that do not exist
(yet) are skipped; a model field the generator does not know takes its
default, and a required field without one fails loudly.

Scale per 1,000 deals: 4,000 commitments, 200 won deals (projects) with
their deliverables, 300 feedback notes, 500 notifications, 600 webhook deliveries
of the last 90 days to three endpoints; 300 users.

Rows go in PostgreSQL's binary COPY format, formatted by psycopg. From
PARALLEL_FROM deals to add, one process per core makes the deals while the
parent's connection copies them in, all in one transaction.
"""

import hashlib
import io
import json
import multiprocessing
import operator
import os
import queue
import random
import time
import traceback
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from psycopg import Copy
from psycopg.copy import FileWriter

from deals.sla import review_due_at
from handoff import partitions

PASSWORD = "bench-password"  # noqa: S105 - a throwaway password of generated users
USERS = {"sales": 200, "pm": 70, "manager": 25, "admin": 5}
USERNAME_PREFIX = {"sales": "rep", "pm": "pm", "manager": "manager", "admin": "admin"}
COMMITMENTS_PER_DEAL = 4
FEEDBACK_PER_DEAL = 0.3
NOTIFICATIONS_PER_DEAL = 0.5
COMMENTS_PER_DEAL = 0.3
# Endpoints of the managers, and what the events of the last 90 days posted to them: the
# retention job keeps a delivery log that long.
WEBHOOK_ENDPOINTS = 3
DELIVERIES_PER_DEAL = 0.6
DELIVERY_DAYS = 90
WEBHOOK_EVENTS = ["deal.submitted", "verdict.recorded", "deal.signed_off", "deal.won", "deal.lost"]
CHUNK = 5_000
# From this many deals to add, worker processes make them (one per core) while this one copies.
PARALLEL_FROM = 20_000
# Ids a worker takes at a time for the rows of its deals.
ID_BLOCK = 10_000

# Deals are created evenly over three years. Older than RECENT_DAYS they are closed
# (or abandoned drafts); recent ones are anywhere in the workflow. About 21 % are won,
# so 100,000 deals make some 20,000 projects, and a 90-day window holds some 8 % of them.
HISTORY_DAYS = 3 * 365
RECENT_DAYS = 120
CLOSED_MIX = {"won": 0.22, "lost": 0.72, "draft": 0.06}
RECENT_MIX = {
    "draft": 0.25,
    "in_review": 0.15,
    "changes_requested": 0.12,
    "signed_off": 0.13,
    "won": 0.15,
    "lost": 0.20,
}
OPEN_STATUSES = frozenset({"draft", "in_review", "changes_requested", "signed_off"})
KINDS = ["scope", "timeline", "staffing", "pricing", "support", "integration", "other"]
TOPICS = [
    "hard_to_deliver",
    "scope_creep",
    "estimate_miss",
    "customer_insight",
    "market_trend",
    "competitor",
    "praise",
    "process",
]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Eva", "Farid", "Greta", "Hugo", "Iris", "Jon", "Kim", "Leo"]
LAST = ["Adams", "Berg", "Costa", "Diaz", "Evans", "Fischer", "Garcia", "Horvat", "Ito", "Jensen"]
WORDS = [
    "data",
    "platform",
    "migration",
    "portal",
    "analytics",
    "support",
    "rollout",
    "integration",
    "mobile",
    "billing",
    "CRM",
    "warehouse",
    "onboarding",
    "security",
]
INDUSTRIES = ["Retail", "Banking", "Insurance", "Health", "Logistics", "Energy", "Public sector"]


def model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


class Table:
    """Rows of one model, as dicts keyed by field name, copied in binary with one COPY per flush."""

    def __init__(self, model_class: type[models.Model], types: dict[str, int]):
        self.model = model_class
        self.types = types  # column name -> type oid, as the database has it
        self.rows: list[dict[str, Any]] = []
        self.written = 0
        self._columns: list[str] | None = None

    @property
    def name(self) -> str:
        return self.model._meta.db_table

    def _plan(self, keys: Iterable[str]) -> None:
        known = list(keys)
        given, extra, defaults = [], [], []
        for f in self.model._meta.concrete_fields:
            name = f.attname if f.attname in known else f.name
            if name in known:
                given.append((name, f.column))
            elif not f.null:
                default = f.get_default()
                if default is None:
                    raise ValueError(
                        f"{self.model.__name__}.{f.name} is required and the generator "
                        "does not fill it: add it to bench/generate.py."
                    )
                extra.append(f.column)
                defaults.append(default)
        self._columns = [column for _, column in given] + extra
        names = [name for name, _ in given]
        getter = operator.itemgetter(*names)
        self._getter = getter if len(names) > 1 else lambda row: (getter(row),)
        self._defaults = tuple(defaults)

    def render(self, cursor) -> tuple[str, bytes] | None:
        """The COPY statement and its rows in PostgreSQL's binary format, emptying the buffer.

        `cursor` only lends its adapters: the rows are written to memory, not sent.
        """
        if not self.rows:
            return None
        if self._columns is None:
            self._plan(self.rows[0].keys())
        buffer = io.BytesIO()
        getter, defaults = self._getter, self._defaults
        with Copy(cursor, binary=True, writer=FileWriter(buffer)) as copy:
            copy.set_types([self.types[c] for c in self._columns])
            write_row = copy.write_row
            if defaults:
                for row in self.rows:
                    write_row(getter(row) + defaults)
            else:
                for row in self.rows:
                    write_row(getter(row))
        self.written += len(self.rows)
        self.rows = []
        names = ", ".join(f'"{c}"' for c in self._columns)
        return f'COPY "{self.name}" ({names}) FROM STDIN (FORMAT BINARY)', buffer.getvalue()


def column_types(cursor, table: str) -> dict[str, int]:
    """Each column's type oid; a partitioned table answers for its partitions."""
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [f'"{table}"'],
    )
    return dict(cursor.fetchall())


def _copy(cursor, statement: str, payload: bytes) -> None:
    with cursor.copy(statement) as copy:
        copy.write(payload)


@dataclass
class People:
    by_role: dict[str, list[int]] = field(default_factory=dict)

    def pick(self, rng: random.Random, role: str) -> int:
        return rng.choice(self.by_role[role])


def recreate_database(url_name: str) -> None:
    """Drop and create the benchmark database (connecting to the server's `postgres` db)."""
    import psycopg

    settings_db = connection.settings_dict
    with psycopg.connect(
        host=settings_db["HOST"] or None,
        port=settings_db["PORT"] or None,
        user=settings_db["USER"] or None,
        password=settings_db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{url_name}"')


class Generator:
    def __init__(self, *, seed: int = 1, now: datetime | None = None, log=print):
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.log = log
        self.models = {
            label: model(label)
            for label in [
                "handoff.User",
                "authtoken.Token",
                "deals.Client",
                "deals.Deal",
                "deals.Commitment",
                "deals.ReviewRound",
                "deals.Verdict",
                "deals.SignOff",
                "deals.DealEvent",
                "deals.Comment",
                "projects.Project",
                "projects.KickoffItem",
                "projects.ProjectEvent",
                "projects.Deliverable",
                "projects.PMCapacity",
                "feedback.FeedbackNote",
                "feedback.Notification",
                "feedback.WebhookEndpoint",
                "feedback.WebhookDelivery",
            ]
        }
        existing_tables = set(connection.introspection.table_names())
        with connection.cursor() as cursor:
            self.tables = {
                label: Table(m, column_types(cursor, m._meta.db_table))
                for label, m in self.models.items()
                if m is not None and m._meta.db_table in existing_tables
            }
        # Rows are formatted with the adapters of a cursor that never sends them itself.
        self._format_cursor = connection.connection.cursor()
        self.next_id: dict[str, int] = {}
        self.id_limit: dict[str, float] = {}
        self._id_blocks: Any = None
        self._writer: ThreadPoolExecutor | None = None
        self._pending: deque[Future] = deque()

    # ids are assigned here, so rows can point at each other before anything is written
    def _start_ids(self, cursor) -> None:
        for label, table in self.tables.items():
            if label == "authtoken.Token":
                continue
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table.name}"')  # noqa: S608 - a model's table
            self.next_id[label] = cursor.fetchone()[0] + 1
            self.id_limit[label] = float("inf")

    def new_id(self, label: str) -> int:
        value = self.next_id[label]
        if value >= self.id_limit[label]:
            value = self._reserve_ids(label)
        self.next_id[label] = value + 1
        return value

    def _reserve_ids(self, label: str) -> int:
        """A worker's next block of ids, taken from the counters all workers share."""
        counters, lock, index = self._id_blocks
        with lock:
            start = counters[index[label]]
            counters[index[label]] = start + ID_BLOCK
        self.id_limit[label] = start + ID_BLOCK
        return start

    def has(self, label: str) -> bool:
        return label in self.tables

    def add(self, label: str, **row: Any) -> int | None:
        table = self.tables.get(label)
        if table is None:
            return None
        if "id" not in row and label != "authtoken.Token":
            row["id"] = self.new_id(label)
        table.rows.append(row)
        return row.get("id")

    def rendered(self) -> Iterable[tuple[str, bytes]]:
        for table in self.tables.values():
            payload = table.render(self._format_cursor)
            if payload:
                yield payload

    def flush(self, cursor) -> None:
        """Hand the rows to the writer thread: PostgreSQL stores one chunk while the next is made."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy")
        for payload in self.rendered():
            while len(self._pending) > 2 * len(self.tables):
                self._pending.popleft().result()
            self._pending.append(self._writer.submit(_copy, cursor, *payload))

    def drain(self) -> None:
        """Wait for every COPY sent; the connection is free for queries again."""
        while self._pending:
            self._pending.popleft().result()
        if self._writer is not None:
            self._writer.shutdown()
            self._writer = None

    def _fix_sequences(self, cursor) -> None:
        for label, table in self.tables.items():
            if label == "authtoken.Token":
                continue
            sql = "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM {}), 1))"
            cursor.execute(sql.format(f'"{table.name}"'), [f'"{table.name}"'])

    # People and clients

    def users(self, cursor) -> People:
        User = self.models["handoff.User"]
        people = People()
        existing = list(
            User.objects.filter(username__regex=r"^(rep|pm|manager|admin)\d+$").values_list(
                "id", "role"
            )
        )
        if existing:
            for pk, role in existing:
                people.by_role.setdefault(role, []).append(pk)
            return people
        password = make_password(PASSWORD)
        joined = self.now - timedelta(days=4 * 365)
        for role, count in USERS.items():
            for n in range(1, count + 1):
                username = f"{USERNAME_PREFIX[role]}{n:03d}"
                pk = self.add(
                    "handoff.User",
                    username=username,
                    password=password,
                    first_name=self.rng.choice(FIRST),
                    last_name=self.rng.choice(LAST),
                    email=f"{username}@bench.handoff.test",
                    role=role,
                    is_staff=role == "admin",
                    is_superuser=role == "admin",
                    is_active=True,
                    date_joined=joined,
                    last_login=None,
                )
                people.by_role.setdefault(role, []).append(pk)
                self.add(
                    "authtoken.Token",
                    key=hashlib.sha1(f"bench-token-{username}".encode()).hexdigest(),  # noqa: S324 - a fixed token of a benchmark user
                    user_id=pk,
                    created=joined,
                )
                if role == "pm":
                    self.add(
                        "projects.PMCapacity",
                        user_id=pk,
                        weekly_days=Decimal(self.rng.choice(["3.0", "4.0", "4.0", "5.0"])),
                        updated_at=joined,
                    )
        return people

    def clients(self, count: int) -> list[int]:
        Client = self.models["deals.Client"]
        start = Client.objects.count()
        ids = list(Client.objects.values_list("id", flat=True))
        for n in range(start + 1, start + count + 1):
            ids.append(
                self.add(
                    "deals.Client",
                    name=f"{self.rng.choice(WORDS).title()} {self.rng.choice(LAST)} {n:06d}",
                    industry=self.rng.choice(INDUSTRIES),
                    created_at=self.now - timedelta(days=self.rng.randint(30, 1500)),
                )
            )
        return ids

    # Deals, with a history consistent with their status

    def deal(self, n: int, people: People, clients: list[int]) -> int:
        rng = self.rng
        owner = people.pick(rng, "sales")
        age = rng.uniform(0.5, HISTORY_DAYS)
        created = self.now - timedelta(days=age)
        mix = CLOSED_MIX if age > RECENT_DAYS else RECENT_MIX
        status = rng.choices(list(mix), list(mix.values()))[0]
        if status in OPEN_STATUSES:
            last = self.now - timedelta(days=rng.uniform(0.05, min(age / 2, 5)))
        else:
            last = min(
                created + timedelta(days=rng.uniform(10, 60)),
                created + (self.now - created) * rng.uniform(0.5, 0.95),
            )
        close_date = (created + timedelta(days=rng.randint(20, 120))).date()
        deal_id = self.new_id("deals.Deal")
        commitments = []
        for i in range(max(1, round(rng.gauss(COMMITMENTS_PER_DEAL, 1.2)))):
            commitments.append(
                {
                    "id": self.new_id("deals.Commitment"),
                    "kind": KINDS[i % len(KINDS)] if i < 3 else rng.choice(KINDS),
                    "summary": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} by milestone {i + 1}",
                    "detail": "As agreed with the client in the scoping call.",
                    "promised_date": close_date + timedelta(days=rng.randint(30, 240)),
                    "effort_days": Decimal(rng.randint(2, 60)).quantize(Decimal("0.1")),
                }
            )

        # The path the deal took, as (action, extra) steps; times are spread from created to last.
        plan: list[str] = ["created"]
        prior_rounds = 1 if rng.random() < 0.3 else 0
        lost_from = None
        if status == "lost":
            lost_from = rng.choices(
                ["draft", "in_review", "changes_requested", "signed_off"], [3, 3, 3, 1]
            )[0]
        reach = lost_from or status
        if reach == "draft":
            plan += ["cr_round", "revised"] if rng.random() < 0.3 else []
        elif reach == "in_review":
            plan += ["cr_round", "resubmit"] * prior_rounds + ["open_round"]
        elif reach == "changes_requested":
            plan += ["cr_round", "resubmit"] * prior_rounds + ["cr_round"]
        elif reach in ("signed_off", "won"):
            plan += ["cr_round", "resubmit"] * prior_rounds + ["signed_round"]
        if status == "won":
            plan.append("won")
        if status == "lost":
            plan.append("lost")
        steps = len(plan)
        times = [created + (last - created) * (i / max(1, steps - 1)) for i in range(steps)]

        reviewer = people.pick(rng, "pm")
        events: list[dict] = []
        current = "draft"
        first_submitted = None
        round_number = 0
        open_round_id = None
        sign_off_id = None
        conditions: dict[int, str] = {}
        version = 1

        def event(at, kind, to=None, reason="", data=None, actor=owner):
            nonlocal current, version
            row = {
                "deal_id": deal_id,
                "actor_id": actor,
                "at": at,
                "kind": kind,
                "from_status": current if to else "",
                "to_status": to or "",
                "reason": reason,
                "data": data or {},
            }
            if kind == "created":
                row["from_status"], row["to_status"] = "", "draft"
            events.append(row)
            if to:
                current = to
            version += 1

        def submit_round(at, decided=None, outcome=""):
            nonlocal round_number, first_submitted
            round_number += 1
            if first_submitted is None:
                first_submitted = at
            due = review_due_at(at)
            round_id = self.add(
                "deals.ReviewRound",
                deal_id=deal_id,
                number=round_number,
                submitted_by_id=owner,
                submitted_at=at,
                due_at=due,
                reviewer_id=None,
                claimed_at=None,
                decided_at=decided,
                outcome=outcome,
            )
            event(
                at,
                "submitted",
                "in_review",
                data={"round": round_number, "due_at": due.isoformat()},
            )
            return round_id

        def rule(round_id, at, flag: bool, only=None):
            ruled = commitments if only is None else commitments[:only]
            flagged_ids = []
            for i, c in enumerate(ruled):
                if flag and (i == 0 or rng.random() < 0.2):
                    kind, reason, condition = "flagged", "Not feasible with current staffing.", ""
                    flagged_ids.append(c["id"])
                elif rng.random() < 0.2:
                    kind, reason, condition = (
                        "approved_with_condition",
                        "",
                        "Client signs the spec first.",
                    )
                else:
                    kind, reason, condition = "approved", "", ""
                if condition:
                    conditions[c["id"]] = condition
                self.add(
                    "deals.Verdict",
                    round_id=round_id,
                    commitment_id=c["id"],
                    commitment_version=1,
                    verdict=kind,
                    reason=reason,
                    condition=condition,
                    counter_date=None,
                    counter_effort_days=None,
                    decided_by_id=reviewer,
                    decided_at=at,
                )
                event(
                    at,
                    "verdict",
                    reason=reason or condition,
                    actor=reviewer,
                    data={
                        "round": round_number,
                        "commitment": c["id"],
                        "summary": c["summary"],
                        "verdict": kind,
                        "counter_date": None,
                        "counter_effort_days": None,
                    },
                )
            return flagged_ids

        def claimed_round(round_id_at):
            round_id, at = round_id_at
            self.tables["deals.ReviewRound"].rows[-1].update(reviewer_id=reviewer, claimed_at=at)
            event(at, "claimed", actor=reviewer, data={"round": round_number})
            return round_id

        for step, at in zip(plan, times, strict=True):
            if step == "created":
                event(at, "created")
            elif step in ("cr_round", "signed_round"):
                half = min((last - created) / (4 * steps), timedelta(hours=8))
                decided = at + half
                signed = step == "signed_round"
                outcome = "signed_off" if signed else "changes_requested"
                round_id = submit_round(at, decided, outcome)
                claimed_round((round_id, at + half / 3))
                flagged = rule(round_id, at + half / 2, flag=not signed)
                if signed:
                    sign_off_id = self._sign_off(
                        deal_id, round_id, reviewer, decided, commitments, conditions
                    )
                    event(
                        decided,
                        "signed_off",
                        "signed_off",
                        actor=reviewer,
                        data={"round": round_number, "fingerprint": self._last_fingerprint},
                    )
                else:
                    event(
                        decided,
                        "changes_requested",
                        "changes_requested",
                        actor=reviewer,
                        data={"round": round_number, "flagged": flagged},
                    )
            elif step == "resubmit":
                pass  # the next round's submission is the resubmission
            elif step == "open_round":
                open_round_id = submit_round(at)
                if rng.random() < 0.6:
                    claimed_round((open_round_id, at + timedelta(hours=2)))
                    if rng.random() < 0.5:
                        rule(open_round_id, at + timedelta(hours=3), flag=False, only=1)
            elif step == "revised":
                event(at, "revised", "draft", reason="Reworked the flagged promises.")
            elif step == "won":
                event(at, "won", "won", data={"sign_off": sign_off_id})
                self._project(deal_id, reviewer, owner, at, commitments, conditions, close_date)
            elif step == "lost":
                if open_round_id is not None:
                    rows = self.tables["deals.ReviewRound"].rows
                    rows[-1].update(decided_at=at, outcome="closed")
                event(at, "lost", "lost", reason="The client chose a competitor.")

        assert current == status, (status, plan, current)
        for c in commitments:
            self.add(
                "deals.Commitment",
                deal_id=deal_id,
                version=1,
                created_at=created,
                updated_at=created,
                **c,
            )
        for row in events:
            self.add("deals.DealEvent", **row)
        if rng.random() < COMMENTS_PER_DEAL:
            self.add(
                "deals.Comment",
                deal_id=deal_id,
                author_id=owner if rng.random() < 0.5 else reviewer,
                body="Checked with the client: the dates hold.",
                created_at=times[-1],
            )
        self.add(
            "deals.Deal",
            id=deal_id,
            title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} programme #{n}",
            client_id=rng.choice(clients),
            owner_id=owner,
            value=Decimal(rng.randint(5, 900) * 1000),
            currency=rng.choice(["EUR", "EUR", "USD", "GBP"]),
            expected_close_date=close_date,
            expected_start_date=close_date + timedelta(days=14),
            description="A generated deal for the benchmark.",
            status=status,
            lost_reason="The client chose a competitor." if status == "lost" else "",
            first_submitted_at=first_submitted,
            version=version,
            created_at=created,
            updated_at=max(e["at"] for e in events),
        )
        return deal_id

    _last_fingerprint = ""

    def _sign_off(self, deal_id, round_id, reviewer, at, commitments, conditions) -> int | None:
        snapshot = sorted(
            (
                {
                    "id": c["id"],
                    "version": 1,
                    "kind": c["kind"],
                    "summary": c["summary"],
                    "detail": c["detail"],
                    "promised_date": c["promised_date"].isoformat(),
                    "effort_days": str(c["effort_days"]),
                }
                for c in commitments
            ),
            key=lambda d: d["id"],
        )
        digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()
        self._last_fingerprint = digest
        for item in snapshot:
            item["condition"] = conditions.get(item["id"], "")
        return self.add(
            "deals.SignOff",
            round_id=round_id,
            deal_id=deal_id,
            signed_by_id=reviewer,
            signed_at=at,
            fingerprint=digest,
            snapshot=snapshot,
        )

    def _project(self, deal_id, pm, owner, won_at, commitments, conditions, close_date) -> None:
        if not self.has("projects.Project"):
            return
        rng = self.rng
        start = won_at.date() + timedelta(days=14)
        age = (self.today - start).days
        status = (
            "completed"
            if age > 300
            else rng.choice(["active", "active", "on_hold"])
            if age > 30
            else "kickoff"
        )
        project_id = self.add(
            "projects.Project",
            deal_id=deal_id,
            pm_id=pm,
            start_date=start,
            status=status,
            customer_context="Long-standing client; values a weekly status call.",
            stakeholders="CIO (sponsor), head of operations",
            risks="Data quality of the legacy system.",
            promised_outside_commitments="",
            accepted_at=None if status == "kickoff" else won_at + timedelta(days=3),
            created_at=won_at,
            updated_at=won_at,
        )
        self.add(
            "projects.ProjectEvent",
            project_id=project_id,
            actor_id=owner,
            at=won_at,
            kind="created",
            reason="",
            data={"deal": deal_id},
        )
        for position, text in enumerate(
            ("Read the handoff brief", "Internal handoff meeting", "Client kickoff")
        ):
            self.add(
                "projects.KickoffItem",
                project_id=project_id,
                text=text,
                done=status != "kickoff",
                position=position,
            )
        for c in commitments:
            promised = c["promised_date"]
            if promised < self.today and status != "kickoff":
                d_status = rng.choices(["delivered", "missed", "descoped"], [80, 15, 5])[0]
            else:
                d_status = rng.choices(["planned", "in_progress", "at_risk"], [50, 40, 10])[0]
            delivered_on = None
            slip = None
            if d_status == "delivered":
                delivered_on = promised + timedelta(days=rng.choice([-5, -2, 0, 0, 0, 3, 10, 25]))
                slip = max(0, (delivered_on - promised).days)
            elif d_status == "missed":
                slip = (self.today - promised).days
            self.add(
                "projects.Deliverable",
                project_id=project_id,
                commitment_id=c["id"],
                kind=c["kind"],
                summary=c["summary"],
                promised_date=promised,
                effort_days=c["effort_days"],
                condition=conditions.get(c["id"], ""),
                status=d_status,
                status_reason="Blocked by the client's data."
                if d_status in ("at_risk", "descoped")
                else "",
                delivered_on=delivered_on,
                slip_days=slip,
                updated_at=won_at,
            )

    def feedback(self, deal_ids: list[int], people: People, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            to_delivery = rng.random() < 0.5
            author = people.pick(rng, "sales" if to_delivery else "pm")
            acknowledged = rng.random() < 0.4
            created = self.now - timedelta(days=rng.uniform(0, 365))
            self.add(
                "feedback.FeedbackNote",
                direction="to_delivery" if to_delivery else "to_sales",
                author_id=author,
                recipient_id=people.pick(rng, "pm" if to_delivery else "sales")
                if rng.random() < 0.5
                else None,
                deal_id=rng.choice(deal_ids) if rng.random() < 0.6 else None,
                commitment_id=None,
                topic=rng.choice(TOPICS),
                body="The client expects weekly demos; plan for them.",
                acknowledged_by_id=people.pick(rng, "pm" if to_delivery else "sales")
                if acknowledged
                else None,
                acknowledged_at=created + timedelta(days=1) if acknowledged else None,
                reply="",
                created_at=created,
            )

    def notifications(self, deal_ids: list[int], people: People, count: int) -> None:
        rng = self.rng
        everyone = [pk for ids in people.by_role.values() for pk in ids]
        for _ in range(count):
            deal_id = rng.choice(deal_ids)
            created = self.now - timedelta(days=rng.uniform(0, 30))
            self.add(
                "feedback.Notification",
                recipient_id=rng.choice(everyone),
                kind=rng.choice(["submitted", "flagged", "signed_off", "won", "feedback_note"]),
                actor_id=people.pick(rng, "pm"),
                deal_id=deal_id,
                text="A deal you follow moved on.",
                url=f"/deals/{deal_id}/",
                key="",
                created_at=created,
                read_at=created + timedelta(hours=5) if rng.random() < 0.6 else None,
            )

    def webhooks(self, deal_ids: list[int], people: People, count: int) -> None:
        if not (self.has("feedback.WebhookEndpoint") and self.has("feedback.WebhookDelivery")):
            return
        Endpoint = self.models["feedback.WebhookEndpoint"]
        endpoints = list(Endpoint.objects.order_by("pk").values_list("pk", flat=True))
        created = self.now - timedelta(days=400)
        for n in range(len(endpoints), WEBHOOK_ENDPOINTS):
            endpoints.append(
                self.add(
                    "feedback.WebhookEndpoint",
                    url=f"https://hooks.bench.handoff.test/{n + 1}",
                    events=WEBHOOK_EVENTS,
                    active=True,
                    failure_streak=0,
                    disabled_at=None,
                    last_delivered_at=self.now,
                    created_at=created,
                    updated_at=created,
                    owner_id=people.by_role["manager"][n % len(people.by_role["manager"])],
                    description=f"Warehouse sync {n + 1}",
                    secret="whsec_" + hashlib.sha256(f"bench-{n}".encode()).hexdigest()[:40],
                    previous_secret_expires_at=None,
                )
            )
        rng = self.rng
        for _ in range(count):
            at = self.now - timedelta(days=rng.uniform(0, DELIVERY_DAYS))
            event_type = rng.choice(WEBHOOK_EVENTS)
            delivered = rng.random() < 0.97
            pk = self.new_id("feedback.WebhookDelivery")
            self.add(
                "feedback.WebhookDelivery",
                id=pk,
                kind="webhook",
                endpoint_id=endpoints[0] if rng.random() < 0.5 else rng.choice(endpoints),
                channel_id=None,
                event_id=f"msg_bench_{pk}",
                event_type=event_type,
                payload={
                    "type": event_type,
                    "timestamp": at.isoformat(),
                    "data": {"deal": rng.choice(deal_ids)},
                },
                status="delivered" if delivered else "failed",
                attempts=1 if delivered else 8,
                next_attempt_at=at,
                claimed_at=None,
                response_code=200 if delivered else 503,
                duration_ms=rng.randint(40, 900),
                response_excerpt="ok" if delivered else "Service Unavailable",
                last_error="" if delivered else "HTTP 503",
                created_at=at,
                attempted_at=at,
                delivered_at=at if delivered else None,
            )

    def _drop_indexes(self, cursor) -> list[str]:
        """Drop the indexes that back no constraint; a bulk load then rebuilds each once.

        A partitioned table's index goes with its partitions' indexes, and comes back on all
        of them: its definition reads `ON ONLY`, which would build it on the parent alone.
        """
        definitions = []
        for table in self.tables.values():
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [f'"{table.name}"'],
            )
            for name, definition in cursor.fetchall():
                definitions.append(definition.replace(" ON ONLY ", " ON ", 1))
                cursor.execute(f"DROP INDEX {name}")
        return definitions

    def _months(self, cursor) -> None:
        """A partition for each month of the history in every table partitioned by month, as
        the nightly job would have made them while the history happened."""
        first = partitions.month_of(self.today - timedelta(days=HISTORY_DAYS + 1))
        count = (self.today.year - first.year) * 12 + self.today.month - first.month + 1
        months = [partitions.add_months(first, n) for n in range(count)]
        names = {table.name for table in self.tables.values()}
        for table, column in partitions.partitioned_tables(cursor):
            if table in names:
                partitions.months_ensure(cursor, table=table, column=column, months=months)

    def _deals_here(self, cursor, first: int, count: int, people: People, clients: list[int]):
        for n in range(first, first + count):
            self.deal(n, people, clients)
            if (n - first + 1) % CHUNK == 0:
                self.flush(cursor)
        self.flush(cursor)

    def _deals_in_workers(
        self, cursor, first: int, count: int, people: People, clients: list[int], workers: int
    ) -> None:
        """Deals made by `workers` processes, each with its own seed, its slice of the deal
        numbers and blocks of ids taken from shared counters; this process only copies what
        they send, in the one transaction. The last block of each worker leaves a gap in the
        ids of the rows below a deal."""
        context = multiprocessing.get_context("fork")
        labels = [label for label in self.tables if label != "authtoken.Token"]
        counters = context.RawArray("q", [self.next_id[label] for label in labels])
        lock = context.Lock()
        self._id_blocks = (counters, lock, {label: i for i, label in enumerate(labels)})
        made = context.Queue(maxsize=4 * len(self.tables))
        share = -(-count // workers)
        deal_start = self.next_id["deals.Deal"]
        processes = []
        for w in range(workers):
            offset = w * share
            size = min(share, count - offset)
            if size <= 0:
                break
            process = context.Process(
                target=self._worker,
                args=(w, first + offset, size, deal_start + offset, people, clients, made),
                daemon=True,
            )
            process.start()
            processes.append(process)
        running = len(processes)
        try:
            while running:
                try:
                    message = made.get(timeout=5)
                except queue.Empty:
                    dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                    if dead:
                        raise RuntimeError(f"a generator process ended with {dead[0]}") from None
                    continue
                kind, body = message
                if kind == "rows":
                    _copy(cursor, *body)
                elif kind == "done":
                    running -= 1
                    for label, written in body.items():
                        self.tables[label].written += written
                else:
                    raise RuntimeError(f"a generator process failed:\n{body}")
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()
        for label in labels:
            self.next_id[label] = max(self.next_id[label], counters[labels.index(label)])
        self.next_id["deals.Deal"] = deal_start + count
        self._id_blocks = None

    def _worker(self, w, first, count, deal_start, people, clients, made) -> None:
        """In a forked process: make a slice of the deals and send their rows, formatted."""
        try:
            self.rng = random.Random(self.seed * 1000 + w + 1)  # noqa: S311 - reproducible data
            for label in self.id_limit:
                self.id_limit[label] = 0
            self.next_id["deals.Deal"] = deal_start
            self.id_limit["deals.Deal"] = deal_start + count
            for table in self.tables.values():
                table.written = 0
            for n in range(first, first + count):
                self.deal(n, people, clients)
                if (n - first + 1) % CHUNK == 0:
                    for payload in self.rendered():
                        made.put(("rows", payload))
            for payload in self.rendered():
                made.put(("rows", payload))
            made.put(("done", {label: t.written for label, t in self.tables.items()}))
        except BaseException:
            made.put(("error", traceback.format_exc()))
            raise
        finally:
            made.close()
            made.join_thread()

    def run(
        self, total_deals: int, *, check_constraints: bool = False, workers: int | None = None
    ) -> dict:
        """Bring the database up to `total_deals` deals (and everything proportional).

        `workers` processes make the deals (default: one per core from PARALLEL_FROM deals
        on, none below); the connection copies them in as they come.
        """
        started = time.perf_counter()
        Deal = self.models["deals.Deal"]
        with transaction.atomic(), connection.cursor() as cursor:
            if not check_constraints:
                # A bulk load of rows built consistent above: skip the per-row FK triggers.
                cursor.execute("SET LOCAL session_replication_role = replica")
            self._start_ids(cursor)
            people = self.users(cursor)
            self.flush(cursor)
            self.drain()
            existing = Deal.objects.count()
            to_add = max(0, total_deals - existing)
            self._months(cursor)
            rebuild = self._drop_indexes(cursor) if to_add > 20 * max(existing, 1000) else []
            clients = self.clients(max(1, to_add // 20) if existing else max(50, to_add // 20))
            self.flush(cursor)
            self.drain()
            if workers is None:
                workers = (os.cpu_count() or 1) if to_add >= PARALLEL_FROM else 0
            first_deal = self.next_id["deals.Deal"]
            if workers > 0 and to_add:
                self._deals_in_workers(cursor, existing + 1, to_add, people, clients, workers)
            else:
                self._deals_here(cursor, existing + 1, to_add, people, clients)
            deal_ids = list(range(first_deal, first_deal + to_add))
            if deal_ids:
                self.feedback(deal_ids, people, int(to_add * FEEDBACK_PER_DEAL))
                self.notifications(deal_ids, people, int(to_add * NOTIFICATIONS_PER_DEAL))
                self.webhooks(deal_ids, people, int(to_add * DELIVERIES_PER_DEAL))
            self.flush(cursor)
            self.drain()
            self._fix_sequences(cursor)
            copied = time.perf_counter()
            # Index builds sort: memory for the sort and the server's parallel workers.
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
            for definition in rebuild:
                cursor.execute(definition)
            indexed = time.perf_counter()
            if check_constraints:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.cursor() as cursor:
            for table in self.tables.values():
                # VACUUM sets the visibility map, as autovacuum would have on a live database.
                analyse = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f'{analyse} "{table.name}"')
        written = {t.model._meta.label: t.written for t in self.tables.values() if t.written}
        finished = time.perf_counter()
        seconds = finished - started
        self.log(f"generated {to_add:,} deals in {seconds:.1f} s: {written}")
        return {
            "seconds": round(seconds, 1),
            "phases": {
                "make_and_copy": round(copied - started, 1),
                "rebuild_indexes": round(indexed - copied, 1),
                "vacuum_analyze": round(finished - indexed, 1),
            },
            "workers": workers,
            "rows": written,
            "deals": existing + to_add,
            "tables": [t.name for t in self.tables.values()],
        }


def generate(
    total_deals: int,
    *,
    seed: int = 1,
    check_constraints: bool = False,
    workers: int | None = None,
    log=print,
) -> dict:
    return Generator(seed=seed + total_deals, log=log).run(
        total_deals, check_constraints=check_constraints, workers=workers
    )


def bench_user(role: str, n: int = 1) -> str:
    return f"{USERNAME_PREFIX[role]}{n:03d}"

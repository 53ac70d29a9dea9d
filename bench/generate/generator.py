"""The generator: ids, buffers, people and clients, and the run that brings a database to N deals."""

import hashlib
import os
import random
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from bench.generate.activity import Activity
from bench.generate.history import DealHistory, People
from bench.generate.tables import Table, column_types, copy_in, model
from bench.generate.vocabulary import (
    DELIVERIES_PER_DEAL,
    FEEDBACK_PER_DEAL,
    FIRST,
    HISTORY_DAYS,
    ID_BLOCK,
    INDUSTRIES,
    LAST,
    NOTIFICATIONS_PER_DEAL,
    PARALLEL_FROM,
    PASSWORD,
    USERNAME_PREFIX,
    USERS,
    WORDS,
)
from bench.generate.workers import Workers
from handoff import partitions


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


class Generator(DealHistory, Activity, Workers):
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
            self._pending.append(self._writer.submit(copy_in, cursor, *payload))

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

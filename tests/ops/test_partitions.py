"""The event tables partitioned by month on PostgreSQL: rows land in their month, stay append-only,
are read through the indexes of the partitions they can be in; the job makes months ahead once."""

import datetime
import json
from types import SimpleNamespace

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone

from deals.models import Client, DealEvent, DealStatus, EventKind
from deals.selectors import deal_events
from handoff import partitions
from handoff.tasks import create_event_partitions
from projects.models import ProjectEvent
from tests.deals.builders import deal_in
from tests.security.world import new_deal

EVENT_TABLES = {"deals_dealevent": "at", "projects_projectevent": "at"}
UTC = datetime.UTC


def this_month() -> datetime.date:
    return partitions.month_of(timezone.now().astimezone(UTC).date())


def partition_of(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608 - a model's table
        return cursor.fetchone()[0]


def children(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return partitions._children(cursor, table)


def raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def old_event(deal, when: datetime.datetime) -> DealEvent:
    return DealEvent.objects.create(deal=deal, kind=EventKind.UPDATED, at=when, reason="old")


def test_months_are_counted_across_years():
    assert partitions.add_months(datetime.date(2026, 11, 1), 3) == datetime.date(2027, 2, 1)
    assert partitions.add_months(datetime.date(2026, 1, 1), -1) == datetime.date(2025, 12, 1)
    assert partitions.month_of(datetime.date(2026, 12, 31)) == datetime.date(2026, 12, 1)
    assert (
        partitions.partition_name("deals_dealevent", datetime.date(2027, 3, 1))
        == "deals_dealevent_y2027m03"
    )


def test_elsewhere_than_postgresql_the_conversion_and_the_job_do_nothing(monkeypatch):
    sqlite = SimpleNamespace(vendor="sqlite", cursor=None)
    assert partitions.partition_by_month(sqlite, table="deals_dealevent", column="at") is None
    assert partitions.unpartition(sqlite, table="deals_dealevent") is None
    monkeypatch.setattr(partitions, "connections", {"default": sqlite})
    assert partitions.months_ahead_ensure() == {}


def test_the_job_runs_each_night_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["handoff-create-event-partitions"]
    assert entry["task"] == create_event_partitions.name == "handoff.tasks.create_event_partitions"
    assert settings.EVENT_PARTITION_MONTHS_AHEAD == 3


@pytest.mark.postgres
@pytest.mark.django_db
class TestPartitioned:
    def test_each_event_table_is_partitioned_by_month_with_the_id_and_time_as_key(self):
        partitions.months_ahead_ensure()
        with connection.cursor() as cursor:
            assert dict(partitions.partitioned_tables(cursor)) == EVENT_TABLES
            for table in EVENT_TABLES:
                key = connection.introspection.get_constraints(cursor, table)[f"{table}_pkey"]
                assert key["primary_key"] and key["columns"] == ["id", "at"]
        for table in EVENT_TABLES:
            months = [partitions.add_months(this_month(), n) for n in range(4)]
            assert {partitions.partition_name(table, m) for m in months} <= children(table)
            assert partitions.default_name(table) in children(table)

    def test_events_written_by_the_services_land_in_this_months_partition(self, rep, pm):
        partitions.months_ahead_ensure()
        deal = deal_in(DealStatus.WON, owner=rep, pm=pm)
        month = this_month()
        events = list(DealEvent.objects.filter(deal=deal))
        assert len(events) >= 5
        for event in events:
            assert partition_of("deals_dealevent", event.pk) == partitions.partition_name(
                "deals_dealevent", month
            )
        project_event = ProjectEvent.objects.get(project=deal.project)
        assert partition_of("projects_projectevent", project_event.pk) == (
            partitions.partition_name("projects_projectevent", month)
        )
        # Django's primary key is still the id alone: a read by it finds the row.
        assert DealEvent.objects.get(pk=events[0].pk).deal_id == deal.pk

    def test_a_row_of_a_month_without_a_partition_waits_in_default(self, rep):
        deal = new_deal(rep, Client.objects.create(name="Initech"), "Old history")
        event = old_event(deal, datetime.datetime(2019, 4, 10, 12, tzinfo=UTC))
        assert partition_of("deals_dealevent", event.pk) == "deals_dealevent_default"

    @pytest.mark.parametrize("where", ["parent", "partition", "default"])
    def test_update_and_delete_are_refused_on_the_table_and_on_each_partition(self, rep, where):
        partitions.months_ahead_ensure()
        deal = new_deal(rep, Client.objects.create(name="Initech"), "Audit")
        if where == "default":
            event = old_event(deal, datetime.datetime(2019, 4, 10, 12, tzinfo=UTC))
        else:
            event = DealEvent.objects.filter(deal=deal).first()
        table = (
            "deals_dealevent" if where == "parent" else partition_of("deals_dealevent", event.pk)
        )
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            raw(f"UPDATE {table} SET reason = 'rewritten' WHERE id = %s", [event.pk])  # noqa: S608
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            raw(f"DELETE FROM {table} WHERE id = %s", [event.pk])  # noqa: S608
        assert DealEvent.objects.get(pk=event.pk).reason == event.reason

    def test_a_project_events_partition_refuses_update_and_delete(self, rep, pm):
        partitions.months_ahead_ensure()
        event = ProjectEvent.objects.get(project=deal_in(DealStatus.WON, owner=rep, pm=pm).project)
        table = partition_of("projects_projectevent", event.pk)
        assert table != "projects_projectevent_default"
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            raw(f"UPDATE {table} SET reason = 'rewritten' WHERE id = %s", [event.pk])  # noqa: S608
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            raw(f"DELETE FROM {table} WHERE id = %s", [event.pk])  # noqa: S608

    def test_the_job_makes_the_months_ahead_once(self):
        today = partitions.add_months(this_month(), 10)
        create_event_partitions.apply().get()
        assert create_event_partitions.apply().get() == {}
        made = partitions.months_ahead_ensure(today=today, months_ahead=2)
        months = [partitions.add_months(today, n) for n in range(3)]
        assert made == {
            table: [partitions.partition_name(table, m) for m in months] for table in EVENT_TABLES
        }
        assert partitions.months_ahead_ensure(today=today, months_ahead=2) == {}
        for table in EVENT_TABLES:
            assert {partitions.partition_name(table, m) for m in months} <= children(table)

    def test_the_job_gives_up_on_a_table_a_long_read_holds_rather_than_queue_its_writers(
        self, monkeypatch
    ):
        monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "200ms")
        settings_dict = connection.settings_dict
        reader = psycopg.connect(
            dbname=settings_dict["NAME"],
            host=settings_dict["HOST"] or None,
            port=settings_dict["PORT"] or None,
            user=settings_dict["USER"] or None,
            password=settings_dict["PASSWORD"] or None,
        )
        try:
            reader.execute("LOCK TABLE deals_dealevent IN ACCESS SHARE MODE")
            with pytest.raises(OperationalError, match="lock timeout"):
                partitions.months_ahead_ensure(today=partitions.add_months(this_month(), 20))
        finally:
            reader.close()
        assert partitions.partition_name(
            "deals_dealevent", partitions.add_months(this_month(), 20)
        ) not in children("deals_dealevent")

    def test_a_month_whose_rows_wait_in_default_gets_its_partition_and_its_rows(self, rep):
        deal = new_deal(rep, Client.objects.create(name="Initech"), "Late month")
        april = datetime.date(2019, 4, 1)
        waiting = [
            old_event(deal, datetime.datetime(2019, 4, day, 9, tzinfo=UTC)) for day in (1, 15, 30)
        ]
        older = old_event(deal, datetime.datetime(2018, 1, 31, 23, 59, tzinfo=UTC))
        # PostgreSQL refuses the plain way: the new range has rows in DEFAULT.
        with (
            pytest.raises(DatabaseError, match="default partition"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            partitions._attach_month(
                cursor, "deals_dealevent", april, name="deals_dealevent_y2019m04"
            )

        made = partitions.months_ahead_ensure(today=april, months_ahead=0)

        assert made == {
            "deals_dealevent": ["deals_dealevent_y2018m01", "deals_dealevent_y2019m04"],
            "projects_projectevent": ["projects_projectevent_y2019m04"],
        }
        for event in waiting:
            assert partition_of("deals_dealevent", event.pk) == "deals_dealevent_y2019m04"
            moved = DealEvent.objects.get(pk=event.pk)
            assert (moved.at, moved.reason, moved.deal_id) == (event.at, "old", deal.pk)
        assert partition_of("deals_dealevent", older.pk) == "deals_dealevent_y2018m01"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM deals_dealevent_default")
            assert cursor.fetchone()[0] == 0
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            raw("DELETE FROM deals_dealevent_y2019m04 WHERE id = %s", [waiting[0].pk])
        assert partitions.months_ahead_ensure(today=april, months_ahead=0) == {}
        # The ids go on from the same sequence.
        assert DealEvent.objects.create(deal=deal, kind=EventKind.UPDATED).pk > older.pk


def plan(queryset) -> list[tuple[str, str | None, str | None]]:
    """Each node of the plan as (node type, table, index), a partition named by its table."""
    nodes = []

    def walk(node: dict) -> None:
        nodes.append((node["Node Type"], node.get("Relation Name"), node.get("Index Name")))
        for child in node.get("Plans", []):
            walk(child)

    explained = json.loads(queryset.explain(format="json"))
    walk((json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"])
    return nodes


def parents() -> dict[str, str]:
    """Each partition and partition index, with the table or index it belongs to."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text, inhparent::regclass::text FROM pg_inherits"
        )
        return dict(cursor.fetchall())


def rows_of(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


EVENTS = 30_000
DEALS = 20


@pytest.mark.postgres
@pytest.mark.django_db
class TestPlans:
    @pytest.fixture
    def history(self, rep):
        """Thirty thousand events of twenty deals over the four months before this one, then ANALYZE.

        Not this month: on its fourth day its partition passed a thousand rows, a quarter of
        them the first deal's, and reading a quarter of a small table is a sequential scan's job.
        """
        client = Client.objects.create(name="Initech")
        deals = [new_deal(rep, client, f"Deal {n}", commitments=1).pk for n in range(DEALS)]
        raw(
            "INSERT INTO deals_dealevent (at, kind, from_status, to_status, reason, data, deal_id)"
            " SELECT date_trunc('month', now()) - (n %% 120) * interval '1 day' - interval '1 minute',"
            " 'updated', '',"
            " '', '', '{}', (%s::bigint[])[1 + n %% %s] FROM generate_series(1, %s) n",
            [deals, DEALS, EVENTS],
        )
        partitions.months_ahead_ensure()
        raw("ANALYZE deals_dealevent")
        return deals

    def test_a_deals_events_are_read_through_each_partitions_deal_index(self, history):
        deal = DealEvent.objects.filter(deal_id=history[0]).first().deal
        nodes = plan(deal_events(deal))
        owner = parents()
        scans = [
            (kind, rel, index) for kind, rel, index in nodes if owner.get(rel) == "deals_dealevent"
        ]
        big = {rel for _, rel, _ in scans if rows_of(rel) > 1000}
        assert len(big) >= 3, nodes  # months of rows, each in its own partition
        for kind, rel, index in scans:
            if rel in big:
                assert kind != "Seq Scan", nodes
                if index:
                    assert owner[index] == "event_deal_at_idx", nodes
        bitmaps = [owner.get(index) for kind, _, index in nodes if kind == "Bitmap Index Scan"]
        assert set(bitmaps) <= {"event_deal_at_idx"}

    def test_a_time_range_reads_only_the_partitions_of_its_months(self, history):
        start = datetime.datetime.combine(this_month(), datetime.time(), tzinfo=UTC)
        recent = DealEvent.objects.filter(
            kind__in=[EventKind.SIGNED_OFF, EventKind.UPDATED], at__gte=start, at__lt=timezone.now()
        ).order_by("at", "id")
        tables = {rel for _, rel, _ in plan(recent[:25]) if rel}
        assert tables == {partitions.partition_name("deals_dealevent", this_month())}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migrations_go_back_to_plain_tables_and_forward_again(rep, pm):
    deal = deal_in(DealStatus.WON, owner=rep, pm=pm)
    old_event(deal, datetime.datetime(2019, 4, 10, 12, tzinfo=UTC))
    events = "SELECT * FROM deals_dealevent ORDER BY id"
    project_events = "SELECT * FROM projects_projectevent ORDER BY id"

    def rows(sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def shape(table: str) -> dict:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        return {
            name: (c["columns"], c["primary_key"], c["foreign_key"]) for name, c in found.items()
        }

    before = {"events": rows(events), "project": rows(project_events)}
    shapes = {table: shape(table) for table in EVENT_TABLES}
    months = {table: children(table) for table in EVENT_TABLES}
    try:
        call_command("migrate", "deals", "0013", verbosity=0)
        call_command("migrate", "projects", "0006", verbosity=0)
        with connection.cursor() as cursor:
            assert partitions.partitioned_tables(cursor) == []
        assert rows(events) == before["events"]
        assert rows(project_events) == before["project"]
        for table in EVENT_TABLES:
            plain = shape(table)
            assert plain[f"{table}_pkey"][0] == ["id"]
            assert {k: v for k, v in plain.items() if not k.endswith("_pkey")} == {
                k: v for k, v in shapes[table].items() if not k.endswith("_pkey")
            }
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            raw("UPDATE deals_dealevent SET reason = 'rewritten'")
        later = DealEvent.objects.create(deal=deal, kind=EventKind.UPDATED)
        assert later.pk > before["events"][-1][0]
    finally:
        call_command("migrate", verbosity=0)

    with connection.cursor() as cursor:
        assert dict(partitions.partitioned_tables(cursor)) == EVENT_TABLES
    assert rows(events)[:-1] == before["events"]
    assert rows(project_events) == before["project"]
    assert {table: shape(table) for table in EVENT_TABLES} == shapes
    # The months of the rows copied in got their partitions: nothing waits in DEFAULT.
    assert partition_of("deals_dealevent", before["events"][0][0]) != "deals_dealevent_default"
    assert "deals_dealevent_y2019m04" in children("deals_dealevent")
    with pytest.raises(DatabaseError, match="Cannot update or delete"):
        raw("DELETE FROM deals_dealevent_y2019m04")
    assert DealEvent.objects.create(deal=deal, kind=EventKind.UPDATED).pk > later.pk
    for table, found in months.items():
        # The schema as found: the month made for the old row goes (its rows are flushed after),
        # empty months made before (by the benchmark's generator) come back.
        for extra in children(table) - found:
            raw(f'DROP TABLE "{extra}"')
        gone = [
            datetime.date(int(name[-7:-3]), int(name[-2:]), 1)
            for name in found - children(table)
            if name != partitions.default_name(table)
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            partitions.months_ensure(cursor, table=table, column="at", months=gone)
        assert children(table) == found

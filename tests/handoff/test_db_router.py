"""Read replica routing: the dashboard's computations and the CSV exports read the replica;
every write, every read inside a transaction and everything else go to the primary."""

import os
import subprocess
import sys
from datetime import date

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import Deal
from handoff.db_router import REPLICA, read_alias, reading_from_replica
from handoff.models import MetricsSnapshot
from handoff.web.csv import csv_lines
from insights import recalculate, snapshots
from insights.figures.alignment import stored_alignment
from insights.figures.window import default_range, window_for
from tests.feedback.conftest import submitted

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(scope="module")
def replica():
    """A second alias on the test database, as DATABASE_REPLICA_URL makes one in production.

    Module-scoped so that it exists before the test's database access is set up.
    """
    connections.settings[REPLICA] = {
        **connections.settings["default"],
        "TEST": {"MIRROR": "default"},
    }
    yield connections[REPLICA]
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


class Both:
    """The queries each connection ran inside the block."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections[REPLICA]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def sql(captured) -> list[str]:
        return [q["sql"] for q in captured.captured_queries]

    def reads(self, captured, table: str) -> list[str]:
        # A streamed export reads through a server-side cursor on PostgreSQL (DECLARE … SELECT).
        return [s for s in self.sql(captured) if s.startswith(("SELECT", "DECLARE")) and table in s]

    def writes(self, captured) -> list[str]:
        return [s for s in self.sql(captured) if s.lstrip().upper().startswith(WRITES)]


def test_without_a_replica_everything_reads_the_primary(db, monkeypatch):
    monkeypatch.delitem(connections.settings, REPLICA, raising=False)
    with reading_from_replica():
        assert read_alias() == "default"
        assert Deal.objects.count() == 0


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_the_dashboard_computation_reads_the_replica_and_writes_its_result_to_the_primary(
    replica, rep, pm
):
    submitted(rep, pm)
    w = window_for(*default_range())

    with Both() as q:
        result = stored_alignment(w, recompute=True)

    assert result is not None
    assert q.reads(q.replica, "deals_")  # review rounds, verdicts, deals
    assert not q.reads(q.primary, "deals_")
    assert not q.writes(q.replica)
    assert any("handoff_metricssnapshot" in s for s in q.writes(q.primary))
    assert MetricsSnapshot.objects.using("default").filter(key__startswith="alignment").exists()


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_the_deal_list_csv_reads_the_replica_and_the_session_the_primary(replica, rep, client_for):
    deal = submitted(rep)
    client = client_for(rep)

    with Both() as q:
        response = client.get(reverse("deals:list_csv"))
        body = b"".join(response.streaming_content).decode()

    assert deal.title in body
    assert q.reads(q.replica, "deals_deal")
    assert not q.reads(q.primary, "deals_deal")
    assert q.reads(q.primary, "django_session")  # who is asking: the primary
    assert not q.reads(q.replica, "django_session")
    assert not q.writes(q.replica)


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_a_recalculation_writes_only_to_the_primary(replica, rep, manager):
    submitted(rep)
    w = window_for(*default_range())
    job = recalculation_job = recalculate.recalculation_start(
        window=w, actor=manager, enqueue=lambda key, run: None
    )
    run = MetricsSnapshot.objects.get(key=job.key).payload["run"]

    with Both() as q:
        assert recalculate.recalculation_run(key=recalculation_job.key, run=run) == "done"

    assert q.reads(q.replica, "deals_")
    assert not q.writes(q.replica)
    assert q.writes(q.primary)


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_reads_inside_a_transaction_and_outside_the_block_stay_on_the_primary(replica, rep):
    submitted(rep)
    with Both() as q:
        with reading_from_replica():
            assert read_alias() == REPLICA
            with transaction.atomic():
                # A transaction must see its own writes.
                assert read_alias() == "default"
                Deal.objects.count()
            Deal.objects.count()
        Deal.objects.count()
    assert len(q.reads(q.primary, "deals_deal")) == 2
    assert len(q.reads(q.replica, "deals_deal")) == 1


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_a_row_read_from_the_replica_is_saved_to_the_primary(replica, rep):
    deal = submitted(rep)
    with reading_from_replica():
        copy = Deal.objects.get(pk=deal.pk)
    assert copy._state.db == REPLICA
    with Both() as q:
        Deal.objects.filter(pk=copy.pk).update(title="Renamed")
        snapshots.store("router-test", lambda: {"day": date(2026, 1, 1)})
    assert not q.writes(q.replica)
    assert len(q.writes(q.primary)) == 2


def test_database_replica_url_makes_the_replica_alias():
    code = (
        "from django.conf import settings;"
        "r = settings.DATABASES['replica'];"
        "print(r['NAME'], r['HOST'], r['TEST']['MIRROR'], r['OPTIONS']['options'],"
        " settings.DATABASE_ROUTERS)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_REPLICA_URL": "postgres://reader@replica.internal:5432/handoff",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == [
        "handoff",
        "replica.internal",
        "default",
        "-c",
        "jit=off",
        "['handoff.db_router.ReplicaRouter']",
    ]


def test_each_line_of_an_export_reads_the_replica_unless_it_must_not(replica):
    def rows():
        for _ in range(2):
            yield [read_alias()]

    assert list(csv_lines(["where"], rows(), replica=True))[1:] == ["replica\r\n"] * 2
    assert list(csv_lines(["where"], rows(), replica=False))[1:] == ["default\r\n"] * 2
    assert read_alias() == "default"  # nothing leaks out between lines or after

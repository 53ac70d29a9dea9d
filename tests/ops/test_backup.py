"""backup_db and restore_db: a dump restored into a fresh database holds the same audit trail, still append-only."""

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from deals.models import DealEvent, DealStatus
from handoff.audit import APPEND_ONLY_TRIGGER
from tests.deals.builders import deal_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIGGERS = """
    SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE NOT t.tgisinternal ORDER BY 1, 2
"""


def _params(name: str) -> dict:
    settings_dict = connection.settings_dict
    return {
        "dbname": name,
        "host": settings_dict["HOST"] or None,
        "port": settings_dict["PORT"] or None,
        "user": settings_dict["USER"] or None,
        "password": settings_dict["PASSWORD"] or None,
    }


def _url(name: str) -> str:
    p = _params(name)
    credentials = p["user"] + (f":{p['password']}" if p["password"] else "")
    return f"postgres://{credentials}@{p['host']}:{p['port'] or 5432}/{name}"


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**_params("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**_params("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(name: str, query: str) -> list[tuple]:
    with psycopg.connect(**_params(name)) as restored:
        return restored.execute(query).fetchall()


def test_a_restored_dump_has_the_same_audit_trail_and_its_triggers(
    rep, pm, manager, tmp_path, fresh_database
):
    deal_in(DealStatus.WON, owner=rep, pm=pm)
    deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    deal_in(DealStatus.LOST, owner=rep, pm=pm)
    events = "SELECT * FROM deals_dealevent ORDER BY id"
    source = connection.settings_dict["NAME"]
    assert DealEvent.objects.count() >= 8
    dump = tmp_path / "handoff.dump"

    call_command("backup_db", output=dump)
    call_command("restore_db", dump, database_url=_url(fresh_database))

    assert dump.read_bytes().startswith(b"PGDMP")
    assert _rows(fresh_database, events) == _rows(source, events)
    assert _rows(fresh_database, "SELECT id, status FROM deals_deal ORDER BY id") == _rows(
        source, "SELECT id, status FROM deals_deal ORDER BY id"
    )
    triggers = _rows(fresh_database, TRIGGERS)
    assert triggers == _rows(source, TRIGGERS)
    assert any(
        table == "deals_dealevent" and name.startswith(f"pgtrigger_{APPEND_ONLY_TRIGGER}_")
        for table, name in triggers
    )
    for statement in (
        "UPDATE deals_dealevent SET reason = 'rewritten'",
        "DELETE FROM deals_dealevent",
    ):
        with (
            psycopg.connect(**_params(fresh_database)) as restored,
            pytest.raises(psycopg.errors.RaiseException),
        ):
            restored.execute(statement)
    assert _rows(fresh_database, events) == _rows(source, events)


def test_restore_refuses_a_database_that_has_tables(tmp_path, fresh_database):
    dump = tmp_path / "handoff.dump"
    call_command("backup_db", output=dump)
    call_command("restore_db", dump, database_url=_url(fresh_database))

    with pytest.raises(CommandError, match="already has tables"):
        call_command("restore_db", dump, database_url=_url(fresh_database))


def test_a_failed_dump_leaves_no_file(tmp_path):
    dump = tmp_path / "handoff.dump"

    with pytest.raises(CommandError, match="pg_dump failed"):
        call_command("backup_db", output=dump, database_url=_url("no_such_database_here"))

    assert list(tmp_path.iterdir()) == []

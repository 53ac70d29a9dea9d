"""Monthly range partitions of the append-only event tables on PostgreSQL: the conversion and the months ahead.

A converted table is PARTITIONED BY RANGE on its timestamp, one partition a calendar month in
UTC (`<table>_y2026m12`) and a DEFAULT partition (`<table>_default`) for a row whose month has
none yet. Its primary key becomes (id, timestamp), as PostgreSQL requires of a partitioned key;
the id keeps its identity sequence, so it stays unique. Indexes, foreign keys from the table and
triggers (the append-only one) are made on the partitioned table, so every partition has them.
The database says which tables are partitioned: the job keeps the months ahead of each of them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connections, transaction

DEFAULT = "default"
# Waiting long for a table's lock would queue every writer of the table behind the job.
LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class _Shape:
    """What a rebuilt table must get back: read from the catalog before the old one goes."""

    columns: list[str]
    primary_key: tuple[str, list[str]]
    indexes: list[str]
    foreign_keys: list[tuple[str, str]]
    triggers: list[tuple[str, str, str | None]]
    identity: tuple[str, str, int, bool] | None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def _bound(month: date) -> str:
    """The first instant of a month in UTC, as an SQL literal (DDL takes no parameters)."""
    return f"'{datetime(month.year, month.month, 1, tzinfo=UTC).isoformat()}'"


def _today() -> date:
    return datetime.now(UTC).date()


def _shape_columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [_q(table)],
    )
    return [row[0] for row in cursor.fetchall()]


def _shape(cursor, table: str) -> _Shape:
    columns = _shape_columns(cursor, table)
    cursor.execute(
        "SELECT conname, contype, ARRAY(SELECT a.attname FROM unnest(conkey) WITH ORDINALITY k(n, i)"
        " JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n ORDER BY k.i),"
        " pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'x', 'f') AND conparentid = 0"
        " ORDER BY conname",
        [_q(table)],
    )
    primary_key, foreign_keys = None, []
    for name, kind, keys, definition in cursor.fetchall():
        if kind == "p":
            primary_key = (name, list(keys))
        elif kind == "f":
            foreign_keys.append((name, definition))
        else:
            raise ValueError(f"{table}: the unique constraint {name} would need the partition key.")
    if primary_key is None:
        raise ValueError(f"{table} has no primary key.")
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c"
        " ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
        [_q(table)],
    )
    indexes = [row[0].replace(" ON ONLY ", " ON ", 1) for row in cursor.fetchall()]
    if any(definition.startswith("CREATE UNIQUE") for definition in indexes):
        raise ValueError(f"{table}: a unique index would need the partition key.")
    cursor.execute(
        "SELECT tgname, pg_get_triggerdef(oid), obj_description(oid, 'pg_trigger')"
        " FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgparentid = 0"
        " ORDER BY tgname",
        [_q(table)],
    )
    triggers = cursor.fetchall()
    cursor.execute(
        "SELECT a.attname, s.relname FROM pg_attribute a JOIN pg_class s"
        " ON s.oid = pg_get_serial_sequence(%s, a.attname)::regclass"
        " WHERE a.attrelid = %s::regclass AND a.attidentity <> ''",
        [_q(table), _q(table)],
    )
    identity = None
    if row := cursor.fetchone():
        column, sequence = row
        cursor.execute(f"SELECT last_value, is_called FROM {_q(sequence)}")  # noqa: S608 - quoted  # nosec B608
        identity = (column, sequence, *cursor.fetchone())
    return _Shape(columns, primary_key, indexes, foreign_keys, triggers, identity)


def _copy_rows(cursor, *, source: str, target: str, columns: list[str]) -> None:
    """Every row of `source` into `target`, ids and all; a partitioned target routes each."""
    names = ", ".join(_q(column) for column in columns)
    insert = f"INSERT INTO {_q(target)} ({names}) OVERRIDING SYSTEM VALUE"
    cursor.execute(f"{insert} SELECT {names} FROM {_q(source)}")  # noqa: S608 - quoted names  # nosec B608


def _partition_column(cursor, table: str) -> str | None:
    cursor.execute(
        "SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a"
        " ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]"
        " WHERE p.partrelid = %s::regclass",
        [_q(table)],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _rebuild(cursor, table: str, *, partition_column: str | None, months: Iterable[date]) -> None:
    """Swap `table` for a copy of it, partitioned by month on `partition_column` or plain."""
    cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
    shape = _shape(cursor, table)
    was_partitioned_on = _partition_column(cursor, table)
    rebuilt = f"{table}_rebuilt"
    partitioned = f" PARTITION BY RANGE ({_q(partition_column)})" if partition_column else ""
    cursor.execute(
        f"CREATE TABLE {_q(rebuilt)} (LIKE {_q(table)} INCLUDING ALL EXCLUDING INDEXES)"
        f"{partitioned}"
    )
    if partition_column:
        for month in sorted(set(months)):
            _attach_month(cursor, rebuilt, month, name=partition_name(table, month))
        cursor.execute(f"CREATE TABLE {_q(default_name(table))} PARTITION OF {_q(rebuilt)} DEFAULT")
    _copy_rows(cursor, source=table, target=rebuilt, columns=shape.columns)
    if shape.identity:
        column, sequence, last_value, is_called = shape.identity
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
            [_q(rebuilt), column, last_value, is_called],
        )
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [_q(rebuilt), column])
        new_sequence = cursor.fetchone()[0]
    cursor.execute(f"DROP TABLE {_q(table)}")
    cursor.execute(f"ALTER TABLE {_q(rebuilt)} RENAME TO {_q(table)}")
    if shape.identity:
        cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {_q(sequence)}")
    key_name, key_columns = shape.primary_key
    key_columns = [c for c in key_columns if c not in (was_partitioned_on, partition_column)]
    if partition_column:
        key_columns.append(partition_column)
    cursor.execute(
        f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(key_name)} PRIMARY KEY "
        f"({', '.join(_q(column) for column in key_columns)})"
    )
    for definition in shape.indexes:
        cursor.execute(definition)
    for name, definition in shape.foreign_keys:
        cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    for name, definition, comment in shape.triggers:
        cursor.execute(definition)
        if comment is not None:
            literal = "'" + comment.replace("'", "''") + "'"
            cursor.execute(f"COMMENT ON TRIGGER {_q(name)} ON {_q(table)} IS {literal}")


def default_name(table: str) -> str:
    return f"{table}_{DEFAULT}"


def _attach_month(cursor, table: str, month: date, *, name: str) -> None:
    cursor.execute(
        f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)} "
        f"FOR VALUES FROM ({_bound(month)}) TO ({_bound(add_months(month, 1))})"
    )


def _months_in(cursor, table: str, column: str) -> list[date]:
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', {_q(column)}, 'UTC')::date FROM {_q(table)}"  # noqa: S608 - quoted  # nosec B608
    )
    return [row[0] for row in cursor.fetchall()]


def _months_wanted(today: date | None, months_ahead: int | None) -> list[date]:
    current = month_of(today or _today())
    ahead = settings.EVENT_PARTITION_MONTHS_AHEAD if months_ahead is None else months_ahead
    return [add_months(current, n) for n in range(ahead + 1)]


def partition_by_month(
    connection,
    *,
    table: str,
    column: str,
    today: date | None = None,
    months_ahead: int | None = None,
) -> None:
    """Rebuild a plain table as partitioned by month: a partition for each month of its rows,
    this month and the months ahead, and the DEFAULT one. No-op off PostgreSQL or if done."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if _partition_column(cursor, table):
            return
        months = _months_in(cursor, table, column) + _months_wanted(today, months_ahead)
        _rebuild(cursor, table, partition_column=column, months=months)


def unpartition(connection, *, table: str) -> None:
    """Rebuild a partitioned table as one plain table with the same rows, keys and triggers."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if _partition_column(cursor, table):
            _rebuild(cursor, table, partition_column=None, months=[])


def _children(cursor, table: str) -> set[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass",
        [_q(table)],
    )
    return {row[0] for row in cursor.fetchall()}


def months_ensure(cursor, *, table: str, column: str, months: Iterable[date]) -> list[str]:
    """Create the missing month partitions of `table`; their rows waiting in DEFAULT move in.

    PostgreSQL refuses a partition whose range has rows in DEFAULT, so DEFAULT is then
    detached, the months made, a new DEFAULT made, and the old one's rows inserted again
    through the table (each lands in its month or the new DEFAULT), all in one transaction.
    """
    wanted = sorted(set(months))
    if all(partition_name(table, month) in _children(cursor, table) for month in wanted):
        return []
    cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
    existing = _children(cursor, table)
    missing = [month for month in wanted if partition_name(table, month) not in existing]
    default = default_name(table)
    crowded = False
    if missing and default in existing:
        ranges = " OR ".join(
            f"({_q(column)} >= {_bound(month)} AND {_q(column)} < {_bound(add_months(month, 1))})"
            for month in missing
        )
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(default)} WHERE {ranges})")  # noqa: S608 - quoted names, literal bounds  # nosec B608
        crowded = cursor.fetchone()[0]
    detached = f"{table}_detached"
    if crowded:
        cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(default)}")
        cursor.execute(f"ALTER TABLE {_q(default)} RENAME TO {_q(detached)}")
    for month in missing:
        _attach_month(cursor, table, month, name=partition_name(table, month))
    if crowded:
        cursor.execute(f"CREATE TABLE {_q(default)} PARTITION OF {_q(table)} DEFAULT")
        _copy_rows(cursor, source=detached, target=table, columns=_shape_columns(cursor, table))
        # Rows this transaction put in DEFAULT still owe their deferred key checks: run them now.
        cursor.execute(
            "SELECT string_agg(quote_ident(conname), ', ') FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND condeferred",
            [_q(detached)],
        )
        if deferred := cursor.fetchone()[0]:
            cursor.execute(f"SET CONSTRAINTS {deferred} IMMEDIATE")
            cursor.execute(f"SET CONSTRAINTS {deferred} DEFERRED")
        cursor.execute(f"DROP TABLE {_q(detached)}")
    return [partition_name(table, month) for month in missing]


def partitioned_tables(cursor) -> list[tuple[str, str]]:
    """(table, column) of each table of this schema partitioned by range."""
    cursor.execute(
        "SELECT c.relname, a.attname FROM pg_partitioned_table p"
        " JOIN pg_class c ON c.oid = p.partrelid"
        " JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]"
        " WHERE p.partstrat = 'r' AND NOT c.relispartition AND pg_table_is_visible(c.oid)"
        " ORDER BY c.relname"
    )
    return cursor.fetchall()


def months_ahead_ensure(
    *, today: date | None = None, months_ahead: int | None = None, using: str = "default"
) -> dict[str, list[str]]:
    """Each partitioned table gets this month's and the next months' partitions, and one for
    each month with rows in its DEFAULT. Safe to run any number of times: made once, each."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return {}
    created = {}
    with connection.cursor() as cursor:
        for table, column in partitioned_tables(cursor):
            with transaction.atomic(using=using):
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
                months = _months_wanted(today, months_ahead)
                if default_name(table) in _children(cursor, table):
                    months += _months_in(cursor, default_name(table), column)
                if made := months_ensure(cursor, table=table, column=column, months=months):
                    created[table] = made
    return created

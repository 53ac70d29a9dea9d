"""Rows of one model in PostgreSQL's binary COPY format, and the COPY that sends them."""

import io
import operator
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models
from psycopg import Copy
from psycopg.copy import FileWriter


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
                        "does not fill it: add it to bench/generate/."
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


def copy_in(cursor, statement: str, payload: bytes) -> None:
    with cursor.copy(statement) as copy:
        copy.write(payload)

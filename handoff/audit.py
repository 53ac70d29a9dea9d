"""The append-only base of audit tables: refused in the ORM and, on PostgreSQL, by a trigger."""

from collections.abc import Iterator
from contextlib import contextmanager

import pgtrigger
from django.db import connection, models

# PostgreSQL refuses UPDATE and DELETE on audit rows too, whatever code or SQL tries.
APPEND_ONLY_TRIGGER = "append_only"


def append_only_trigger() -> pgtrigger.Protect:
    return pgtrigger.Protect(
        name=APPEND_ONLY_TRIGGER, operation=pgtrigger.Update | pgtrigger.Delete
    )


@contextmanager
def append_only_lifted(*models: str) -> Iterator[None]:
    """Lets this block's statements past the append-only trigger of `models` ("app.Model").

    pgtrigger.ignore prefixes each statement with a SET of its own, two commands in one, which
    a prepared statement cannot hold: the block's cursors bind their parameters client-side.
    """
    with _client_side_binding(), pgtrigger.ignore(*(f"{m}:{APPEND_ONLY_TRIGGER}" for m in models)):
        yield


@contextmanager
def _client_side_binding() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import Cursor

    connection.ensure_connection()
    raw = connection.connection
    previous = raw.cursor_factory
    raw.cursor_factory = Cursor
    try:
        yield
    finally:
        raw.cursor_factory = previous


class AppendOnlyQuerySet(models.QuerySet):
    """Rows written once: bulk update() and delete() refuse like save() and delete() do."""

    def _refuse(self):
        raise ValueError(f"{self.model._meta.verbose_name_plural} are append-only.")

    def update(self, **kwargs):
        self._refuse()

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        self._refuse()

    bulk_update.alters_data = True

    def delete(self):
        self._refuse()

    delete.alters_data = True


class AppendOnlyModel(models.Model):
    """An audit row: inserted once, never saved again nor deleted, in code or in SQL.

    A subclass declaring its own Meta extends AppendOnlyModel.Meta, which carries the trigger.
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        triggers = [append_only_trigger()]

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError(f"{self._meta.verbose_name_plural.capitalize()} are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self._meta.verbose_name_plural.capitalize()} are append-only.")

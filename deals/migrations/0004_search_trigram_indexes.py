"""Trigram indexes for the deal search, on PostgreSQL only.

The search filters with icontains, which Django writes as `UPPER(column::text) LIKE
UPPER('%term%')`: no B-tree serves a pattern with a leading wildcard, but a GIN index of the
trigrams of that same expression does. SQLite, the embedded default, has neither pg_trgm nor
GIN, and an index declared in a model's Meta must exist on every database, so these are
created here, on PostgreSQL alone, and the models only point to this file.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# index name: (table, column); the expression must be the one icontains filters on.
TRIGRAM_INDEXES = {
    "deal_title_trgm_idx": ("deals_deal", "title"),
    "deal_description_trgm_idx": ("deals_deal", "description"),
    "client_name_trgm_idx": ("deals_client", "name"),
}


class PostgreSQLTrigramExtension(TrigramExtension):
    """pg_trgm; Django skips it forwards on other databases but not backwards."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )
    # The planner learns how selective a pattern is from the statistics of an index's
    # expression, gathered by ANALYZE only; autovacuum would wait for enough rows to change,
    # and until then a rare term looks common and the list walks every deal instead.
    for table in sorted({table for table, _ in TRIGRAM_INDEXES.values()}):
        schema_editor.execute(f'ANALYZE "{table}"')


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0003_deal_sort_indexes_drop_covered_fk_indexes"),
    ]

    operations = [
        PostgreSQLTrigramExtension(),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]

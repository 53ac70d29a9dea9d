"""Deal events partitioned by month on PostgreSQL (handoff.partitions); nothing elsewhere.

The table is rebuilt under an exclusive lock: its rows are copied into a table partitioned by
range on `at`, one partition for each month they fall in, this month and the months ahead,
and a DEFAULT one; keys, indexes, foreign keys and the append-only trigger come back on it.
Going back rebuilds one plain table with the same rows.
"""

from django.db import migrations

from handoff import partitions


def forwards(apps, schema_editor):
    partitions.partition_by_month(schema_editor.connection, table="deals_dealevent", column="at")


def backwards(apps, schema_editor):
    partitions.unpartition(schema_editor.connection, table="deals_dealevent")


class Migration(migrations.Migration):
    dependencies = [("deals", "0013_dates_within_years")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexWithoutLock(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so writes to a large table go on meanwhile."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("feedback", "0007_acceptance_declined_notification"),
    ]

    operations = [
        AddIndexWithoutLock(
            model_name="emailoutbox",
            index=models.Index(fields=["created_at"], name="outbox_created_idx"),
        ),
        AddIndexWithoutLock(
            model_name="webhookdelivery",
            index=models.Index(fields=["created_at"], name="delivery_created_idx"),
        ),
    ]

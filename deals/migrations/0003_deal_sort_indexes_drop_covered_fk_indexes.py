"""Indexes in the deal list's sort orders; foreign-key indexes that a composite index covers go.

Each dropped index has a composite index leading with the same column (named beside the
field in deals/models.py), which serves the lookups by that key as well. Left to itself,
AlterField(db_index=False) drops and re-adds the foreign key constraint too, checking every
row again; the database only needs the index dropped, so that is all it is told.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, field, related model, on_delete, related_name, table, column, index Django named)
COVERED_FOREIGN_KEYS = [
    ("comment", "deal", "deals.deal", "CASCADE", "comments", "deals_comment", "deal_id", "deals_comment_deal_id_eb1bf212"),
    ("deal", "client", "deals.client", "PROTECT", "deals", "deals_deal", "client_id", "deals_deal_client_id_26543475"),
    ("deal", "owner", settings.AUTH_USER_MODEL, "PROTECT", "deals", "deals_deal", "owner_id", "deals_deal_owner_id_2f09ac61"),
    ("dealevent", "deal", "deals.deal", "CASCADE", "events", "deals_dealevent", "deal_id", "deals_dealevent_deal_id_1654e502"),
    ("reviewround", "deal", "deals.deal", "CASCADE", "rounds", "deals_reviewround", "deal_id", "deals_reviewround_deal_id_2514e38b"),
    ("reviewround", "reviewer", settings.AUTH_USER_MODEL, "PROTECT", "review_rounds", "deals_reviewround", "reviewer_id", "deals_reviewround_reviewer_id_9a0df67e"),
    ("signoff", "deal", "deals.deal", "CASCADE", "sign_offs", "deals_signoff", "deal_id", "deals_signoff_deal_id_04828956"),
    ("verdict", "commitment", "deals.commitment", "CASCADE", "verdicts", "deals_verdict", "commitment_id", "deals_verdict_commitment_id_2d07791e"),
    ("verdict", "round", "deals.reviewround", "CASCADE", "verdicts", "deals_verdict", "round_id", "deals_verdict_round_id_d0355631"),
]
NULLABLE = {("reviewround", "reviewer")}


def _field(to, on_delete, related_name, nullable):
    return models.ForeignKey(
        db_index=False,
        on_delete=getattr(django.db.models.deletion, on_delete),
        related_name=related_name,
        to=to,
        **({"null": True, "blank": True} if nullable else {}),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0002_dealevent_append_only_signoff_append_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name=name,
                    field=_field(to, on_delete, related_name, (model, name) in NULLABLE),
                )
                for model, name, to, on_delete, related_name, *_ in COVERED_FOREIGN_KEYS
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
                )
                for *_, table, column, index in COVERED_FOREIGN_KEYS
            ],
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['-value', '-id'], name='deal_value_idx'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['expected_close_date', 'id'], name='deal_close_idx'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(fields=['title', 'id'], name='deal_title_idx'),
        ),
    ]

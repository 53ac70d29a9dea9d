"""The summaries per round, verdict group and promise, each with its deal, so the fold replaces
exactly what a deal's events changed; the next fold builds them again from the rows."""

from decimal import Decimal

from django.db import migrations, models


def rebuild_on_next_fold(apps, schema_editor):
    apps.get_model("insights", "SummaryState").objects.update(as_of=None)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_summaries"),
    ]

    operations = [
        migrations.DeleteModel(name="PromiseDay"),
        migrations.DeleteModel(name="ReviewRoundSummary"),
        migrations.DeleteModel(name="VerdictDay"),
        migrations.CreateModel(
            name="PromiseSummary",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("deliverable_id", models.BigIntegerField(unique=True)),
                ("deal_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("rep_id", models.IntegerField()),
                ("pm_id", models.IntegerField()),
                ("kept", models.IntegerField(default=0)),
                ("resolved", models.IntegerField(default=0)),
                ("slip_total", models.IntegerField(default=0)),
                ("slip_count", models.IntegerField(default=0)),
                ("late", models.IntegerField(default=0)),
                ("sold_resolved", models.IntegerField(default=0)),
                ("renegotiated_kept", models.IntegerField(default=0)),
                ("changed", models.IntegerField(default=0)),
                ("suggested", models.IntegerField(default=0)),
                ("suggestion_held", models.IntegerField(default=0)),
                ("against_suggestion", models.IntegerField(default=0)),
                ("against_suggestion_missed", models.IntegerField(default=0)),
                ("suggestion_taken", models.IntegerField(default=0)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["day"], name="promise_summary_day_idx"),
                    models.Index(fields=["deal_id"], name="promise_summary_deal_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="ReviewRoundSummary",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("round_id", models.BigIntegerField(unique=True)),
                ("deal_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("rep_id", models.IntegerField()),
                ("reviewer_id", models.IntegerField()),
                ("first", models.BooleanField(default=False)),
                ("outcome", models.CharField(blank=True, max_length=20)),
                ("late_decided", models.BooleanField(default=False)),
                ("working_days", models.FloatField(blank=True, null=True)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["day"], name="round_summary_day_idx"),
                    models.Index(fields=["deal_id"], name="round_summary_deal_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="VerdictSummary",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("round_id", models.BigIntegerField()),
                ("deal_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("rep_id", models.IntegerField()),
                ("pm_id", models.IntegerField()),
                ("kind", models.CharField(max_length=20)),
                ("verdicts", models.IntegerField(default=0)),
                ("flagged", models.IntegerField(default=0)),
                (
                    "effort",
                    models.DecimalField(decimal_places=1, default=Decimal("0"), max_digits=14),
                ),
                (
                    "over_effort",
                    models.DecimalField(decimal_places=1, default=Decimal("0"), max_digits=14),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["day"], name="verdict_summary_day_idx"),
                    models.Index(fields=["deal_id"], name="verdict_summary_deal_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("round_id", "pm_id", "kind"), name="verdict_summary_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(rebuild_on_next_fold, migrations.RunPython.noop),
    ]

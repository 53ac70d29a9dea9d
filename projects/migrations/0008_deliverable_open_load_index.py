"""The open deliverables indexed with what their load is summed from (partial: open ones only)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0015_commitment_deal_load_index"),
        ("projects", "0007_projectevent_partitioned_by_month"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deliverable",
            index=models.Index(
                condition=models.Q(("status__in", ["at_risk", "in_progress", "planned"])),
                fields=["project"],
                include=("promised_date", "effort_days"),
                name="deliverable_open_load_idx",
            ),
        ),
    ]

"""A deal's commitments indexed with the date and effort that the open pipeline's load sums:
the new index is built before the foreign key's own, which it replaces, is dropped."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0014_dealevent_partitioned_by_month"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(
                fields=["deal"],
                include=("promised_date", "effort_days"),
                name="commitment_deal_load_idx",
            ),
        ),
        migrations.AlterField(
            model_name="commitment",
            name="deal",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="commitments",
                to="deals.deal",
            ),
        ),
    ]

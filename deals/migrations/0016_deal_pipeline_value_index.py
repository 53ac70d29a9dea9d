"""The open pipeline's deals indexed with their value, currency and start (partial: in review
or signed off), so the dashboard sums it from the index alone."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0015_commitment_deal_load_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("status__in", ("in_review", "signed_off"))),
                fields=["owner"],
                include=("currency", "value", "expected_start_date", "id"),
                name="deal_pipeline_value_idx",
            ),
        ),
    ]

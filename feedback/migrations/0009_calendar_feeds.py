import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0008_retention_indexes"),
        ("handoff", "0007_superuser_is_an_operator"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarFeed",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("scope", models.CharField(choices=[("personal", "Personal"), ("team", "Team")], default="personal", max_length=10)),
                ("secret_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("secret_prefix", models.CharField(editable=False, max_length=8)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("revoked_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_fetched_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="calendar_feeds", to=settings.AUTH_USER_MODEL)),
                ("team", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="calendar_feeds", to="handoff.team")),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["owner", "-created_at"], name="calendar_feed_owner_idx")],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(models.Q(("scope", "personal"), ("team__isnull", True)), models.Q(("scope", "team"), ("team__isnull", False)), _connector="OR"), name="calendar_feed_team_when_team_scope"),
                    models.UniqueConstraint(condition=models.Q(("revoked_at__isnull", True), ("scope", "personal")), fields=("owner",), name="calendar_feed_one_live_personal"),
                    models.UniqueConstraint(condition=models.Q(("revoked_at__isnull", True), ("scope", "team")), fields=("owner", "team"), name="calendar_feed_one_live_per_team"),
                ],
            },
        ),
    ]

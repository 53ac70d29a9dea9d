from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="digest_frequency",
            field=models.CharField(
                choices=[("daily", "Daily"), ("weekly", "Weekly"), ("off", "Off")],
                default="weekly",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="email_preferences",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="user",
            name="last_digest_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]

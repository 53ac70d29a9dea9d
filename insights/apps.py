from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Its models are the dashboard's summary tables (insights.models); SharedGoal and
    MetricsSnapshot stay in handoff.models, where their migrations are."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from insights import digests

        digests.register()

from django.apps import AppConfig


class HandoffConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "handoff"
    verbose_name = "Handoff"

    def ready(self) -> None:
        from handoff import signals
        from handoff.tokens.views import settings_section as api_tokens_section
        from handoff.web.settings_page import register_section
        from handoff.web.timezones import time_zone_section

        signals.connect()
        register_section("handoff/partials/settings_time_zone.html", time_zone_section)
        register_section("handoff/partials/settings_api_tokens.html", api_tokens_section)

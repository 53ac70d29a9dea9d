from django.apps import AppConfig


class DealsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "deals"

    def ready(self) -> None:
        from deals import views_rules
        from handoff.web.settings_page import register_section

        # Managers reach the review rules from the settings page.
        register_section(
            "deals/review_rules_settings.html",
            views_rules.settings_section,
            stylesheet="css/rules.css",
        )

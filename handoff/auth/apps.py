"""The sign-in package as an app of its own, so it adds its settings section from ready()."""

from django.apps import AppConfig


class SignInConfig(AppConfig):
    name = "handoff.auth"
    label = "handoff_auth"
    verbose_name = "Sign-in"

    def ready(self) -> None:
        from django.contrib import admin

        from handoff import user_cache
        from handoff.auth.login import AdminLoginForm
        from handoff.auth.mfa_views import two_factor_section
        from handoff.web.settings_page import register_section

        register_section("handoff/mfa_section.html", two_factor_section)
        user_cache.connect()
        # The admin's login page must not be a way round the second factor.
        admin.site.login_form = AdminLoginForm

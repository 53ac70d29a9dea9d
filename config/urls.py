from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from feedback import webhooks_urls
from feedback.accounts import OutboxPasswordResetForm
from handoff import health, views
from handoff.auth import api as sign_in_api
from handoff.auth import login as sign_in
from handoff.auth import mfa_views
from handoff.auth.sso_views import SSOCallbackView, SSOStartView
from handoff.web.settings_page import settings_page
from handoff.web.timezones import time_zone_update
from insights import home_views
from insights import views as insights_views
from insights import views_export as insights_exports
from insights.api import AlignmentView
from insights.search_api import SearchView
from insights.search_views import search_page

handler403 = "handoff.views.permission_denied"
handler404 = "handoff.views.page_not_found"
handler500 = "handoff.views.server_error"

auth_patterns = [
    path("login/", sign_in.LoginView.as_view(), name="login"),
    path("login/code/", mfa_views.mfa_verify, name="mfa_verify"),
    path("sso/start/", SSOStartView.as_view(), name="oidc_authentication_init"),
    path("sso/callback/", SSOCallbackView.as_view(), name="oidc_authentication_callback"),
    path("two-factor/setup/", mfa_views.mfa_setup, name="mfa_setup"),
    path("two-factor/recovery-codes/", mfa_views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("two-factor/disable/", mfa_views.mfa_disable, name="mfa_disable"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=OutboxPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

api_patterns = [
    path("auth/token/", sign_in_api.TokenView.as_view(), name="token"),
    path("auth/two-factor/", sign_in_api.TwoFactorView.as_view(), name="two-factor"),
    path(
        "auth/two-factor/setup/", sign_in_api.TwoFactorSetupView.as_view(), name="two-factor-setup"
    ),
    path(
        "auth/two-factor/confirm/",
        sign_in_api.TwoFactorConfirmView.as_view(),
        name="two-factor-confirm",
    ),
    path(
        "auth/two-factor/recovery-codes/",
        sign_in_api.RecoveryCodesView.as_view(),
        name="two-factor-recovery-codes",
    ),
    path(
        "auth/two-factor/disable/",
        sign_in_api.TwoFactorDisableView.as_view(),
        name="two-factor-disable",
    ),
    path("", include("deals.api.urls")),
    path("", include("projects.api")),
    path("", include("feedback.api")),
    path("", include("feedback.webhooks_api")),
    path("", include("feedback.chat_api")),
    path("", include("handoff.tokens.api")),
    path("", include("meetings.api")),
    path("", include("feedback.calendar_api")),
    path("metrics/alignment/", AlignmentView.as_view(), name="metrics-alignment"),
    path("search/", SearchView.as_view(), name="search"),
]

urlpatterns = [
    path("", home_views.home, name="home"),
    path("home/deliverables/", home_views.deliverables, name="home_deliverables"),
    path(
        "home/deliverables/export.csv",
        insights_exports.deliverables_csv,
        name="home_deliverables_csv",
    ),
    path("accounts/", include(auth_patterns)),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("deals/", include("deals.urls")),
    path("projects/", include("projects.urls")),
    path("settings/", settings_page, name="settings"),
    path("settings/time-zone/", time_zone_update, name="settings_time_zone"),
    path("settings/webhooks/", include((webhooks_urls.webhook_patterns, "webhooks"))),
    path("settings/chat/", include((webhooks_urls.chat_patterns, "chat"))),
    path("settings/api-tokens/", include(("handoff.tokens.urls", "api_tokens"))),
    path("", include(("feedback.calendar_urls", "calendar"))),
    path("feedback/", include("feedback.urls")),
    path("meetings/", include("meetings.urls")),
    path("dashboard/", include("insights.urls")),
    path("people/<str:username>/", insights_views.scorecard, name="scorecard"),
    path("search/", search_page, name="search"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

"""Calendar feeds: the secret ICS address, and the settings page's actions on addresses."""

from django.urls import path, re_path

from feedback import calendar_views

urlpatterns = [
    # What secrets.token_urlsafe makes; anything else is not looked up.
    re_path(
        r"^calendar/(?P<secret>[A-Za-z0-9_-]{1,100})\.ics$",
        calendar_views.calendar_feed,
        name="feed",
    ),
    path("settings/calendar/new/", calendar_views.calendar_create, name="create"),
    path("settings/calendar/<int:pk>/reset/", calendar_views.calendar_reset, name="reset"),
    path("settings/calendar/<int:pk>/revoke/", calendar_views.calendar_revoke, name="revoke"),
]

"""Each user reads times in their own time zone: the middleware that activates it and the
settings section that sets it."""

import zoneinfo
from collections.abc import Callable
from functools import lru_cache

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from handoff.web.settings_page import settings_page


@lru_cache(maxsize=1)
def _zones() -> list[tuple[str, str]]:
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z and "Etc" not in z)
    return [
        ("", "The site's time zone"),
        ("UTC", "UTC"),
        *((z, z.replace("_", " ")) for z in names),
    ]


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class UserTimeZoneMiddleware:
    """Activates the signed-in user's time zone for the request; the site's otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = _zone(user.time_zone) if user and user.is_authenticated and user.time_zone else None
        if zone is None:
            timezone.deactivate()
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", choices=_zones, required=False)


def time_zone_section(request: HttpRequest) -> dict:
    form = TimeZoneForm(initial={"time_zone": request.user.time_zone}, prefix="tz")
    return {"time_zone_form": form, "time_zone_now": timezone.localtime()}


@login_required
@require_POST
def time_zone_update(request: HttpRequest) -> HttpResponse:
    form = TimeZoneForm(request.POST, prefix="tz")
    if not form.is_valid():
        return settings_page(request, time_zone_form=form)
    request.user.time_zone = form.cleaned_data["time_zone"]
    request.user.save(update_fields=["time_zone"])
    messages.success(
        request,
        "Times are now shown in " + (request.user.time_zone or "the site's time zone") + ".",
    )
    return redirect("settings")

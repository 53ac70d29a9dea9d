"""Calendar feeds on the web: the ICS a calendar app fetches by its secret address (no sign-in),
and the Calendar section of the settings page that makes, resets and revokes addresses."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from feedback import calendar_services as services
from feedback.calendar_feeds import feed_items, feed_url, feed_version, rendered_ics, webcal_url
from feedback.calendar_models import CalendarFeed, FeedScope, can_have_team_feed
from feedback.calendar_selectors import (
    feed_for_secret,
    live_feeds_of,
    teams_for_feeds,
)
from handoff.web.confirm import Confirmation, confirm_page
from handoff.web.errors import domain_errors
from handoff.web.settings_page import settings_page

# The address just made, shown on the next view of the settings page only.
SHOWN_ONCE = "calendar_feed_once"
SECTION = "calendar"
CALENDAR_CACHE = "private, max-age=300"


def _settings_url(request: HttpRequest | None = None, **kwargs) -> str:
    return reverse("settings") + f"#{SECTION}"


def _plain(status: int, reason: str) -> HttpResponse:
    response = HttpResponse(reason + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The ICS of the feed the secret names, as its owner may see things now."""
    found = feed_for_secret(secret)
    if found.feed is None:
        return _plain(found.status, found.reason)
    feed = found.feed
    items = feed_items(feed)
    version = feed_version(feed, items)
    services.calendar_feed_fetched(feed=feed)
    etag = f'"{version}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        body = rendered_ics(feed, items, version)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="handoff.ics"'
    response["ETag"] = etag
    # The address is a secret: no shared cache keeps it, the app may for a few minutes.
    response["Cache-Control"] = CALENDAR_CACHE
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


class CalendarTeamForm(forms.Form):
    team = forms.ModelChoiceField(
        label="Team", queryset=None, empty_label="Choose a team", required=True
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        taken = live_feeds_of(user).filter(scope=FeedScope.TEAM).values("team_id")
        self.fields["team"].queryset = teams_for_feeds(user).exclude(pk__in=taken)


def _reset_confirmation(feed: CalendarFeed) -> Confirmation:
    name = f"{feed.team} team calendar" if feed.team_id else "your calendar"
    return Confirmation(
        key=f"calendar-reset-{feed.pk}",
        question=f"Make a new address for {name}?",
        url=reverse("calendar:reset", args=[feed.pk]),
        label="Reset address",
        cancel_url=_settings_url(),
        detail=(
            "The current address stops working at once: every calendar subscribed to it gets "
            "an error until you subscribe to the new one."
        ),
        opener_css="secondary",
        opener_aria_label=f"Reset address of {name}",
    )


def _revoke_confirmation(feed: CalendarFeed) -> Confirmation:
    name = f"{feed.team} team calendar" if feed.team_id else "your calendar"
    return Confirmation(
        key=f"calendar-revoke-{feed.pk}",
        question=f"Revoke the address of {name}?",
        url=reverse("calendar:revoke", args=[feed.pk]),
        label="Revoke address",
        cancel_url=_settings_url(),
        detail=(
            "Calendars subscribed to it stop updating and get an error that it was revoked. "
            "This cannot be undone; you can make a new address later."
        ),
        css="contrast",
        opener_css="secondary",
        opener_aria_label=f"Revoke address of {name}",
    )


def calendar_section(request: HttpRequest) -> dict:
    """The Calendar section of /settings/: the live addresses, with the one just made in full."""
    user = request.user
    shown = request.session.pop(SHOWN_ONCE, None)
    feeds = list(live_feeds_of(user))
    rows = [
        {
            "feed": feed,
            "reset": _reset_confirmation(feed),
            "revoke": _revoke_confirmation(feed),
            "new_url": shown["url"] if shown and shown.get("pk") == feed.pk else "",
        }
        for feed in feeds
    ]
    for row in rows:
        row["webcal_url"] = webcal_url(row["new_url"]) if row["new_url"] else ""
    personal = next((r for r in rows if r["feed"].scope == FeedScope.PERSONAL), None)
    team_rows = [r for r in rows if r["feed"].scope == FeedScope.TEAM]
    team_rows.sort(key=lambda r: r["feed"].team.name)
    context = {
        "calendar_personal": personal,
        "calendar_team_rows": team_rows,
        "calendar_team_form": None,
        "calendar_teams_offered": False,
    }
    if can_have_team_feed(user):
        form = CalendarTeamForm(user=user, prefix="calendar")
        context["calendar_teams_offered"] = True
        # Every team has its address already: nothing to choose from.
        context["calendar_team_form"] = form if form.fields["team"].queryset.exists() else None
    return context


def _remember(request: HttpRequest, feed: CalendarFeed, secret: str) -> None:
    request.session[SHOWN_ONCE] = {"pk": feed.pk, "url": feed_url(request, secret)}


@login_required
@require_POST
@domain_errors(back=_settings_url)
def calendar_create(request: HttpRequest) -> HttpResponse:
    """POST without a team: the personal address; with `calendar-team`: that team's (managers)."""
    team = None
    if "calendar-team" in request.POST:
        if not can_have_team_feed(request.user):
            raise PermissionDenied("Only managers subscribe to a team's calendar.")
        form = CalendarTeamForm(request.POST, user=request.user, prefix="calendar")
        if not form.is_valid():
            return settings_page(request, calendar_team_form=form)
        team = form.cleaned_data["team"]
    feed, secret = services.calendar_feed_create(actor=request.user, team=team)
    _remember(request, feed, secret)
    messages.success(request, "Calendar address made. Copy it now: it is shown once.")
    return redirect(_settings_url())


def _own_feed(request: HttpRequest, pk: int) -> CalendarFeed:
    feed = live_feeds_of(request.user).filter(pk=pk).first()
    if feed is None:
        raise Http404("No such calendar address.")
    return feed


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_settings_url)
def calendar_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST revokes the address and makes a new one."""
    feed = _own_feed(request, pk)
    if request.method != "POST":
        return confirm_page(request, _reset_confirmation(feed))
    fresh, secret = services.calendar_feed_reset(feed=feed, actor=request.user)
    _remember(request, fresh, secret)
    messages.success(request, "New calendar address made; the old one no longer works.")
    return redirect(_settings_url())


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_settings_url)
def calendar_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    feed = _own_feed(request, pk)
    if request.method != "POST":
        return confirm_page(request, _revoke_confirmation(feed))
    services.calendar_feed_revoke(feed=feed, actor=request.user)
    messages.success(request, "Calendar address revoked: calendars subscribed to it stop updating.")
    return redirect(_settings_url())

"""What a calendar feed holds, read with its owner's visibility at each fetch, as RFC 5545.

All-day events for promised dates (open deals' commitments, projects' deliverables) and
kickoffs; a timed event in UTC for each open review's due time. UIDs are made of the row's
kind, id and the site's host, so a calendar app updates an event in place across refreshes.
Four queries whatever the number of events.
"""

import hashlib
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from deals.approvals import rounds_awaiting
from deals.models import Commitment, DealStatus, ReviewRound
from deals.selectors import deals_visible_to
from feedback.calendar_models import CalendarFeed, FeedScope
from handoff.models import User
from projects.models import Deliverable, DeliverableStatus, Project
from projects.selectors import projects_visible_to

DAYS_BACK = 90
DAYS_AHEAD = 365
MAX_EVENTS = 1000
REVIEW_EVENT_LENGTH = timedelta(minutes=30)
# Calendar apps that honour it (Apple, Outlook, RFC 7986) refresh hourly.
REFRESH = timedelta(hours=1)
PRODID = "-//Handoff//Calendar feed//EN"
RENDERED_FOR = 60 * 60


@dataclass(frozen=True)
class CalendarItem:
    uid: str
    summary: str
    description: str
    url: str
    start: date | datetime
    end: date | datetime
    stamp: datetime

    @property
    def day(self) -> date:
        return self.start if not isinstance(self.start, datetime) else self.start.date()


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "handoff.invalid"


def feed_url(request: HttpRequest, secret: str) -> str:
    """The absolute https (or http) address to subscribe to."""
    return request.build_absolute_uri(reverse("calendar:feed", kwargs={"secret": secret}))


def webcal_url(url: str) -> str:
    """The same address as webcal://, which Apple Calendar and Outlook open to subscribe."""
    return "webcal://" + url.split("://", 1)[1]


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Scope:
    """Whose dates a feed holds, as conditions on each kind of row."""

    commitments: Q
    deliverables: Q
    kickoffs: Q
    reviews: Q
    uid_suffix: str


def _scope(feed: CalendarFeed) -> Scope:
    if feed.scope == FeedScope.TEAM:
        people = User.objects.filter(Q(teams=feed.team_id) | Q(led_teams=feed.team_id)).values("pk")
        return Scope(
            commitments=Q(deal__owner__in=people),
            deliverables=Q(project__pm__in=people) | Q(project__deal__owner__in=people),
            kickoffs=Q(pm__in=people) | Q(deal__owner__in=people),
            reviews=Q(reviewer__in=people) | Q(deal__owner__in=people),
            # The same row in a personal and a team calendar stays two events.
            uid_suffix=f".team-{feed.team_id}",
        )
    owner = feed.owner
    return Scope(
        commitments=Q(deal__owner=owner),
        deliverables=Q(project__pm=owner) | Q(project__deal__owner=owner),
        kickoffs=Q(pm=owner) | Q(deal__owner=owner),
        reviews=Q(reviewer=owner) | Q(deal__owner=owner) | Q(pk__in=rounds_awaiting(owner)),
        uid_suffix="",
    )


def _commitments(scope: Scope, viewer: User, first: date, last: date) -> QuerySet[Commitment]:
    """Promises of deals not yet won or lost: a won deal's promises are its deliverables."""
    return (
        Commitment.objects.filter(
            scope.commitments,
            deal__in=deals_visible_to(viewer).values("pk"),
            promised_date__range=(first, last),
        )
        .exclude(deal__status__in=[DealStatus.WON, DealStatus.LOST])
        .select_related("deal__client")
        .order_by("promised_date", "id")[:MAX_EVENTS]
    )


def _deliverables(scope: Scope, viewer: User, first: date, last: date) -> QuerySet[Deliverable]:
    return (
        Deliverable.objects.filter(
            scope.deliverables,
            project__in=projects_visible_to(viewer).values("pk"),
            promised_date__range=(first, last),
        )
        .exclude(status=DeliverableStatus.DESCOPED)
        .select_related("project__deal__client")
        .order_by("promised_date", "id")[:MAX_EVENTS]
    )


def _kickoffs(scope: Scope, viewer: User, first: date, last: date) -> QuerySet[Project]:
    return (
        Project.objects.filter(
            scope.kickoffs,
            pk__in=projects_visible_to(viewer).values("pk"),
            start_date__range=(first, last),
        )
        .select_related("deal__client", "pm")
        .order_by("start_date", "id")[:MAX_EVENTS]
    )


def _reviews(scope: Scope, viewer: User, first: date, last: date) -> QuerySet[ReviewRound]:
    """Open rounds only: a decided review is due no more."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return (
        ReviewRound.objects.filter(
            scope.reviews,
            deal__in=deals_visible_to(viewer).values("pk"),
            decided_at__isnull=True,
            due_at__gte=start,
            due_at__lt=end,
        )
        .select_related("deal__client", "reviewer")
        .order_by("due_at", "id")[:MAX_EVENTS]
    )


def _deal_name(deal) -> str:
    return f"{deal.title} ({deal.client.name})"


def feed_items(feed: CalendarFeed, *, today: date | None = None) -> list[CalendarItem]:
    """The feed's events, the nearest to today kept when there are more than MAX_EVENTS."""
    today = today or timezone.localdate()
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    scope, viewer, host = _scope(feed), feed.owner, site_host()
    zone = _zone(viewer)
    suffix = f"{scope.uid_suffix}@{host}"
    one_day = timedelta(days=1)
    items: list[CalendarItem] = []
    for c in _commitments(scope, viewer, first, last):
        items.append(
            CalendarItem(
                uid=f"commitment-{c.pk}{suffix}",
                summary=f"Promised: {c.summary} · {_deal_name(c.deal)}",
                description=(
                    f"{c.get_kind_display()} promise of {c.deal.title}, deal "
                    f"{c.deal.get_status_display().lower()}."
                ),
                url=_absolute(c.deal.get_absolute_url()),
                start=c.promised_date,
                end=c.promised_date + one_day,
                stamp=_utc(c.updated_at),
            )
        )
    for d in _deliverables(scope, viewer, first, last):
        deal = d.project.deal
        items.append(
            CalendarItem(
                uid=f"deliverable-{d.pk}{suffix}",
                summary=f"Due: {d.summary} · {_deal_name(deal)}",
                description=f"Deliverable of the project {deal.title}: {d.get_status_display()}.",
                url=_absolute(d.project.get_absolute_url()),
                start=d.promised_date,
                end=d.promised_date + one_day,
                stamp=_utc(d.updated_at),
            )
        )
    for p in _kickoffs(scope, viewer, first, last):
        items.append(
            CalendarItem(
                uid=f"kickoff-{p.pk}{suffix}",
                summary=f"Kickoff: {_deal_name(p.deal)}",
                description=f"Project start, run by {p.pm.display_name}.",
                url=_absolute(p.get_absolute_url()),
                start=p.start_date,
                end=p.start_date + one_day,
                stamp=_utc(p.updated_at),
            )
        )
    for r in _reviews(scope, viewer, first, last):
        due = r.due_at.astimezone(zone)
        reviewer = r.reviewer.display_name if r.reviewer else "not claimed yet"
        items.append(
            CalendarItem(
                uid=f"review-{r.pk}{suffix}",
                summary=f"Review due: {_deal_name(r.deal)}",
                description=(
                    f"Round {r.number}, due {due:%Y-%m-%d %H:%M} ({zone.key}); reviewer: "
                    f"{reviewer}."
                ),
                url=_absolute(r.deal.get_absolute_url()),
                start=_utc(r.due_at),
                end=_utc(r.due_at + REVIEW_EVENT_LENGTH),
                stamp=_utc(r.claimed_at or r.submitted_at),
            )
        )
    if len(items) > MAX_EVENTS:
        items.sort(key=lambda item: (abs((item.day - today).days), item.uid))
        items = items[:MAX_EVENTS]
    items.sort(key=lambda item: (item.day, item.uid))
    return items


def feed_version(feed: CalendarFeed, items: list[CalendarItem]) -> str:
    """A digest of everything the calendar says: its ETag, and the key of its cached bytes."""
    return hashlib.sha256(repr((PRODID, REFRESH, feed.title, items)).encode()).hexdigest()[:32]


def rendered_ics(feed: CalendarFeed, items: list[CalendarItem], version: str) -> bytes:
    """The calendar's bytes, rendered once per version: icalendar takes about half a
    millisecond an event, and calendar apps mostly fetch an unchanged calendar."""
    key = f"calendar-ics:{version}"
    body = cache.get(key)
    if body is None:
        body = feed_ics(feed, items)
        cache.set(key, body, RENDERED_FOR)
    return body


def feed_ics(feed: CalendarFeed, items: list[CalendarItem]) -> bytes:
    """The calendar as bytes of UTF-8; the same rows give the same bytes (ETag, no churn)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", feed.title)
    calendar.add("x-wr-calname", feed.title)
    calendar.add(
        "x-wr-caldesc",
        "Promised dates, deliverables, kickoffs and review due times from Handoff.",
    )
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for item in items:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.stamp)
        event.add("last-modified", item.stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        event.add("description", f"{item.description}\n{item.url}")
        event.add("url", item.url)
        # Dates to know about, not meetings: they do not make anyone look busy.
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()

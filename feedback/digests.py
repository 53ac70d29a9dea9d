"""Digests: what changed since a user's last digest, by role, sent once per period.

The DigestDelivery row is inserted before sending; its unique (user, period,
period_key) is the claim, so two runs at once or one after the other send each
digest once. Each role's sections run a fixed number of queries.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from feedback.emails import absolute, deal_url
from feedback.models import DigestDelivery, DigestPeriod, Direction, FeedbackNote, Notification
from feedback.selectors import notes_visible_to
from handoff.models import Role, User

logger = logging.getLogger(__name__)

PERIOD_LENGTH = {DigestPeriod.DAILY: timedelta(days=1), DigestPeriod.WEEKLY: timedelta(days=7)}
LIST_LIMIT = 20


@dataclass
class Item:
    text: str
    url: str = ""
    detail: str = ""


@dataclass
class Section:
    title: str
    items: list[Item] = field(default_factory=list)
    empty: str = "Nothing new."


@dataclass
class Digest:
    user: User
    period: str
    since: datetime
    sections: list[Section]

    @property
    def has_news(self) -> bool:
        return any(section.items for section in self.sections)

    @property
    def subject(self) -> str:
        return f"Your {self.period} Handoff digest — {timezone.localdate():%d %b %Y}"


# role -> functions (user, since) -> Section. Other apps add theirs with `digest_section`.
SECTIONS: dict[str, list[Callable[[User, datetime], Section]]] = {
    Role.SALES: [],
    Role.PM: [],
    Role.MANAGER: [],
    Role.ADMIN: [],
}


def digest_section(*roles: str) -> Callable:
    def register(func: Callable[[User, datetime], Section]) -> Callable:
        for role in roles:
            SECTIONS[role].append(func)
        return func

    return register


# role -> functions (today) -> Sections a weekly digest adds after the role's own (the
# managers' sync agenda). Other apps add theirs from their apps.py.
WEEKLY_SECTIONS: dict[str, list[Callable[[date], list[Section]]]] = {role: [] for role in SECTIONS}


def period_key(period: str, day: date) -> str:
    if period == DigestPeriod.WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def _note_item(note: FeedbackNote) -> Item:
    about = f" · {note.deal}" if note.deal_id else ""
    return Item(
        text=f"{note.get_topic_display()} from {note.author}{about}",
        url=absolute(note.get_absolute_url()),
        detail=note.body[:200],
    )


# Sales reps


@digest_section(Role.SALES)
def rep_review_outcomes(user: User, since: datetime) -> Section:
    from deals.models import DealEvent, EventKind

    events = (
        DealEvent.objects.filter(
            deal__owner=user,
            at__gte=since,
            kind__in=[
                EventKind.VERDICT,
                EventKind.CHANGES_REQUESTED,
                EventKind.SIGNED_OFF,
                EventKind.ESCALATION_DECIDED,
                EventKind.WON,
                EventKind.LOST,
            ],
        )
        .exclude(kind=EventKind.VERDICT, data__verdict__in=["approved", "approved_with_condition"])
        .select_related("deal", "actor")
        .order_by("-at")[:LIST_LIMIT]
    )
    return Section(
        "Flags and outcomes of your deals",
        [
            Item(
                text=f"{e.deal}: {e.get_kind_display().lower()}"
                + (f" — {e.data.get('summary')}" if e.data.get("summary") else "")
                + (f" by {e.actor}" if e.actor else ""),
                url=absolute(deal_url(e.deal)),
                detail=e.reason[:200],
            )
            for e in events
        ],
    )


@digest_section(Role.SALES)
def rep_promises_delivered(user: User, since: datetime) -> Section:
    from projects.models import RESOLVED_DELIVERABLE_STATUSES, Deliverable

    deliverables = (
        Deliverable.objects.filter(
            project__deal__owner=user,
            status__in=RESOLVED_DELIVERABLE_STATUSES,
            updated_at__gte=since,
        )
        .select_related("project__deal")
        .order_by("-updated_at")[:LIST_LIMIT]
    )
    return Section(
        "How your promises were delivered",
        [
            Item(
                text=f"{d.summary} ({d.project.deal}): {d.promise_label.lower()}",
                url=absolute(d.project.get_absolute_url()),
            )
            for d in deliverables
        ],
    )


@digest_section(Role.SALES)
def rep_notes_from_delivery(user: User, since: datetime) -> Section:
    notes = (
        notes_visible_to(user)
        .filter(direction=Direction.TO_SALES, created_at__gte=since)
        .filter(
            Q(recipient=user)
            | Q(recipient__isnull=True, deal__owner=user)
            | Q(recipient__isnull=True, deal__isnull=True)
        )[:LIST_LIMIT]
    )
    return Section("Notes from delivery", [_note_item(n) for n in notes])


# Project managers


@digest_section(Role.PM)
def pm_review_queue(user: User, since: datetime) -> Section:
    from deals.selectors import review_rounds_waiting

    now = timezone.now()
    waiting = review_rounds_waiting(user).filter(Q(reviewer__isnull=True) | Q(reviewer=user))
    rounds = waiting[:LIST_LIMIT]
    return Section(
        "Your review queue",
        [
            Item(
                text=f"{r.deal} ({r.deal.client}) — "
                + ("overdue, " if r.due_at < now else "")
                + f"due {timezone.localtime(r.due_at):%a %d %b %H:%M}"
                + ("" if r.reviewer_id else ", unclaimed"),
                url=absolute(deal_url(r.deal)),
            )
            for r in rounds
        ],
        empty="No review waits for you.",
    )


@digest_section(Role.PM)
def pm_notes_from_sales(user: User, since: datetime) -> Section:
    notes = (
        notes_visible_to(user)
        .filter(direction=Direction.TO_DELIVERY, created_at__gte=since)
        .filter(Q(recipient=user) | Q(recipient__isnull=True))[:LIST_LIMIT]
    )
    return Section("Notes from sales", [_note_item(n) for n in notes])


@digest_section(Role.PM)
def pm_deliverables_due(user: User, since: datetime) -> Section:
    from projects.models import OPEN_DELIVERABLE_STATUSES, Deliverable

    horizon = timezone.localdate() + timedelta(days=14)
    deliverables = (
        Deliverable.objects.filter(
            project__pm=user, status__in=OPEN_DELIVERABLE_STATUSES, promised_date__lte=horizon
        )
        .select_related("project__deal")
        .order_by("promised_date", "id")[:LIST_LIMIT]
    )
    return Section(
        "Deliverables coming due",
        [
            Item(
                text=f"{d.summary} ({d.project.deal}) — due {d.promised_date:%d %b}"
                + (", late" if d.is_late else "")
                + (", at risk" if d.status == "at_risk" else ""),
                url=absolute(d.project.get_absolute_url()),
            )
            for d in deliverables
        ],
        empty="Nothing due in the next two weeks.",
    )


# Everyone


def unread_section(user: User, since: datetime) -> Section:
    notifications = Notification.objects.filter(
        recipient=user, read_at__isnull=True, created_at__gte=since
    )[:LIST_LIMIT]
    return Section(
        "Unread notifications",
        [Item(n.text, absolute(n.url) if n.url else "") for n in notifications],
    )


def build_digest(user: User, period: str, *, now: datetime | None = None) -> Digest:
    now = now or timezone.now()
    since = user.last_digest_at or (now - PERIOD_LENGTH[period])
    sections = [section(user, since) for section in SECTIONS.get(user.role, [])]
    if period == DigestPeriod.WEEKLY:
        for weekly in WEEKLY_SECTIONS.get(user.role, []):
            sections += weekly(timezone.localdate(now))
    sections.append(unread_section(user, since))
    return Digest(user=user, period=period, since=since, sections=sections)


def render_digest(digest: Digest) -> tuple[str, str]:
    context: dict[str, Any] = {
        "digest": digest,
        "recipient": digest.user,
        "subject": digest.subject,
        "site_url": settings.SITE_URL,
        "link": settings.SITE_URL,
        "preferences_url": absolute(reverse("feedback:preferences")),
    }
    return (
        render_to_string("email/digest.txt", context),
        render_to_string("email/digest.html", context),
    )


def send_digest(digest: Digest) -> None:
    text, html = render_digest(digest)
    message = EmailMultiAlternatives(
        subject=digest.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.user.email],
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)


# A claim still unsent this long after it was made belongs to a run that died (a killed
# worker); longer than the task's hard time limit, so a live run is never overtaken.
DIGEST_CLAIM_LEASE_SECONDS = 300


def _take_over_abandoned_claim(
    user: User, period: str, key: str, now: datetime
) -> DigestDelivery | None:
    lease = getattr(settings, "DIGEST_CLAIM_LEASE_SECONDS", DIGEST_CLAIM_LEASE_SECONDS)
    claims = DigestDelivery.objects.filter(user=user, period=period, period_key=key)
    # One conditional update is the new claim: of two runs taking over, one updates a row.
    taken = claims.filter(
        sent_at__isnull=True, created_at__lt=now - timedelta(seconds=lease)
    ).update(created_at=now)
    return claims.get() if taken else None


def recipients_for(period: str):
    return User.objects.filter(is_active=True, digest_frequency=period).exclude(email="")


def send_digests(
    *, period: str, dry_run: bool = False, now: datetime | None = None
) -> dict[str, int]:
    """Send this period's digest to everyone who chose it: {"sent", "skipped", "failed"}."""
    now = now or timezone.now()
    key = period_key(period, timezone.localdate(now))
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    for user in recipients_for(period).order_by("pk"):
        if dry_run:
            done = DigestDelivery.objects.filter(user=user, period=period, period_key=key)
            news = not done.exists() and build_digest(user, period, now=now).has_news
            counts["sent" if news else "skipped"] += 1
            continue
        try:
            with transaction.atomic():
                delivery = DigestDelivery.objects.create(
                    user=user, period=period, period_key=key, created_at=now
                )
        except IntegrityError:
            delivery = _take_over_abandoned_claim(user, period, key, now)
            if delivery is None:
                counts["skipped"] += 1
                continue
        digest = build_digest(user, period, now=now)
        if not digest.has_news:
            counts["skipped"] += 1
            continue
        try:
            send_digest(digest)
        except Exception:  # the mail server refused: free the claim so the next run retries
            logger.exception("Digest for %s was not sent.", user)
            delivery.delete()
            counts["failed"] += 1
            continue
        DigestDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
        User.objects.filter(pk=user.pk).update(last_digest_at=now)
        counts["sent"] += 1
    return counts

"""Digests: what changed since a user's last digest, by role, sent once per period.

The DigestDelivery row is inserted before sending; its unique (user, period,
period_key) is the claim, so two runs at once or one after the other send each
digest once. Each role's sections run a fixed number of queries.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from feedback.digest_items import (
    SECTIONS,
    WEEKLY_SECTIONS,
    DealGroup,
    DealRef,
    Digest,
    Item,
    Section,
    digest_section,
)
from feedback.digest_sections import unread_section
from feedback.emails import absolute, layout_context, recipient_time_zone, render_html
from feedback.models import DigestDelivery, DigestPeriod
from handoff.models import Role, User

# The registry and the pieces other apps build their sections from, where they look for them.
__all__ = [
    "SECTIONS",
    "WEEKLY_SECTIONS",
    "DealGroup",
    "DealRef",
    "Digest",
    "Item",
    "Section",
    "digest_section",
]

logger = logging.getLogger(__name__)

PERIOD_LENGTH = {DigestPeriod.DAILY: timedelta(days=1), DigestPeriod.WEEKLY: timedelta(days=7)}


def period_key(period: str, day: date) -> str:
    if period == DigestPeriod.WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def build_digest(user: User, period: str, *, now: datetime | None = None) -> Digest:
    """The user's digest, its dates and times in their own time zone."""
    with recipient_time_zone(user):
        return _build_digest(user, period, now=now or timezone.now())


def _build_digest(user: User, period: str, *, now: datetime) -> Digest:
    since = user.last_digest_at or (now - PERIOD_LENGTH[period])
    today = timezone.localdate(now)
    sections = [section(user, since) for section in SECTIONS.get(user.role, [])]
    if period == DigestPeriod.WEEKLY:
        for weekly in WEEKLY_SECTIONS.get(user.role, []):
            sections += weekly(today)
    reported = frozenset(r for s in sections for item in s.items for r in item.reports)
    sections.append(unread_section(user, since, reported))
    return Digest(user=user, period=period, since=since, sections=sections, day=today)


def render_digest(digest: Digest) -> tuple[str, str]:
    """The digest's text and HTML bodies."""
    context: dict[str, Any] = {
        "digest": digest,
        **layout_context(
            recipient=digest.user,
            subject=digest.subject,
            link=absolute(reverse("home")),
            action="Open Handoff",
            sent_because=f"You get this digest because you chose a {digest.period} digest "
            "in your notification settings.",
        ),
    }
    with recipient_time_zone(digest.user):
        return (
            render_to_string("email/digest.txt", context),
            render_html("email/digest.html", context),
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
    # Operators run the site; no digest is about their work.
    return (
        User.objects.filter(is_active=True, digest_frequency=period)
        .exclude(email="")
        .exclude(role=Role.ADMIN)
    )


@dataclass
class DigestPlan:
    """What a run would do for one person: their digest, or why they get none."""

    user: User
    digest: Digest | None
    reason: str = ""


def plan_digest(user: User, period: str, *, now: datetime | None = None) -> DigestPlan:
    """Whether `user` would get this period's digest now, and which; reads, never writes."""
    now = now or timezone.now()
    key = period_key(period, timezone.localdate(now))
    if not user.is_active:
        return DigestPlan(user, None, "their account is deactivated")
    if not user.email:
        return DigestPlan(user, None, "they have no email address")
    if user.digest_frequency != period:
        chose = (
            "no digest" if user.digest_frequency == "off" else f"{user.digest_frequency} digests"
        )
        return DigestPlan(user, None, f"they chose {chose}")
    if DigestDelivery.objects.filter(user=user, period=period, period_key=key).exists():
        return DigestPlan(user, None, f"they already had this period's digest ({key})")
    digest = build_digest(user, period, now=now)
    if not digest.has_news:
        return DigestPlan(user, None, f"nothing new since {digest.since_label}")
    return DigestPlan(user, digest)


def plan_digests(*, period: str, now: datetime | None = None) -> list[DigestPlan]:
    return [plan_digest(u, period, now=now) for u in recipients_for(period).order_by("pk")]


def send_digests(
    *, period: str, dry_run: bool = False, now: datetime | None = None
) -> dict[str, int]:
    """Send this period's digest to everyone who chose it: {"sent", "skipped", "failed"}."""
    now = now or timezone.now()
    key = period_key(period, timezone.localdate(now))
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    if dry_run:
        for plan in plan_digests(period=period, now=now):
            counts["sent" if plan.digest else "skipped"] += 1
        return counts
    for user in recipients_for(period).order_by("pk"):
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

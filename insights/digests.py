"""The managers' digest sections: the alignment summary, and the sync agenda in the weekly one.

Registered with feedback's digest-section registry from insights.apps, so feedback never
imports insights.
"""

from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from deals.models import Deal, DealStatus, Escalation, ReviewRound
from feedback.digests import SECTIONS, WEEKLY_SECTIONS, Item, Section
from feedback.emails import absolute
from feedback.models import Direction, FeedbackNote
from handoff.models import Role, User
from handoff.templatetags.formats import count
from insights import snapshots
from insights.figures.agenda import sync_agenda

DIGEST_ROLES = (Role.MANAGER, Role.ADMIN)


def manager_alignment(user: User, since: datetime) -> Section:
    now = timezone.now()
    in_review = Deal.objects.filter(status=DealStatus.IN_REVIEW).count()
    overdue = ReviewRound.objects.filter(
        decided_at__isnull=True, due_at__lt=now, deal__status=DealStatus.IN_REVIEW
    ).count()
    escalations = Escalation.objects.filter(decision="").count()
    notes = FeedbackNote.objects.filter(created_at__gte=since).aggregate(
        to_sales=Count("pk", filter=Q(direction=Direction.TO_SALES)),
        to_delivery=Count("pk", filter=Q(direction=Direction.TO_DELIVERY)),
    )
    return Section(
        "Alignment",
        [
            Item(f"{count(in_review, 'deal')} in review", absolute(_url("deals:queue"))),
            Item(f"{count(overdue, 'review')} past their SLA", absolute(_url("deals:queue"))),
            Item(count(escalations, "open escalation")),
            Item(
                f"Notes since your last digest: {notes['to_delivery']} to delivery, "
                f"{notes['to_sales']} to sales",
                absolute(reverse("feedback:inbox")),
            ),
        ],
    )


def agenda_item(item: dict[str, Any]) -> Item:
    """One row of the sync agenda as a digest line."""
    subject = (
        item.get("deal") or item.get("project") or item.get("deliverable") or item.get("topic")
    )
    detail = " · ".join(
        str(item[key])
        for key in ("decision", "commitment", "client", "pm", "author", "status")
        if item.get(key)
    )
    return Item(
        text=str(subject), url=absolute(item["url"]) if item.get("url") else "", detail=detail
    )


def weekly_sync_agenda(today: date) -> list[Section]:
    """The managers' weekly digest carries the cross-team sync agenda.

    It is the same for every manager, so a digest run computes it once and stores it for the
    others (insights.snapshots: at most METRICS_SNAPSHOT_MAX_AGE_SECONDS old), instead of
    reading every project at risk and every open note once per manager.
    """
    agenda = snapshots.read(f"digest-agenda:{today.isoformat()}", lambda: sync_agenda(today)).value
    return [
        Section(
            f"Sync agenda: {section['title']}",
            [agenda_item(item) for item in section["items"]],
            empty=section["empty"],
        )
        for section in agenda["sections"].values()
    ]


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return "/"


def register() -> None:
    """Add the managers' sections to feedback's registries, once."""
    for role in DIGEST_ROLES:
        if manager_alignment not in SECTIONS[role]:
            SECTIONS[role].append(manager_alignment)
        if weekly_sync_agenda not in WEEKLY_SECTIONS[role]:
            WEEKLY_SECTIONS[role].append(weekly_sync_agenda)

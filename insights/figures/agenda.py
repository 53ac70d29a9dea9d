"""The weekly cross-team sync agenda as plain data: each section's rows, oldest first."""

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from deals.models import Deal, DealEvent, DealStatus, EventKind, ReviewRound, Verdict, VerdictKind
from deals.selectors import escalations_open
from feedback.models import Direction, FeedbackNote
from handoff.templatetags.formats import short_day
from insights.figures.links import url_for
from insights.figures.window import DEFAULT_RANGE_DAYS
from projects import capacity as capacity_math
from projects import promises as promise_rules
from projects.models import (
    OPEN_DELIVERABLE_STATUSES,
    Deliverable,
    DeliverableStatus,
    Project,
    ProjectStatus,
)

AGENDA_LIMIT = 50


DECISION_EVENTS = (
    EventKind.SIGNED_OFF,
    EventKind.CHANGES_REQUESTED,
    EventKind.ESCALATION_DECIDED,
    EventKind.WON,
    EventKind.LOST,
)


def _deal_item(deal: Deal, **extra: Any) -> dict[str, Any]:
    return {
        "deal_id": deal.pk,
        "owner_id": deal.owner_id,
        "deal": deal.title,
        "client": deal.client.name,
        "owner": deal.owner.display_name,
        "url": deal.get_absolute_url(),
        **extra,
    }


def _section(title: str, items: list[dict[str, Any]], empty: str) -> dict[str, Any]:
    return {
        "title": title,
        "items": items[:AGENDA_LIMIT],
        "more": len(items) > AGENDA_LIMIT,
        "empty": empty,
    }


def sync_agenda(today: date | None = None) -> dict[str, Any]:
    """The weekly cross-team meeting's agenda as plain data (dicts, strings, dates, URLs).

    Sections: waiting_for_review, open_flags, open_escalations, projects_at_risk,
    due_next_week, unacknowledged_feedback, decisions; each {"title", "items",
    "more", "empty"}. Each section reads at most AGENDA_LIMIT + 1 rows.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    take = AGENDA_LIMIT + 1
    next_monday = capacity_math.week_of(today) + timedelta(days=7)
    next_sunday = next_monday + timedelta(days=6)
    week_ago = now - timedelta(days=7)

    waiting = (
        ReviewRound.objects.filter(decided_at__isnull=True, deal__status=DealStatus.IN_REVIEW)
        .select_related("deal__client", "deal__owner", "reviewer")
        .order_by("submitted_at", "id")[:take]
    )
    latest_round = ReviewRound.objects.filter(deal=OuterRef(OuterRef("pk"))).order_by("-number")
    flagged_count = (
        Verdict.objects.filter(
            round=Subquery(latest_round.values("pk")[:1]), verdict=VerdictKind.FLAGGED
        )
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    flagged_deals = (
        Deal.objects.filter(status=DealStatus.CHANGES_REQUESTED)
        .select_related("client", "owner")
        .annotate(flags=Subquery(flagged_count))
        .order_by("updated_at", "id")[:take]
    )
    undecided = escalations_open()[:take]
    at_risk = Q(status=DeliverableStatus.AT_RISK)
    late = promise_rules.late_q(today)
    # The projects are chosen by their at-risk and late deliverables (indexed by status and
    # date) and ordered by their deal's close date read one deal at a time, so that only the
    # rows of the page are joined to the deals.
    close_date = (
        Deal.objects.filter(pk=OuterRef("deal_id")).order_by().values("expected_close_date")
    )
    projects_first = (
        Project.objects.exclude(status=ProjectStatus.COMPLETED)
        .filter(Exists(Deliverable.objects.filter(at_risk | late, project=OuterRef("pk"))))
        .annotate(close=Subquery(close_date[:1]))
        .order_by("close", "id")
        .values("pk")[:take]
    )
    projects = (
        Project.objects.filter(pk__in=projects_first)
        .select_related("deal__client", "deal__owner", "pm")
        .annotate(
            at_risk=Count("deliverables", filter=Q(deliverables__status=DeliverableStatus.AT_RISK)),
            late=Count(
                "deliverables",
                filter=Q(
                    deliverables__status__in=OPEN_DELIVERABLE_STATUSES,
                    deliverables__promised_date__lt=today,
                ),
            ),
        )
        .order_by("deal__expected_close_date", "id")[:take]
    )
    due = (
        Deliverable.objects.filter(
            status__in=OPEN_DELIVERABLE_STATUSES,
            promised_date__gte=next_monday,
            promised_date__lte=next_sunday,
        )
        .select_related("project__deal", "project__pm")
        .order_by("promised_date", "id")[:take]
    )
    # Notes and decisions: the page's rows are picked by their indexed columns first, then
    # only those are joined to their deals.
    notes_first = (
        FeedbackNote.objects.filter(
            direction__in=Direction.values,
            created_at__gte=now - timedelta(days=DEFAULT_RANGE_DAYS),
            acknowledged_at__isnull=True,
        )
        .order_by("created_at", "id")
        .values("pk")[:take]
    )
    unacknowledged = (
        FeedbackNote.objects.filter(pk__in=notes_first)
        .select_related("author", "recipient", "deal")
        .order_by("created_at", "id")
    )
    decisions_first = (
        DealEvent.objects.filter(kind__in=DECISION_EVENTS, at__gte=week_ago, at__lt=now)
        .order_by("at", "id")
        .values("pk")[:take]
    )
    decisions = (
        # The window again: on PostgreSQL the events are partitioned by month, and a read by
        # id alone would probe every month's partition.
        DealEvent.objects.filter(pk__in=decisions_first, at__gte=week_ago, at__lt=now)
        .select_related("deal__client", "deal__owner", "actor")
        .order_by("at", "id")
    )

    return {
        "today": today,
        "week_of": capacity_math.week_of(today),
        "sections": {
            "waiting_for_review": _section(
                "Deals waiting for review, oldest first",
                [
                    _deal_item(
                        r.deal,
                        submitted_at=r.submitted_at,
                        due_at=r.due_at,
                        overdue=r.due_at < now,
                        reviewer=r.reviewer.display_name if r.reviewer else "",
                        round=r.number,
                        round_id=r.pk,
                    )
                    for r in waiting
                ],
                "No deal is waiting for review.",
            ),
            "open_flags": _section(
                "Open flags: deals with changes requested",
                [_deal_item(d, flags=d.flags or 0, since=d.updated_at) for d in flagged_deals],
                "No deal has open flags.",
            ),
            "open_escalations": _section(
                "Open escalations",
                [
                    _deal_item(
                        e.deal,
                        commitment=e.verdict.commitment.summary,
                        raised_by=e.raised_by.display_name,
                        raised_at=e.raised_at,
                        flagged_by=e.verdict.decided_by.display_name,
                        escalation_id=e.pk,
                        commitment_id=e.verdict.commitment_id,
                    )
                    for e in undecided
                ],
                "No escalation is waiting for a decision.",
            ),
            "projects_at_risk": _section(
                "Projects at risk",
                [
                    {
                        "project_id": p.pk,
                        "deal_id": p.deal_id,
                        "pm_id": p.pm_id,
                        "project": p.deal.title,
                        "client": p.deal.client.name,
                        "pm": p.pm.display_name,
                        "at_risk": p.at_risk,
                        "late": p.late,
                        "url": p.get_absolute_url(),
                    }
                    for p in projects
                ],
                "No project has a deliverable at risk or late.",
            ),
            "due_next_week": _section(
                f"Deliverables due next week ({short_day(next_monday)} to {short_day(next_sunday)})",
                [
                    {
                        "deliverable_id": d.pk,
                        "project_id": d.project_id,
                        "deal_id": d.project.deal_id,
                        "pm_id": d.project.pm_id,
                        "deliverable": d.summary,
                        "project": d.project.deal.title,
                        "pm": d.project.pm.display_name,
                        "promised_date": d.promised_date,
                        "status": d.get_status_display(),
                        "url": d.project.get_absolute_url(),
                    }
                    for d in due
                ],
                "Nothing is due next week.",
            ),
            "unacknowledged_feedback": _section(
                f"Unacknowledged feedback of the last {DEFAULT_RANGE_DAYS} days",
                [
                    {
                        "note_id": n.pk,
                        "deal_id": n.deal_id,
                        "project_id": n.project_id,
                        "author_id": n.author_id,
                        "recipient_id": n.recipient_id,
                        "topic": n.get_topic_display(),
                        "direction": n.get_direction_display(),
                        "author": n.author.display_name,
                        "recipient": n.recipient.display_name if n.recipient else "",
                        "deal": n.deal.title if n.deal else "",
                        "created_at": n.created_at,
                        "url": url_for("feedback:note", n.pk),
                    }
                    for n in unacknowledged
                ],
                "Every feedback note is acknowledged.",
            ),
            "decisions": _section(
                "Decisions of the past week",
                [
                    _deal_item(
                        e.deal,
                        decision=e.get_kind_display(),
                        kind=e.kind,
                        by=e.actor.display_name if e.actor else "",
                        at=e.at,
                        reason=e.reason,
                    )
                    for e in decisions
                ],
                "No decision in the past week.",
            ),
        },
    }

"""Handoff's own digest sections: a rep's outcomes, promises and notes, a PM's queue, notes and
deliverables, and everyone's unread notifications, each in a fixed number of queries."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from feedback.digest_items import DealRef, Item, Section, digest_section
from feedback.emails import absolute, deal_url, email_date
from feedback.models import Direction, FeedbackNote, Notification, NotificationKind
from feedback.selectors import notes_visible_to
from handoff.models import Role, User
from handoff.text import single_line

LIST_LIMIT = 20


def _reports(kind: str, path: str) -> frozenset[tuple[str, str]]:
    return frozenset({(kind, path)}) if kind else frozenset()


def _note_item(note: FeedbackNote) -> Item:
    url = note.get_absolute_url()
    return Item(
        text=f"Note from {note.author} ({note.get_topic_display().lower()})",
        url=absolute(url),
        detail=note.body[:200],
        deal=DealRef.of(note.deal) if note.deal_id else None,
        when=email_date(note.created_at),
        reports=_reports(NotificationKind.FEEDBACK_NOTE, url),
    )


# Sales reps


# The deal events a rep's digest lists, and the notification each already sent the rep.
OUTCOME_NOTIFICATIONS = {
    "verdict": NotificationKind.FLAGGED,
    "changes_requested": NotificationKind.CHANGES_REQUESTED,
    "signed_off": NotificationKind.SIGNED_OFF,
    "escalation_decided": NotificationKind.ESCALATION_DECIDED,
    "won": NotificationKind.WON,
    "lost": "",
}


def _outcome_text(event: Any) -> str:
    from deals.models import EscalationDecision

    if event.kind == "verdict":
        what = f"Flagged “{event.data.get('summary', 'a commitment')}”"
    elif event.kind == "escalation_decided":
        decision = EscalationDecision(event.data.get("decision", "")).label.lower()
        what = f"Escalation decided ({decision})"
    else:
        what = event.get_kind_display()
    return what + (f" by {event.actor}" if event.actor else "")


@digest_section(Role.SALES)
def rep_review_outcomes(user: User, since: datetime) -> Section:
    from deals.models import DealEvent

    events = (
        DealEvent.objects.filter(
            deal__owner=user, at__gte=since, kind__in=list(OUTCOME_NOTIFICATIONS)
        )
        .exclude(kind="verdict", data__verdict__in=["approved", "approved_with_condition"])
        .select_related("deal__client", "actor")
        .order_by("-at", "-id")[:LIST_LIMIT]
    )
    return Section(
        "Flags and outcomes of your deals",
        [
            Item(
                text=_outcome_text(e),
                url=absolute(deal_url(e.deal)),
                detail=e.reason[:200],
                deal=DealRef.of(e.deal),
                when=email_date(e.at),
                reports=_reports(OUTCOME_NOTIFICATIONS[e.kind], deal_url(e.deal)),
            )
            for e in events
        ],
    )


def _promise_item(deliverable: Any) -> Item:
    project_url = deliverable.project.get_absolute_url()
    if deliverable.is_open:
        state = "late" if deliverable.is_late else "at risk"
        kind = "deliverable_late" if deliverable.is_late else "deliverable_at_risk"
        when = f"Promised for {email_date(deliverable.promised_date)}"
    else:
        state, kind = deliverable.promise_label.lower(), ""
        when = email_date(deliverable.delivered_on or deliverable.updated_at)
    return Item(
        text=f"“{deliverable.summary}”: {state}",
        url=absolute(project_url),
        deal=DealRef.of(deliverable.project.deal),
        when=when,
        reports=_reports(kind, project_url),
    )


@digest_section(Role.SALES)
def rep_promises_delivered(user: User, since: datetime) -> Section:
    from projects.models import RESOLVED_DELIVERABLE_STATUSES, Deliverable
    from projects.promises import late_q

    resolved = Q(status__in=RESOLVED_DELIVERABLE_STATUSES, updated_at__gte=since)
    deliverables = (
        Deliverable.objects.filter(project__deal__owner=user)
        .filter(resolved | late_q() | Q(status="at_risk"))
        .select_related("project__deal__client")
        .order_by("-updated_at", "-id")[:LIST_LIMIT]
    )
    return Section("How your promises are delivered", [_promise_item(d) for d in deliverables])


@digest_section(Role.SALES)
def rep_notes_from_delivery(user: User, since: datetime) -> Section:
    notes = (
        notes_visible_to(user)
        .filter(direction=Direction.TO_SALES, created_at__gte=since)
        .filter(
            Q(recipient=user)
            | Q(recipient__isnull=True, deal__owner=user)
            | Q(recipient__isnull=True, deal__isnull=True)
        )
        .select_related("deal__client")[:LIST_LIMIT]
    )
    return Section("Notes from delivery", [_note_item(n) for n in notes])


# Project managers


def _queue_item(review_round: Any, user: User, now: datetime) -> Item:
    deal = review_round.deal
    path = deal_url(deal)
    overdue = review_round.due_at < now
    # A queued round stands for every notice that asked this PM to look at it.
    asked = (
        NotificationKind.SUBMITTED,
        NotificationKind.APPROVAL_NEEDED,
        NotificationKind.REVIEW_DUE_SOON,
        NotificationKind.REVIEW_RELEASED,
    )
    reports = {(kind, path) for kind in asked}
    if overdue:
        reports.add((NotificationKind.REVIEW_OVERDUE, path))
    if review_round.reviewer_id == user.pk:
        reports |= {(NotificationKind.CLAIMED, path), (NotificationKind.REVIEW_ASSIGNED, path)}
    return Item(
        text=f"Review round {review_round.number} "
        + ("past its SLA" if overdue else "waiting")
        + ("" if review_round.reviewer_id else ", unclaimed"),
        url=absolute(path),
        deal=DealRef.of(deal),
        when=f"Due {email_date(review_round.due_at)}",
        reports=frozenset(reports),
    )


@digest_section(Role.PM)
def pm_review_queue(user: User, since: datetime) -> Section:
    from deals.selectors import review_rounds_waiting

    now = timezone.now()
    waiting = review_rounds_waiting(user).filter(Q(reviewer__isnull=True) | Q(reviewer=user))
    return Section(
        "Your review queue",
        [_queue_item(r, user, now) for r in waiting[:LIST_LIMIT]],
        empty="No review waits for you.",
    )


@digest_section(Role.PM)
def pm_notes_from_sales(user: User, since: datetime) -> Section:
    notes = (
        notes_visible_to(user)
        .filter(direction=Direction.TO_DELIVERY, created_at__gte=since)
        .filter(Q(recipient=user) | Q(recipient__isnull=True))
        .select_related("deal__client")[:LIST_LIMIT]
    )
    return Section("Notes from sales", [_note_item(n) for n in notes])


def _due_item(deliverable: Any) -> Item:
    project_url = deliverable.project.get_absolute_url()
    states = {
        NotificationKind.DELIVERABLE_LATE: "late" if deliverable.is_late else "",
        NotificationKind.DELIVERABLE_AT_RISK: "at risk" if deliverable.status == "at_risk" else "",
    }
    said = ", ".join(state for state in states.values() if state)
    return Item(
        text=f"“{deliverable.summary}”" + (f": {said}" if said else ""),
        url=absolute(project_url),
        deal=DealRef.of(deliverable.project.deal),
        when=f"Due {email_date(deliverable.promised_date)}",
        reports=frozenset((kind, project_url) for kind, state in states.items() if state),
    )


@digest_section(Role.PM)
def pm_deliverables_due(user: User, since: datetime) -> Section:
    from projects.models import OPEN_DELIVERABLE_STATUSES, Deliverable

    horizon = timezone.localdate() + timedelta(days=14)
    deliverables = (
        Deliverable.objects.filter(
            project__pm=user, status__in=OPEN_DELIVERABLE_STATUSES, promised_date__lte=horizon
        )
        .select_related("project__deal__client")
        .order_by("promised_date", "id")[:LIST_LIMIT]
    )
    return Section(
        "Deliverables coming due",
        [_due_item(d) for d in deliverables],
        empty="Nothing due in the next two weeks.",
    )


# Everyone

# Notifications whose text writes a date its own way: the digest says what happened instead,
# and the item's date is written like every other.
OWN_WORDS = {
    NotificationKind.DELIVERABLE_LATE: "A deliverable passed its promised date",
}


def unread_section(
    user: User, since: datetime, reported: frozenset[tuple[str, str]] = frozenset()
) -> Section:
    """The unread notifications, less those another section of the digest already tells."""
    notifications = Notification.objects.filter(
        recipient=user, read_at__isnull=True, created_at__gte=since
    ).select_related("deal__client")[: LIST_LIMIT + len(reported)]
    untold = [n for n in notifications if (n.kind, n.url) not in reported][:LIST_LIMIT]
    return Section(
        "Unread notifications",
        [
            Item(
                text=OWN_WORDS.get(n.kind) or single_line(n.text, 300),
                url=absolute(n.url) if n.url else "",
                deal=DealRef.of(n.deal) if n.deal_id else None,
                when=email_date(n.created_at),
            )
            for n in untold
        ],
    )

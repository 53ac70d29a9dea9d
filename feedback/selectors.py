"""Reads of feedback notes and notifications, scoped to the user."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from feedback.models import Direction, FeedbackNote, Notification
from feedback.rules import directions_for
from handoff.models import User
from handoff.roles import is_manager, is_pm, is_sales

INBOX_TABS = {"to_me": "To me", "team": "To my team", "sent": "Sent"}


NOTE_RELATIONS = ("author", "recipient", "deal", "commitment", "acknowledged_by", "replied_by")
# A deal's or a project's page lists its notes with who wrote them and about which promise
# (NOTES_TEMPLATE): the other four joins were a millisecond of the deal page's SQL to build.
LISTED_NOTE_RELATIONS = ("author", "commitment")


def _notes(relations: tuple[str, ...] = NOTE_RELATIONS) -> QuerySet[FeedbackNote]:
    return FeedbackNote.objects.select_related(*relations)


def _team_q(user: User) -> Q:
    """Notes written to the user's whole team (no recipient)."""
    if is_manager(user):
        return Q(recipient__isnull=True)
    if is_pm(user):
        return Q(recipient__isnull=True, direction=Direction.TO_DELIVERY)
    if is_sales(user):
        return Q(recipient__isnull=True, direction=Direction.TO_SALES) & (
            Q(deal__isnull=True) | Q(deal__owner=user)
        )
    return Q(pk__in=[])


def notes_visible_to(
    user: User, *, relations: tuple[str, ...] = NOTE_RELATIONS
) -> QuerySet[FeedbackNote]:
    """Managers see every note; PMs every note to delivery; everyone their own and theirs."""
    if not (user and user.is_authenticated):
        return FeedbackNote.objects.none()
    if is_manager(user):
        return _notes(relations)
    visible = Q(author=user) | Q(recipient=user) | _team_q(user)
    if is_pm(user):
        visible |= Q(direction=Direction.TO_DELIVERY)
    return _notes(relations).filter(visible)


def note_get_for_user(user: User, pk: int | str) -> FeedbackNote:
    return get_object_or_404(notes_visible_to(user), pk=pk)


def inbox(user: User, tab: str, *, q: str = "") -> QuerySet[FeedbackNote]:
    """One tab of the inbox; with `q`, the notes whose text, deal or promise contains it."""
    notes = notes_visible_to(user)
    if q.strip():
        q = q.strip()
        notes = notes.filter(
            Q(body__icontains=q) | Q(deal__title__icontains=q) | Q(commitment__summary__icontains=q)
        )
    if tab == "sent":
        return notes.filter(author=user)
    if tab == "team":
        return notes.filter(_team_q(user)).exclude(author=user)
    return notes.filter(recipient=user)


def notes_for_deal(user: User, deal) -> QuerySet[FeedbackNote]:
    return notes_visible_to(user, relations=LISTED_NOTE_RELATIONS).filter(deal=deal)


def notifications_for(user: User, *, q: str = "") -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user).select_related("actor")
    return notifications.filter(text__icontains=q.strip()) if q.strip() else notifications


def notification_get_for_user(user: User, pk: int | str) -> Notification:
    return get_object_or_404(Notification.objects.filter(recipient=user), pk=pk)


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


NOTES_TEMPLATE = "feedback/partials/notes_for.html"
NOTES_ON_PAGE = 10


def _new_note_url(**params) -> str:
    from django.urls import reverse
    from django.utils.http import urlencode

    return reverse("feedback:note_new") + "?" + urlencode({k: v for k, v in params.items() if v})


def deal_feedback_context(deal, user: User) -> dict:
    """What the deal page needs to show its feedback notes: one query."""
    allowed = directions_for(user)
    return {
        "deal_feedback_template": NOTES_TEMPLATE,
        "feedback_notes": list(notes_for_deal(user, deal)[:NOTES_ON_PAGE]),
        "feedback_new_url": _new_note_url(deal=deal.pk, direction=allowed[0]) if allowed else "",
    }


def deal_feedback_hook(request, deal) -> dict:
    return deal_feedback_context(deal, request.user)


def project_feedback_context(project, user: User) -> dict:
    allowed = directions_for(user)
    notes = notes_visible_to(user, relations=LISTED_NOTE_RELATIONS).filter(
        Q(project=project) | Q(deal_id=project.deal_id)
    )
    return {
        "project_feedback_template": NOTES_TEMPLATE,
        "feedback_notes": list(notes[:NOTES_ON_PAGE]),
        "feedback_new_url": _new_note_url(
            project=project.pk, deal=project.deal_id, direction=allowed[0]
        )
        if allowed
        else "",
    }


def deliverable_note_url(deliverable) -> str:
    """The new-note form prefilled for a late or missed deliverable: hard to deliver."""
    return _new_note_url(
        direction=Direction.TO_SALES,
        project=deliverable.project_id,
        deal=deliverable.project.deal_id,
        commitment=deliverable.commitment_id,
        topic="hard_to_deliver",
    )

"""Reads of meetings scoped to the user: the minutes name only what the reader may see."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from deals.selectors import deals_visible_to
from feedback.selectors import notes_visible_to
from handoff.models import Role, User
from handoff.roles import is_manager
from meetings.models import (
    ActionItem,
    ActionItemStatus,
    AgendaItem,
    Attendee,
    Decision,
    Meeting,
    MeetingStatus,
)
from projects.selectors import projects_visible_to

# What a meeting's title reads, for rows that show it.
MEETING_NAMES = ("meeting__sales_team", "meeting__delivery_team")

DUE_OVERDUE = "overdue"
DUE_THIS_WEEK = "week"
DUE_CHOICES = {DUE_OVERDUE: "Overdue", DUE_THIS_WEEK: "Due in the next 7 days"}


def _links_visible(user: User) -> Q:
    """Rows whose every link (deal, project, note) the user may see; rows with none are open."""
    return (
        (Q(deal__isnull=True) | Q(deal__in=deals_visible_to(user).values("pk")))
        & (Q(project__isnull=True) | Q(project__in=projects_visible_to(user).values("pk")))
        & (Q(note__isnull=True) | Q(note__in=notes_visible_to(user).values("pk")))
    )


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    """Every signed-in person reads the meetings; what the minutes name is filtered below."""
    if not (user and user.is_authenticated):
        return Meeting.objects.none()
    return Meeting.objects.select_related("sales_team", "delivery_team")


def meeting_get_for_user(user: User, pk: int | str) -> Meeting:
    return get_object_or_404(meetings_visible_to(user), pk=pk)


def agenda_items_visible_to(user: User) -> QuerySet[AgendaItem]:
    if not (user and user.is_authenticated):
        return AgendaItem.objects.none()
    if is_manager(user):
        return AgendaItem.objects.all()
    return AgendaItem.objects.filter(_links_visible(user))


def action_items_visible_to(user: User) -> QuerySet[ActionItem]:
    """A person's own action items, and those whose every link they may see."""
    rows = ActionItem.objects.select_related(
        "owner", "closed_by", "deal", "project__deal", *MEETING_NAMES
    )
    if not (user and user.is_authenticated):
        return rows.none()
    if is_manager(user):
        return rows
    return rows.filter(Q(owner=user) | _links_visible(user))


def action_item_get_for_user(user: User, pk: int | str) -> ActionItem:
    return get_object_or_404(action_items_visible_to(user), pk=pk)


def meeting_list(
    *, user: User, status: str = "", q: str = "", owner: Any = None
) -> QuerySet[Meeting]:
    """Meetings newest first; `q` finds words in what the reader may see of their minutes."""
    meetings = meetings_visible_to(user)
    if status in MeetingStatus.values:
        meetings = meetings.filter(status=status)
    q = (q or "").strip()
    if q:
        items = agenda_items_visible_to(user).filter(meeting=OuterRef("pk"))
        matches = items.filter(
            Q(title__icontains=q) | Q(detail__icontains=q) | Q(decision__note__icontains=q)
        )
        actions = action_items_visible_to(user).filter(meeting=OuterRef("pk"), what__icontains=q)
        meetings = meetings.filter(Exists(matches) | Exists(actions))
    return meetings.order_by("-held_on", "-id")


def action_item_list(
    *, user: User, owner: Any = None, status: str = "", due: str = ""
) -> QuerySet[ActionItem]:
    rows = action_items_visible_to(user)
    if owner not in (None, ""):
        rows = rows.filter(owner_id=owner)
    if status in ActionItemStatus.values:
        rows = rows.filter(status=status)
    today = timezone.localdate()
    if due == DUE_OVERDUE:
        rows = rows.filter(status=ActionItemStatus.OPEN, due_on__lt=today)
    elif due == DUE_THIS_WEEK:
        rows = rows.filter(due_on__gte=today, due_on__lte=today + timedelta(days=7))
    return rows.annotate(carried_times=Count("carry_overs")).order_by("status", "due_on", "id")


def open_action_items_of(user: User) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(owner=user, status=ActionItemStatus.OPEN)
        .select_related("deal", *MEETING_NAMES)
        .order_by("due_on", "id")
    )


def attendees_of(meeting: Meeting) -> list[Attendee]:
    return list(meeting.attendees.select_related("user").order_by("user__username"))


def candidates_for(meeting: Meeting) -> QuerySet[User]:
    """Who may be invited: active people of both teams' roles (admins run the site, not syncs)."""
    return User.objects.filter(
        is_active=True, role__in=(Role.SALES, Role.PM, Role.MANAGER)
    ).order_by("username")


def meeting_minutes(meeting: Meeting, user: User) -> list[dict[str, Any]]:
    """The agenda this user may see, each item with its decision and action items: 3 queries."""
    visible_actions = action_items_visible_to(user).select_related("owner", "closed_by")
    items = (
        agenda_items_visible_to(user)
        .filter(meeting=meeting)
        .select_related("decision__decided_by")
        .prefetch_related(
            Prefetch("action_items", queryset=visible_actions.order_by("due_on", "id"))
        )
        .order_by("position")
    )
    sections: list[dict[str, Any]] = []
    for item in items:
        if not sections or sections[-1]["key"] != item.section:
            sections.append({"key": item.section, "title": item.section_title, "items": []})
        decision = getattr(item, "decision", None)
        sections[-1]["items"].append({"item": item, "decision": decision})
    return sections


def loose_action_items(meeting: Meeting, user: User) -> list[ActionItem]:
    """Action items of the meeting raised on no agenda item, as this user may see them."""
    return list(
        action_items_visible_to(user)
        .filter(meeting=meeting, agenda_item__isnull=True)
        .order_by("due_on", "id")
    )


def decisions_touching(*, user: User, deal_ids: list[int], project_ids: list[int]) -> list:
    """Decisions and action items that name these deals or projects, newest first.

    Most deals are named in no meeting: one query of two plain index probes says so before
    the reads filtered by what the user may see, whose subqueries cost more to plan than to run.
    """
    linked = Q(deal_id__in=deal_ids) | Q(project_id__in=project_ids)
    named = AgendaItem.objects.filter(linked).values("pk")
    if not named.union(ActionItem.objects.filter(linked).values("pk"), all=True).exists():
        return [[], []]
    items = agenda_items_visible_to(user).filter(linked)
    decisions = list(
        Decision.objects.filter(agenda_item__in=items.values("pk"))
        .select_related("agenda_item", "decided_by", *MEETING_NAMES)
        .order_by("-decided_at", "-id")[:20]
    )
    actions = list(
        action_items_visible_to(user)
        .filter(linked)
        .select_related("commitment")
        .order_by("-created_at", "-id")[:20]
    )
    return [decisions, actions]

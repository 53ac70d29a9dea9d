"""Where the weekly sync shows outside its own pages: home, digest, deal, project, dashboard.

Each is a registry of the lower app, filled from meetings.apps, so no lower app imports this one.
"""

from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from deals.panels import register_deal_panel
from feedback.digests import SECTIONS, Item, Section
from feedback.emails import absolute
from handoff.models import Role, User
from handoff.templatetags.formats import count, short_day
from insights.extensions import register_dashboard_panel, register_home_cards
from insights.home import HOME_LIST_SIZE, Card
from meetings.models import ActionItem, ActionItemStatus, CarryOver, Meeting, MeetingStatus
from meetings.selectors import decisions_touching, open_action_items_of
from projects.panels import register_project_panel

PANEL_TEMPLATE = "meetings/partials/touched.html"


def _action_row(item: ActionItem) -> dict[str, Any]:
    overdue = item.is_overdue
    return {
        "title": item.what,
        "url": reverse("meetings:action_items") + f"#action-item-{item.pk}",
        "note": f"from {item.meeting.title}" + (f" · {item.deal.title}" if item.deal else ""),
        "due": item.due_on,
        "alert": overdue,
    }


def home_cards(user: User) -> list[Card]:
    """The user's open action items, the soonest due first: one query when none, else two."""
    if not (user and user.is_authenticated):
        return []
    rows = open_action_items_of(user)
    shown = list(rows[:HOME_LIST_SIZE])
    if not shown:
        return []
    total = rows.count()
    return [
        Card(
            key="action_items",
            label="My action items",
            count=total,
            url=reverse("meetings:action_items"),
            empty="No action item is waiting for you.",
            items=[_action_row(item) for item in shown],
        )
    ]


def digest_action_items(user: User, since: datetime) -> Section:
    """The user's open action items; overdue ones say so."""
    rows = list(open_action_items_of(user)[:20])
    today = timezone.localdate()
    return Section(
        "Your action items from the weekly sync",
        [
            Item(
                text=item.what,
                url=absolute(reverse("meetings:action_items") + f"#action-item-{item.pk}"),
                detail=(
                    f"due {short_day(item.due_on)}"
                    + (" · overdue" if item.due_on < today else "")
                    + f" · {item.meeting.title}"
                ),
            )
            for item in rows
        ],
        empty="No open action item.",
    )


def deal_panel(request, deal) -> dict[str, Any]:
    decisions, actions = decisions_touching(user=request.user, deal_ids=[deal.pk], project_ids=[])
    return {
        "deal_meetings_template": PANEL_TEMPLATE if decisions or actions else "",
        "touched_decisions": decisions,
        "touched_actions": actions,
    }


def project_panel(project, user: User) -> dict[str, Any]:
    decisions, actions = decisions_touching(
        user=user, deal_ids=[project.deal_id], project_ids=[project.pk]
    )
    return {
        "project_meetings_template": PANEL_TEMPLATE if decisions or actions else "",
        "touched_decisions": decisions,
        "touched_actions": actions,
    }


def sync_figures(window: Any) -> dict[str, Any]:
    """Meetings held, action items closed on time, items carried over, in the window: 3 queries."""
    held = Meeting.objects.filter(
        status=MeetingStatus.CLOSED, held_on__gte=window.start, held_on__lte=window.end
    ).count()
    due = ActionItem.objects.filter(due_on__gte=window.start, due_on__lte=window.end).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=ActionItemStatus.DONE)),
        on_time=Count(
            "pk",
            filter=Q(status=ActionItemStatus.DONE, closed_at__date__lte=F("due_on")),
        ),
    )
    carried = CarryOver.objects.filter(
        meeting__held_on__gte=window.start, meeting__held_on__lte=window.end
    ).aggregate(carries=Count("pk"), items=Count("action_item", distinct=True))
    rate = round(100 * due["on_time"] / due["total"]) if due["total"] else None
    return {
        "template": "meetings/partials/dashboard_figures.html",
        "held": held,
        "due_total": due["total"],
        "on_time": due["on_time"],
        "on_time_rate": rate,
        "carried_items": carried["items"],
        "carries": carried["carries"],
        "held_label": count(held, "meeting"),
        "url": reverse("meetings:list"),
    }


def register() -> None:
    register_home_cards(home_cards)
    register_deal_panel(deal_panel)
    register_project_panel(project_panel)
    register_dashboard_panel(sync_figures)
    for role in (Role.SALES, Role.PM, Role.MANAGER):
        if digest_action_items not in SECTIONS[role]:
            SECTIONS[role].append(digest_action_items)

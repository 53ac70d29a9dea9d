"""The meeting's agenda: the sync agenda of insights, narrowed to the team pair, as rows to freeze."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet

from handoff.templatetags.formats import count, short_day
from insights.figures.agenda import sync_agenda
from meetings.models import ActionItem, CarryOver, ItemAction, Meeting

CARRIED_SECTION = "carried_action_items"
CARRIED_TITLE = "Overdue action items carried over"

# What a meeting can do about a row of each section of the sync agenda.
SECTION_ACTIONS = {
    "waiting_for_review": ItemAction.REASSIGN_REVIEW,
    "open_escalations": ItemAction.DECIDE_ESCALATION,
    "projects_at_risk": ItemAction.MARK_AT_RISK,
    "due_next_week": ItemAction.MARK_AT_RISK,
    "unacknowledged_feedback": ItemAction.ACKNOWLEDGE_NOTE,
}


@dataclass
class Row:
    """One agenda row before it is written: what it says and what it names."""

    section: str
    section_title: str
    title: str
    detail: str = ""
    url: str = ""
    action: str = ""
    carried_times: int = 0
    links: dict[str, int | None] = field(default_factory=dict)


def _members(meeting: Meeting) -> tuple[set[int] | None, set[int] | None]:
    sales = (
        set(meeting.sales_team.members.values_list("pk", flat=True))
        if meeting.sales_team_id
        else None
    )
    delivery = (
        set(meeting.delivery_team.members.values_list("pk", flat=True))
        if meeting.delivery_team_id
        else None
    )
    return sales, delivery


def _in_pair(item: dict[str, Any], sales: set[int] | None, delivery: set[int] | None) -> bool:
    """Deals belong to their rep's team, projects to their PM's, notes to either end's."""
    if "note_id" in item:
        people = {item.get("author_id"), item.get("recipient_id")}
        teams = [team for team in (sales, delivery) if team is not None]
        return not teams or any(people & team for team in teams)
    if "pm_id" in item:
        return delivery is None or item["pm_id"] in delivery
    if "owner_id" in item:
        return sales is None or item["owner_id"] in sales
    return True


def _describe(item: dict[str, Any]) -> tuple[str, str]:
    title = item.get("deal") or item.get("project") or item.get("deliverable") or item.get("topic")
    if item.get("commitment"):
        title = f"{title}: {item['commitment']}"
    parts = []
    for key in ("client", "owner", "reviewer", "pm", "decision", "by", "author", "status"):
        if item.get(key):
            parts.append(str(item[key]))
    if item.get("round"):
        parts.append(f"round {item['round']}")
    if item.get("overdue"):
        parts.append("past its SLA")
    if item.get("flags"):
        parts.append(count(item["flags"], "flag"))
    if item.get("at_risk"):
        parts.append(f"{item['at_risk']} at risk")
    if item.get("late"):
        parts.append(f"{item['late']} late")
    if item.get("promised_date"):
        parts.append(f"promised {short_day(item['promised_date'])}")
    if item.get("reason"):
        parts.append(str(item["reason"]))
    return str(title)[:300], " · ".join(parts)[:500]


def sync_rows(meeting: Meeting, today: date) -> list[Row]:
    """The sync agenda's rows of this meeting's team pair, in the agenda's order."""
    sales, delivery = _members(meeting)
    rows = []
    for key, section in sync_agenda(today)["sections"].items():
        for item in section["items"]:
            if not _in_pair(item, sales, delivery):
                continue
            title, detail = _describe(item)
            rows.append(
                Row(
                    section=key,
                    section_title=section["title"],
                    title=title,
                    detail=detail,
                    url=item.get("url", ""),
                    action=SECTION_ACTIONS.get(key, ItemAction.NONE),
                    links={
                        "deal_id": item.get("deal_id"),
                        "commitment_id": item.get("commitment_id"),
                        "review_round_id": item.get("round_id"),
                        "escalation_id": item.get("escalation_id"),
                        "project_id": item.get("project_id"),
                        "deliverable_id": item.get("deliverable_id"),
                        "note_id": item.get("note_id"),
                    },
                )
            )
    return rows


def carried_rows(meeting: Meeting) -> list[Row]:
    """The overdue action items carried into this meeting, with how often each was carried."""
    carried: QuerySet[CarryOver] = (
        CarryOver.objects.filter(meeting=meeting)
        .select_related("action_item__owner")
        .order_by("action_item__due_on", "action_item_id")
    )
    items = [carry.action_item for carry in carried]
    times = carried_counts([item.pk for item in items])
    return [
        Row(
            section=CARRIED_SECTION,
            section_title=CARRIED_TITLE,
            title=item.what,
            detail=(
                f"{item.owner.display_name} · due {short_day(item.due_on)} · "
                f"carried {count(times.get(item.pk, 1), 'time')}"
            ),
            url=item.get_absolute_url(),
            action=ItemAction.CLOSE_ACTION_ITEM,
            carried_times=times.get(item.pk, 1),
            links={
                "action_item_id": item.pk,
                "deal_id": item.deal_id,
                "commitment_id": item.commitment_id,
                "project_id": item.project_id,
                "note_id": item.note_id,
            },
        )
        for item in items
    ]


def carried_counts(item_ids: list[int]) -> dict[int, int]:
    return dict(
        CarryOver.objects.filter(action_item_id__in=item_ids)
        .values("action_item_id")
        .annotate(n=Count("pk"))
        .values_list("action_item_id", "n")
    )


def overdue_to_carry(meeting: Meeting) -> QuerySet[ActionItem]:
    """Open action items of earlier meetings of the same pair, due before this one is held."""
    return (
        ActionItem.objects.filter(
            status="open",
            due_on__lt=meeting.held_on,
            meeting__team_key=meeting.team_key,
            meeting__held_on__lte=meeting.held_on,
        )
        .exclude(meeting=meeting)
        .exclude(carry_overs__meeting=meeting)
    )

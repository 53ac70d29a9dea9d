"""Demo data only: dates a demo project and its audit trail from the win of its deal onwards.

The demo plays its projects out in a second; here the project takes the time its deal was won,
the handoff the days after, and each deliverable's change the day it describes (the day it was
delivered, the day after it was due for a miss), so the project's history reads like its dates.
"""

import datetime

from django.utils import timezone

from deals.demo_history import remember_moved
from deals.models import DealEvent, EventKind
from handoff.audit import append_only_lifted
from projects.models import Deliverable, DeliverableStatus, Project, ProjectEvent, ProjectEventKind

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

# The handoff's steps, each this long after the step before it.
GAP = {
    ProjectEventKind.BRIEF_UPDATED: DAY,
    ProjectEventKind.KICKOFF_ITEM_CHECKED: DAY,
    ProjectEventKind.HANDOFF_ACCEPTED: HOUR,
}


def date_history(project: Project) -> None:
    """Give the project, its events and its deliverables' updates the times they describe."""
    won = DealEvent.objects.filter(deal_id=project.deal_id, kind=EventKind.WON).first()
    if won is None or project.created_at <= won.at:
        return
    now = timezone.now()
    last = won.at
    deliverables = {d.pk: d for d in project.deliverables.all()}
    moved: list[tuple[datetime.datetime, datetime.datetime]] = []
    for event in ProjectEvent.objects.filter(project=project).order_by("id"):
        if event.kind == ProjectEventKind.CREATED:
            at = won.at
        elif event.kind == ProjectEventKind.DELIVERABLE_STATUS_CHANGED:
            at = _day_of_change(deliverables.get(event.data.get("deliverable")), last, now)
            Deliverable.objects.filter(pk=event.data.get("deliverable")).update(updated_at=at)
        else:
            at = last + GAP.get(event.kind, HOUR)
        at = min(at, now)
        if event.kind == ProjectEventKind.HANDOFF_ACCEPTED:
            Project.objects.filter(pk=project.pk).update(accepted_at=at)
        # Seeding only: the audit tables refuse updates everywhere else (handoff.audit).
        with append_only_lifted("projects.ProjectEvent"):
            ProjectEvent._base_manager.filter(pk=event.pk).update(at=at)
        moved.append((event.at, at))
        if event.kind != ProjectEventKind.DELIVERABLE_STATUS_CHANGED:
            last = at
    remember_moved(moved)
    latest = ProjectEvent.objects.filter(project=project).order_by("-at").first()
    Project.objects.filter(pk=project.pk).update(
        created_at=won.at, updated_at=latest.at if latest else won.at
    )


def _day_of_change(
    deliverable: Deliverable | None, handoff: datetime.datetime, now: datetime.datetime
) -> datetime.datetime:
    """When a deliverable reached its status: delivered on its day, missed the day after."""
    if deliverable is None:
        return handoff
    noon = datetime.time(12, tzinfo=datetime.UTC)
    if deliverable.status == DeliverableStatus.DELIVERED and deliverable.delivered_on:
        day = datetime.datetime.combine(deliverable.delivered_on, noon)
    elif deliverable.status == DeliverableStatus.MISSED:
        day = datetime.datetime.combine(deliverable.promised_date + DAY, noon)
    else:
        day = now - 2 * DAY
    return min(max(day, handoff), now)

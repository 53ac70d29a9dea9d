"""Demo delivery truth: time spent on the active projects (one deliverable over its estimate),
a date change the rep approved, and a descoping that waits for the PM. Safe to run twice."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from handoff.models import User
from projects import services_changes, services_time
from projects.models import (
    OPEN_DELIVERABLE_STATUSES,
    ChangeRequest,
    DeliverableStatus,
    Project,
    ProjectStatus,
    TimeEntry,
)
from projects.services import delivery_earliest

DAY = datetime.timedelta(days=1)
# Hours a PM spent on a deliverable, on the working days before today.
HOURS = [Decimal("6"), Decimal("4"), Decimal("7.5"), Decimal("3"), Decimal("5")]


def _working_days(project: Project, count: int) -> list[datetime.date]:
    """The last `count` weekdays before today since the project started, newest first."""
    day, earliest, days = timezone.localdate() - DAY, delivery_earliest(project), []
    while len(days) < count and day >= earliest:
        if day.weekday() < 5:
            days.append(day)
        day -= DAY
    return days


def _log(project: Project, deliverable, hours: list[Decimal], note: str) -> None:
    for day, amount in zip(_working_days(project, len(hours)), hours, strict=False):
        logged = sum(
            TimeEntry.objects.filter(person=project.pm, day=day).values_list("hours", flat=True),
            Decimal("0"),
        )
        if logged + amount <= 24:
            services_time.time_entry_add(
                deliverable=deliverable, actor=project.pm, day=day, hours=amount, note=note
            )


@transaction.atomic
def seed(users: dict[str, User]) -> dict[str, User]:
    # The changes are written last, in the same transaction: with them, all of it is there.
    if ChangeRequest.objects.exists():
        return users
    projects = [
        project
        for project in Project.objects.filter(status=ProjectStatus.ACTIVE)
        .select_related("deal__owner", "pm")
        .order_by("-created_at", "-id")
        if project.deliverables.filter(status__in=OPEN_DELIVERABLE_STATUSES).exists()
    ][:2]
    overrun_done = False
    for project in projects:
        for deliverable in project.deliverables.filter(
            status__in=OPEN_DELIVERABLE_STATUSES
        ).order_by("promised_date", "id"):
            if deliverable.status == DeliverableStatus.IN_PROGRESS and not overrun_done:
                # Still in progress, and already more than the PM planned.
                days = int(deliverable.planned_days) + 2
                _log(project, deliverable, [Decimal("8")] * days, "Build and rework")
                overrun_done = True
            else:
                _log(project, deliverable, HOURS[:3], "Workshops and build")
    with_open = [
        (project, list(project.deliverables.filter(status__in=OPEN_DELIVERABLE_STATUSES)))
        for project in projects
    ]
    with_open = [(p, ds) for p, ds in with_open if ds]
    if with_open:
        project, deliverables = with_open[0]
        moved = deliverables[0]
        change = services_changes.change_request_raise(
            deliverable=moved,
            actor=project.pm,
            reason="The client's staging data arrived three weeks late.",
            proposed_date=max(moved.due_date, timezone.localdate()) + 21 * DAY,
        )
        services_changes.change_request_approve(change=change, actor=project.deal.owner)
        if len(deliverables) > 1:
            services_changes.change_request_raise(
                deliverable=deliverables[-1],
                actor=project.deal.owner,
                reason="The client dropped this from the first release.",
                descope=True,
            )
    return users

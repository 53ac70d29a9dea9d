"""Delivery that waits for someone, for the home page and its deliverables list: handoffs a PM
has not accepted, deliverables late or coming due, scoped to whose they are."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from handoff.models import User
from handoff.roles import is_pm
from projects.models import OPEN_DELIVERABLE_STATUSES, Deliverable, Project, ProjectStatus
from projects.promises import late_q
from projects.selectors import deliverables_visible_to, projects_visible_to

# "Coming due" on the home page: the next two weeks, today included.
DUE_SOON_DAYS = 14

DUE_LATE = "late"
DUE_SOON = "soon"
DUE_OPEN = "open"
DUE_CHOICES = {
    DUE_LATE: "Late",
    DUE_SOON: "Due in the next two weeks",
    DUE_OPEN: "All open",
}


def handoffs_to_accept(user: User) -> QuerySet[Project]:
    """Projects from won deals whose handoff this PM has not accepted yet, the newest first."""
    return (
        projects_visible_to(user)
        .filter(pm=user, status=ProjectStatus.KICKOFF)
        .order_by("-created_at", "-id")
    )


def _deliverables_of(user: User) -> QuerySet[Deliverable]:
    """A PM's are those of the projects they run; anyone else's, those they may see."""
    if is_pm(user):
        return Deliverable.objects.filter(project__pm=user).select_related(
            "project__deal", "project__pm"
        )
    return deliverables_visible_to(user)


def deliverables_due(
    user: User, due: str, today: datetime.date | None = None
) -> QuerySet[Deliverable]:
    """The user's open deliverables: late (past the promised date), due within two weeks, or all
    open; the soonest promised first."""
    today = today or timezone.localdate()
    deliverables = _deliverables_of(user).select_related("project__deal__client")
    if due == DUE_LATE:
        deliverables = deliverables.filter(late_q(today))
    elif due == DUE_SOON:
        deliverables = deliverables.filter(
            status__in=OPEN_DELIVERABLE_STATUSES,
            promised_date__range=(today, today + datetime.timedelta(days=DUE_SOON_DAYS - 1)),
        )
    else:
        deliverables = deliverables.filter(status__in=OPEN_DELIVERABLE_STATUSES)
    return deliverables.order_by("promised_date", "id")

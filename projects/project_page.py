"""The project page as a record: its facts, the promises' counts, the actions open to the viewer,
and the parts an in-place update of a deliverable sends again (promises and history)."""

from typing import Any

from django.db.models import Avg, Count, Q
from django.http import HttpRequest
from django.utils import timezone

from handoff.models import User
from handoff.web.lists import DESCENDING, Column, ListSearchForm, Sorting
from projects import confirmations, selectors, services
from projects.forms import KickoffItemForm, QuestionsForm
from projects.models import (
    OPEN_DELIVERABLE_STATUSES,
    PROJECT_TRANSITIONS,
    DeliverableStatus,
    Project,
    ProjectStatus,
)
from projects.panels import project_panels_context
from projects.project_page_delivery import delivery_context
from projects.promises import KEPT, RESOLVED, late_q

HISTORY_ON_PAGE = 50
# The status moves a button takes at once; completing asks first (confirmations.complete).
STATUS_BUTTONS = {
    ProjectStatus.ACTIVE: "Resume project",
    ProjectStatus.ON_HOLD: "Put on hold",
}
DELIVERABLE_COLUMNS = Sorting(
    Column("deliverable", "Deliverable", ("summary", "id")),
    Column("promised", "Promised", ("promised_date", "id")),
    Column("effort", "Effort", ("-effort_days", "id"), first=DESCENDING),
    Column("status", "Status", ("status", "id")),
    default="promised",
)


def promise_counts(project: Project) -> dict[str, Any]:
    """Kept, missed (resolved but not kept), open (late among them) and descoped; one query.

    The keys of projects.promises.promise_summary are there too, for its sentence.
    """
    row = project.deliverables.order_by().aggregate(
        total=Count("pk"),
        kept=Count("pk", filter=KEPT),
        resolved=Count("pk", filter=RESOLVED),
        open=Count("pk", filter=Q(status__in=OPEN_DELIVERABLE_STATUSES)),
        late=Count("pk", filter=late_q(timezone.localdate())),
        descoped=Count("pk", filter=Q(status=DeliverableStatus.DESCOPED)),
        avg_slip=Avg("slip_days", filter=RESOLVED),
    )
    resolved = row["resolved"]
    return {
        **row,
        "missed": resolved - row["kept"],
        "kept_rate": row["kept"] / resolved if resolved else None,
        "avg_slip_days": float(row["avg_slip"])
        if resolved and row["avg_slip"] is not None
        else None,
    }


def live_parts(project: Project) -> dict[str, Any]:
    """What changes with a deliverable: the promises' counts and the history."""
    return {
        "summary": promise_counts(project),
        "events": list(selectors.project_events(project)[:HISTORY_ON_PAGE]),
    }


def _status_moves(project: Project, user: User) -> list[tuple[str, str]]:
    if not services.can_lead_delivery(project, user):
        return []
    moves = PROJECT_TRANSITIONS.get(project.status, ())
    return [(value, label) for value, label in STATUS_BUTTONS.items() if value in moves]


def _can_complete(project: Project, user: User) -> bool:
    return services.can_lead_delivery(project, user) and ProjectStatus.COMPLETED in (
        PROJECT_TRANSITIONS.get(project.status, ())
    )


def project_context(request: HttpRequest, project: Project, **forms: Any) -> dict[str, Any]:
    """Everything the project page shows; forms= brings back a form with its errors."""
    user = request.user
    search = ListSearchForm(request.GET, label="Search deliverables", placeholder="Summary")
    deliverables = selectors.project_deliverables(
        project, q=search.text, order=DELIVERABLE_COLUMNS.order_by(request.GET)
    )
    kickoff_items = list(project.kickoff_items.all())
    runs_kickoff = confirmations.may_run_kickoff(project, user)
    parts = live_parts(project)
    summary = parts["summary"]
    return {
        **parts,
        "project": project,
        "deal": project.deal,
        "deliverables": deliverables,
        "deliverable_search": search,
        "deliverable_headers": DELIVERABLE_COLUMNS.headers(request.GET),
        "kickoff_items": [
            (item, confirmations.kickoff_remove(item) if runs_kickoff else None)
            for item in kickoff_items
        ],
        "kickoff_done": sum(item.done for item in kickoff_items),
        "kickoff_total": len(kickoff_items),
        "is_project_pm": project.pm_id == user.pk,
        "runs_kickoff": runs_kickoff,
        "can_update_deliverables": services.can_lead_delivery(project, user),
        "can_edit_brief": services.can_edit_brief(project, user),
        "status_moves": _status_moves(project, user),
        # Completing waits for every deliverable to be resolved; until then the page says so.
        "confirm_complete": confirmations.complete(project)
        if _can_complete(project, user) and not summary["open"]
        else None,
        "complete_waits_for": summary["open"] if _can_complete(project, user) else 0,
        "confirm_accept": confirmations.accept(project)
        if runs_kickoff and project.status == ProjectStatus.KICKOFF
        else None,
        "kickoff_form": forms.get("kickoff_form") or KickoffItemForm(),
        "questions_form": forms.get("questions_form") or QuestionsForm(),
        **delivery_context(request, project, deliverables, forms, all_shown=not search.text),
        **project_panels_context(project, user),
    }

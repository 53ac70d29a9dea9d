"""The project page's delivery truth: effort per deliverable, the quick time entry, the change
requests with their approvals, and the estimates asked at "Accept handoff"."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from handoff.web.pagination import CappedPaginator
from projects import (
    confirmations,
    confirmations_delivery,
    selectors_delivery,
    services_changes,
    services_time,
)
from projects.forms_delivery import TimeEntryForm
from projects.models import Deliverable, Project, ProjectStatus
from projects.promises import sold_and_renegotiated

TIME_ENTRIES_ON_PAGE = 20


def change_rows(changes, user) -> list[dict[str, Any]]:
    """Each change with its requirements' states and what `user` may do with it."""
    rows = []
    for change in changes:
        decides = services_changes.can_decide(change, user)
        rows.append(
            {
                "change": change,
                "requirements": services_changes.requirement_states(
                    change, list(change.approvals.all())
                ),
                "confirm_approve": confirmations_delivery.change_approve(change)
                if decides
                else None,
                "can_reject": decides,
            }
        )
    return rows


def delivery_context(
    request: HttpRequest,
    project: Project,
    deliverables: list[Deliverable],
    forms: dict,
    *,
    all_shown: bool,
) -> dict[str, Any]:
    """all_shown: `deliverables` is every one of the project's (no search narrowed it)."""
    user = request.user
    selectors_delivery.attach_effort(deliverables)
    for deliverable in deliverables:
        deliverable.can_raise_change = services_changes.can_raise_change(project, deliverable, user)
    logs_time = services_time.can_log_time(project, user)
    entries = CappedPaginator(
        selectors_delivery.project_time_entries(project), TIME_ENTRIES_ON_PAGE
    ).get_page(request.GET.get("page"))
    all_deliverables = (
        deliverables if all_shown else list(project.deliverables.order_by("promised_date", "id"))
    )
    return {
        "logs_time": logs_time,
        "time_form": forms.get("time_form")
        or (TimeEntryForm(deliverables=all_deliverables) if logs_time else None),
        "time_entries": [
            (
                entry,
                confirmations_delivery.time_entry_remove(entry)
                if services_time.can_change_entry(entry, user)
                and project.status != ProjectStatus.COMPLETED
                else None,
            )
            for entry in entries.object_list
        ],
        "time_page": entries,
        "changes": change_rows(selectors_delivery.project_change_requests(project), user),
        "kept_both": sold_and_renegotiated(project.deliverables.all()),
        "accept_estimates": estimate_rows(all_deliverables)
        if project.status == ProjectStatus.KICKOFF
        else [],
    }


def estimate_rows(
    deliverables: list[Deliverable],
    estimates: dict[int, Any] | None = None,
    errors: ValidationError | None = None,
) -> list[dict[str, Any]]:
    """Each deliverable's estimate field at "Accept handoff": prefilled with the sold effort,
    or with what was sent and its error."""
    messages = errors.message_dict if errors is not None and hasattr(errors, "error_dict") else {}
    return [
        {
            "d": d,
            "name": f"estimate_{d.pk}",
            "value": (estimates or {}).get(d.pk) or f"{d.effort_days.normalize():f}",
            "errors": messages.get(f"estimate_{d.pk}", []),
        }
        for d in deliverables
    ]


def accept_page(
    request: HttpRequest,
    project: Project,
    *,
    estimates: dict[int, Any] | None = None,
    errors: ValidationError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page of "Accept handoff" without script, or again with an estimate's error."""
    deliverables = list(project.deliverables.order_by("promised_date", "id"))
    return render(
        request,
        "projects/accept.html",
        {
            "confirm": confirmations.accept(project),
            "project": project,
            "estimates": estimate_rows(deliverables, estimates, errors),
            "non_field_errors": errors.messages
            if errors is not None and not hasattr(errors, "error_dict")
            else [],
        },
        status=status,
    )

"""Delivery truth on the pages: time entries and change requests, thin over the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from handoff.web.confirm import confirm_page
from handoff.web.errors import came_from, domain_errors
from projects import (
    confirmations_delivery,
    selectors,
    selectors_delivery,
    services_changes,
    services_time,
)
from projects.forms_delivery import (
    ChangeRequestForm,
    RejectChangeForm,
    TimeEntryEditForm,
    TimeEntryForm,
)
from projects.project_page import project_context

_back = came_from("projects:list")


@login_required
@require_POST
@domain_errors(back=_back)
def time_entry_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The quick entry on the project page; with errors, the page again with them."""
    project = selectors.project_get_for_user(request.user, pk)
    deliverables = list(project.deliverables.order_by("promised_date", "id"))
    form = TimeEntryForm(request.POST, deliverables=deliverables)
    if form.is_valid():
        deliverable = next(d for d in deliverables if d.pk == form.cleaned_data["deliverable"])
        try:
            entry = services_time.time_entry_add(
                deliverable=deliverable,
                actor=request.user,
                day=form.cleaned_data["day"],
                note=form.cleaned_data["note"],
                **form.service_amount(),
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, f"{entry.hours.normalize():f} hours entered on {deliverable.summary}."
            )
            return redirect(project.get_absolute_url() + "#time")
    context = project_context(request, project, time_form=form)
    return render(request, "projects/project_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def time_entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one's own entry: its page, the form kept with its errors."""
    entry = selectors_delivery.time_entry_get_for_user(request.user, pk)
    if not services_time.can_change_entry(entry, request.user):
        raise PermissionDenied("You can change only your own time entries.")
    initial = {
        "day": entry.day,
        "amount": entry.hours.normalize(),
        "unit": "hours",
        "note": entry.note,
    }
    form = TimeEntryEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services_time.time_entry_update(
                    entry=entry,
                    actor=request.user,
                    day=form.cleaned_data["day"],
                    note=form.cleaned_data["note"],
                    **form.service_amount(),
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, "Time entry saved.")
                return redirect(
                    reverse("projects:detail", args=[entry.deliverable.project_id]) + "#time"
                )
        status = 400
    return render(
        request, "projects/time_entry_form.html", {"entry": entry, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def time_entry_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST removes one's own entry."""
    entry = selectors_delivery.time_entry_get_for_user(request.user, pk)
    if not services_time.can_change_entry(entry, request.user):
        raise PermissionDenied("You can remove only your own time entries.")
    if request.method == "GET":
        return confirm_page(request, confirmations_delivery.time_entry_remove(entry))
    project_url = selectors.project_get_for_user(
        request.user, entry.deliverable.project_id
    ).get_absolute_url()
    services_time.time_entry_remove(entry=entry, actor=request.user)
    messages.success(request, "Time entry removed.")
    return redirect(project_url + "#time")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def change_request_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask to change one deliverable's promise: its page, the form kept with its errors."""
    deliverable = selectors.deliverable_get_for_user(request.user, pk)
    project = deliverable.project
    if not services_changes.can_raise_change(project, deliverable, request.user):
        raise PermissionDenied(
            "Only the project's manager or the deal's sales rep can ask to change an open promise."
        )
    form = ChangeRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services_changes.change_request_raise(
                    deliverable=deliverable, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, f"Change to “{deliverable.summary}” sent for a decision.")
                return redirect(project.get_absolute_url() + "#changes")
        status = 400
    return render(
        request,
        "projects/change_request_form.html",
        {"d": deliverable, "project": project, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def change_request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST adds this person's approval."""
    change = selectors_delivery.change_request_get_for_user(request.user, pk)
    if request.method == "GET":
        if not services_changes.can_decide(change, request.user):
            raise PermissionDenied("This change does not wait for your decision.")
        return confirm_page(request, confirmations_delivery.change_approve(change))
    change = services_changes.change_request_approve(change=change, actor=request.user)
    if change.is_open:
        messages.success(request, "Approval recorded: the change waits for the others it needs.")
    else:
        messages.success(request, f"Change approved: {change.what}.")
    return redirect(change.deliverable.project.get_absolute_url() + "#changes")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def change_request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors_delivery.change_request_get_for_user(request.user, pk)
    if request.method == "GET" and not services_changes.can_decide(change, request.user):
        raise PermissionDenied("This change does not wait for your decision.")
    form = RejectChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services_changes.change_request_reject(
                    change=change, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, "Change rejected: the promise stays as it was.")
                return redirect(change.deliverable.project.get_absolute_url() + "#changes")
        status = 400
    return render(
        request,
        "projects/change_request_reject.html",
        {"change": change, "project": change.deliverable.project, "form": form},
        status=status,
    )

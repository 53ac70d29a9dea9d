"""Project pages, the capacity page and its settings section: thin, over services and selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from handoff.models import Role
from handoff.roles import can_review, is_pm, role_required
from handoff.web.confirm import confirm_page
from handoff.web.errors import came_from, domain_errors
from handoff.web.lists import DESCENDING, Column, ListSearchForm, Sorting
from handoff.web.pagination import CappedPaginator
from handoff.web.settings_page import settings_page
from projects import confirmations, selectors, selectors_delivery, services, services_changes
from projects.forms import (
    BriefForm,
    CapacityExceptionForm,
    CapacityForm,
    DeliverableStatusForm,
    KickoffItemForm,
    ProjectFilterForm,
    QuestionsForm,
)
from projects.models import (
    CapacityException,
    DeliverableStatus,
    KickoffItem,
    PMCapacity,
    ProjectStatus,
)
from projects.project_page import live_parts, project_context, promise_counts
from projects.project_page_delivery import accept_page

PAGE_SIZE = 25
# A refused action goes back to the page it came from, else to the project list.
_back = came_from("projects:list")


def _done(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Location"] = url
        return response
    return redirect(url)


# The list and the project page


PROJECT_COLUMNS = Sorting(
    Column("project", "Project", ("deal__title", "id")),
    Column("client", "Client", ("deal__client__name", "id")),
    Column("status", "Status", ("status", "id")),
    Column("start", "Start", ("start_date", "id")),
    Column("deliverables", "Deliverables", ("-deliverable_count", "-id"), first=DESCENDING),
    Column("created", "Newest", ("-created_at", "-id"), first=DESCENDING),
    default="created",
)


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    pms = list(selectors.project_manager_names())
    form = ProjectFilterForm(request.GET or None, pms=pms)
    filters = form.cleaned_data if form.is_valid() else {}
    search = ListSearchForm(request.GET, label="Search", placeholder="Project or client")
    projects = selectors.project_list(
        request.user,
        status=filters.get("status") or "",
        pm=filters.get("pm"),
        at_risk=bool(filters.get("at_risk")),
        late=bool(filters.get("late")),
        q=search.text,
    ).order_by(*PROJECT_COLUMNS.order_by(request.GET))
    page = CappedPaginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/project_list.html",
        {
            "form": form,
            "search": search,
            "sort": PROJECT_COLUMNS.current(request.GET).value,
            "headers": PROJECT_COLUMNS.headers(request.GET),
            "page": page,
            "projects": page.object_list,
            "show_capacity": can_review(request.user),
        },
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    return render(request, "projects/project_detail.html", project_context(request, project))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def brief_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    if not services.can_edit_brief(project, request.user):
        raise PermissionDenied("Only the deal's sales rep or a manager can write the brief.")
    form = BriefForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        services.project_update_brief(project=project, actor=request.user, data=form.cleaned_data)
        messages.success(request, "Brief saved.")
        return redirect(project)
    return render(request, "projects/brief_form.html", {"project": project, "form": form})


def _refuse_unless(allowed: bool, reason: str) -> None:
    """A confirmation page opens only for someone who may take its action."""
    if not allowed:
        raise PermissionDenied(reason)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def handoff_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST accepts: the project becomes active."""
    project = selectors.project_get_for_user(request.user, pk)
    if request.method == "GET":
        _refuse_unless(project.pm_id == request.user.pk, "Only the project's manager can accept.")
        if project.status != ProjectStatus.KICKOFF:
            messages.info(request, "The handoff of this project was already accepted.")
            return redirect(project)
        return accept_page(request, project)
    deliverables = list(project.deliverables.order_by("promised_date", "id"))
    estimates = {d.pk: request.POST.get(f"estimate_{d.pk}") for d in deliverables}
    try:
        services.project_accept_handoff(project=project, actor=request.user, estimates=estimates)
    except ValidationError as error:
        return accept_page(request, project, estimates=estimates, errors=error, status=400)
    messages.success(request, "Handoff accepted: the project is active.")
    return _done(request, project.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def project_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST completes the project, for good."""
    project = selectors.project_get_for_user(request.user, pk)
    if request.method == "GET":
        _refuse_unless(
            services.can_lead_delivery(project, request.user),
            "Only the project's manager or a manager can complete it.",
        )
        if project.status != ProjectStatus.ACTIVE:
            messages.error(
                request,
                f"A project that is {project.get_status_display().lower()} cannot be completed.",
            )
            return redirect(project)
        still_open = promise_counts(project)["open"]
        return confirm_page(request, confirmations.complete(project, still_open=still_open))
    services.project_change_status(
        project=project, actor=request.user, status=ProjectStatus.COMPLETED
    )
    messages.success(request, "The project is completed.")
    return redirect(project)


@login_required
@require_POST
@domain_errors(back=_back)
def project_status(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    try:
        project = services.project_change_status(
            project=project,
            actor=request.user,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The project is {project.get_status_display().lower()}.")
    return redirect(project)


@login_required
@require_POST
@domain_errors(back=_back)
def questions_send(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    form = QuestionsForm(request.POST)
    if form.is_valid():
        try:
            services.project_send_questions(
                project=project, actor=request.user, questions=form.cleaned_data["questions"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Questions sent to {project.deal.owner}.")
            return _done(request, project.get_absolute_url())
    context = project_context(request, project, questions_form=form)
    return render(request, "projects/project_detail.html", context, status=400)


@login_required
@require_POST
@domain_errors(back=_back)
def kickoff_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    form = KickoffItemForm(request.POST)
    if form.is_valid():
        try:
            services.kickoff_item_add(
                project=project, actor=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return _done(request, project.get_absolute_url() + "#kickoff")
    context = project_context(request, project, kickoff_form=form)
    return render(request, "projects/project_detail.html", context, status=400)


def _kickoff_item(request: HttpRequest, pk: int) -> KickoffItem:
    item = get_object_or_404(KickoffItem.objects.select_related("project"), pk=pk)
    selectors.project_get_for_user(request.user, item.project_id)
    return item


@login_required
@require_POST
@domain_errors(back=_back)
def kickoff_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    item = _kickoff_item(request, pk)
    services.kickoff_item_toggle(
        item=item, actor=request.user, done=request.POST.get("done") == "1"
    )
    return _done(request, item.project.get_absolute_url() + "#kickoff")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def kickoff_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST removes the checklist item."""
    item = _kickoff_item(request, pk)
    if request.method == "GET":
        _refuse_unless(
            item.project.pm_id == request.user.pk,
            "Only the project's manager can edit the kickoff checklist.",
        )
        if item.project.status == ProjectStatus.COMPLETED:
            messages.error(request, "This project is completed.")
            return redirect(item.project)
        return confirm_page(request, confirmations.kickoff_remove(item))
    services.kickoff_item_remove(item=item, actor=request.user)
    messages.success(request, f"Removed “{item.text}” from the checklist.")
    return _done(request, item.project.get_absolute_url() + "#kickoff")


def _with_effort(request: HttpRequest, deliverable) -> None:
    """What the deliverable's row shows besides its status: effort, and the change link."""
    selectors_delivery.attach_effort([deliverable])
    deliverable.can_raise_change = services_changes.can_raise_change(
        deliverable.project, deliverable, request.user
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def deliverable_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status form of one deliverable: a table row in place with htmx, a page without."""
    deliverable = selectors.deliverable_get_for_user(request.user, pk)
    project = deliverable.project
    if not services.can_lead_delivery(project, request.user):
        raise PermissionDenied("Only the project's manager or a manager can update deliverables.")
    form = DeliverableStatusForm(
        request.POST or None,
        initial={
            "status": deliverable.status,
            "status_reason": deliverable.status_reason,
            "delivered_on": deliverable.delivered_on,
        },
        auto_id=f"id_%s_{deliverable.pk}",
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                deliverable = services.deliverable_update_status(
                    deliverable=deliverable,
                    actor=request.user,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["status_reason"],
                    delivered_on=form.cleaned_data["delivered_on"],
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                _with_effort(request, deliverable)
                if request.htmx:
                    # The row, and out of band what it changed: the promises and the history.
                    return render(
                        request,
                        "projects/partials/deliverable_updated.html",
                        {
                            "d": deliverable,
                            "project": project,
                            "can_update_deliverables": True,
                            **live_parts(project),
                        },
                    )
                messages.success(
                    request, f"{deliverable.summary}: {deliverable.get_status_display().lower()}."
                )
                return redirect(project.get_absolute_url() + "#deliverables")
        status = 400
    _with_effort(request, deliverable)
    context = {
        "d": deliverable,
        "project": project,
        "form": form,
        "status_choices": DeliverableStatus.choices,
        "can_update_deliverables": True,
    }
    if request.htmx:
        if request.GET.get("cancel"):
            return render(request, "projects/project_detail.html#deliverable_row", context)
        # htmx swaps only 2xx answers: the row with its errors comes back as 200.
        return render(request, "projects/partials/deliverable_edit_row.html", context)
    return render(request, "projects/deliverable_status.html", context, status=status)


# Capacity


@login_required
@role_required(Role.PM, Role.MANAGER, Role.ADMIN)
def capacity(request: HttpRequest) -> HttpResponse:
    team = selectors.team_capacity(weeks=12)
    return render(request, "projects/capacity.html", {"team": team})


def capacity_section(request: HttpRequest) -> dict | None:
    """The capacity section of the settings page, for PMs."""
    if not is_pm(request.user):
        return None
    capacity = PMCapacity.objects.filter(user=request.user).first()
    weekly = capacity.weekly_days if capacity else None
    return {
        "capacity_form": CapacityForm(
            initial={
                "weekly_days": weekly
                if weekly is not None
                else PMCapacity._meta.get_field("weekly_days").get_default()
            }
        ),
        "exception_form": CapacityExceptionForm(),
        "exceptions": [
            (exception, confirmations.time_off_remove(exception))
            for exception in CapacityException.objects.filter(pm=request.user).order_by(
                "week_start"
            )
        ],
    }


@login_required
@require_POST
@domain_errors(back=_back)
def capacity_set(request: HttpRequest) -> HttpResponse:
    form = CapacityForm(request.POST)
    if form.is_valid():
        try:
            services.capacity_set(
                pm=request.user, actor=request.user, weekly_days=form.cleaned_data["weekly_days"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Capacity saved.")
            return redirect("settings")
    return settings_page(request, capacity_form=form)


@login_required
@require_POST
@domain_errors(back=_back)
def time_off_add(request: HttpRequest) -> HttpResponse:
    form = CapacityExceptionForm(request.POST)
    if form.is_valid():
        try:
            services.capacity_exception_add(
                pm=request.user, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Week saved.")
            return redirect("settings")
    return settings_page(request, exception_form=form)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def time_off_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST removes the week from one's own calendar."""
    exception = get_object_or_404(CapacityException, pk=pk, pm=request.user)
    if request.method == "GET":
        return confirm_page(request, confirmations.time_off_remove(exception))
    services.capacity_exception_remove(exception=exception, actor=request.user)
    messages.success(request, "Week removed.")
    return redirect("settings")

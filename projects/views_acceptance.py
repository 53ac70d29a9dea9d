"""Customer acceptance pages: the PM's list, send, resend and cancel, and the customer's page
behind the link (no account: the signed link is the only key)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from handoff.models import Role
from handoff.roles import role_required
from handoff.web.confirm import confirm_page
from handoff.web.errors import came_from, domain_errors
from handoff.web.pagination import CappedPaginator
from projects import acceptance, acceptance_selectors, selectors
from projects.acceptance_forms import (
    AcceptanceDecisionForm,
    AcceptanceFilterForm,
    AcceptanceSendForm,
)
from projects.acceptance_links import LinkRefused, link_open
from projects.acceptance_models import AcceptanceStatus
from projects.acceptance_page import cancel_confirmation, panel_context
from projects.project_page import project_context

PAGE_SIZE = 25
_back = came_from("projects:acceptance_list")


def _project_anchor(project) -> str:
    return project.get_absolute_url() + "#acceptance"


@login_required
@role_required(Role.PM, Role.MANAGER, Role.ADMIN)
def acceptance_list(request: HttpRequest) -> HttpResponse:
    form = AcceptanceFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    requests = acceptance_selectors.acceptance_list(request.user, state=state)
    page = CappedPaginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/acceptance_list.html",
        {"form": form, "page": page, "requests": page.object_list, "state": state},
    )


@login_required
@require_POST
@domain_errors(back=_back)
def acceptance_send(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    if not acceptance.can_send_for_acceptance(project, request.user):
        raise PermissionDenied(
            "Only the project's manager or a manager can send deliverables for customer "
            "acceptance, while the project is open."
        )
    form = AcceptanceSendForm(
        request.POST,
        deliverables=acceptance_selectors.deliverables_to_send(project),
        auto_id="id_acceptance_%s",
    )
    if form.is_valid():
        try:
            sent = acceptance.acceptance_send(
                deliverable=form.cleaned_data["deliverable"],
                actor=request.user,
                contact_name=form.cleaned_data["contact_name"],
                contact_email=form.cleaned_data["contact_email"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                f"“{sent.deliverable.summary}” sent to {sent.contact_name} for acceptance.",
            )
            return redirect(_project_anchor(project))
    context = {
        **project_context(request, project),
        **panel_context(project, request.user, form=form),
    }
    return render(request, "projects/project_detail.html", context, status=400)


@login_required
@require_POST
@domain_errors(back=_back)
def acceptance_resend(request: HttpRequest, pk: int) -> HttpResponse:
    found = acceptance_selectors.acceptance_get_for_user(request.user, pk)
    sent = acceptance.acceptance_resend(acceptance=found, actor=request.user)
    messages.success(request, f"Sent again to {sent.contact_name}; the earlier link stops working.")
    return redirect(_project_anchor(found.deliverable.project))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def acceptance_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST cancels the request, for good."""
    found = acceptance_selectors.acceptance_get_for_user(request.user, pk)
    project = found.deliverable.project
    if request.method == "GET":
        if not acceptance.can_send_for_acceptance(project, request.user):
            raise PermissionDenied(
                "Only the project's manager or a manager can cancel an acceptance request."
            )
        if found.status != AcceptanceStatus.PENDING:
            messages.info(request, f"This request is {found.get_status_display().lower()}.")
            return redirect(_project_anchor(project))
        return confirm_page(request, cancel_confirmation(found))
    acceptance.acceptance_cancel(acceptance=found, actor=request.user)
    messages.success(request, f"The request to {found.contact_name} is cancelled.")
    return redirect(_project_anchor(project))


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: no other site learns it from a Referer header. (Not
    # no-referrer: browsers then send "Origin: null" with the form, which CSRF refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def acceptance_respond(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page: the promise and the decision form (GET changes nothing, since mail
    scanners fetch links); POST decides, once. No sign-in: the signed link is the key."""
    try:
        found = link_open(token=token)
    except LinkRefused as refusal:
        return _refused(request, refusal)
    form = AcceptanceDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                acceptance.acceptance_decide(
                    token=token,
                    decision=form.cleaned_data["decision"],
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except LinkRefused as refusal:
                return _refused(request, refusal)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                return redirect(request.path)
        status = 400
    return _private(
        render(
            request,
            "projects/acceptance_respond.html",
            {"acceptance": found, "deliverable": found.deliverable, "form": form},
            status=status,
        )
    )


def _refused(request: HttpRequest, refusal: LinkRefused) -> HttpResponse:
    """A decided request shows its result to the link that decided it; any other refusal says
    why and nothing more."""
    decided = refusal.request if refusal.code == "already_used" else None
    status = 200 if decided is not None and request.method == "GET" else refusal.status
    return _private(
        render(
            request,
            "projects/acceptance_refused.html",
            {"refusal": refusal, "decided": decided},
            status=status,
        )
    )

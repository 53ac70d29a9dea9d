"""The deal page: the record, rulings on its commitments, counter-proposals accepted, the review's
transitions and the confirmation pages of those that cannot be undone."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals import rules, services
from deals.deal_page import counter_change, deal_page_context, decision_summary, review_state
from deals.forms import (
    AssignForm,
    CommentForm,
    EscalateForm,
    HandOnForm,
    ReasonForm,
    ReleaseForm,
    ReviseForm,
    RuleForm,
)
from deals.models import Deal, Verdict
from deals.selectors import deal_get_for_user
from handoff.web.errors import domain_errors


def _back(request: HttpRequest, **kwargs) -> str:
    """Where a refused action lands: its deal."""
    return reverse("deals:detail", args=[kwargs["pk"]])


def _deal_page(request: HttpRequest, deal: Deal, forms: dict | None = None) -> HttpResponse:
    return render(request, "deals/deal_detail.html", deal_page_context(request, deal, forms))


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _deal_page(request, deal_get_for_user(request.user, pk))


# The review's transitions


@dataclass(frozen=True)
class Transition:
    service: Callable
    done: str
    form_class: type | None = None
    # Actions that cannot be undone ask first: GET shows the confirmation, POST acts.
    confirmed: bool = False


TRANSITION_ACTIONS = {
    "submit": Transition(services.deal_submit, "Submitted for review."),
    "claim": Transition(services.review_claim, "You claimed this review."),
    "assign": Transition(services.review_assign, "Reviewer assigned: {reviewer}.", AssignForm),
    "hand_on": Transition(services.review_assign, "Review handed on to {reviewer}.", HandOnForm),
    "release": Transition(
        services.review_release,
        "You released the review: another project manager can claim it.",
        ReleaseForm,
    ),
    "request_changes": Transition(
        services.deal_request_changes, "Changes requested.", confirmed=True
    ),
    "sign_off": Transition(services.deal_sign_off, "Signed off.", confirmed=True),
    "revise": Transition(
        services.deal_revise, "Back in draft: edit and resubmit.", ReviseForm, confirmed=True
    ),
    "win": Transition(services.deal_win, "Marked as won.", confirmed=True),
    "lose": Transition(services.deal_lose, "Marked as lost.", ReasonForm, confirmed=True),
}


def _may(user, deal: Deal, action: str):
    """The rule's answer to `action` now, preconditions included: what a confirmation asks."""
    if action in ("sign_off", "request_changes"):
        return review_state(deal).review_answers(user, deal)[action]
    return {"win": rules.can_win, "lose": rules.can_lose, "revise": rules.can_revise}[action](
        user, deal
    )


def _confirm_page(request: HttpRequest, deal: Deal, action: str, form=None) -> HttpResponse:
    context = {
        "deal": deal,
        "action": action,
        "form": form or (ReasonForm(prefix=action) if action == "lose" else None),
        **decision_summary(review_state(deal)),
    }
    return render(request, "deals/confirm_action.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def deal_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    spec = TRANSITION_ACTIONS[action]
    if request.method == "GET" and not spec.confirmed:
        return HttpResponseNotAllowed(["POST"])
    deal = deal_get_for_user(request.user, pk)
    if request.method == "GET":
        _may(request.user, deal, action).enforce()
        return _confirm_page(request, deal, action)
    form = spec.form_class(request.POST, prefix=action) if spec.form_class else None
    data = {}
    if form is not None:
        if form.is_valid():
            data = form.cleaned_data
            try:
                spec.service(deal=deal, actor=request.user, **data)
            except ValidationError as error:
                form.add_service_error(error)
        if form.errors:
            messages.error(request, "Please correct the highlighted field.")
            if spec.confirmed:
                return _confirm_page(request, deal, action, form)
            return _deal_page(request, deal, {action: form})
    else:
        spec.service(deal=deal, actor=request.user)
    messages.success(request, spec.done.format(**data))
    return redirect(deal)


# Rulings, escalations, counter-proposals, comments


def _commitments_update(request: HttpRequest, deal: Deal, forms: dict) -> HttpResponse:
    """The commitments and the review's next step for htmx, the side column out of band."""
    context = deal_page_context(request, deal, forms, panels=False)
    rows = render_to_string("deals/deal_detail.html#commitments", context, request)
    side = render_to_string("deals/deal_detail.html#side", {**context, "oob": True}, request)
    return HttpResponse(rows + side)


@login_required
@require_POST
@domain_errors(back=_back)
def commitment_rule(request: HttpRequest, pk: int, commitment_pk: int) -> HttpResponse:
    deal = deal_get_for_user(request.user, pk)
    commitment = get_object_or_404(deal.commitments, pk=commitment_pk)
    form = RuleForm(request.POST, prefix=f"rule-{commitment.pk}")
    if form.is_valid():
        try:
            services.commitment_rule(commitment=commitment, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
    forms = {("rule", commitment.pk): form} if form.errors else {}
    deal.refresh_from_db()
    if request.htmx:
        return _commitments_update(request, deal, forms)
    if forms:
        return _deal_page(request, deal, forms)
    return redirect(f"{deal.get_absolute_url()}#commitment-{commitment.pk}")


def _verdict_of(deal: Deal, verdict_pk: int) -> Verdict:
    return get_object_or_404(
        Verdict.objects.select_related("round", "commitment"), pk=verdict_pk, round__deal=deal
    )


@login_required
@require_POST
@domain_errors(back=_back)
def verdict_escalate(request: HttpRequest, pk: int, verdict_pk: int) -> HttpResponse:
    deal = deal_get_for_user(request.user, pk)
    verdict = _verdict_of(deal, verdict_pk)
    form = EscalateForm(request.POST, prefix=f"escalate-{verdict.pk}")
    if form.is_valid():
        try:
            services.verdict_escalate(verdict=verdict, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
    if form.errors:
        return _deal_page(request, deal, {("escalate", verdict.pk): form})
    messages.success(request, "Escalated to a manager.")
    return redirect(f"{deal.get_absolute_url()}#commitment-{verdict.commitment_id}")


@login_required
@require_POST
@domain_errors(back=_back)
def verdict_accept_counter(request: HttpRequest, pk: int, verdict_pk: int) -> HttpResponse:
    deal = deal_get_for_user(request.user, pk)
    verdict = _verdict_of(deal, verdict_pk)
    change = counter_change(verdict.commitment, verdict)
    services.verdict_accept_counter(verdict=verdict, actor=request.user)
    messages.success(
        request,
        f"Counter-proposal accepted: {change}. The deal is a draft "
        "again: submit it for review when it is ready.",
    )
    return redirect(f"{deal.get_absolute_url()}#commitment-{verdict.commitment_id}")


@login_required
@require_POST
@domain_errors(back=_back)
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    deal = deal_get_for_user(request.user, pk)
    form = CommentForm(request.POST, prefix="comment")
    if form.is_valid():
        try:
            comment = services.comment_add(
                deal=deal, actor=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if left_out := services.mentions_left_out(comment):
                messages.warning(request, left_out)
    if form.errors:
        return _deal_page(request, deal, {"comment": form})
    return redirect(f"{deal.get_absolute_url()}#comments")

"""Deals pages: thin views over deals.selectors and deals.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals import rules, selectors, services
from deals.filters import SORTS, rounds_matching
from deals.forms import (
    COMMITMENTS_PREFIX,
    DealFilterForm,
    DealForm,
    EscalationDecideForm,
    commitment_formset,
    new_commitment_form,
)
from deals.live import queue_version
from deals.models import REVISED_BY_EDITING, Client, Deal
from deals.promise_advice import attach_calibrations, take_suggestion
from deals.selectors import (
    deal_get_for_user,
    escalations_open,
    escalations_visible_to,
    review_rounds_waiting,
)
from deals.totals import value_by_currency
from deals.views_templates import prefill, template_choices
from handoff.errors import ActionForbidden, DomainError
from handoff.models import Role, User
from handoff.roles import is_pm, is_sales, role_required
from handoff.web.errors import domain_errors
from handoff.web.htmx import htmx_partial
from handoff.web.lists import DESCENDING, Column, ListSearchForm, Sorting
from handoff.web.pagination import CappedPaginator

PAGE_SIZE = 25


def _back(request: HttpRequest, **kwargs) -> str:
    """Where a refused action lands: its deal, the escalations, or the deal list."""
    if "pk" in kwargs:
        return reverse("deals:detail", args=[kwargs["pk"]])
    if "escalation_pk" in kwargs:
        return reverse("deals:escalations")
    return reverse("deals:list")


# The deal list


# The column headers of DealFilter's sorts (the Sort by select offers the same ones).
DEAL_COLUMNS = Sorting(
    Column("title", "Title", SORTS["title"][1]),
    Column("value", "Value", SORTS["value"][1], first=DESCENDING),
    Column("close", "Expected close", SORTS["close"][1]),
    Column("updated", "Updated", SORTS["updated"][1], first=DESCENDING),
    default="updated",
)


# What a list row shows (deals/deal_list.html), with the client's and owner's names only.
DEAL_LIST_FIELDS = (
    "title",
    "value",
    "currency",
    "expected_close_date",
    "status",
    "client",
    "client__name",
    "owner",
    *(f"owner__{name}" for name in User.NAME_FIELDS),
)


@login_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    # A rep sees own deals only: an Owner filter or column would say the same name every row.
    show_owner = not is_sales(request.user)
    form = DealFilterForm(request.GET or None, show_owner=show_owner)
    deals = selectors.deal_list(user=request.user, filters=request.GET)
    page = CappedPaginator(deals.only(*DEAL_LIST_FIELDS), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        # Of every page, not just this one. Past the count's cap the list says "more than
        # 10,000 deals" and adds nothing up: a sum would read every one of them.
        "totals": value_by_currency(deals) if page.object_list and page.paginator.exact else [],
        "filtered": form.narrows(),
        "can_create": bool(rules.can_create_deals(request.user)),
        "show_owner": show_owner,
        "headers": DEAL_COLUMNS.headers(request.GET),
    }
    return htmx_partial(request, "deals/deal_list.html", "results", context)


# Create and edit


def _client_for(request: HttpRequest, form: DealForm) -> Client:
    if form.cleaned_data.get("client"):
        return form.cleaned_data["client"]
    name = form.cleaned_data["new_client"].strip()
    # Typing the name of a listed client picks it rather than failing on the unique name.
    existing = Client.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    try:
        return services.client_create(actor=request.user, name=name)
    except ValidationError as error:
        raise ValidationError({"new_client": error.messages}) from error


def _kept(forms) -> list:
    return [f for f in forms if f.has_changed() and not f.cleaned_data.get("DELETE")]


def _save_deal(
    request: HttpRequest, form: DealForm, formset, deal: Deal | None, *, submit: bool = False
) -> Deal | None:
    """Apply the form through the services, all or nothing, and with `submit` submit the deal
    in the same step; None when a rule said no (nothing is then saved or submitted)."""
    try:
        with transaction.atomic():
            saved = _write_deal(request, form, formset, deal)
            if submit:
                services.deal_submit(deal=saved, actor=request.user)
            return saved
    except ActionForbidden:
        raise
    except DomainError as error:
        form.add_error(None, error.message)
    except ValidationError as error:
        form.add_service_error(error)
    return None


def _write_deal(request: HttpRequest, form: DealForm, formset, deal: Deal | None) -> Deal:
    actor = request.user
    data = form.deal_data(_client_for(request, form))
    if deal is None:
        return services.deal_create(
            actor=actor, data=data, commitments=[f.service_data() for f in _kept(formset.forms)]
        )
    services.deal_update(
        deal=deal, actor=actor, data=data, expected_version=form.cleaned_data["expected_version"]
    )
    for commitment_form in formset.initial_forms:
        if commitment_form.cleaned_data.get("DELETE"):
            services.commitment_remove(commitment=commitment_form.instance, actor=actor)
        elif commitment_form.has_changed():
            services.commitment_update(
                commitment=commitment_form.instance,
                actor=actor,
                data=commitment_form.service_data(),
            )
    for commitment_form in _kept(formset.extra_forms):
        services.commitment_add(deal=deal, actor=actor, data=commitment_form.service_data())
    return deal


def _with_one_more_row(data):
    data = data.copy()
    key = f"{COMMITMENTS_PREFIX}-TOTAL_FORMS"
    try:
        data[key] = str(int(data.get(key, 0)) + 1)
    except ValueError:
        data[key] = "1"
    return data


def _deal_form_page(request: HttpRequest, deal: Deal | None) -> HttpResponse:
    formset_extra = 0 if deal and deal.commitments.exists() else 1
    if request.method == "POST":
        data = request.POST
        if "add_commitment" in data:
            data = _with_one_more_row(data)
        if "take_suggestion" in data:
            data = take_suggestion(data, COMMITMENTS_PREFIX)
        form = DealForm(data, instance=deal, user=request.user)
        formset = commitment_formset(data, instance=deal)
        # Adding a row, searching clients or asking history without JavaScript shows the form
        # again, as typed.
        redisplay = any(
            name in data
            for name in ("add_commitment", "find_client", "calibrate", "take_suggestion")
        )
        submit = "save_and_submit" in data
        if not redisplay and form.is_valid() and formset.is_valid():
            saved = _save_deal(request, form, formset, deal, submit=submit)
            if saved is not None:
                done = "saved" if deal else "created"
                if submit:
                    done += " and submitted for review"
                messages.success(request, f"Deal {done}.")
                return redirect(saved)
    else:
        form = DealForm(instance=deal, user=request.user)
        formset = commitment_formset(instance=deal, extra=formset_extra)
        if deal is None:
            prefill(request, form, formset)
    attach_calibrations(formset.forms)
    context = {
        "form": form,
        "formset": formset,
        "deal": deal,
        "revises": deal is not None and deal.status in REVISED_BY_EDITING,
        "deal_templates": template_choices() if deal is None else [],
    }
    return render(request, "deals/deal_form.html", context)


def _check_can_create_deals(request: HttpRequest) -> None:
    if not (answer := rules.can_create_deals(request.user)):
        raise PermissionDenied(answer.refusal.message)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def deal_create(request: HttpRequest) -> HttpResponse:
    _check_can_create_deals(request)
    return _deal_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = deal_get_for_user(request.user, pk)
    services.deal_check_editable(deal=deal, actor=request.user)
    return _deal_form_page(request, deal)


@login_required
@require_GET
def client_search(request: HttpRequest) -> HttpResponse:
    """The deal form's client select for what was typed in "Find a client" (htmx)."""
    _check_can_create_deals(request)
    initial = {
        "client": request.GET.get("client", ""),
        "client_search": request.GET.get("client_search", ""),
    }
    form = DealForm(initial=initial, user=request.user)
    return render(request, "deals/partials/client_choice.html", {"form": form})


@login_required
@require_GET
def commitment_row(request: HttpRequest) -> HttpResponse:
    """One more empty commitment row for the deal form (htmx), and the new form count."""
    try:
        index = max(0, min(int(request.GET.get(f"{COMMITMENTS_PREFIX}-TOTAL_FORMS", 0)), 999))
    except ValueError:
        index = 0
    context = {"form": new_commitment_form(index), "index": index, "total": index + 1}
    return render(request, "deals/partials/commitment_added.html", context)


# Review queue and escalations

QUEUE_COLUMNS = Sorting(
    Column("deal", "Deal", ("deal__title", "id")),
    Column("client", "Client", ("deal__client__name", "id")),
    Column("round", "Round", ("number", "id")),
    Column("commitments", "Commitments", ("-commitment_count", "id"), first=DESCENDING),
    Column("due", "Due", ("due_at", "id")),
    default="due",
)


# What a queue row shows: each column Django reads, and hashes, once per selected column of
# the query, and a person's name rather than their whole row (password, settings).
QUEUE_FIELDS = (
    "number",
    "due_at",
    "decided_at",
    "reviewer",
    *(f"reviewer__{name}" for name in User.NAME_FIELDS),
    "deal__title",
    "deal__client__name",
    "deal__owner",
    *(f"deal__owner__{name}" for name in User.NAME_FIELDS),
)


@login_required
@require_GET
@role_required(Role.PM, Role.MANAGER, Role.ADMIN)
def queue(request: HttpRequest) -> HttpResponse:
    live_version = queue_version(request.user)  # before the rows: a change after it shows next
    search = ListSearchForm(request.GET, label="Search the queue", placeholder="Deal or client")
    rounds = rounds_matching(review_rounds_waiting(request.user), search.text)
    rounds = rounds.order_by(*QUEUE_COLUMNS.order_by(request.GET)).only(*QUEUE_FIELDS)
    page = CappedPaginator(rounds, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deals/review_queue.html",
        {
            "page": page,
            "can_claim": is_pm(request.user),
            "search": search,
            "headers": QUEUE_COLUMNS.headers(request.GET),
            "live_version": live_version,
        },
    )


def _escalations_page(request: HttpRequest, forms: dict | None = None) -> HttpResponse:
    forms = forms or {}
    page = CappedPaginator(escalations_open(), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(e, forms.get(e.pk) or EscalationDecideForm(prefix=f"decide-{e.pk}")) for e in page]
    return render(request, "deals/escalations.html", {"page": page, "rows": rows})


@login_required
@require_GET
@role_required(Role.MANAGER, Role.ADMIN)
def escalations(request: HttpRequest) -> HttpResponse:
    return _escalations_page(request)


@login_required
@require_POST
@role_required(Role.MANAGER, Role.ADMIN)
@domain_errors(back=_back)
def escalation_decide(request: HttpRequest, escalation_pk: int) -> HttpResponse:
    escalation = get_object_or_404(escalations_visible_to(request.user), pk=escalation_pk)
    form = EscalationDecideForm(request.POST, prefix=f"decide-{escalation.pk}")
    if form.is_valid():
        try:
            escalation = services.escalation_decide(
                escalation=escalation, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_error(error)
    if form.errors:
        return _escalations_page(request, {escalation.pk: form})
    messages.success(request, f"Escalation decided: {escalation.get_decision_display().lower()}.")
    return redirect("deals:escalations")

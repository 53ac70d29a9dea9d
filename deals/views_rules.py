"""Managers' review rule pages: the live rules and their history, create, edit, retire."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from deals import rules, services
from deals.forms_rules import ReviewRuleForm
from deals.models import ApprovalRequirement, CommitmentKind, ReviewRule
from deals.selectors import review_rules_visible_to
from handoff.errors import DomainError
from handoff.templatetags.formats import count, money, number, person_days
from handoff.web.errors import domain_errors
from handoff.web.pagination import CappedPaginator

HISTORY_PAGE_SIZE = 25


# A rule in words


def _kinds(kinds: list[str]) -> str:
    labels = [label for value, label in CommitmentKind.choices if value in kinds]
    words = [labels[0], *(label.lower() for label in labels[1:])]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"{listed} commitments"


def conditions_in_words(rule: ReviewRule) -> list[str]:
    """What a commitment and its deal must be for the rule to apply, one phrase each."""
    phrases = []
    if rule.kinds:
        phrases.append(_kinds(rule.kinds))
    if rule.min_effort_days is not None:
        phrases.append(f"effort ≥ {person_days(rule.min_effort_days)}")
    if rule.promised_within_days is not None:
        within = count(rule.promised_within_days, "day")
        phrases.append(f"promised within {within} of submission")
    if rule.min_deal_value is not None:
        amount = (
            money(rule.min_deal_value, rule.value_currency)
            if rule.value_currency
            else f"{number(rule.min_deal_value, 2)} in any currency"
        )
        phrases.append(f"deals of at least {amount}")
    if rule.whole_deal:
        phrases.append("every commitment of the deal")
    if not phrases:
        phrases.append("every commitment")
    return [phrase[0].upper() + phrase[1:] for phrase in phrases]


def requirement_in_words(rule: ReviewRule) -> str:
    """The approval the rule asks for, worded as on the deal page: "2 approvals by a PM of X"."""
    return ApprovalRequirement(
        approver=rule.approver, team=rule.team, approvals_required=rule.approvals_required
    ).label


def _rows(rule_list) -> list[dict]:
    return [
        {
            "rule": rule,
            "conditions": conditions_in_words(rule),
            "requirement": requirement_in_words(rule),
        }
        for rule in rule_list
    ]


# Pages


def _check_manager(request: HttpRequest) -> None:
    if not (answer := rules.can_manage_review_rules(request.user)):
        raise PermissionDenied(answer.refusal.message)


def _list_url() -> str:
    return reverse("deals:review_rules")


def _back(request: HttpRequest, **kwargs) -> str:
    return _list_url()


@login_required
@require_http_methods(["GET"])
def review_rules(request: HttpRequest) -> HttpResponse:
    """The live rules; with ?history=1 also every earlier version and retired rule."""
    _check_manager(request)
    live = review_rules_visible_to(request.user)
    show_history = request.GET.get("history") == "1"
    history = None
    if show_history:
        every = review_rules_visible_to(request.user, include_retired=True)
        newer = ReviewRule.objects.filter(key=OuterRef("key"), version=OuterRef("version") + 1)
        retired = every.filter(retired_at__isnull=False).annotate(replaced=Exists(newer))
        history = CappedPaginator(retired, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "rows": _rows(live),
        "show_history": show_history,
        "history": history,
        "history_rows": _rows(history) if history is not None else [],
    }
    return render(request, "deals/review_rules.html", context)


def _form_page(request, form: ReviewRuleForm, rule: ReviewRule | None, status: int = 200):
    context = {"form": form, "rule": rule, "next_version": rule.version + 1 if rule else 1}
    return render(request, "deals/review_rules_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def review_rule_create(request: HttpRequest) -> HttpResponse:
    _check_manager(request)
    if request.method != "POST":
        return _form_page(request, ReviewRuleForm(), None)
    form = ReviewRuleForm(request.POST)
    if form.is_valid():
        try:
            rule = services.review_rule_create(actor=request.user, data=form.rule_data())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, f"Rule “{rule.name}” added: deals submitted from now on follow it."
            )
            return redirect(_list_url())
    return _form_page(request, form, None, status=400)


def _rule_and_current(request: HttpRequest, pk: int) -> tuple[ReviewRule, ReviewRule | None]:
    """The version the URL names and the live version of the same rule (None if retired)."""
    every = review_rules_visible_to(request.user, include_retired=True)
    rule = get_object_or_404(every, pk=pk)
    if rule.is_live:
        return rule, rule
    return rule, every.filter(key=rule.key, retired_at__isnull=True).first()


def _gone(request: HttpRequest, rule: ReviewRule) -> HttpResponse:
    messages.error(request, f"“{rule.name}” was retired: a retired rule cannot change.")
    return redirect(_list_url())


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def review_rule_edit(request: HttpRequest, rule_pk: int) -> HttpResponse:
    """Saving writes the next version; rounds already submitted keep the one they had.

    A form opened on a version someone has since replaced comes back on the new version,
    with what was typed and a word on what happened.
    """
    _check_manager(request)
    opened, rule = _rule_and_current(request, rule_pk)
    if rule is None:
        return _gone(request, opened)
    if request.method != "POST":
        if rule.pk != opened.pk:
            return redirect("deals:review_rule_edit", rule_pk=rule.pk)
        return _form_page(request, ReviewRuleForm(rule=rule), rule)
    form = ReviewRuleForm(request.POST, rule=rule)
    if rule.pk != opened.pk:
        form.is_valid()
        form.add_error(None, _replaced(rule))
        return _form_page(request, form, rule, status=409)
    if form.is_valid():
        try:
            saved = services.review_rule_update(
                rule=rule, actor=request.user, data=form.rule_data()
            )
        except ValidationError as error:
            form.add_service_error(error)
        except DomainError as error:  # changed or retired by someone else meanwhile
            form.add_error(None, error.message)
        else:
            if saved.pk == rule.pk:
                messages.info(
                    request, f"Nothing changed: “{rule.name}” stays version {rule.version}."
                )
            else:
                messages.success(
                    request,
                    f"Saved “{saved.name}” as version {saved.version}. "
                    f"Rounds already submitted keep version {rule.version}.",
                )
            return redirect(_list_url())
    return _form_page(request, form, rule, status=400)


def _replaced(rule: ReviewRule) -> str:
    return (
        f"{rule.created_by} changed this rule since you opened it: it is now version "
        f"{rule.version}. Check what you typed against it below and save again."
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_back)
def review_rule_retire(request: HttpRequest, rule_pk: int) -> HttpResponse:
    """GET asks for confirmation (the page without script); POST retires the rule."""
    _check_manager(request)
    opened, rule = _rule_and_current(request, rule_pk)
    if rule is None:
        return _gone(request, opened)
    if rule.pk != opened.pk:
        messages.error(
            request,
            f"{rule.created_by} changed “{rule.name}” since you opened it (now version "
            f"{rule.version}): nothing was retired. Check it, and retire it again if you mean to.",
        )
        return redirect(_list_url())
    if request.method != "POST":
        context = {"row": _rows([rule])[0]}
        return render(request, "deals/review_rules_retire.html", context)
    services.review_rule_retire(rule=rule, actor=request.user)
    messages.success(
        request,
        f"Rule “{rule.name}” retired: deals submitted from now on no longer follow it. "
        f"Rounds already submitted keep version {rule.version}.",
    )
    return redirect(_list_url())


def settings_section(request: HttpRequest) -> dict | None:
    """The review rules' section of the settings page, for managers only."""
    if not rules.can_manage_review_rules(request.user):
        return None
    return {"review_rules_live": review_rules_visible_to(request.user).count()}

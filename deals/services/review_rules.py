"""Managers' review rules: create one, change it (a new version), retire it."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals import rules
from deals.models import ApproverKind, CommitmentKind, ReviewRule
from handoff.errors import ConcurrentChange
from handoff.models import TeamKind, User

RULE_FIELDS = (
    "name",
    "kinds",
    "min_effort_days",
    "promised_within_days",
    "min_deal_value",
    "value_currency",
    "whole_deal",
    "approver",
    "team",
    "approvals_required",
)


def _check(rule: ReviewRule) -> None:
    errors = {}
    kinds = rule.kinds or []
    if not isinstance(kinds, list) or not set(kinds) <= set(CommitmentKind.values):
        errors["kinds"] = "Choose kinds from: " + ", ".join(CommitmentKind.values) + "."
    else:
        rule.kinds = sorted(set(kinds))
    if rule.approver == ApproverKind.MANAGER and rule.team_id:
        errors["team"] = "A manager's approval names no team; leave the team empty."
    if rule.team is not None and rule.team.kind != TeamKind.DELIVERY:
        errors["team"] = "Choose a delivery team: its PMs approve."
    if rule.value_currency and rule.min_deal_value is None:
        errors["value_currency"] = "A currency goes with a minimum deal value."
    if errors:
        raise ValidationError(errors)
    rule.full_clean(exclude=["key", "created_by", "retired_by"], validate_constraints=False)


def _build(rule: ReviewRule, data: dict[str, Any]) -> ReviewRule:
    for field in RULE_FIELDS:
        if field in data:
            setattr(rule, field, data[field])
    if rule.value_currency is None:
        rule.value_currency = ""
    _check(rule)
    return rule


@transaction.atomic
def review_rule_create(*, actor: User, data: dict[str, Any]) -> ReviewRule:
    rules.can_manage_review_rules(actor).enforce()
    rule = _build(ReviewRule(created_by=actor), data)
    rule.save()
    return rule


def _lock_live(rule: ReviewRule) -> ReviewRule:
    current = ReviewRule.objects.select_for_update().filter(pk=rule.pk).first()
    if current is None or not current.is_live:
        raise ConcurrentChange(
            "This rule was changed or retired since you opened it. Reload and try again.",
            code="rule_not_live",
        )
    return current


@transaction.atomic
def review_rule_update(*, rule: ReviewRule, actor: User, data: dict[str, Any]) -> ReviewRule:
    """A change writes the next version and retires this one; open rounds keep theirs."""
    rules.can_manage_review_rules(actor).enforce()
    current = _lock_live(rule)
    draft = ReviewRule.objects.get(pk=current.pk)
    draft.pk = None
    draft.version = current.version + 1
    draft.created_by, draft.created_at = actor, timezone.now()
    _build(draft, data)
    if all(getattr(draft, f) == getattr(current, f) for f in RULE_FIELDS):
        return current
    current.retired_at, current.retired_by = timezone.now(), actor
    current.save(update_fields=["retired_at", "retired_by"])
    draft.save(force_insert=True)
    return draft


@transaction.atomic
def review_rule_retire(*, rule: ReviewRule, actor: User) -> ReviewRule:
    rules.can_manage_review_rules(actor).enforce()
    current = _lock_live(rule)
    current.retired_at, current.retired_by = timezone.now(), actor
    current.save(update_fields=["retired_at", "retired_by"])
    return current

"""The review rule form of the managers' pages: it parses what was typed; the services decide."""

from typing import Any

from django import forms

from deals.forms import NEGATIVE_EFFORT
from deals.models import (
    MAX_APPROVERS,
    MAX_DEAL_VALUE,
    MAX_EFFORT_DAYS,
    ApproverKind,
    CommitmentKind,
    Currency,
    ReviewRule,
)
from deals.models.routing import MAX_PROMISED_WITHIN_DAYS
from handoff.models import Team, TeamKind
from handoff.web.forms import ServiceErrorsMixin

APPROVERS = [
    (ApproverKind.PM.value, ApproverKind.PM.label),
    (ApproverKind.MANAGER.value, ApproverKind.MANAGER.label),
]
APPROVALS = [
    (n, "1 approval" if n == 1 else f"{n} approvals, by different people")
    for n in range(1, MAX_APPROVERS + 1)
]


class ReviewRuleForm(ServiceErrorsMixin, forms.Form):
    """One rule's conditions and requirement; `rule_data()` is what the services take."""

    name = forms.CharField(
        label="Name",
        max_length=120,
        help_text="Say what the rule is for, e.g. “Integration needs the Integration team”.",
    )
    kinds = forms.MultipleChoiceField(
        label="Kinds of commitment",
        choices=CommitmentKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for commitments of any kind.",
    )
    min_effort_days = forms.DecimalField(
        label="Effort at least (days)",
        required=False,
        min_value=0,
        max_value=MAX_EFFORT_DAYS,
        max_digits=7,
        decimal_places=1,
        error_messages={"min_value": NEGATIVE_EFFORT},
    )
    promised_within_days = forms.IntegerField(
        label="Promised within (days of submission)",
        required=False,
        min_value=0,
        max_value=MAX_PROMISED_WITHIN_DAYS,
    )
    min_deal_value = forms.DecimalField(
        label="Deal value at least",
        required=False,
        min_value=0,
        max_value=MAX_DEAL_VALUE,
        max_digits=14,
        decimal_places=2,
    )
    value_currency = forms.ChoiceField(
        label="Currency of that value",
        choices=[("", "Any currency"), *Currency.choices],
        required=False,
    )
    whole_deal = forms.BooleanField(
        label="Every commitment of the deal",
        required=False,
        help_text="Once a deal matches, every one of its commitments needs this approval.",
    )
    approver = forms.ChoiceField(
        label="Who approves", choices=APPROVERS, widget=forms.RadioSelect, initial="pm"
    )
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.filter(kind=TeamKind.DELIVERY).order_by("name"),
        required=False,
        empty_label="No team: any project manager",
        help_text="For a project manager's approval: only the PMs of this delivery team approve.",
    )
    approvals_required = forms.TypedChoiceField(
        label="Approvals required",
        choices=APPROVALS,
        coerce=int,
        widget=forms.RadioSelect,
        initial=1,
    )

    CONDITIONS = (
        "kinds",
        "min_effort_days",
        "promised_within_days",
        "min_deal_value",
        "value_currency",
        "whole_deal",
    )
    REQUIREMENT = ("approver", "team", "approvals_required")

    def __init__(self, *args, rule: ReviewRule | None = None, **kwargs) -> None:
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": rule.name,
                "kinds": rule.kinds,
                "min_effort_days": rule.min_effort_days,
                "promised_within_days": rule.promised_within_days,
                "min_deal_value": rule.min_deal_value,
                "value_currency": rule.value_currency,
                "whole_deal": rule.whole_deal,
                "approver": rule.approver,
                "team": rule.team_id,
                "approvals_required": rule.approvals_required,
            }
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("approver") == ApproverKind.MANAGER and data.get("team"):
            self.add_error(
                "team", "A manager's approval names no team: choose “No team” or a PM approver."
            )
        if data.get("value_currency") and data.get("min_deal_value") is None:
            self.add_error("min_deal_value", "Give the deal value that currency is for.")
        return data

    def rule_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in (*self.CONDITIONS, *self.REQUIREMENT)} | {
            "name": self.cleaned_data["name"].strip()
        }

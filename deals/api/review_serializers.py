"""Serializers of the review engine's API: a deal's approvals by commitment, review rules."""

from rest_framework import serializers

from deals.models import (
    MAX_APPROVERS,
    MAX_DEAL_VALUE,
    MAX_EFFORT_DAYS,
    ApproverKind,
    CommitmentKind,
    Currency,
    ReviewRule,
    VerdictKind,
)
from deals.models.routing import MAX_PROMISED_WITHIN_DAYS
from handoff.api import ProblemSerializer, TextField
from handoff.models import Team

# Who a rule may ask for (the lead reviewer is the default when no rule matches).
RULE_APPROVERS = [(k.value, k.label) for k in (ApproverKind.PM, ApproverKind.MANAGER)]

# A deal's approvals: read from deals.selectors.deal_approvals


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)


class ApprovalSerializer(serializers.Serializer):
    approver = PersonSerializer(read_only=True)
    condition = serializers.CharField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)
    carried_from_round = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The round this approval was given in, when carried; null when fresh.",
    )


class RequirementSerializer(serializers.Serializer):
    label = serializers.CharField(read_only=True, help_text='"Approval by a PM of Integration"')
    approver = serializers.ChoiceField(
        source="requirement.approver", choices=ApproverKind.choices, read_only=True
    )
    team = serializers.IntegerField(source="requirement.team_id", read_only=True, allow_null=True)
    team_name = serializers.CharField(
        source="requirement.team.name", read_only=True, allow_null=True
    )
    approvals_required = serializers.IntegerField(
        source="requirement.approvals_required", read_only=True
    )
    met = serializers.BooleanField(read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)


class StandingSerializer(serializers.Serializer):
    """The commitment's verdict in the round: the latest ruling, carried or fresh."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(source="verdict", choices=VerdictKind.choices, read_only=True)
    condition = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)
    carried_from_round = serializers.IntegerField(read_only=True, allow_null=True)
    decided_by = PersonSerializer(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)


class CommitmentApprovalsSerializer(serializers.Serializer):
    commitment = serializers.IntegerField(source="commitment.pk", read_only=True)
    summary = serializers.CharField(source="commitment.summary", read_only=True)
    kind = serializers.ChoiceField(
        source="commitment.kind", choices=CommitmentKind.choices, read_only=True
    )
    version = serializers.IntegerField(source="commitment.version", read_only=True)
    verdict = StandingSerializer(read_only=True, allow_null=True)
    requirements = RequirementSerializer(many=True, read_only=True)
    needs_attention = serializers.BooleanField(
        read_only=True,
        help_text="Not approved in this round yet, fresh or carried: it waits for a ruling.",
    )
    can_rule = serializers.BooleanField(read_only=True, help_text="Whether you may rule on it now.")


class MissingApprovalSerializer(serializers.Serializer):
    commitment = serializers.IntegerField(read_only=True)
    summary = serializers.CharField(read_only=True)
    requirements = serializers.ListField(child=serializers.CharField(), read_only=True)


class ApprovalsMissingSerializer(ProblemSerializer):
    """A sign-off refused: with code approvals_missing, `missing` says what each still needs."""

    missing = MissingApprovalSerializer(
        many=True, required=False, help_text="With approvals_missing: per commitment short of one."
    )


class DealApprovalsSerializer(serializers.Serializer):
    deal = serializers.IntegerField(source="deal.pk", read_only=True)
    round = serializers.IntegerField(
        source="round.number",
        read_only=True,
        allow_null=True,
        help_text="The open round, or the latest when none is open; null if never submitted.",
    )
    open = serializers.BooleanField(read_only=True)
    reviewer = PersonSerializer(source="round.reviewer", read_only=True, allow_null=True)
    commitments = CommitmentApprovalsSerializer(many=True, read_only=True)
    missing = MissingApprovalSerializer(
        many=True,
        read_only=True,
        help_text="What a sign-off still waits for, as its 409 approvals_missing names it.",
    )


# Review rules


class ReviewRuleSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=CommitmentKind.choices), read_only=True
    )
    value_currency = serializers.ChoiceField(
        choices=Currency.choices, allow_blank=True, read_only=True
    )
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True)
    created_by_name = serializers.CharField(source="created_by.display_name", read_only=True)
    retired_by_name = serializers.CharField(
        source="retired_by.display_name", read_only=True, allow_null=True
    )
    is_live = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReviewRule
        fields = [
            "id",
            "key",
            "version",
            "name",
            "kinds",
            "min_effort_days",
            "promised_within_days",
            "min_deal_value",
            "value_currency",
            "whole_deal",
            "approver",
            "team",
            "team_name",
            "approvals_required",
            "created_by",
            "created_by_name",
            "created_at",
            "retired_at",
            "retired_by",
            "retired_by_name",
            "is_live",
        ]
        read_only_fields = fields


class ReviewRuleInputSerializer(serializers.Serializer):
    """A rule's conditions (all must hold; one left out matches everything) and who approves."""

    name = TextField(max_length=120, error_messages={"blank": "Name the rule."})
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=CommitmentKind.choices),
        required=False,
        default=list,
        max_length=len(CommitmentKind.values),
        help_text="Commitment kinds it applies to; empty for every kind.",
    )
    min_effort_days = serializers.DecimalField(
        max_digits=7,
        decimal_places=1,
        min_value=0,
        max_value=MAX_EFFORT_DAYS,
        required=False,
        allow_null=True,
        default=None,
        help_text="Commitments of at least this effort.",
    )
    promised_within_days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_PROMISED_WITHIN_DAYS,
        required=False,
        allow_null=True,
        default=None,
        help_text="Commitments promised at most this many days after the submission.",
    )
    min_deal_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=MAX_DEAL_VALUE,
        required=False,
        allow_null=True,
        default=None,
        help_text="Deals worth at least this much.",
    )
    value_currency = serializers.ChoiceField(
        choices=Currency.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The currency of min_deal_value; empty for any.",
    )
    whole_deal = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Once the deal matches, every commitment of it needs the approval.",
    )
    approver = serializers.ChoiceField(choices=RULE_APPROVERS)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A delivery team whose PMs approve; only with approver pm.",
    )
    approvals_required = serializers.IntegerField(
        min_value=1,
        max_value=MAX_APPROVERS,
        required=False,
        default=1,
        help_text="Distinct approvers needed: 1 or 2.",
    )


class ReviewRuleListQuerySerializer(serializers.Serializer):
    include_retired = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: every version, retired ones too; else the live rules only.",
    )

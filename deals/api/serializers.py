"""Serializers of the deals API: they shape data and parse input; `status` is read-only."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import serializers

from deals import selectors
from deals.models import (
    Client,
    Comment,
    Commitment,
    CommitmentKind,
    Currency,
    Deal,
    DealEvent,
    Escalation,
    EscalationDecision,
    Verdict,
    VerdictKind,
)
from deals.services.review import MAX_NOTE_LENGTH
from handoff.api import TextField
from handoff.models import Role, User

# Serializers: output


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "industry", "created_at"]
        read_only_fields = fields


class CommitmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = [
            "id",
            "deal",
            "kind",
            "summary",
            "detail",
            "promised_date",
            "effort_days",
            "version",
            "suggested_date",
            "suggestion_taken",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "suggested_date": {
                "help_text": "The date 80 % of similar resolved promises met, when the promise "
                "was written (null while history was too thin)."
            },
            "suggestion_taken": {"help_text": "Whether the promise took the suggested date."},
        }


class DealSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    commitment_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "client",
            "client_name",
            "owner",
            "owner_name",
            "value",
            "currency",
            "expected_close_date",
            "expected_start_date",
            "description",
            "status",
            "lost_reason",
            "first_submitted_at",
            "version",
            "commitment_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DealDetailSerializer(DealSerializer):
    commitments = CommitmentSerializer(many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, "commitments"]
        read_only_fields = fields


class VerdictSerializer(serializers.ModelSerializer):
    deal = serializers.IntegerField(source="round.deal_id", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    decided_by_name = serializers.CharField(source="decided_by.display_name", read_only=True)

    class Meta:
        model = Verdict
        fields = [
            "id",
            "deal",
            "round",
            "round_number",
            "commitment",
            "commitment_version",
            "verdict",
            "reason",
            "condition",
            "counter_date",
            "counter_effort_days",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "carried_from_round",
            "counter_accepted_version",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "carried_from_round": {
                "help_text": "The round whose approval this carries (unchanged since); "
                "null when ruled in this round."
            },
            "counter_accepted_version": {
                "help_text": "The commitment version the owner's acceptance of this flag's "
                "counter-proposal made; null until accepted."
            },
        }


class EscalationSerializer(serializers.ModelSerializer):
    commitment = serializers.IntegerField(source="verdict.commitment_id", read_only=True)
    commitment_summary = serializers.CharField(source="verdict.commitment.summary", read_only=True)
    flag_reason = serializers.CharField(source="verdict.reason", read_only=True)
    raised_by_name = serializers.CharField(source="raised_by.display_name", read_only=True)
    decided_by_name = serializers.CharField(
        source="decided_by.display_name", read_only=True, allow_null=True
    )

    class Meta:
        model = Escalation
        fields = [
            "id",
            "deal",
            "verdict",
            "commitment",
            "commitment_summary",
            "flag_reason",
            "raised_by",
            "raised_by_name",
            "raised_at",
            "argument",
            "decision",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class DealEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.display_name", read_only=True, allow_null=True)

    class Meta:
        model = DealEvent
        fields = [
            "id",
            "deal",
            "at",
            "kind",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "reason",
            "data",
        ]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.display_name", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "deal", "author", "author_name", "body", "mentions", "created_at"]
        read_only_fields = fields


class CommentCreatedSerializer(CommentSerializer):
    not_notified = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Usernames mentioned who cannot see the deal, so were not notified.",
    )
    warning = serializers.CharField(read_only=True, help_text="Says who was not notified.")

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "not_notified", "warning"]
        read_only_fields = fields


# Serializers: input


class ClientInputSerializer(serializers.Serializer):
    name = TextField(max_length=200)
    industry = TextField(max_length=100, required=False, allow_blank=True, default="")


class CommitmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CommitmentKind.choices)
    summary = TextField(max_length=200)
    detail = TextField(required=False, allow_blank=True)
    promised_date = serializers.DateField()
    effort_days = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, required=False
    )


class _RefusesWorkflowFields(serializers.Serializer):
    """Status moves only through the actions; saying otherwise is a 400, not a silent no-op."""

    refused = ("status", "lost_reason", "first_submitted_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.initial_data, Mapping):
            errors = {
                name: "Status changes only through the workflow actions (submit, sign-off, win…)."
                for name in self.refused
                if name in self.initial_data
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class DealInputSerializer(_RefusesWorkflowFields):
    title = TextField(max_length=200)
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    expected_close_date = serializers.DateField()
    expected_start_date = serializers.DateField(required=False, allow_null=True)
    description = TextField(required=False, allow_blank=True)


class DealCreateSerializer(DealInputSerializer):
    # Counted before any item is validated: an over-long list costs nothing to refuse.
    commitments = CommitmentInputSerializer(
        many=True,
        required=False,
        max_length=settings.MAX_COMMITMENTS_PER_DEAL,
        help_text=f"At most {settings.MAX_COMMITMENTS_PER_DEAL} a deal.",
    )


class DealUpdateSerializer(DealInputSerializer):
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The version you read; a different current version answers 409.",
    )


class CommitmentCreateSerializer(CommitmentInputSerializer):
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects.none())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Another rep's deal does not exist as far as this user can tell.
            self.fields["deal"].queryset = selectors.deals_visible_to(request.user)


class CommitmentUpdateSerializer(CommitmentInputSerializer):
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The version you read; a different current version answers 409.",
    )


class VerdictInputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=VerdictKind.choices)
    reason = TextField(
        required=False, allow_blank=True, default="", help_text="Required for a flag."
    )
    condition = TextField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for an approval with a condition.",
    )
    counter_date = serializers.DateField(required=False, allow_null=True, default=None)
    counter_effort_days = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, required=False, allow_null=True, default=None
    )


class LoseInputSerializer(serializers.Serializer):
    reason = TextField(error_messages={"blank": "Say why the deal was lost."})


class ReviseInputSerializer(serializers.Serializer):
    reason = TextField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The version you read; a different current version answers 409.",
    )


class AssignInputSerializer(serializers.Serializer):
    reviewer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role=Role.PM)
    )
    note = TextField(
        max_length=MAX_NOTE_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why, for the new reviewer and the timeline.",
    )


class ReleaseInputSerializer(serializers.Serializer):
    note = TextField(
        max_length=MAX_NOTE_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why, for the PMs who may claim it and the timeline.",
    )


class WinInputSerializer(serializers.Serializer):
    project_manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role=Role.PM),
        required=False,
        allow_null=True,
        default=None,
        help_text="Managers only: the PM who runs the project.",
    )


class EscalateInputSerializer(serializers.Serializer):
    argument = TextField(error_messages={"blank": "Say why the flag should be overruled."})


class EscalationDecideInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[(EscalationDecision.UPHELD, "Uphold"), (EscalationDecision.OVERRULED, "Overrule")]
    )
    reason = TextField(error_messages={"blank": "Give the reason for your decision."})


class CommentInputSerializer(serializers.Serializer):
    body = TextField(max_length=5000, error_messages={"blank": "Write something first."})

"""Deals' models by topic; import them from here: `from deals.models import Deal`."""

# APPEND_ONLY_TRIGGER and AppendOnlyQuerySet are re-exported: they lived here first.
from deals.models.deals import Client, Commitment, CommitmentKind, Currency, Deal
from deals.models.records import Comment, DealEvent
from deals.models.review import (
    Escalation,
    EscalationDecision,
    ReviewRound,
    RoundOutcome,
    SignOff,
    Verdict,
    VerdictKind,
)
from deals.models.workflow import (
    CLOSE_GATE_TRIGGER,
    EDITABLE_STATUSES,
    MAX_DEAL_VALUE,
    MAX_EFFORT_DAYS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    WORKFLOW_FIELDS,
    DealQuerySet,
    DealStatus,
    EventKind,
    StatusWriteRefused,
    close_gate_trigger,
    workflow_write,
)
from handoff.audit import APPEND_ONLY_TRIGGER, AppendOnlyQuerySet

__all__ = [
    "APPEND_ONLY_TRIGGER",
    "CLOSE_GATE_TRIGGER",
    "EDITABLE_STATUSES",
    "MAX_DEAL_VALUE",
    "MAX_EFFORT_DAYS",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "WORKFLOW_FIELDS",
    "AppendOnlyQuerySet",
    "Client",
    "Comment",
    "Commitment",
    "CommitmentKind",
    "Currency",
    "Deal",
    "DealEvent",
    "DealQuerySet",
    "DealStatus",
    "Escalation",
    "EscalationDecision",
    "EventKind",
    "ReviewRound",
    "RoundOutcome",
    "SignOff",
    "StatusWriteRefused",
    "Verdict",
    "VerdictKind",
    "close_gate_trigger",
    "workflow_write",
]

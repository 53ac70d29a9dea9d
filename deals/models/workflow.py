"""The review workflow's ground rules: statuses, the one transition table, the close gate's
trigger, and the guard that keeps status writes inside deals.services."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

import pgtrigger
from django.db import models


class DealStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SIGNED_OFF = "signed_off", "Signed off"
    WON = "won", "Won"
    LOST = "lost", "Lost"


# The open pipeline: deals past the review's start and not yet won or lost. Their commitments
# are the load that may come (the capacity check's tentative load, the dashboard's pipeline).
PIPELINE_STATUSES = (DealStatus.IN_REVIEW, DealStatus.SIGNED_OFF)


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Deal edited"
    COMMITMENT_ADDED = "commitment_added", "Commitment added"
    COMMITMENT_CHANGED = "commitment_changed", "Commitment changed"
    COMMITMENT_REMOVED = "commitment_removed", "Commitment removed"
    SUBMITTED = "submitted", "Submitted for review"
    CLAIMED = "claimed", "Review claimed"
    ASSIGNED = "assigned", "Reviewer assigned"
    RELEASED = "released", "Review released"
    APPROVALS_CARRIED = "approvals_carried", "Approvals carried"
    VERDICT = "verdict", "Ruled on a commitment"
    COUNTER_ACCEPTED = "counter_accepted", "Counter-proposal accepted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SIGNED_OFF = "signed_off", "Signed off"
    ESCALATED = "escalated", "Flag escalated"
    ESCALATION_DECIDED = "escalation_decided", "Escalation decided"
    REVISED = "revised", "Revised"
    SIGN_OFF_VOIDED = "sign_off_voided", "Sign-off voided"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    COMMENTED = "commented", "Commented"


# The one table of allowed transitions: action -> (from statuses, to status).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({DealStatus.DRAFT, DealStatus.CHANGES_REQUESTED}), DealStatus.IN_REVIEW),
    "request_changes": (frozenset({DealStatus.IN_REVIEW}), DealStatus.CHANGES_REQUESTED),
    "sign_off": (frozenset({DealStatus.IN_REVIEW}), DealStatus.SIGNED_OFF),
    "revise": (
        frozenset({DealStatus.DRAFT, DealStatus.CHANGES_REQUESTED, DealStatus.SIGNED_OFF}),
        DealStatus.DRAFT,
    ),
    "win": (frozenset({DealStatus.SIGNED_OFF}), DealStatus.WON),
    "lose": (
        frozenset(
            {
                DealStatus.DRAFT,
                DealStatus.IN_REVIEW,
                DealStatus.CHANGES_REQUESTED,
                DealStatus.SIGNED_OFF,
            }
        ),
        DealStatus.LOST,
    ),
}
TERMINAL_STATUSES = frozenset({DealStatus.WON, DealStatus.LOST})
# Deals and commitments are edited only in draft; `revise` brings a deal back to draft.
EDITABLE_STATUSES = frozenset({DealStatus.DRAFT})
# Editing a deal whose changes were requested revises it first, in the same step.
REVISED_BY_EDITING = frozenset({DealStatus.CHANGES_REQUESTED})

# Bounds of what a user may enter; the database holds more (max_digits), the pages need less.
MAX_DEAL_VALUE = Decimal("1000000000")
MAX_EFFORT_DAYS = Decimal("5000")


def _allowed_status_changes() -> list[tuple[str, str]]:
    """Every (from, to) pair of TRANSITIONS that changes the status."""
    return sorted(
        {
            (str(origin), str(target))
            for origins, target in TRANSITIONS.values()
            for origin in origins
            if origin != target
        }
    )


# The close gate in PostgreSQL: a status change outside TRANSITIONS, or a win without the
# current sign-off of the commitments as they are now, fails whatever code or SQL writes it.
CLOSE_GATE_TRIGGER = "close_gate"

# The commitment's fingerprint_data() in SQL: the same keys, written as Python writes them.
_COMMITMENT_AS_SIGNED = """jsonb_build_object(
    'id', c.id, 'version', c.version, 'kind', c.kind, 'summary', c.summary,
    'detail', c.detail, 'promised_date', to_char(c.promised_date, 'YYYY-MM-DD'),
    'effort_days', c.effort_days::text)"""


# The trigger's body; close_gate_trigger() fills in the statuses, each checked to be a plain
# identifier, and the commitment as signed. No value from outside this module reaches it.
_CLOSE_GATE_SQL = """
    IF (OLD.status, NEW.status) NOT IN ({allowed}) THEN
        RAISE EXCEPTION 'close gate: a deal cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status = '{won}' THEN
        -- The latest sign-off, as deal_win reads it, unless a revision voided it since.
        SELECT s.snapshot INTO signed_items FROM deals_signoff s WHERE s.deal_id = NEW.id
            AND NOT EXISTS (
                SELECT 1 FROM deals_dealevent e WHERE e.deal_id = NEW.id
                    AND e.kind = '{voided}'
                    AND e.data ->> 'sign_off' = s.id::text)
            AND s.signed_at = (SELECT max(signed_at) FROM deals_signoff WHERE deal_id = NEW.id)
            ORDER BY s.id DESC LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'close gate: deal % has no current sign-off and cannot be won',
                NEW.id USING ERRCODE = 'check_violation';
        END IF;
        SELECT COALESCE(jsonb_agg(item - 'condition' ORDER BY (item ->> 'id')::bigint), '[]')
            INTO signed_items FROM jsonb_array_elements(signed_items) AS item;
        SELECT COALESCE(jsonb_agg({commitment} ORDER BY c.id), '[]')
            INTO current_items FROM deals_commitment c WHERE c.deal_id = NEW.id;
        IF signed_items IS DISTINCT FROM current_items THEN
            RAISE EXCEPTION 'close gate: the commitments of deal % differ from its sign-off',
                NEW.id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
    """


def close_gate_trigger() -> pgtrigger.Trigger:
    pairs = _allowed_status_changes()
    if not all(value.isidentifier() for pair in pairs for value in pair):
        raise ValueError("Deal statuses must be plain identifiers to be written into SQL.")
    func = _CLOSE_GATE_SQL.format(
        allowed=", ".join(f"('{origin}', '{target}')" for origin, target in pairs),
        won=DealStatus.WON.value,
        voided=EventKind.SIGN_OFF_VOIDED.value,
        commitment=_COMMITMENT_AS_SIGNED,
    )
    return pgtrigger.Trigger(
        name=CLOSE_GATE_TRIGGER,
        when=pgtrigger.Before,
        operation=pgtrigger.UpdateOf("status"),
        condition=pgtrigger.Condition("OLD.status IS DISTINCT FROM NEW.status"),
        declare=[("signed_items", "jsonb"), ("current_items", "jsonb")],
        func=func,
    )


# Fields only the workflow (deals.services) writes. Everything else must go through it.
WORKFLOW_FIELDS = frozenset({"status", "lost_reason", "first_submitted_at"})
_in_workflow: ContextVar[bool] = ContextVar("deal_workflow_write", default=False)


class StatusWriteRefused(Exception):
    """A write of a deal's status outside deals.services: the close gate said no."""


@contextmanager
def workflow_write() -> Iterator[None]:
    """Marks the workflow's own status writes; only deals.services enters it."""
    token = _in_workflow.set(True)
    try:
        yield
    finally:
        _in_workflow.reset(token)


def _refuse_workflow_fields(fields: Iterable[str]) -> None:
    touched = WORKFLOW_FIELDS.intersection(fields)
    if touched and not _in_workflow.get():
        raise StatusWriteRefused(
            f"{', '.join(sorted(touched))} change only through the review workflow."
        )


class DealQuerySet(models.QuerySet):
    """Bulk writes cannot set status: update() and bulk_update() refuse workflow fields."""

    def update(self, **kwargs):
        _refuse_workflow_fields(kwargs)
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse_workflow_fields(fields)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if not _in_workflow.get() and any(_has_workflow_state(o) for o in objs):
            raise StatusWriteRefused("A new deal starts as a draft.")
        return super().bulk_create(objs, *args, **kwargs)

    bulk_create.alters_data = True


def _has_workflow_state(deal: models.Model) -> bool:
    return (
        deal.status != DealStatus.DRAFT
        or bool(deal.lost_reason)
        or deal.first_submitted_at is not None
    )

"""Adding, changing and removing the commitments of a draft deal (or of one whose changes
were requested, which the edit revises first)."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals import rules
from deals.models import Commitment, Deal, EventKind
from deals.promise_advice import suggested_date_for
from deals.services._workflow import _clean, _lock, _record, _revise_for_edit, _touch
from handoff.errors import ConcurrentChange
from handoff.models import User

COMMITMENT_FIELDS = ("kind", "summary", "detail", "promised_date", "effort_days")


def _check_commitment_cap(count: int, *, field: str) -> None:
    """A deal holds at most MAX_COMMITMENTS_PER_DEAL commitments, so its writes stay short."""
    cap = settings.MAX_COMMITMENTS_PER_DEAL
    if count > cap:
        message = f"A deal holds at most {cap} commitments; this would make it {count}."
        raise ValidationError({field: ValidationError(message, code="too_many_commitments")})


def _commitment_create(deal: Deal, *, actor: User, data: dict[str, Any]) -> Commitment:
    commitment = Commitment(deal=deal, **{k: v for k, v in data.items() if k in COMMITMENT_FIELDS})
    _clean(commitment)
    _note_suggestion(commitment, planned=data.get("planned_date"))
    commitment.save()
    _record(
        deal,
        actor=actor,
        kind=EventKind.COMMITMENT_ADDED,
        data={"commitment": commitment.pk, "after": _commitment_data(commitment)},
    )
    return commitment


def _note_suggestion(commitment: Commitment, *, planned=None) -> None:
    """Record the date history suggested for this promise, and whether the promise took it.

    `planned` is the date typed before the suggestion replaced it (the deal form says so);
    without it the suggestion is the one for the promised date itself.
    """
    commitment.suggested_date = suggested_date_for(
        kind=commitment.kind,
        effort_days=commitment.effort_days,
        promised_date=planned or commitment.promised_date,
    )
    commitment.suggestion_taken = (
        commitment.suggested_date is not None
        and commitment.promised_date == commitment.suggested_date
    )


def _commitment_data(commitment: Commitment) -> dict:
    data = commitment.fingerprint_data()
    data.pop("id")
    return data


@transaction.atomic
def commitment_add(*, deal: Deal, actor: User, data: dict[str, Any]) -> Commitment:
    deal = _lock(deal)
    rules.can_change_commitments(actor, deal).enforce()
    _check_commitment_cap(deal.commitments.count() + 1, field="deal")
    _revise_for_edit(deal, actor=actor)
    commitment = _commitment_create(deal, actor=actor, data=data)
    _touch(deal)
    return commitment


@transaction.atomic
def commitment_update(
    *,
    commitment: Commitment,
    actor: User,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Commitment:
    deal = _lock(commitment.deal_id)
    rules.can_change_commitments(actor, deal).enforce()
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if expected_version is not None and expected_version != commitment.version:
        raise ConcurrentChange("This commitment changed since you opened it. Reload and try again.")
    before = _commitment_data(commitment)
    for field in COMMITMENT_FIELDS:
        if field in data:
            setattr(commitment, field, data[field])
    _clean(commitment)
    after = _commitment_data(commitment)
    after["version"] = before["version"]
    if after == before:
        return commitment
    _revise_for_edit(deal, actor=actor)
    _note_suggestion(commitment, planned=data.get("planned_date"))
    commitment.version += 1
    commitment.updated_at = timezone.now()
    commitment.save()
    after["version"] = commitment.version
    _touch(deal)
    _record(
        deal,
        actor=actor,
        kind=EventKind.COMMITMENT_CHANGED,
        data={"commitment": commitment.pk, "before": before, "after": after},
    )
    return commitment


@transaction.atomic
def commitment_remove(*, commitment: Commitment, actor: User) -> None:
    deal = _lock(commitment.deal_id)
    rules.can_change_commitments(actor, deal).enforce()
    commitment = Commitment.objects.get(pk=commitment.pk)
    _revise_for_edit(deal, actor=actor)
    _record(
        deal,
        actor=actor,
        kind=EventKind.COMMITMENT_REMOVED,
        data={"commitment": commitment.pk, "before": _commitment_data(commitment)},
    )
    commitment.delete()
    _touch(deal)

"""Creating, editing and deleting a deal while it is a draft (editing one whose changes were
requested revises it first)."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from deals import rules
from deals.models import Client, Deal, EventKind
from deals.services._workflow import _clean, _lock, _record, _revise_for_edit, _touch
from deals.services.commitments import _check_commitment_cap, _commitment_create
from handoff.audit import append_only_lifted
from handoff.models import User

DEAL_FIELDS = (
    "title",
    "client",
    "value",
    "currency",
    "expected_close_date",
    "expected_start_date",
    "description",
)


@transaction.atomic
def deal_create(*, actor: User, data: dict[str, Any], commitments: Iterable[dict] = ()) -> Deal:
    rules.can_create_deals(actor).enforce()
    commitments = list(commitments)
    _check_commitment_cap(len(commitments), field="commitments")
    deal = Deal(owner=actor, **{k: v for k, v in data.items() if k in DEAL_FIELDS})
    _clean(deal)
    deal.save()
    _record(deal, actor=actor, kind=EventKind.CREATED, to_status=deal.status)
    for item in commitments:
        _commitment_create(deal, actor=actor, data=item)
    return deal


def deal_check_editable(*, deal: Deal, actor: User) -> None:
    """Only the owner edits a deal, in draft or with changes requested: the edit page asks too."""
    rules.can_edit(actor, deal).enforce()


@transaction.atomic
def deal_update(
    *, deal: Deal, actor: User, data: dict[str, Any], expected_version: int | None = None
) -> Deal:
    deal = _lock(deal)
    rules.can_edit(actor, deal, seen_version=expected_version).enforce()
    changes = {}
    for field in DEAL_FIELDS:
        if field in data and getattr(deal, field) != data[field]:
            changes[field] = [_jsonable(getattr(deal, field)), _jsonable(data[field])]
            setattr(deal, field, data[field])
    if not changes:
        return deal
    _clean(deal)
    _revise_for_edit(deal, actor=actor)
    _touch(deal, *[f for f in DEAL_FIELDS if f in changes])
    _record(deal, actor=actor, kind=EventKind.UPDATED, data={"changes": changes})
    return deal


@transaction.atomic
def deal_delete(*, deal: Deal, actor: User) -> None:
    deal = _lock(deal)
    rules.can_delete(actor, deal).enforce()
    # Its events go with it: a never-submitted draft has no history anyone else saw, so this
    # one delete is let past the append-only trigger on deal events (a no-op off PostgreSQL).
    with append_only_lifted("deals.DealEvent"):
        Deal.objects.filter(pk=deal.pk).delete()


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Client):
        return value.name
    return value

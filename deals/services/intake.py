"""Deals from outside (a CRM's upsert, a file's rows): created as drafts or updated through the
same services as the pages, keyed by their external ids, and never past the review gate.

The intake first works out what would change; nothing to change writes nothing (no event), so
sending the same deal twice is harmless. A change to a deal that the rules keep read-only (in
review, signed off, closed) is refused with the workflow's own code. The writes are the
owner's: the rules let only a deal's owner edit it, and a CRM syncs the rep's deal for them.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from deals import rules
from deals.models import Client, Commitment, Currency, Deal
from deals.services._workflow import _clean
from deals.services.clients import client_create
from deals.services.commitments import (
    COMMITMENT_FIELDS,
    _check_commitment_cap,
    commitment_add,
    commitment_remove,
    commitment_update,
)
from deals.services.deals import DEAL_FIELDS, deal_create, deal_update
from handoff.errors import ConcurrentChange
from handoff.models import User

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

# What a field holds when the sender leaves it out: a PUT gives the whole deal.
DEAL_DEFAULTS = {
    "value": Decimal("0"),
    "currency": Currency.EUR,
    "expected_start_date": None,
    "description": "",
}
COMMITMENT_DEFAULTS = {"detail": "", "effort_days": Decimal("0")}


@dataclass
class Incoming:
    """A deal as the sender has it: coerced values, its owner and client, its commitments."""

    source: str
    external_id: str
    data: dict[str, Any]  # DEAL_FIELDS but client
    client_name: str
    client_external_id: str = ""
    owner: User | None = None
    # Each with its "external_id" and COMMITMENT_FIELDS.
    commitments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Upsert:
    """What the intake did (or, dry, would do) with one deal."""

    result: str
    deal: Deal | None
    changes: dict[str, Any] = field(default_factory=dict)
    # external id of each commitment -> created, updated or unchanged
    commitments: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)


def commitment_key(deal_external_id: str, kind: str, summary: str) -> str:
    """A commitment's external id when its sender has none (a file's row): from the deal,
    the kind and the summary, so the same row finds the same commitment next time."""
    text = "\n".join((deal_external_id, kind, " ".join(summary.split()).casefold()))
    return "row-" + hashlib.sha256(text.encode()).hexdigest()[:32]


@transaction.atomic
def deal_upsert(*, actor: User, incoming: Incoming, dry_run: bool = False) -> Upsert:
    """Create the deal as a draft, or bring it in line with `incoming` while the rules allow."""
    deal = (
        Deal.objects.select_for_update()
        .select_related("client", "owner")
        .filter(external_source=incoming.source, external_id=incoming.external_id)
        .first()
    )
    owner = _owner(actor, incoming, deal)
    _check_commitment_ids(incoming, deal)
    client = _find_client(incoming)
    if deal is None:
        upsert = Upsert(CREATED, None, commitments=dict.fromkeys(_keys(incoming), CREATED))
        if dry_run:
            _check(owner, incoming, client)
        else:
            upsert.deal = _create(owner, incoming, client)
        return upsert
    upsert = _plan(deal, incoming, client)
    if upsert.result == UNCHANGED:
        return upsert
    # The workflow's own refusal (and code) for a deal no one may edit now.
    rules.can_edit(owner, deal).enforce()
    if dry_run:
        _check(owner, incoming, client)
    else:
        _update(owner, deal, incoming, client, upsert)
    return upsert


def _check(owner: User, incoming: Incoming, client: Client | None) -> None:
    """What the writes would refuse, found without writing: the models' own validators."""
    rules.can_create_deals(owner).enforce()
    _check_commitment_cap(len(incoming.commitments), field="commitments")
    if client is None:
        _clean(Client(name=incoming.client_name.strip()))
    _clean(
        Deal(owner=owner, client=client, **_deal_values(incoming)),
        exclude=["client"] if client is None else [],
    )
    for item in incoming.commitments:
        _clean(Commitment(**_commitment_values(item)), exclude=["deal"])


def _keys(incoming: Incoming) -> list[str]:
    return [item["external_id"] for item in incoming.commitments]


def _owner(actor: User, incoming: Incoming, deal: Deal | None) -> User:
    owner = incoming.owner or (deal.owner if deal else actor)
    rules.can_import(actor, deal.owner if deal else owner).enforce()
    if deal is not None and owner.pk != deal.owner_id:
        raise ValidationError(
            {"owner": f"This deal belongs to {deal.owner.username}; a sync does not reassign it."}
        )
    if deal is None and not rules.can_own_deals(owner):
        raise ValidationError({"owner": "The owner must be an active sales rep or manager."})
    return owner


def _check_commitment_ids(incoming: Incoming, deal: Deal | None) -> None:
    """A commitment's external id is unique per source: one of another deal is refused."""
    taken = Commitment.objects.filter(
        external_source=incoming.source, external_id__in=_keys(incoming)
    )
    if deal is not None:
        taken = taken.exclude(deal=deal)
    used = sorted(taken.values_list("external_id", flat=True)[:5])
    if used:
        raise ValidationError(
            {"commitments": f"Another deal already has the commitment ids {', '.join(used)}."}
        )


def _find_client(incoming: Incoming) -> Client | None:
    """The client by its external id, else by name; None when it is new."""
    if incoming.client_external_id:
        found = Client.objects.filter(
            external_source=incoming.source, external_id=incoming.client_external_id
        ).first()
        if found:
            return found
    return Client.objects.filter(name__iexact=incoming.client_name.strip()).first()


def _client_for_write(owner: User, incoming: Incoming, client: Client | None) -> Client:
    if client is None:
        client = client_create(actor=owner, name=incoming.client_name)
    if incoming.client_external_id and not client.external_id:
        client.external_source = incoming.source
        client.external_id = incoming.client_external_id
        _set_external(Client, client.pk, incoming.source, incoming.client_external_id)
    return client


def _set_external(model: type, pk: int, source: str, external_id: str) -> None:
    try:
        with transaction.atomic():
            model.objects.filter(pk=pk).update(external_source=source, external_id=external_id)
    except IntegrityError as error:  # the same id written a moment ago by another sync
        raise ConcurrentChange(
            f"Another request brought in {source} {external_id} at the same time. Try again."
        ) from error


def _deal_values(incoming: Incoming) -> dict[str, Any]:
    values = {**DEAL_DEFAULTS, **incoming.data}
    return {k: v for k, v in values.items() if k in DEAL_FIELDS and k != "client"}


def _commitment_values(item: dict[str, Any]) -> dict[str, Any]:
    values = {**COMMITMENT_DEFAULTS, **item}
    return {k: values[k] for k in COMMITMENT_FIELDS if k in values}


def _create(owner: User, incoming: Incoming, client: Client | None) -> Deal:
    client = _client_for_write(owner, incoming, client)
    deal = deal_create(
        actor=owner,
        data={**_deal_values(incoming), "client": client},
        commitments=[_commitment_values(item) for item in incoming.commitments],
    )
    try:
        with transaction.atomic():
            Deal.objects.filter(pk=deal.pk).update(
                external_source=incoming.source, external_id=incoming.external_id
            )
            # Created in the order given: the ids follow it. (A plain update each: bulk_update's
            # CASE costs more to build than the few statements it saves.)
            created = deal.commitments.order_by("id").values_list("pk", flat=True)
            for pk, key in zip(list(created), _keys(incoming), strict=True):
                Commitment.objects.filter(pk=pk).update(
                    external_source=incoming.source, external_id=key
                )
    except IntegrityError as error:  # the same deal brought in a moment ago by another sync
        raise ConcurrentChange(
            f"Another request brought in {incoming.source} {incoming.external_id} at the same "
            "time. Try again."
        ) from error
    deal.external_source, deal.external_id = incoming.source, incoming.external_id
    return deal


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    if isinstance(a, Decimal | int) and isinstance(b, Decimal | int):
        return Decimal(a) == Decimal(b)
    if isinstance(a, date) or isinstance(b, date):
        return a == b
    return a == b


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Client):
        return value.name
    return value


def _plan(
    deal: Deal,
    incoming: Incoming,
    client: Client | None,
    existing: dict[str, Commitment] | None = None,
) -> Upsert:
    """What would change; `existing` (the deal's commitments of the source, by external id)
    when the caller read them already, for many deals at once."""
    changes = {
        name: [_plain(getattr(deal, name)), _plain(value)]
        for name, value in _deal_values(incoming).items()
        if not _same(getattr(deal, name), value)
    }
    if client is None or client.pk != deal.client_id:
        changes["client"] = [deal.client.name, incoming.client_name]
    if existing is None:
        existing = {
            c.external_id: c for c in deal.commitments.filter(external_source=incoming.source)
        }
    fates = {}
    for item in incoming.commitments:
        current = existing.get(item["external_id"])
        if current is None:
            fates[item["external_id"]] = CREATED
            continue
        wanted = _commitment_values(item)
        differs = any(not _same(getattr(current, k), v) for k, v in wanted.items())
        fates[item["external_id"]] = UPDATED if differs else UNCHANGED
    removed = [key for key in existing if key not in fates]
    changed = changes or removed or any(f != UNCHANGED for f in fates.values())
    return Upsert(UPDATED if changed else UNCHANGED, deal, changes, fates, removed)


def _update(owner: User, deal: Deal, incoming: Incoming, client: Client | None, upsert: Upsert):
    data = {k: v for k, v in _deal_values(incoming).items() if k in upsert.changes}
    if "client" in upsert.changes:
        data["client"] = _client_for_write(owner, incoming, client)
    if data:
        deal = deal_update(deal=deal, actor=owner, data=data)
    existing = {c.external_id: c for c in deal.commitments.filter(external_source=incoming.source)}
    for key in upsert.removed:
        commitment_remove(commitment=existing[key], actor=owner)
    for item in incoming.commitments:
        key, fate = item["external_id"], upsert.commitments[item["external_id"]]
        if fate == UPDATED:
            commitment_update(commitment=existing[key], actor=owner, data=_commitment_values(item))
        elif fate == CREATED:
            added = commitment_add(deal=deal, actor=owner, data=_commitment_values(item))
            _set_external(Commitment, added.pk, incoming.source, key)
    upsert.deal = Deal.objects.select_related("client", "owner").get(pk=deal.pk)

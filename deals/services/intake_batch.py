"""Many deals from outside at once (a chunk of a file): deal_upsert for each, in a few queries.

Each deal gets what deal_upsert would give it: the same checks in the same order, the same
refusals and messages, the same rows and audit events. Only the how differs: the deals, their
commitments, the clients and the commitment ids already taken are each read once for the whole
chunk; new deals are inserted together with their clients, commitments and events; an
unchanged deal writes nothing. A deal that exists and changes goes through deal_upsert itself,
one at a time (an edit of a draft is the rare case, and takes the per-deal locks and version
bumps). Should another request write one of the chunk's names or ids meanwhile, the new deals
of the chunk are brought in one by one instead, each with deal_upsert's own answer.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from deals import rules
from deals.models import Client, Commitment, Deal, DealEvent, EventKind
from deals.promise_advice import calibrations
from deals.services._workflow import _clean
from deals.services.commitments import _check_commitment_cap, _commitment_data
from deals.services.intake import (
    CREATED,
    UNCHANGED,
    Incoming,
    Upsert,
    _commitment_values,
    _deal_values,
    _keys,
    _owner,
    _plan,
    _set_external,
    deal_upsert,
)
from deals.signals import deal_event_recorded
from handoff.errors import DomainError
from handoff.models import User

Outcome = Upsert | ValidationError | DomainError


@dataclass
class _New:
    """A new deal, checked and built in memory, waiting for the chunk's inserts."""

    incoming: Incoming
    owner: User
    deal: Deal
    commitments: list[Commitment]
    upsert: Upsert
    client: Client | None = None  # a client this deal adds
    client_external: Client | None = None  # a known client that takes its external id


@dataclass
class _Clients:
    """The chunk's clients by external id and by name (any case), and the ones it adds."""

    source: str
    by_external: dict[str, Client] = field(default_factory=dict)
    by_name: dict[str, Client] = field(default_factory=dict)

    @classmethod
    def read(cls, source: str, incomings: Sequence[Incoming]) -> "_Clients":
        clients = cls(source)
        external_ids = {i.client_external_id for i in incomings if i.client_external_id}
        if external_ids:
            for client in Client.objects.filter(
                external_source=source, external_id__in=external_ids
            ):
                clients.by_external[client.external_id] = client
        names = {i.client_name.strip() for i in incomings}
        # Python's lower() and the database's LOWER() (ASCII only on SQLite) agree on a name
        # read back; the query asks for both spellings of each so it finds what iexact finds.
        wanted = {n.lower() for n in names} | {_ascii_lower(n) for n in names}
        for client in Client.objects.annotate(lowered=Lower("name")).filter(lowered__in=wanted):
            clients.by_name.setdefault(client.name.lower(), client)
        return clients

    def find(self, incoming: Incoming) -> Client | None:
        """As intake._find_client: by its external id, else by name; None when it is new."""
        if incoming.client_external_id:
            found = self.by_external.get(incoming.client_external_id)
            if found:
                return found
        return self.by_name.get(incoming.client_name.strip().lower())

    def add(self, client: Client) -> None:
        self.by_name.setdefault(client.name.lower(), client)
        if client.external_id:
            self.by_external.setdefault(client.external_id, client)


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in text)


def deal_upsert_many(
    *, actor: User, incomings: Sequence[Incoming], dry_run: bool = False
) -> list[Outcome]:
    """deal_upsert for each of `incomings`, in their order: its Upsert, or the error it would
    raise (ValidationError or DomainError) in its place. Other errors roll the chunk back."""
    sources = {i.source for i in incomings}
    if len(sources) > 1 or len({i.external_id for i in incomings}) < len(incomings):
        return [_one(actor, incoming, dry_run=dry_run) for incoming in incomings]
    if not incomings:
        return []
    with transaction.atomic():
        return _upsert_many(actor, list(incomings), dry_run=dry_run)


def _upsert_many(actor: User, incomings: list[Incoming], *, dry_run: bool) -> list[Outcome]:
    source = incomings[0].source
    found = _deals(source, [i.external_id for i in incomings], lock=not dry_run)
    existing = _commitments(source, found.values())
    taken = _taken(source, [key for incoming in incomings for key in _keys(incoming)])
    clients = _Clients.read(source, incomings)
    outcomes: list[Outcome | None] = [None] * len(incomings)
    new: list[tuple[int, _New]] = []
    changed: list[int] = []
    for index, incoming in enumerate(incomings):
        deal = found.get(incoming.external_id)
        try:
            # deal_upsert's steps, in its order, on what the chunk read.
            owner = _owner(actor, incoming, deal)
            _check_taken(incoming, deal, taken)
            client = clients.find(incoming)
            if deal is None:
                built = _build(owner, incoming, client, for_write=not dry_run)
                outcomes[index] = built.upsert
                if not dry_run:
                    new.append((index, built))
                    # What deal_upsert would find written by the deals before this one.
                    if built.client is not None:
                        clients.add(built.client)
                    for key in _keys(incoming):
                        taken.setdefault(key, (None, 0))
                continue
            upsert = _plan(deal, incoming, client, existing.get(deal.pk, {}))
            if upsert.result == UNCHANGED:
                outcomes[index] = upsert
                continue
            rules.can_edit(owner, deal).enforce()
            if dry_run:
                _build(owner, incoming, client, for_write=False)
                outcomes[index] = upsert
            else:
                changed.append(index)
        except (ValidationError, DomainError) as error:
            outcomes[index] = error
    if new:
        try:
            with transaction.atomic():
                _write([built for _, built in new])
        except IntegrityError:
            # A name or id written meanwhile by another request: each deal on its own, so the
            # one that collides gets deal_upsert's answer and the others come in.
            for index, built in new:
                outcomes[index] = _one(actor, built.incoming)
    for index in changed:
        outcomes[index] = _one(actor, incomings[index])
    return outcomes  # type: ignore[return-value]


def _one(actor: User, incoming: Incoming, *, dry_run: bool = False) -> Outcome:
    try:
        return deal_upsert(actor=actor, incoming=incoming, dry_run=dry_run)
    except (ValidationError, DomainError) as error:
        return error


def _deals(source: str, external_ids: list[str], *, lock: bool) -> dict[str, Deal]:
    deals = Deal.objects.select_related("client", "owner").filter(
        external_source=source, external_id__in=external_ids
    )
    if lock:
        deals = deals.select_for_update(of=("self",))
    return {deal.external_id: deal for deal in deals}


def _commitments(source: str, deals: Iterable[Deal]) -> dict[int, dict[str, Commitment]]:
    """The commitments of the source of each deal, by external id, in the deal's order."""
    by_deal: dict[int, dict[str, Commitment]] = defaultdict(dict)
    pks = [deal.pk for deal in deals]
    if pks:
        for commitment in Commitment.objects.filter(deal__in=pks, external_source=source):
            by_deal[commitment.deal_id][commitment.external_id] = commitment
    return by_deal


def _taken(source: str, keys: list[str]) -> dict[str, tuple[int | None, int]]:
    """Each commitment id of the chunk already in use: (its deal, its own id)."""
    if not keys:
        return {}
    rows = Commitment.objects.filter(external_source=source, external_id__in=keys).values_list(
        "external_id", "deal_id", "id"
    )
    return {key: (deal_id, pk) for key, deal_id, pk in rows}


def _check_taken(
    incoming: Incoming, deal: Deal | None, taken: dict[str, tuple[int | None, int]]
) -> None:
    """As intake._check_commitment_ids: a commitment id of another deal is refused, the first
    five of them (in the commitments' order) named."""
    own = deal.pk if deal is not None else None
    used = [
        ((deal_id is None, deal_id or 0, pk), key)
        for key in _keys(incoming)
        if (found := taken.get(key)) is not None
        for deal_id, pk in [found]
        if deal_id is None or deal_id != own
    ]
    if used:
        named = sorted(key for _, key in sorted(used)[:5])
        raise ValidationError(
            {"commitments": f"Another deal already has the commitment ids {', '.join(named)}."}
        )


def _build(owner: User, incoming: Incoming, client: Client | None, *, for_write: bool) -> _New:
    """intake._check's checks, in its order, with the owner and client already read (so no
    query asks whether they exist); the deal and its commitments as they will be written."""
    rules.can_create_deals(owner).enforce()
    _check_commitment_cap(len(incoming.commitments), field="commitments")
    added = None
    if client is None:
        added = Client(name=incoming.client_name.strip())
        _clean(added)
        if for_write:
            rules.can_create_clients(owner).enforce()
        if incoming.client_external_id:
            added.external_source = incoming.source
            added.external_id = incoming.client_external_id
    deal = Deal(owner=owner, client=client or added, **_deal_values(incoming))
    _clean(deal, exclude=["owner", "client"])
    commitments = []
    for item in incoming.commitments:
        commitment = Commitment(**_commitment_values(item))
        _clean(commitment, exclude=["deal"])
        commitment.external_source, commitment.external_id = incoming.source, item["external_id"]
        commitments.append(commitment)
    deal.external_source, deal.external_id = incoming.source, incoming.external_id
    upsert = Upsert(CREATED, None, commitments=dict.fromkeys(_keys(incoming), CREATED))
    needs_external = client is not None and incoming.client_external_id and not client.external_id
    return _New(
        incoming, owner, deal, commitments, upsert, added, client if needs_external else None
    )


def _write(new: list[_New]) -> None:
    """The chunk's new deals: their clients, the deals, their commitments, then the events a
    deal_create writes (created, then one per commitment added, in order)."""
    Client.objects.bulk_create([built.client for built in new if built.client is not None])
    for built in new:
        known = built.client_external
        if known is not None and not known.external_id:
            known.external_source = built.incoming.source
            known.external_id = built.incoming.client_external_id
            _set_external(Client, known.pk, known.external_source, known.external_id)
    # Each insert takes the ids of the rows before it (Django reads them back, RETURNING).
    for built in new:
        for commitment in built.commitments:
            commitment.deal = built.deal
    Deal.objects.bulk_create([built.deal for built in new])
    commitments = [c for built in new for c in built.commitments]
    _note_suggestions(commitments)
    Commitment.objects.bulk_create(commitments)
    events = []
    for built in new:
        deal, owner = built.deal, built.owner
        events.append(
            DealEvent(deal=deal, actor=owner, kind=EventKind.CREATED, to_status=deal.status)
        )
        events.extend(
            DealEvent(
                deal=deal,
                actor=owner,
                kind=EventKind.COMMITMENT_ADDED,
                data={"commitment": commitment.pk, "after": _commitment_data(commitment)},
            )
            for commitment in built.commitments
        )
        built.upsert.deal = deal
    DealEvent.objects.bulk_create(events)
    for event in events:
        deal_event_recorded.send(sender=DealEvent, event=event)


def _note_suggestions(commitments: list[Commitment]) -> None:
    """commitments._note_suggestion for many: the date history suggested for each promise as
    written, and whether it took it, from one read of the calibration table for all."""
    found = calibrations([(c.kind, c.effort_days, c.promised_date) for c in commitments])
    for commitment, calibration in zip(commitments, found, strict=True):
        commitment.suggested_date = getattr(calibration, "suggested_date", None)
        commitment.suggestion_taken = (
            commitment.suggested_date is not None
            and commitment.promised_date == commitment.suggested_date
        )

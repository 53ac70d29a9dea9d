"""Importing a file of deals: a preview of every row's fate, then the run, a chunk at a time.

The preview writes nothing but the Import and its rows: the deals are planned by the intake
(deals.services.intake_batch, dry), IMPORT_BATCH_DEALS of them together, and each row told
whether it creates, updates, changes nothing or is wrong, and why. The run brings a chunk of
deals in with their rows' outcomes in one transaction, so a deal is never half-written and a
run that stops resumes where it was. A large file runs in a job (deals.tasks.run_import),
claimed for a while at a time so that two never run at once. IMPORT_BATCH_DEALS = 1 takes each
deal through deal_upsert alone, 25 deals a transaction, each in its own savepoint.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from time import monotonic

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from deals import rules
from deals.import_rows import DEAL_COLUMNS, Row, coerce, read_file
from deals.models import Deal, Import, ImportRow, ImportStatus, RowFate
from deals.services.intake import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Incoming,
    Upsert,
    commitment_key,
    deal_upsert,
)
from deals.services.intake_batch import Outcome, deal_upsert_many
from handoff.errors import DomainError
from handoff.models import User

CLAIM_FOR = timedelta(minutes=3)
# A queued import no job has picked up for this long lost its message: the page asks again.
LOST_AFTER = timedelta(minutes=2)
ROW_FATE = {CREATED: RowFate.CREATE, UPDATED: RowFate.UPDATE, UNCHANGED: RowFate.UNCHANGED}
FATE_COUNT = {
    RowFate.CREATE: "created_count",
    RowFate.UPDATE: "updated_count",
    RowFate.UNCHANGED: "unchanged_count",
    RowFate.ERROR: "error_count",
}


def import_preview(*, actor: User, upload, source: str = "csv") -> Import:
    """Read and plan the file; raises ValidationError({"file": …}) when it cannot be read."""
    rules.can_import(actor).enforce()
    try:
        rows = read_file(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    groups = list(_groups(rows).values())
    owners: dict[str, User | None] = {}
    size = _chunk_size()
    for start in range(0, len(groups), size):
        _plan(actor, source, groups[start : start + size], owners)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[FATE_COUNT[row.fate]] += 1
    with transaction.atomic():
        deal_import = Import.objects.create(
            created_by=actor,
            filename=(getattr(upload, "name", "") or "")[:200],
            source=source,
            total_rows=len(rows),
            **counts,
        )
        ImportRow.objects.bulk_create(
            (
                ImportRow(
                    deal_import=deal_import,
                    line=row.line,
                    external_id=row.external_id,
                    cells=row.cells,
                    fate=row.fate,
                    field=row.field,
                    message=row.message[:500],
                )
                for row in rows
            ),
            batch_size=1000,
        )
    return deal_import


def _groups(rows: list[Row]) -> dict[str, list[Row]]:
    """The rows of each deal, in the file's order; a second row of one commitment is wrong."""
    groups: dict[str, list[Row]] = defaultdict(list)
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        row.fate = RowFate.ERROR if row.message else ""
        key = row.external_id or f"line-{row.line}"
        groups[key].append(row)
        if row.message:
            continue
        first = groups[key][0]
        if first is not row and not first.message:
            for name in DEAL_COLUMNS:
                if (
                    row.values.get(name) not in (None, "")
                    and row.values[name] != first.values[name]
                ):
                    _refuse(row, name, f"Line {first.line} of this deal says otherwise.")
                    break
        commitment = (row.external_id, commitment_key(row.external_id, *_what(row)))
        if not row.message and commitment in seen:
            _refuse(row, "summary", f"Line {seen[commitment]} has the same commitment.")
        seen.setdefault(commitment, row.line)
    return groups


def _what(row: Row) -> tuple[str, str]:
    return row.values.get("kind", ""), row.values.get("summary", "")


def _refuse(row: Row, name: str, message: str) -> None:
    row.fate, row.field, row.message = RowFate.ERROR, name, message


def _chunk_size() -> int:
    """Deals planned (and written) together; 1 takes each deal through deal_upsert alone."""
    return max(1, settings.IMPORT_BATCH_DEALS)


def _incoming(source: str, group: list[Row], owners: dict[str, User | None]) -> Incoming:
    first = group[0].values
    data = {
        name: first[name]
        for name in ("title", "value", "expected_close_date", "expected_start_date")
        if first.get(name) not in (None, "")
    }
    if first.get("currency"):
        data["currency"] = first["currency"]
    return Incoming(
        source=source,
        external_id=first["external_id"],
        data=data,
        client_name=first["client"],
        owner=_owner(first.get("owner", ""), owners),
        commitments=[
            {
                "external_id": commitment_key(first["external_id"], *_what(row)),
                **{
                    k: row.values[k]
                    for k in ("kind", "summary", "promised_date", "effort_days", "detail")
                    if row.values.get(k) not in (None,)
                },
            }
            for row in group
        ],
    )


def _owner(text: str, owners: dict[str, User | None]) -> User | None:
    if not text:
        return None
    found = owners.get(text)
    if found is None:
        raise ValidationError({"owner": f"No active sales rep or manager is called {text!r}."})
    return found


def _find_owners(texts: set[str], owners: dict[str, User | None]) -> None:
    """Add to `owners` each text not looked up yet: the one active user with that username or
    email (any case) who may own deals, else None. One query for all of them."""
    texts = {t for t in texts if t and t not in owners}
    if not texts:
        return
    lowered = {t.lower() for t in texts}
    users = list(
        User.objects.annotate(email_lowered=Lower("email")).filter(
            Q(username__in=texts) | Q(email_lowered__in=lowered), is_active=True
        )
    )
    for text in texts:
        matches = [u for u in users if u.username == text or u.email.lower() == text.lower()]
        owners[text] = matches[0] if len(matches) == 1 and rules.can_own_deals(matches[0]) else None


def _plan(
    actor: User,
    source: str,
    groups: list[list[Row]],
    owners: dict[str, User | None],
    *,
    run: bool = False,
) -> list[Upsert | None]:
    """Plan (or, with `run`, write) the deals of `groups` and say each of their rows' fate:
    more than one deal together through deal_upsert_many, one alone through deal_upsert."""
    _find_owners({group[0].values.get("owner", "") for group in groups}, owners)
    upserts: list[Upsert | None] = [None] * len(groups)
    ready: list[tuple[int, Incoming]] = []
    for index, group in enumerate(groups):
        broken = next((row for row in group if row.message), None)
        if broken is not None:
            for row in group:
                if not row.message:
                    _refuse(row, "", f"Line {broken.line} of this deal is wrong; fix it first.")
            continue
        try:
            ready.append((index, _incoming(source, group, owners)))
        except ValidationError as error:
            _refuse_all(group, error)
    incomings = [incoming for _, incoming in ready]
    if len(groups) > 1:
        outcomes = deal_upsert_many(actor=actor, incomings=incomings, dry_run=not run)
    else:
        outcomes = [_upsert_one(actor, incoming, dry_run=not run) for incoming in incomings]
    for (index, incoming), outcome in zip(ready, outcomes, strict=True):
        if isinstance(outcome, Upsert):
            _say_fates(groups[index], incoming, outcome)
            upserts[index] = outcome
        else:
            _refuse_all(groups[index], outcome)
    return upserts


def _upsert_one(actor: User, incoming: Incoming, *, dry_run: bool) -> Outcome:
    try:
        return deal_upsert(actor=actor, incoming=incoming, dry_run=dry_run)
    except (ValidationError, DomainError) as error:
        return error


def _refuse_all(group: list[Row], error: ValidationError | DomainError) -> None:
    name, message = _first_error(error)
    for row in group:
        _refuse(row, name, message)


def _say_fates(group: list[Row], incoming: Incoming, upsert: Upsert) -> None:
    deal_changed = bool(upsert.changes)
    for row, item in zip(group, incoming.commitments, strict=True):
        fate = ROW_FATE[upsert.commitments[item["external_id"]]]
        if fate == RowFate.UNCHANGED and deal_changed:
            fate = RowFate.UPDATE
        row.fate, row.field, row.message = fate, "", ""
        if fate == RowFate.UPDATE and deal_changed:
            row.message = "Changes " + ", ".join(sorted(upsert.changes)) + "."
    if upsert.removed:
        group[0].message = (
            f"{group[0].message} Removes {len(upsert.removed)} commitment(s) no longer in the file."
        ).strip()
        if group[0].fate == RowFate.UNCHANGED:
            group[0].fate = RowFate.UPDATE


def _first_error(error: ValidationError | DomainError) -> tuple[str, str]:
    if isinstance(error, DomainError):
        return "", error.message
    if hasattr(error, "error_dict"):
        name, messages = next(iter(error.message_dict.items()))
        return ("" if name == "__all__" else name), messages[0]
    return "", error.messages[0]


def import_confirm(*, deal_import: Import, actor: User, enqueue: Callable[[int], None]) -> Import:
    """Run a previewed import: here and now when small, else queued for a job."""
    rules.can_import(actor).enforce()
    # The preview's counts were a plan; the run counts what it does.
    claimed = Import.objects.filter(pk=deal_import.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.QUEUED,
        started_at=timezone.now(),
        **dict.fromkeys(FATE_COUNT.values(), 0),
    )
    if not claimed:
        raise DomainError("This import was confirmed already.", code="import_confirmed")
    if deal_import.total_rows > settings.IMPORT_ASYNC_ROWS:
        transaction.on_commit(lambda: enqueue(deal_import.pk))
    else:
        import_run(import_id=deal_import.pk)
    return Import.objects.get(pk=deal_import.pk)


def import_resume_if_lost(*, deal_import: Import, enqueue: Callable[[int], None]) -> bool:
    """Ask again for a job whose message or worker was lost; True when it asked."""
    now = timezone.now()
    lost = Import.objects.filter(
        pk=deal_import.pk, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).filter(
        Q(claimed_until__lt=now) | Q(claimed_until__isnull=True, started_at__lt=now - LOST_AFTER)
    )
    if lost.update(started_at=now):
        transaction.on_commit(lambda: enqueue(deal_import.pk))
        return True
    return False


def import_run(*, import_id: int, budget_seconds: float | None = None) -> bool:
    """Bring in the pending deals of the import; True when it is done, False when the budget
    ran out first (the caller runs it again). A run another holds changes nothing."""
    now = timezone.now()
    claimed = (
        Import.objects.filter(pk=import_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING])
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(status=ImportStatus.RUNNING, claimed_until=now + CLAIM_FOR)
    )
    if not claimed:
        return True
    deal_import = Import.objects.select_related("created_by").get(pk=import_id)
    owners: dict[str, User | None] = {}
    size = _chunk_size()
    started = monotonic()
    while True:
        batch = _next_deals(deal_import, size if size > 1 else DEALS_PER_TRANSACTION)
        if not batch:
            break
        with transaction.atomic():
            if size > 1:
                # A chunk of deals in one transaction, planned and written together: every
                # deal of it is written with its rows' outcomes, or none is.
                _run_deals(deal_import, batch, owners)
            else:
                # Several deals a transaction, each in its own savepoint: a deal is still all
                # or nothing, and the database flushes its log once a batch, not once a deal.
                for deal in batch:
                    with transaction.atomic():
                        _run_deals(deal_import, [deal], owners)
        if budget_seconds is not None and monotonic() - started > budget_seconds:
            Import.objects.filter(pk=import_id).update(claimed_until=None)
            return False
    Import.objects.filter(pk=import_id).update(
        status=ImportStatus.DONE, claimed_until=None, finished_at=timezone.now()
    )
    return True


DEALS_PER_TRANSACTION = 25


def _next_deals(deal_import: Import, count: int) -> list[tuple[str, int]]:
    """The next `count` pending deals in the file's order: (external id, first line) of each
    (fewer when their rows run past what one look ahead reads)."""
    pending = deal_import.rows.filter(done=False).order_by("line")
    seen: dict[str, int] = {}
    for external_id, line in pending.values_list("external_id", "line")[: max(500, count * 10)]:
        seen.setdefault(external_id or f"line-{line}", line)
        if len(seen) == count:
            break
    return [("" if key.startswith("line-") else key, line) for key, line in seen.items()]


def _run_deals(deal_import: Import, batch: list[tuple[str, int]], owners: dict) -> None:
    """The deals of `batch` and their rows' outcomes, in the caller's transaction."""
    external_ids = [external_id for external_id, _ in batch if external_id]
    lines = [line for external_id, line in batch if not external_id]
    stored = list(
        deal_import.rows.select_for_update()
        .filter(done=False)
        .filter(Q(external_id__in=external_ids) | Q(external_id="", line__in=lines))
        .order_by("line")
    )
    rows = [Row(line=r.line, cells=r.cells) for r in stored]
    for row in rows:
        coerce(row)
    groups = list(_groups(rows).values())
    upserts = _plan(deal_import.created_by, deal_import.source, groups, owners, run=True)
    deal_of = {
        row.line: upsert.deal
        for group, upsert in zip(groups, upserts, strict=True)
        if upsert is not None and upsert.deal is not None
        for row in group
    }
    counts: dict[str, int] = defaultdict(int)
    # The rows mostly share one outcome: one update per distinct outcome, whatever the deals.
    outcomes: dict[tuple[str, str, str, bool], list[ImportRow]] = defaultdict(list)
    for record, row in zip(stored, rows, strict=True):
        outcomes[(row.fate, row.field, row.message[:500], row.line in deal_of)].append(record)
        counts[FATE_COUNT[row.fate]] += 1
    for (fate, name, message, linked), records in outcomes.items():
        deals = {deal_of[r.line].pk: deal_of[r.line] for r in records} if linked else {}
        ImportRow.objects.filter(pk__in=[r.pk for r in records]).update(
            fate=fate,
            field=name,
            message=message,
            done=True,
            deal=_the_deal(deal_import, deals),
        )
    Import.objects.filter(pk=deal_import.pk).update(
        processed_rows=F("processed_rows") + len(stored),
        **{name: F(name) + n for name, n in counts.items()},
    )


def _the_deal(deal_import: Import, deals: dict[int, Deal]) -> Deal | Subquery | None:
    """What the rows link to: none, their one deal, or each row's own deal by its external id
    (the partial unique index on the source and id finds it)."""
    if len(deals) <= 1:
        return next(iter(deals.values()), None)
    return Subquery(
        Deal.objects.filter(external_source=deal_import.source, external_id=OuterRef("external_id"))
        .exclude(external_id="")
        .order_by()
        .values("pk")[:1]
    )


def import_fail(*, import_id: int, error: str) -> None:
    Import.objects.filter(pk=import_id).update(
        status=ImportStatus.FAILED, claimed_until=None, error=error[:1000]
    )

"""Importing a file of deals: a preview of every row's fate, then the run, a deal at a time.

The preview writes nothing but the Import and its rows: each deal is planned by the intake
(deals.services.intake, dry) and each row told whether it creates, updates, changes nothing
or is wrong, and why. The run brings each deal in with its rows' outcomes in one transaction,
so a deal is never half-written and a run that stops resumes where it was. A large file runs
in a job (deals.tasks.run_import), claimed for a while at a time so that two never run at once.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from time import monotonic

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from deals import rules
from deals.import_rows import DEAL_COLUMNS, Row, coerce, read_file
from deals.models import Import, ImportRow, ImportStatus, RowFate
from deals.services.intake import CREATED, UNCHANGED, UPDATED, Incoming, commitment_key, deal_upsert
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
    _owners_seen.clear()
    try:
        rows = read_file(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    groups = _groups(rows)
    for group in groups.values():
        _plan(actor, source, group)
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


def _incoming(source: str, group: list[Row]) -> Incoming:
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
        owner=_owner(first.get("owner", "")),
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


def _owner(text: str) -> User | None:
    if not text:
        return None
    if text in _owners_seen:
        return _owners_seen[text]
    matches = list(
        User.objects.filter(Q(username=text) | Q(email__iexact=text), is_active=True)[:2]
    )
    if len(matches) != 1 or not rules.can_own_deals(matches[0]):
        raise ValidationError({"owner": f"No active sales rep or manager is called {text!r}."})
    _owners_seen[text] = matches[0]
    return matches[0]


# The owners one file names, found once per preview or run (cleared as each starts).
_owners_seen: dict[str, User] = {}


def _plan(actor: User, source: str, group: list[Row], *, run: bool = False):
    """Plan (or, with `run`, write) one deal and say each of its rows' fate."""
    broken = next((row for row in group if row.message), None)
    if broken is not None:
        for row in group:
            if not row.message:
                _refuse(row, "", f"Line {broken.line} of this deal is wrong; fix it first.")
        return None
    try:
        incoming = _incoming(source, group)
        upsert = deal_upsert(actor=actor, incoming=incoming, dry_run=not run)
    except (ValidationError, DomainError) as error:
        name, message = _first_error(error)
        for row in group:
            _refuse(row, name, message)
        return None
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
    return upsert


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
    _owners_seen.clear()
    started = monotonic()
    while True:
        batch = _next_deals(deal_import)
        if not batch:
            break
        # Several deals a transaction, each in its own savepoint: a deal is still all or
        # nothing, and the database flushes its log once a batch rather than once a deal.
        with transaction.atomic():
            for external_id, line in batch:
                _run_deal(deal_import, external_id, line)
        if budget_seconds is not None and monotonic() - started > budget_seconds:
            Import.objects.filter(pk=import_id).update(claimed_until=None)
            return False
    Import.objects.filter(pk=import_id).update(
        status=ImportStatus.DONE, claimed_until=None, finished_at=timezone.now()
    )
    return True


DEALS_PER_TRANSACTION = 25


def _next_deals(deal_import: Import) -> list[tuple[str, int]]:
    """The next pending deals in the file's order: (external id, first line) of each."""
    pending = deal_import.rows.filter(done=False).order_by("line")
    seen: dict[str, int] = {}
    for external_id, line in pending.values_list("external_id", "line")[:500]:
        seen.setdefault(external_id or f"line-{line}", line)
        if len(seen) == DEALS_PER_TRANSACTION:
            break
    return [("" if key.startswith("line-") else key, line) for key, line in seen.items()]


@transaction.atomic
def _run_deal(deal_import: Import, external_id: str, line: int) -> None:
    """One deal and its rows' outcomes, together or not at all."""
    stored = list(
        deal_import.rows.select_for_update()
        .filter(done=False)
        .filter(Q(external_id=external_id) if external_id else Q(line=line))
        .order_by("line")
    )
    rows = [Row(line=r.line, cells=r.cells) for r in stored]
    for row in rows:
        coerce(row)
    group = _groups(rows).get(external_id or f"line-{line}", rows)
    upsert = _plan(deal_import.created_by, deal_import.source, group, run=True)
    deal = upsert.deal if upsert is not None else None
    counts: dict[str, int] = defaultdict(int)
    # The rows of a deal mostly share one outcome: one update per distinct outcome.
    outcomes: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for record, row in zip(stored, rows, strict=True):
        outcomes[(row.fate, row.field, row.message[:500])].append(record.pk)
        counts[FATE_COUNT[row.fate]] += 1
    for (fate, name, message), pks in outcomes.items():
        ImportRow.objects.filter(pk__in=pks).update(
            fate=fate, field=name, message=message, done=True, deal=deal
        )
    Import.objects.filter(pk=deal_import.pk).update(
        processed_rows=F("processed_rows") + len(stored),
        **{name: F(name) + n for name, n in counts.items()},
    )


def import_fail(*, import_id: int, error: str) -> None:
    Import.objects.filter(pk=import_id).update(
        status=ImportStatus.FAILED, claimed_until=None, error=error[:1000]
    )

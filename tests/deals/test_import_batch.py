"""Imports a chunk of deals at a time: the same clients, deals, commitments, audit events and
row outcomes as taking each deal through the intake alone, in a number of queries that grows
with the chunks and not with the rows; bad rows stay clear errors and nothing is half-written."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals import promise_advice, services
from deals.models import Client, Commitment, Deal, DealEvent, Import, ImportRow, ImportStatus
from deals.services import intake
from deals.services.imports import import_confirm, import_preview, import_run
from deals.services.intake_batch import deal_upsert_many
from deals.tasks import enqueue_import
from tests.deals.test_import import csv_file, fates, row

CLOSE = timezone.localdate() + datetime.timedelta(days=30)

# What an import writes, and the tables it must leave alone when nothing changes.
WRITTEN_TABLES = ("deals_client", "deals_deal", "deals_commitment", "deals_dealevent")


def run(user, *rows: dict) -> Import:
    deal_import = import_preview(actor=user, upload=csv_file(*rows))
    return import_confirm(deal_import=deal_import, actor=user, enqueue=enqueue_import)


def snapshot() -> dict:
    """Every row an import writes, without ids or moments, so two runs can be compared."""
    external = {c.pk: c.external_id for c in Commitment.objects.all()}

    def plain(data: dict) -> dict:
        data = {k: v for k, v in data.items() if not k.endswith("_at")}  # moments differ
        if "commitment" in data:
            data["commitment"] = external.get(data["commitment"], "removed")
        return data

    events: dict[str, list] = {}
    for event in DealEvent.objects.select_related("deal", "actor").order_by("at", "id"):
        events.setdefault(event.deal.external_id, []).append(
            (
                event.kind,
                event.actor.username,
                event.from_status,
                event.to_status,
                event.reason,
                plain(event.data),
            )
        )
    return {
        "clients": sorted(Client.objects.values_list("name", "external_source", "external_id")),
        "deals": sorted(
            Deal.objects.values_list(
                "external_source",
                "external_id",
                "title",
                "client__name",
                "owner__username",
                "value",
                "currency",
                "expected_close_date",
                "expected_start_date",
                "description",
                "status",
                "version",
            )
        ),
        "commitments": sorted(
            Commitment.objects.values_list(
                "deal__external_id",
                "external_source",
                "external_id",
                "kind",
                "summary",
                "detail",
                "promised_date",
                "effort_days",
                "version",
                "suggested_date",
                "suggestion_taken",
            )
        ),
        "events": events,
        "rows": list(
            ImportRow.objects.order_by("deal_import_id", "line").values_list(
                "line", "external_id", "fate", "field", "message", "done", "deal__external_id"
            )
        ),
        "imports": list(
            Import.objects.order_by("id").values_list(
                "status",
                "total_rows",
                "processed_rows",
                "created_count",
                "updated_count",
                "unchanged_count",
                "error_count",
            )
        ),
    }


def scenario(settings, manager, rep, *, deals_per_chunk: int) -> dict:
    """Deals there before (through the intake alone), then a file of creates, updates,
    unchanged rows and errors imported `deals_per_chunk` deals at a time; what it wrote."""
    settings.IMPORT_BATCH_DEALS = 1
    Client.objects.create(name="Acme Retail")
    run(
        manager,
        row("d-upd", owner="rep"),
        row("d-upd", summary="Live by May", owner="rep"),
        row("d-upd", summary="Old promise", owner="rep"),
        row("d-same", owner="rep"),
        row("d-rev", owner="rep"),
        row("d-rev-same", owner="rep"),
    )
    for external_id in ("d-rev", "d-rev-same"):
        services.deal_submit(deal=Deal.objects.get(external_id=external_id), actor=rep)
    settings.IMPORT_BATCH_DEALS = deals_per_chunk
    email = rep.email.upper()
    run(
        manager,
        # created: a new client twice in two spellings, an existing one, owner by email
        row("d-new1", client="Globex", owner="rep"),
        row("d-new1", summary="Two sites", client="Globex", owner="rep", detail="Line one"),
        row("d-new2", client="GLOBEX", owner=email, effort_days="2.5", expected_start_date=""),
        row("d-new3", client="acme retail", owner="rep", value=""),
        # updated: a title, an effort, a commitment left out of the file
        row("d-upd", title="Rollout renamed", owner="rep"),
        row("d-upd", summary="Live by May", title="Rollout renamed", owner="rep", effort_days="8"),
        # unchanged, also while in review
        row("d-same", owner="rep"),
        row("d-rev-same", owner="rep"),
        # errors: a deal in review that would change, a wrong type, an unknown owner,
        # a commitment twice, rows of one deal that disagree
        row("d-rev", title="Renamed in review", owner="rep"),
        row("d-bad", value="lots", owner="rep"),
        row("d-bad", summary="Second", owner="rep"),
        row("d-who", owner="nobody"),
        row("d-twice", owner="rep"),
        row("d-twice", owner="rep"),
        row("d-split", owner="rep"),
        row("d-split", summary="Other", title="Another title", owner="rep"),
    )
    return snapshot()


@pytest.mark.django_db
class TestSameAsOneAtATime:
    def test_chunked_writes_what_one_deal_at_a_time_writes(
        self, settings, manager, rep, monkeypatch
    ):
        # History suggests the promised date itself for the larger promises, nothing for others.
        monkeypatch.setattr(
            promise_advice._REGISTRY,
            "calibrate",
            lambda promises, pm_id: [
                SimpleNamespace(suggested_date=promised if effort >= 5 else None)
                for _, effort, promised in promises
            ],
        )
        taken = {}
        for size in (1, 3, 200):
            savepoint = transaction.savepoint()
            taken[size] = scenario(settings, manager, rep, deals_per_chunk=size)
            transaction.savepoint_rollback(savepoint)
        alone = taken[1]
        assert alone["deals"] and alone["events"]["d-new1"][0][0] == "created"
        assert {c[-1] for c in alone["commitments"]} == {True, False}
        assert [fate for _, _, fate, *_ in alone["rows"][6:]] == [
            *["create"] * 4,
            *["update"] * 2,
            *["unchanged"] * 2,
            *["error"] * 8,
        ]
        for size in (3, 200):
            for part in alone:
                assert taken[size][part] == alone[part], (size, part)

    def test_a_chunk_is_previewed_as_one_deal_at_a_time_previews_it(self, settings, rep):
        services.deal_submit(deal=run(rep, row("d-1")).rows.get().deal, actor=rep)
        rows = [row("d-1", title="Changed"), row("d-2"), row("d-3", kind="magic"), row("d-4")]
        said = {}
        for size in (1, 200):
            settings.IMPORT_BATCH_DEALS = size
            preview = import_preview(actor=rep, upload=csv_file(*rows))
            said[size] = list(
                preview.rows.order_by("line").values_list("line", "fate", "field", "message")
            )
        assert said[200] == said[1]
        assert said[200][0][1] == "error" and "cannot be edited" in said[200][0][3]

    def test_a_taken_commitment_id_is_refused_with_the_intakes_words(self, rep):
        first = intake.Incoming(
            source="crm",
            external_id="a",
            data={"title": "A", "expected_close_date": CLOSE},
            client_name="Acme",
            owner=rep,
            commitments=[
                {"external_id": "c-1", "kind": "scope", "summary": "S", "promised_date": CLOSE}
            ],
        )
        intake.deal_upsert(actor=rep, incoming=first)
        second = intake.Incoming(**{**first.__dict__, "external_id": "b"})
        with pytest.raises(Exception) as alone:
            intake.deal_upsert(actor=rep, incoming=second, dry_run=True)
        (outcome,) = deal_upsert_many(actor=rep, incomings=[second], dry_run=True)
        assert outcome.messages == alone.value.messages
        assert "c-1" in outcome.messages[0]


@pytest.mark.django_db
class TestQueries:
    @pytest.fixture(autouse=True)
    def _history_read(self):
        """The calibration table read once already, as it is cached between requests."""
        promise_advice.calibrations([("scope", 1, CLOSE)])

    def _counted(self, user, count: int, prefix: str) -> tuple[int, int]:
        rows = [
            row(f"{prefix}-{n}", summary=s, client=f"{prefix} client {n % 3}")
            for n in range(count)
            for s in ("One", "Two", "Three")
        ]
        with CaptureQueriesContext(connection) as preview:
            deal_import = import_preview(actor=user, upload=csv_file(*rows))
        with CaptureQueriesContext(connection) as written:
            import_confirm(deal_import=deal_import, actor=user, enqueue=enqueue_import)
        assert Deal.objects.filter(external_id__startswith=f"{prefix}-").count() == count
        return len(preview), len(written)

    def test_a_chunk_takes_as_many_queries_for_many_deals_as_for_two(self, rep):
        # 20 deals of 3: each insert still fits in one statement on SQLite (999 parameters).
        assert self._counted(rep, 2, "a") == self._counted(rep, 20, "b")

    def test_queries_grow_with_the_chunks_not_the_rows(self, settings, rep):
        settings.IMPORT_BATCH_DEALS = 10
        _, ten = self._counted(rep, 10, "a")
        _, twenty = self._counted(rep, 20, "b")
        _, forty = self._counted(rep, 40, "c")
        per_chunk = twenty - ten
        assert per_chunk < 20
        assert forty == ten + 3 * per_chunk

    def test_importing_the_same_file_again_writes_nothing(self, rep):
        rows = [row(f"d-{n}", summary=s) for n in range(5) for s in ("One", "Two")]
        run(rep, *rows)
        events = DealEvent.objects.count()
        with CaptureQueriesContext(connection) as again:
            done = run(rep, *rows)
        assert done.unchanged_count == 10 and DealEvent.objects.count() == events
        writes = [
            q["sql"]
            for q in again.captured_queries
            if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
            and any(f'"{table}"' in q["sql"].split(" SET ")[0] for table in WRITTEN_TABLES)
        ]
        assert writes == []


@pytest.mark.django_db
class TestBadInput:
    def test_every_bad_row_says_why_and_its_deal_is_not_written(self, manager, rep):
        done = run(
            manager,
            row("ok", owner="rep"),
            row("typed", value="lots", owner="rep"),
            row("typed", summary="Second", owner="rep"),
            row("dated", promised_date="31/12/2030", owner="rep"),
            row("who", owner="nobody"),
            row("twice", owner="rep"),
            row("twice", owner="rep"),
            row("split", owner="rep"),
            row("split", summary="Other", client="Someone else", owner="rep"),
        )
        said = list(done.rows.order_by("line").values_list("fate", "field", "message"))
        assert said == [
            ("create", "", ""),
            ("error", "value", "Give a number, like 1250.50."),
            ("error", "", "Line 3 of this deal is wrong; fix it first."),
            ("error", "promised_date", "Give a date as YYYY-MM-DD."),
            ("error", "owner", "No active sales rep or manager is called 'nobody'."),
            ("error", "", "Line 8 of this deal is wrong; fix it first."),
            ("error", "summary", "Line 7 has the same commitment."),
            ("error", "", "Line 10 of this deal is wrong; fix it first."),
            ("error", "client", "Line 9 of this deal says otherwise."),
        ]
        assert done.status == ImportStatus.DONE and done.error_count == 8
        assert set(Deal.objects.values_list("external_id", flat=True)) == {"ok"}
        assert Commitment.objects.count() == 1 and DealEvent.objects.count() == 2
        assert not done.rows.filter(fate="error", deal__isnull=False).exists()

    def test_a_malformed_file_is_refused_whole(self, rep):
        upload = csv_file(row())
        upload.file.write(b'"never closed,\n')
        upload.file.seek(0)
        upload.size = len(upload.file.getvalue())
        with pytest.raises(Exception, match="not well-formed"):
            import_preview(actor=rep, upload=upload)
        assert not Import.objects.exists() and not Deal.objects.exists()

    def test_a_name_taken_meanwhile_brings_the_chunk_in_deal_by_deal(self, rep, monkeypatch):
        deal_import = import_preview(
            actor=rep, upload=csv_file(row("d-1"), row("d-1", summary="Two"), row("d-2"))
        )
        real = Commitment.objects.bulk_create
        calls = []

        def collides(objs, *args, **kwargs):
            calls.append(len(objs))
            if len(calls) == 1:
                raise IntegrityError("duplicate key value")
            return real(objs, *args, **kwargs)

        monkeypatch.setattr(Commitment.objects, "bulk_create", collides)
        done = import_confirm(deal_import=deal_import, actor=rep, enqueue=enqueue_import)
        assert calls == [3]  # the chunk's one insert, then deal_upsert's own saves
        assert fates(done) == [(2, "create", ""), (3, "create", ""), (4, "create", "")]
        assert Deal.objects.count() == 2 and Commitment.objects.count() == 3
        assert Client.objects.count() == 1
        assert DealEvent.objects.filter(kind="commitment_added").count() == 3

    def test_a_failure_mid_chunk_leaves_nothing_half_written(self, settings, rep, monkeypatch):
        settings.IMPORT_ASYNC_ROWS = 0
        deal_import = import_preview(actor=rep, upload=csv_file(row("d-1"), row("d-2")))
        import_confirm(deal_import=deal_import, actor=rep, enqueue=lambda pk: None)

        def breaks(*args, **kwargs):
            raise RuntimeError("the database went away")

        with monkeypatch.context() as patch:
            patch.setattr(DealEvent.objects, "bulk_create", breaks)
            with pytest.raises(RuntimeError):
                import_run(import_id=deal_import.pk)
        assert not Deal.objects.exists() and not Client.objects.exists()
        assert not Commitment.objects.exists()
        assert deal_import.rows.filter(done=False).count() == 2
        Import.objects.filter(pk=deal_import.pk).update(claimed_until=None)
        assert import_run(import_id=deal_import.pk)
        deal_import.refresh_from_db()
        assert deal_import.status == ImportStatus.DONE and deal_import.created_count == 2
        assert Deal.objects.count() == 2


@pytest.mark.django_db
class TestJob:
    def test_the_progress_moves_a_chunk_at_a_time(self, settings, rep):
        settings.IMPORT_ASYNC_ROWS, settings.IMPORT_BATCH_DEALS = 0, 2
        rows = [row(f"d-{n}", summary=s) for n in range(5) for s in ("One", "Two")]
        deal_import = import_preview(actor=rep, upload=csv_file(*rows))
        import_confirm(deal_import=deal_import, actor=rep, enqueue=lambda pk: None)
        seen = []
        # A budget spent at once: each slice of the job writes one chunk, then hands over.
        while not import_run(import_id=deal_import.pk, budget_seconds=0):
            deal_import.refresh_from_db()
            seen.append((deal_import.processed_rows, deal_import.percent, Deal.objects.count()))
        deal_import.refresh_from_db()
        assert seen == [(4, 40, 2), (8, 80, 4), (10, 100, 5)]
        assert deal_import.status == ImportStatus.DONE and deal_import.created_count == 10
        assert Deal.objects.count() == 5

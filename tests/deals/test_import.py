"""Import deals from a CSV: every row's fate before anything is written, then the run, a deal
at a time, in a job when large; bad files and bad cells are clear errors, never half a deal."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from deals import services
from deals.import_rows import COLUMNS
from deals.models import Deal, DealEvent, Import, ImportStatus
from deals.services.imports import import_confirm, import_preview
from deals.tasks import enqueue_import

CLOSE = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
PROMISED = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()


def row(external_id="d-1", summary="Forty stores", **cells) -> dict:
    base = {
        "external_id": external_id,
        "title": f"Rollout {external_id}",
        "client": "Acme Retail",
        "owner": "",
        "value": "12000.50",
        "currency": "EUR",
        "expected_close_date": CLOSE,
        "kind": "scope",
        "summary": summary,
        "promised_date": PROMISED,
        "effort_days": "5",
    }
    return {**base, **cells}


def csv_file(*rows: dict, name="deals.csv", bom=True) -> SimpleUploadedFile:
    lines = [",".join(COLUMNS)]
    for cells in rows:
        lines.append(",".join(_quoted(cells.get(c, "")) for c in COLUMNS))
    text = ("\ufeff" if bom else "") + "\n".join(lines) + "\n"
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _quoted(value: str) -> str:
    return f'"{value}"' if "," in value or '"' in value else value


def fates(deal_import: Import) -> list[tuple[int, str, str]]:
    return list(deal_import.rows.order_by("line").values_list("line", "fate", "field"))


def run(user, *rows: dict) -> Import:
    deal_import = import_preview(actor=user, upload=csv_file(*rows))
    return import_confirm(deal_import=deal_import, actor=user, enqueue=enqueue_import)


@pytest.mark.django_db
class TestPreview:
    def test_every_rows_fate_and_nothing_written(self, rep):
        deal_import = import_preview(
            actor=rep, upload=csv_file(row(), row(summary="Live by May"), row("d-2"))
        )
        assert fates(deal_import) == [(2, "create", ""), (3, "create", ""), (4, "create", "")]
        assert deal_import.created_count == 3 and deal_import.status == ImportStatus.PREVIEWED
        assert not Deal.objects.exists()

    @pytest.mark.parametrize(
        ("cells", "field"),
        [
            ({"value": "lots"}, "value"),
            ({"promised_date": "31/12/2030"}, "promised_date"),
            ({"kind": "magic"}, "kind"),
            ({"currency": "XYZ"}, "currency"),
            ({"title": "x" * 201}, "title"),
            ({"owner": "nobody"}, "owner"),
            ({"effort_days": "-1"}, "effort_days"),
        ],
    )
    def test_a_wrong_cell_fails_its_deal_only_naming_the_column(self, rep, cells, field):
        deal_import = import_preview(
            actor=rep, upload=csv_file(row(**cells), row(summary="Second"), row("d-2"))
        )
        assert fates(deal_import)[0] == (2, "error", field)
        assert fates(deal_import)[1][1] == "error", "the other row of the same deal"
        assert fates(deal_import)[2] == (4, "create", "")

    def test_a_duplicated_commitment_within_the_file(self, rep):
        deal_import = import_preview(actor=rep, upload=csv_file(row(), row()))
        assert fates(deal_import)[1] == (3, "error", "summary")
        assert "Line 2" in deal_import.rows.get(line=3).message

    def test_rows_of_one_deal_that_disagree(self, rep):
        deal_import = import_preview(
            actor=rep, upload=csv_file(row(), row(summary="Other", title="Another title"))
        )
        assert fates(deal_import)[1] == (3, "error", "title")

    def test_a_deal_in_review_is_an_error_with_the_reason(self, rep):
        run(rep, row())
        services.deal_submit(deal=Deal.objects.get(external_id="d-1"), actor=rep)
        deal_import = import_preview(actor=rep, upload=csv_file(row(title="Renamed")))
        assert fates(deal_import)[0][1] == "error"
        assert "cannot be edited" in deal_import.rows.get().message


@pytest.mark.django_db
class TestFiles:
    @pytest.mark.parametrize(
        ("content", "says"),
        [
            (b"\xff\xfe\x00a", "not UTF-8"),
            (b"title,client\nA,B\n", "missing columns"),
            ((",".join(COLUMNS) + ",colour\n").encode(), "unknown columns"),
            ((",".join(COLUMNS) + "\n").encode(), "no rows"),
            ((",".join(COLUMNS) + "\n" + "a," * 20 + "\n").encode(), "Line 2 has"),
            ((",".join(COLUMNS) + '\n"never closed,' + "\n").encode(), "not well-formed"),
        ],
    )
    def test_a_file_that_cannot_be_read_is_refused_whole(self, rep, content, says):
        upload = SimpleUploadedFile("bad.csv", content, content_type="text/csv")
        with pytest.raises(Exception) as error:
            import_preview(actor=rep, upload=upload)
        assert says in str(error.value)
        assert not Import.objects.exists()

    def test_bounds_of_size_and_rows(self, rep, settings):
        settings.IMPORT_MAX_ROWS = 2
        with pytest.raises(Exception, match="at most 2"):
            import_preview(actor=rep, upload=csv_file(row(), row("d-2"), row("d-3")))
        settings.IMPORT_MAX_BYTES = 100
        with pytest.raises(Exception, match="larger than"):
            import_preview(actor=rep, upload=csv_file(row()))


@pytest.mark.django_db
class TestRun:
    def test_confirm_writes_the_valid_deals_and_again_creates_nothing(self, rep):
        rows = (row(), row(summary="Live by May"), row("d-2", value="oops"), row("d-3"))
        done = run(rep, *rows)
        assert done.status == ImportStatus.DONE
        assert (done.created_count, done.error_count) == (3, 1)
        assert set(Deal.objects.values_list("external_id", flat=True)) == {"d-1", "d-3"}
        deal = Deal.objects.get(external_id="d-1")
        assert deal.commitments.count() == 2 and str(deal.value) == "12000.50"
        events = DealEvent.objects.count()
        again = run(rep, *rows)
        assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
        assert Deal.objects.count() == 2 and DealEvent.objects.count() == events

    def test_a_changed_row_updates_and_a_missing_one_is_removed(self, rep):
        run(rep, row(), row(summary="Live by May"))
        done = run(rep, row(effort_days="8"))
        assert fates(done) == [(2, "update", "")]
        deal = Deal.objects.get(external_id="d-1")
        assert list(deal.commitments.values_list("effort_days", flat=True)) == [8]

    def test_a_manager_imports_for_reps_by_owner(self, manager, rep):
        run(manager, row(owner="rep"), row("d-2", owner=rep.email))
        assert set(Deal.objects.values_list("owner__username", flat=True)) == {"rep"}

    def test_a_rep_may_not_import_for_another(self, rep, rep2):
        done = run(rep, row(owner="rep2"))
        assert fates(done)[0][1] == "error" and not Deal.objects.exists()

    def test_a_large_file_runs_in_a_job(self, rep, settings, django_capture_on_commit_callbacks):
        settings.IMPORT_ASYNC_ROWS = 2
        deal_import = import_preview(actor=rep, upload=csv_file(row(), row("d-2"), row("d-3")))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            queued = import_confirm(deal_import=deal_import, actor=rep, enqueue=enqueue_import)
        assert queued.status == ImportStatus.QUEUED and not Deal.objects.exists()
        for callback in callbacks:
            callback()
        deal_import.refresh_from_db()
        assert deal_import.status == ImportStatus.DONE and deal_import.percent == 100
        assert Deal.objects.count() == 3

    def test_confirming_twice_is_refused(self, rep):
        deal_import = import_preview(actor=rep, upload=csv_file(row()))
        import_confirm(deal_import=deal_import, actor=rep, enqueue=enqueue_import)
        with pytest.raises(Exception, match="confirmed already"):
            import_confirm(deal_import=deal_import, actor=rep, enqueue=enqueue_import)
        assert Deal.objects.count() == 1


@pytest.mark.django_db
class TestPages:
    def test_upload_preview_confirm_and_report(self, rep, client_for):
        http = client_for(rep)
        assert http.get(reverse("deals:import_start")).status_code == 200
        response = http.post(
            reverse("deals:import_start"),
            {"file": csv_file(row(), row("d-2", title="=HYPERLINK(1)")), "source": "csv"},
        )
        assert response.status_code == 302
        detail = http.get(response["Location"]).content.decode()
        assert "Preview:" in detail and "Import 2 valid rows" in detail
        deal_import = Import.objects.get()
        assert not Deal.objects.exists()
        http.post(reverse("deals:import_confirm", args=[deal_import.pk]))
        assert Deal.objects.count() == 2
        report = http.get(reverse("deals:import_report", args=[deal_import.pk]))
        body = b"".join(report.streaming_content).decode()
        assert body.startswith("\ufeffline,external_id")
        assert "'=HYPERLINK(1)" in body and ",create," in body

    def test_a_bad_file_shows_the_form_again_with_the_reason(self, rep, client_for):
        upload = SimpleUploadedFile("x.csv", b"a,b\n1,2\n", content_type="text/csv")
        response = client_for(rep).post(reverse("deals:import_start"), {"file": upload})
        assert response.status_code == 400
        assert "missing columns" in response.content.decode()

    def test_anothers_import_is_not_found(self, rep, rep2, client_for):
        deal_import = import_preview(actor=rep, upload=csv_file(row()))
        for name in ("deals:import_detail", "deals:import_report"):
            url = reverse(name, args=[deal_import.pk])
            assert client_for(rep2).get(url).status_code == 404
        response = client_for(rep2).post(reverse("deals:import_confirm", args=[deal_import.pk]))
        assert response.status_code == 404 and not Deal.objects.exists()

    @pytest.mark.parametrize("count", [1, 30])
    def test_the_rows_page_query_count_does_not_grow(
        self, rep, client_for, django_assert_num_queries, count
    ):
        rows = [row(f"d-{n}") for n in range(count)]
        deal_import = import_preview(actor=rep, upload=csv_file(*rows))
        http = client_for(rep)
        url = reverse("deals:import_detail", args=[deal_import.pk])
        http.get(url)
        with django_assert_num_queries(7):
            assert http.get(url).status_code == 200


@pytest.mark.django_db
class TestApi:
    def _api(self, user) -> APIClient:
        api = APIClient()
        api.force_authenticate(user)
        return api

    def test_dry_run_says_every_rows_fate_and_writes_no_deal(self, rep):
        response = self._api(rep).post(
            "/api/v1/imports/deals/",
            {"file": csv_file(row(), row("d-2", kind="bogus")), "dry_run": "true"},
            format="multipart",
        )
        assert response.status_code == 200, response.content
        assert [r["fate"] for r in response.json()["rows"]] == ["create", "error"]
        assert response.json()["rows"][1]["field"] == "kind"
        assert not Deal.objects.exists()

    def test_import_brings_the_deals_in(self, rep):
        response = self._api(rep).post(
            "/api/v1/imports/deals/", {"file": csv_file(row())}, format="multipart"
        )
        assert response.status_code == 201
        assert response.json()["status"] == "done" and response.json()["created_count"] == 1
        assert response.json()["report"].endswith("/report.csv")
        detail = self._api(rep).get(f"/api/v1/imports/deals/{response.json()['id']}/")
        assert detail.json()["percent"] == 100

    def test_a_bad_file_is_a_400_on_file(self, rep):
        upload = SimpleUploadedFile("x.csv", b"\xff\xfe", content_type="text/csv")
        response = self._api(rep).post(
            "/api/v1/imports/deals/", {"file": upload}, format="multipart"
        )
        assert response.status_code == 400 and "file" in response.json()

    def test_a_pm_may_not_import(self, pm):
        response = self._api(pm).post(
            "/api/v1/imports/deals/", {"file": csv_file(row())}, format="multipart"
        )
        assert response.status_code == 403

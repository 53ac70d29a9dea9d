"""An import of deals at scale: a CSV of N rows (5 commitments a deal) previewed, then run.

`python -m bench` runs it on the benchmark database; `python -m bench.imports` alone does too,
on the database of DATABASE_URL (SQLite as well; it only adds deals, under a source of its
own each run). `--per-row` takes every deal through the intake alone, as imports did before
they planned and wrote deals a chunk at a time; `--compare` measures both, one after the other.
"""

import argparse
import io
import os
import resource
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

COMMITMENTS_PER_DEAL = 5


def csv_text(rows: int, owner: str) -> str:
    from django.utils import timezone

    from deals.import_rows import COLUMNS

    close = (timezone.localdate() + timedelta(days=30)).isoformat()
    promised = (timezone.localdate() + timedelta(days=120)).isoformat()
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\n")
    kinds = ["scope", "timeline", "staffing", "integration", "support"]
    for n in range(rows):
        deal, item = divmod(n, COMMITMENTS_PER_DEAL)
        cells = {
            "external_id": f"bench-{deal:06d}",
            "title": f"Imported rollout {deal}",
            "client": f"Imported client {deal % 400}",
            "owner": owner,
            "value": f"{10000 + deal}.00",
            "currency": "EUR",
            "expected_close_date": close,
            "kind": kinds[item],
            "summary": f"Promise {item} of deal {deal}",
            "promised_date": promised,
            "effort_days": "3",
        }
        out.write(",".join(cells.get(c, "") for c in COLUMNS) + "\n")
    return out.getvalue()


class Meter:
    """Wall seconds, this process's CPU seconds, the database server's CPU seconds for this
    connection (PostgreSQL on this machine: its backend's /proc entry) and the queries sent."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.backend_stat: Path | None = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
            self.backend_stat = stat if stat.exists() else None

    def _database_cpu(self) -> float | None:
        if self.backend_stat is None:
            return None
        try:
            fields = self.backend_stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @contextmanager
    def phase(self, into: dict, name: str):
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        usage = resource.getrusage(resource.RUSAGE_SELF)
        database = self._database_cpu()
        started, cpu = time.perf_counter(), time.process_time()
        with self.connection.execute_wrapper(count):
            yield
        finished = resource.getrusage(resource.RUSAGE_SELF)
        into[f"{name}_seconds"] = round(time.perf_counter() - started, 1)
        into[f"{name}_cpu_seconds"] = round(time.process_time() - cpu, 1)
        into[f"{name}_user_seconds"] = round(finished.ru_utime - usage.ru_utime, 1)
        into[f"{name}_system_seconds"] = round(finished.ru_stime - usage.ru_stime, 1)
        if database is not None and (after := self._database_cpu()) is not None:
            into[f"{name}_database_cpu_seconds"] = round(after - database, 1)
        into[f"{name}_queries"] = queries[0]


def measure(rows: int, *, per_row: bool = False) -> dict:
    """One preview and run of the file, then the preview of the same file again."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.utils import override_settings

    from deals.services.imports import import_confirm, import_preview, import_run
    from handoff.models import Role, User

    owner, _ = User.objects.get_or_create(
        username="bench-importer", defaults={"role": Role.SALES, "email": "imp@bench.test"}
    )
    # A source of its own each run: deals (and their append-only events) are never deleted.
    source = f"bench-{time.time_ns()}"
    text = csv_text(rows, owner.username).encode()
    meter, figures = Meter(), {}
    with override_settings(**({"IMPORT_BATCH_DEALS": 1} if per_row else {})):
        with meter.phase(figures, "preview"):
            upload = SimpleUploadedFile("bench.csv", text)
            deal_import = import_preview(actor=owner, upload=upload, source=source)
        with meter.phase(figures, "import"):
            # Run in-process as one job slice after another would, without the broker.
            import_confirm(deal_import=deal_import, actor=owner, enqueue=lambda pk: None)
            while not import_run(import_id=deal_import.pk, budget_seconds=30):
                pass
        with meter.phase(figures, "reimport_preview"):
            upload = SimpleUploadedFile("bench.csv", text)
            again = import_preview(actor=owner, upload=upload, source=source)
    deal_import.refresh_from_db()
    return {
        **figures,
        "total_seconds": round(figures["preview_seconds"] + figures["import_seconds"], 1),
        # The web process's own CPU: what the figure would be on a machine with nothing else.
        "python_cpu_seconds": round(
            figures["preview_cpu_seconds"] + figures["import_cpu_seconds"], 1
        ),
        "created_rows": deal_import.created_count,
        "errors": deal_import.error_count,
        "status": deal_import.status,
        "reimport_unchanged_rows": again.unchanged_count,
    }


def run(rows: int = 10_000, *, compare: bool = False, per_row: bool = False) -> dict:
    from django.conf import settings
    from django.db import connection

    from deals.models import Deal

    deals_before = Deal.objects.count()
    figures = measure(rows, per_row=per_row)
    result = {
        "rows": rows,
        "deals": rows // COMMITMENTS_PER_DEAL,
        "database": connection.vendor,
        "deals_in_database_before": deals_before,
        "deals_per_chunk": 1 if per_row else settings.IMPORT_BATCH_DEALS,
        **figures,
        "goal_seconds": 60,
        "how": "a CSV of N rows, 5 commitments a deal, 400 clients: the preview (every row "
        "planned, nothing written), then the run (events and all), "
        + (
            "each deal through the intake alone, 25 deals a transaction"
            if per_row
            else f"{settings.IMPORT_BATCH_DEALS} deals a chunk, planned and written together"
        )
        + "; then the same file previewed again, every row unchanged. CPU: this process "
        "(user + system); database CPU: the PostgreSQL backend of this connection",
    }
    if compare and not per_row:
        old = measure(rows, per_row=True)
        result["per_row"] = old
        result["cpu_ratio_per_row_to_chunked"] = round(
            old["python_cpu_seconds"] / max(figures["python_cpu_seconds"], 0.1), 1
        )
        result["wall_ratio_per_row_to_chunked"] = round(
            old["total_seconds"] / max(figures["total_seconds"], 0.1), 1
        )
    return result


def main() -> None:
    import json
    import sys

    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("rows", type=int, nargs="?", default=10_000)
    parser.add_argument("--per-row", action="store_true", help="each deal through the intake")
    parser.add_argument("--compare", action="store_true", help="chunked, then per row")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(run(args.rows, compare=args.compare, per_row=args.per_row), indent=2))


if __name__ == "__main__":
    main()

"""An import of deals at scale: a CSV of N rows (5 commitments a deal) previewed, then run.

`python -m bench` runs it on the benchmark database; `python -m bench.imports` alone does too.
"""

import io
import sys
import time
from datetime import timedelta

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


def run(rows: int = 10_000) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from deals.services.imports import import_confirm, import_preview, import_run
    from handoff.models import Role, User

    owner, _ = User.objects.get_or_create(
        username="bench-importer", defaults={"role": Role.SALES, "email": "imp@bench.test"}
    )
    # A source of its own each run: deals (and their append-only events) are never deleted.
    source = f"bench-{int(time.time())}"
    upload = SimpleUploadedFile("bench.csv", csv_text(rows, owner.username).encode())
    started, cpu_started = time.perf_counter(), time.process_time()
    deal_import = import_preview(actor=owner, upload=upload, source=source)
    previewed = time.perf_counter()
    # Run in-process as one job slice after another would, without the broker.
    import_confirm(deal_import=deal_import, actor=owner, enqueue=lambda pk: None)
    while not import_run(import_id=deal_import.pk, budget_seconds=30):
        pass
    finished, cpu_finished = time.perf_counter(), time.process_time()
    deal_import.refresh_from_db()
    again = import_preview(
        actor=owner,
        upload=SimpleUploadedFile("bench.csv", csv_text(rows, owner.username).encode()),
        source=source,
    )
    return {
        "rows": rows,
        "deals": rows // COMMITMENTS_PER_DEAL,
        "preview_seconds": round(previewed - started, 1),
        "import_seconds": round(finished - previewed, 1),
        "total_seconds": round(finished - started, 1),
        # The web process's own CPU: what the figure would be on a machine with nothing else.
        "python_cpu_seconds": round(cpu_finished - cpu_started, 1),
        "created_rows": deal_import.created_count,
        "errors": deal_import.error_count,
        "status": deal_import.status,
        "reimport_unchanged_rows": again.unchanged_count,
        "how": "a CSV of N rows, 5 commitments a deal, 400 clients: the preview (every row "
        "planned, nothing written), then the run through the services (events and all), 25 "
        "deals a transaction; then the same file previewed again, every row unchanged",
    }


if __name__ == "__main__":
    import json
    import os

    from bench.__main__ import setup_django

    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_bench")
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000), indent=2))

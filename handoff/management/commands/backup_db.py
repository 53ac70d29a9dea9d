"""`manage.py backup_db`: dump the PostgreSQL database (pg_dump -Fc) to a file."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from handoff import backup


class Command(BaseCommand):
    help = (
        "Dump the PostgreSQL database to a file in pg_dump's custom format (restore_db reads it)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="where to write the dump (default var/backups/handoff-<UTC time>.dump)",
        )
        parser.add_argument(
            "--database-url", help="dump this database instead of the settings' one"
        )

    def handle(self, *args, output: Path | None, database_url: str | None, **options):
        if output is None:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            output = Path(settings.VAR_DIR) / "backups" / f"handoff-{stamp}.dump"
        written = backup.dump(output, database_url=database_url)
        self.stdout.write(f"Wrote {written} ({written.stat().st_size} bytes)")

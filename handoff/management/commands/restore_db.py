"""`manage.py restore_db DUMP`: restore a backup_db dump into an empty PostgreSQL database."""

from pathlib import Path

from django.core.management.base import BaseCommand

from handoff import backup


class Command(BaseCommand):
    help = (
        "Restore a dump written by backup_db, in one transaction, into the settings' database "
        "(or --database-url). Refuses a database that has tables unless --clean is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("dump", type=Path, help="the file backup_db wrote")
        parser.add_argument(
            "--database-url", help="restore into this database instead of the settings' one"
        )
        parser.add_argument(
            "--clean",
            action="store_true",
            help="drop the database's existing objects before restoring (it is all or nothing)",
        )

    def handle(self, *args, dump: Path, database_url: str | None, clean: bool, **options):
        backup.restore(dump, database_url=database_url, clean=clean)
        self.stdout.write(f"Restored {dump}")

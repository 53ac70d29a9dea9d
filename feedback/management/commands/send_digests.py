from django.core.management.base import BaseCommand

from feedback.digests import send_digests
from feedback.models import DigestPeriod


class Command(BaseCommand):
    help = (
        "Send this period's digest to every user who chose it. Each (user, period) is claimed "
        "by a unique row first, so running it twice, or twice at once, sends each digest once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", choices=DigestPeriod.values, default=DigestPeriod.WEEKLY)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count who would get a digest; send nothing."
        )

    def handle(self, *args, period: str, dry_run: bool, **options) -> None:
        counts = send_digests(period=period, dry_run=dry_run)
        prefix = "would send" if dry_run else "sent"
        line = f"{prefix} {counts['sent']}, skipped {counts['skipped']}"
        if counts["failed"]:
            line += f", failed {counts['failed']}"
        self.stdout.write(line)

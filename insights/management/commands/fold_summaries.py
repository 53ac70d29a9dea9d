"""fold_summaries: bring the dashboard's summary tables up to date, or rebuild them with --full."""

from django.core.management.base import BaseCommand

from insights.summary_fold import summaries_fold


class Command(BaseCommand):
    help = (
        "Fold the deal and project events since the last run into the dashboard's summary "
        "tables, as the scheduled job does every minute. The first run, or --full, rebuilds "
        "every day there is from the rows. Safe to run twice, or at once with the job."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="Rebuild every day, not only what changed."
        )

    def handle(self, *args, full: bool, **options) -> None:
        stats = summaries_fold(full=full)
        self.stdout.write(
            f"Folded {stats['deal_events']} deal and {stats['project_events']} project events "
            f"into {stats['deals']} deals; refolded {stats['round_days']} days of rounds and "
            f"{stats['promise_days']} days of promises in {stats['seconds']:.2f} s."
        )

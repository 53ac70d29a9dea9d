"""send_review_reminders: the reminders the open reviews are owed now, each sent once."""

from django.core.management.base import BaseCommand

from feedback.reminders import send_review_reminders


class Command(BaseCommand):
    help = (
        "Send the review reminders due now: due soon, past the SLA, and each working day while "
        "overdue. Each (round, kind, day) is claimed by a unique row first, so running it "
        "twice, or twice at once, sends each reminder once. The scheduled job does the same."
    )

    def handle(self, *args, **options) -> None:
        sent = send_review_reminders()
        self.stdout.write(f"Sent {sent} review reminder{'' if sent == 1 else 's'}.")

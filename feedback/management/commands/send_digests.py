"""send_digests: this period's digests, or with --dry-run who would get what, sending nothing."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from feedback.digests import DigestPlan, plan_digest, plan_digests, render_digest, send_digests
from feedback.models import DigestPeriod
from handoff.models import User


class Command(BaseCommand):
    help = (
        "Send this period's digest to every user who chose it. Each (user, period) is claimed "
        "by a unique row first, so running it twice, or twice at once, sends each digest once. "
        "With --dry-run it lists who would get what and sends and records nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", choices=DigestPeriod.values, default=DigestPeriod.WEEKLY)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List who would get a digest and what it says; send and record nothing.",
        )
        parser.add_argument(
            "--preview",
            metavar="USER",
            help="With --dry-run: print the digest USER (a username or email) would get.",
        )
        parser.add_argument(
            "--html", action="store_true", help="With --preview: print the HTML part too."
        )

    def handle(self, *args, period: str, dry_run: bool, preview: str | None, html: bool, **options):
        if preview and not dry_run:
            raise CommandError("--preview needs --dry-run: a preview never sends anything.")
        if html and not preview:
            raise CommandError("--html goes with --preview USER.")
        if not dry_run:
            self.stdout.write(_summary(send_digests(period=period), "sent"))
            return
        # Reads only; the rollback is there so that nothing a section does can be kept.
        with transaction.atomic():
            if preview:
                self._preview(_user(preview), period, html=html)
            else:
                self._list(period)
            transaction.set_rollback(True)

    def _list(self, period: str) -> None:
        counts = {"sent": 0, "skipped": 0, "failed": 0}
        for plan in plan_digests(period=period):
            self.stdout.write(_plan_line(plan))
            counts["sent" if plan.digest else "skipped"] += 1
        self.stdout.write(_summary(counts, "would send"))

    def _preview(self, user: User, period: str, *, html: bool) -> None:
        plan = plan_digest(user, period)
        self.stdout.write(_plan_line(plan))
        if plan.digest is None:
            return
        text, html_body = render_digest(plan.digest)
        self.stdout.write(f"\nSubject: {plan.digest.subject}\nTo: {user.email}\n\n{text}")
        if html:
            self.stdout.write(html_body)


def _user(name: str) -> User:
    users = list(User.objects.filter(Q(username=name) | Q(email__iexact=name))[:2])
    if len(users) != 1:
        raise CommandError(
            f"No user has the username or email {name!r}."
            if not users
            else f"More than one user has the email {name!r}; give a username."
        )
    return users[0]


def _plan_line(plan: DigestPlan) -> str:
    who = f"{plan.user.username} <{plan.user.email}>" if plan.user.email else plan.user.username
    if plan.digest is None:
        return f"{who}: nothing to send, {plan.reason}."
    digest = plan.digest
    deals = len(digest.deal_groups)
    return (
        f"{who}: would send “{digest.subject}”, {digest.item_count} item(s)"
        + (f", {deals} deal(s)" if deals else "")
        + "."
    )


def _summary(counts: dict[str, int], verb: str) -> str:
    line = f"{verb} {counts['sent']}, skipped {counts['skipped']}"
    if counts["failed"]:
        line += f", failed {counts['failed']}"
    return line

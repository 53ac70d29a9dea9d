"""What the live pages poll: the version of a deal and of the review queue, one indexed query
each, so a page can ask every few seconds whether what it shows has changed."""

from django.db.models import Count, Max, QuerySet

from deals.models import Deal, DealStatus
from deals.selectors import deals_visible_to
from handoff.models import User
from handoff.roles import can_review


def deal_version(user: User, pk: int | str) -> int | None:
    """The deal's version (bumped by every write to it), or None when the user may not see it."""
    return deals_visible_to(user).filter(pk=pk).order_by().values_list("version", flat=True).first()


def queue_version(user: User) -> str:
    """A token of the review queue that changes whenever a round opens, closes or moves.

    A round is open exactly while its deal is in review, and every write to a deal in review
    (a claim, a ruling, an approval, a hand-on) stamps its updated_at: so the number of deals
    in review and the latest stamp among them, read from deal_status_updated_idx alone. Every
    deal in review was submitted, so a PM sees them all, like a manager; others see no queue.
    """
    if not can_review(user):
        return ""
    row = next(iter(queue_stamp()[:1]), None)
    if row is None:
        return "0"
    rounds, last = row
    return f"{rounds}-{last.timestamp():.6f}"


def queue_stamp() -> QuerySet:
    """(deals in review, their latest updated_at): one row, or none when nothing is in review."""
    return (
        Deal.objects.filter(status=DealStatus.IN_REVIEW)
        .order_by()
        .values("status")
        .annotate(rounds=Count("*"), last=Max("updated_at"))
        .values_list("rounds", "last")
    )

"""Crafted history for the dashboard's tests: deals moved through the workflow by its services,
then the rounds' clocks set to known times so every figure has an exact expected value."""

import datetime
from decimal import Decimal
from itertools import count

from django.utils import timezone

from deals import services
from deals.models import CommitmentKind, Deal, ReviewRound, VerdictKind
from handoff.models import User
from tests.factories import ClientFactory

_titles = count(1)


def at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def make_deal(
    owner: User,
    commitments: list[tuple[str, str]] | None = None,
    *,
    promised: datetime.date | None = None,
    start: datetime.date | None = None,
) -> Deal:
    """A draft deal with commitments given as (kind, effort days)."""
    today = timezone.localdate()
    promised = promised or today + datetime.timedelta(days=60)
    n = next(_titles)
    return services.deal_create(
        actor=owner,
        data={
            "title": f"Crafted deal {n}",
            "client": ClientFactory(),
            "value": Decimal("10000"),
            "expected_close_date": today + datetime.timedelta(days=30),
            "expected_start_date": start or today,
        },
        commitments=[
            {
                "kind": kind,
                "summary": f"Promise {n}.{i}",
                "promised_date": promised,
                "effort_days": Decimal(effort),
            }
            for i, (kind, effort) in enumerate(commitments or [(CommitmentKind.SCOPE, "5")])
        ],
    )


def review(deal: Deal, pm: User, verdicts: list[str], *, decide: bool = True) -> ReviewRound:
    """Submit, rule on each commitment in order, then sign off or request changes."""
    review_round = services.deal_submit(deal=deal, actor=deal.owner)
    for commitment, verdict in zip(deal.commitments.order_by("id"), verdicts, strict=True):
        services.commitment_rule(
            commitment=commitment,
            actor=pm,
            verdict=verdict,
            reason="Not feasible" if verdict == VerdictKind.FLAGGED else "",
            condition="If staffed" if verdict == VerdictKind.APPROVED_WITH_CONDITION else "",
        )
    if decide:
        if VerdictKind.FLAGGED in verdicts:
            services.deal_request_changes(deal=deal, actor=pm)
        else:
            services.deal_sign_off(deal=deal, actor=pm)
    review_round.refresh_from_db()
    return review_round


def set_clock(
    review_round: ReviewRound,
    submitted: datetime.datetime,
    decided: datetime.datetime | None = None,
    due: datetime.datetime | None = None,
) -> None:
    """Move a round to known times (the services stamp now)."""
    fields = {"submitted_at": submitted, "due_at": due or submitted + datetime.timedelta(days=2)}
    if decided is not None:
        fields["decided_at"] = decided
    ReviewRound.objects.filter(pk=review_round.pk).update(**fields)

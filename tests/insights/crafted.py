"""Crafted history for the dashboard's tests: deals moved through the workflow by its services,
then the rounds' clocks set to known times so every figure has an exact expected value."""

import datetime
from decimal import Decimal
from itertools import count

from django.utils import timezone

from deals import services
from deals.models import CommitmentKind, Deal, ReviewRound, Verdict, VerdictKind
from feedback import services as feedback_services
from feedback.models import Direction, Topic
from handoff.models import GoalMetric, SharedGoal, User, quarter_of
from insights.figures.window import Window
from projects.models import Deliverable, Project
from tests.factories import ClientFactory

_titles = count(1)

APPROVED = VerdictKind.APPROVED
FLAGGED = VerdictKind.FLAGGED
CONDITION = VerdictKind.APPROVED_WITH_CONDITION
JUNE = Window(datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
MONDAY = datetime.date(2026, 6, 1)


def day(n: int) -> datetime.date:
    """June 2026: day(0) is Monday 1 June."""
    return MONDAY + datetime.timedelta(days=n)


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


def won_deliverables(rep, pm, promised: datetime.date, efforts: list[str]) -> list[Deliverable]:
    deal = make_deal(rep, [(CommitmentKind.SCOPE, e) for e in efforts], promised=promised)
    review(deal, pm, [APPROVED] * len(efforts))
    services.deal_win(deal=deal, actor=rep)
    # Work began before its promises fell due: deliveries can date back to the start.
    Project.objects.filter(deal=deal).update(start_date=promised - datetime.timedelta(days=30))
    return list(Deliverable.objects.filter(project__deal=deal).order_by("id"))


def history(reps, pm, manager, deals: int) -> None:
    """`deals` deals across the reps: flagged, escalated, signed off, won, with feedback."""
    today = timezone.localdate()
    for i in range(deals):
        rep = reps[i % len(reps)]
        deal = make_deal(
            rep,
            [(CommitmentKind.SCOPE, "3"), (CommitmentKind.TIMELINE, "2")],
            promised=today - datetime.timedelta(days=1),
        )
        review(deal, pm, [VerdictKind.FLAGGED, VerdictKind.APPROVED])
        if i % 3 == 1:
            services.verdict_escalate(
                verdict=Verdict.objects.filter(round__deal=deal, verdict="flagged").get(),
                actor=rep,
                argument="We can",
            )
            continue
        services.deal_revise(deal=deal, actor=rep)
        review(deal, pm, [VerdictKind.APPROVED, VerdictKind.APPROVED])
        if i % 3 == 0:
            services.deal_win(deal=deal, actor=rep)
        feedback_services.note_create(
            author=rep, direction=Direction.TO_DELIVERY, topic=Topic.CUSTOMER_INSIGHT, body="x"
        )
    SharedGoal.objects.get_or_create(
        quarter=quarter_of(today), metric=GoalMetric.KEPT_RATE, defaults={"target": Decimal("90")}
    )

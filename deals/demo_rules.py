"""Demo only: the example review rules, and a deal submitted under them. Safe to run twice.

The rules came in lately: every other demo deal was reviewed without them, and this one,
submitted after they were written, waits for an Integration PM and a manager besides its
lead reviewer.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from deals import services
from deals.demo_history import date_trail
from deals.models import (
    Approval,
    ApproverKind,
    Client,
    Deal,
    ReviewRound,
    ReviewRule,
    Verdict,
    VerdictKind,
)
from handoff.calendar import add_working_days
from handoff.models import Team, User

DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)

# name, kinds, minimum deal value, approver, team name
RULES = [
    (
        "Integration commitments need a PM of the Integration team",
        ["integration"],
        None,
        ApproverKind.PM,
        "Integration",
    ),
    (
        "Pricing on deals of 100,000 or more needs a manager",
        ["pricing"],
        Decimal("100000"),
        ApproverKind.MANAGER,
        None,
    ),
]

# The deal reviewed under the rules: kind, summary, effort, days from today to the promise.
RULED_DEAL = "ERP and payments integration"
RULED_PROMISES = [
    ("integration", "Two-way sync with their ERP", "12", 75),
    ("pricing", "Fixed price for phase one", "2", 45),
    ("scope", "Order tracking portal for their customers", "15", 90),
]


def seed(users: dict[str, User]) -> None:
    _rules(users)
    _ruled_deal(users)


def _rules(users: dict[str, User]) -> None:
    """The two example rules, written an hour and a half ago: after every other round."""
    written = timezone.now() - 90 * MINUTE
    for name, kinds, min_value, approver, team in RULES:
        if ReviewRule.objects.filter(name=name).exists():
            continue  # kept as it is, even if someone changed or retired it since
        rule = services.review_rule_create(
            actor=users["manager"],
            data={
                "name": name,
                "kinds": kinds,
                "min_deal_value": min_value,
                "approver": approver,
                "team": Team.objects.filter(name=team).first() if team else None,
            },
        )
        ReviewRule.objects.filter(pk=rule.pk).update(created_at=written)


def _ruled_deal(users: dict[str, User]) -> None:
    """A deal submitted under the rules: the lead reviewer approved what was theirs to."""
    if Deal.objects.filter(title=RULED_DEAL).exists():
        return
    rep, pm = users["rep"], users["pm"]
    today = timezone.localdate()
    deal = services.deal_create(
        actor=rep,
        data={
            "title": RULED_DEAL,
            "client": _client(users["manager"]),
            "value": Decimal("120000"),
            "currency": "EUR",
            "expected_close_date": today + 30 * DAY,
            "expected_start_date": today + 45 * DAY,
            "description": "Their orders flow from the web shop into the ERP and back.",
        },
        commitments=[
            {
                "kind": kind,
                "summary": summary,
                "promised_date": today + days * DAY,
                "effort_days": Decimal(effort),
            }
            for kind, summary, effort, days in RULED_PROMISES
        ],
    )
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    scope = deal.commitments.get(kind="scope")
    services.commitment_rule(commitment=scope, actor=pm, verdict=VerdictKind.APPROVED)

    now = timezone.now()
    submitted = now - 60 * MINUTE
    Deal.objects.filter(pk=deal.pk).update(created_at=now - 2 * DAY, updated_at=now - 30 * MINUTE)
    ReviewRound.objects.filter(deal=deal).update(
        submitted_at=submitted,
        due_at=add_working_days(submitted, 2),
        claimed_at=submitted + 20 * MINUTE,
    )
    Verdict.objects.filter(round__deal=deal).update(decided_at=now - 30 * MINUTE)
    Approval.objects.filter(requirement__round__deal=deal).update(decided_at=now - 30 * MINUTE)
    date_trail(deal, created=now - 2 * DAY)


def _client(actor: User) -> Client:
    existing = Client.objects.filter(name__iexact="Contoso Logistics").first()
    return existing or services.client_create(
        actor=actor, name="Contoso Logistics", industry="Logistics"
    )

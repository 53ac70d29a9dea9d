"""Demo clients and deals in every status, made through the workflow. Safe to run twice.

Only timestamps are moved back afterwards (so the queue has overdue and on-time reviews);
statuses are whatever the services made them. The review rules and the one deal reviewed
under them follow (deals.demo_rules).
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from deals import demo_rules, services
from deals.demo_history import date_trail
from deals.models import Approval, Client, Deal, DealStatus, ReviewRound, Verdict, VerdictKind
from handoff.calendar import add_working_days
from handoff.models import User

DAY = datetime.timedelta(days=1)

CLIENTS = [
    ("Northwind Retail", "Retail"),
    ("Contoso Logistics", "Logistics"),
    ("Fabrikam Health", "Healthcare"),
    ("Tailspin Airlines", "Travel"),
    ("Wingtip Toys", "Retail"),
    ("Adventure Works", "Manufacturing"),
    ("Litware Insurance", "Insurance"),
    ("Proseware Bank", "Banking"),
    ("Lucerne Publishing", "Media"),
    ("Margie's Travel", "Travel"),
    ("Alpine Ski House", "Leisure"),
    ("Coho Winery", "Food & drink"),
    ("Humongous Energy", "Energy"),
    ("Trey Research", "Pharma"),
    ("Blue Yonder Freight", "Logistics"),
]

# kind, summary, effort (person-days), days from today to the promised date
PROMISES = [
    ("scope", "Customer portal with single sign-on", "15", 90),
    ("integration", "Two-way sync with their ERP", "12", 75),
    ("timeline", "Go-live before the spring campaign", "4", 60),
    ("staffing", "A dedicated tech lead on site two days a week", "20", 120),
    ("support", "Hypercare for six weeks after go-live", "8", 130),
    ("pricing", "Fixed price for phase one", "2", 45),
    ("scope", "Mobile app for field staff", "25", 150),
    ("integration", "Payment provider switch", "6", 50),
    ("other", "Data migration from the legacy system", "10", 70),
    ("timeline", "Pilot in three sites within a month", "5", 30),
]

TITLES = [
    "Loyalty platform rebuild",
    "Warehouse analytics",
    "Patient booking portal",
    "Crew scheduling revamp",
    "Online store relaunch",
    "Shop-floor data capture",
    "Claims self-service",
    "Mortgage onboarding",
    "Subscription paywall",
    "Trip planner app",
    "Lift pass e-commerce",
    "Wine club membership",
    "Smart meter dashboards",
    "Lab sample tracking",
    "Freight quote engine",
    "Store inventory sync",
    "Route optimisation pilot",
    "Clinician mobile app",
    "Baggage tracking",
    "Toy configurator",
    "Maintenance planning",
    "Broker portal",
    "Open banking APIs",
    "Editorial CMS migration",
    "Agent booking desk",
    "Season pass renewals",
    "Cellar door POS",
    "Outage notifications",
    "Trial site portal",
    "Customs paperwork automation",
    "Click and collect",
    "Fleet telematics",
    "Pharmacy reorder bot",
    "Lounge access app",
    "Catalogue PIM",
    "Supplier quality portal",
    "Policy renewals",
    "Branch queue system",
    "Reader analytics",
    "Group travel quotes",
]

# status, owner, variant: what else happens to the deal on its way there
PLAN = [
    (DealStatus.DRAFT, "rep", "new"),
    (DealStatus.DRAFT, "rep2", "new"),
    (DealStatus.DRAFT, "rep", "new"),
    (DealStatus.DRAFT, "rep2", "reworked"),
    (DealStatus.DRAFT, "rep", "voided"),
    (DealStatus.IN_REVIEW, "rep", "overdue"),
    (DealStatus.IN_REVIEW, "rep2", "overdue"),
    (DealStatus.IN_REVIEW, "rep", "overdue_claimed"),
    (DealStatus.IN_REVIEW, "rep2", "fresh"),
    (DealStatus.IN_REVIEW, "rep", "fresh"),
    (DealStatus.IN_REVIEW, "rep2", "partly_ruled"),
    (DealStatus.IN_REVIEW, "rep", "partly_ruled"),
    (DealStatus.IN_REVIEW, "rep2", "resubmitted"),
    (DealStatus.IN_REVIEW, "rep", "fresh"),
    (DealStatus.IN_REVIEW, "rep2", "due_today"),
    (DealStatus.CHANGES_REQUESTED, "rep", "escalated_open"),
    (DealStatus.CHANGES_REQUESTED, "rep2", "escalated_decided"),
    (DealStatus.CHANGES_REQUESTED, "rep", "flagged"),
    (DealStatus.CHANGES_REQUESTED, "rep2", "flagged"),
    (DealStatus.CHANGES_REQUESTED, "rep", "flagged"),
    (DealStatus.CHANGES_REQUESTED, "rep2", "flagged"),
    (DealStatus.SIGNED_OFF, "rep", "conditions"),
    (DealStatus.SIGNED_OFF, "rep2", "plain"),
    (DealStatus.SIGNED_OFF, "rep", "plain"),
    (DealStatus.SIGNED_OFF, "rep2", "conditions"),
    (DealStatus.SIGNED_OFF, "rep", "second_round"),
    (DealStatus.SIGNED_OFF, "rep2", "plain"),
    (DealStatus.WON, "rep", "conditions"),
    (DealStatus.WON, "rep2", "plain"),
    (DealStatus.WON, "rep", "second_round"),
    (DealStatus.WON, "rep2", "by_manager"),
    (DealStatus.WON, "rep", "plain"),
    (DealStatus.WON, "rep2", "conditions"),
    (DealStatus.WON, "rep", "plain"),
    (DealStatus.LOST, "rep", "from_draft"),
    (DealStatus.LOST, "rep2", "in_review"),
    (DealStatus.LOST, "rep", "after_flags"),
    (DealStatus.LOST, "rep2", "after_sign_off"),
    (DealStatus.LOST, "rep", "by_manager"),
    (DealStatus.LOST, "rep2", "from_draft"),
]

# Days ago the first deal of each status was made, and the days between the next ones: won
# deals long enough ago for their projects to have a past, recent decisions in the past week.
AGES = {
    DealStatus.DRAFT: (14, 2),
    DealStatus.IN_REVIEW: (30, 2),
    DealStatus.CHANGES_REQUESTED: (11, 1),
    DealStatus.SIGNED_OFF: (24, 3),
    DealStatus.WON: (64, 2),
    DealStatus.LOST: (30, 5),
}

LOST_REASONS = [
    "Chose a cheaper offshore vendor",
    "Budget frozen until next fiscal year",
    "Went with their incumbent supplier",
    "Project cancelled after a reorganisation",
]


@transaction.atomic
def seed(users: dict[str, User]) -> dict[str, User]:
    if not Deal.objects.filter(title=TITLES[0], owner=users["rep"]).exists():
        clients = [_client(name, industry, users["manager"]) for name, industry in CLIENTS]
        today = timezone.localdate()
        for index, (status, owner, variant) in enumerate(PLAN):
            demo = _DemoDeal(users, index, clients[index % len(clients)], today)
            demo.build(status, users[owner], variant)
    demo_rules.seed(users)
    return users


def _client(name: str, industry: str, actor: User) -> Client:
    existing = Client.objects.filter(name__iexact=name).first()
    return existing or services.client_create(actor=actor, name=name, industry=industry)


class _DemoDeal:
    def __init__(self, users: dict[str, User], index: int, client: Client, today: datetime.date):
        self.users = users
        self.index = index
        self.client = client
        self.today = today
        self.pm = users["pm"] if index % 3 else users["pm2"]

    def build(self, status: str, owner: User, variant: str) -> Deal:
        self.owner = owner
        first, step = AGES[status]
        self.age_days = first - step * [s for s, _, _ in PLAN[: self.index]].count(status)
        deal = self._create()
        self.deal = deal
        goal = {
            DealStatus.DRAFT: self._draft,
            DealStatus.IN_REVIEW: self._in_review,
            DealStatus.CHANGES_REQUESTED: self._changes_requested,
            DealStatus.SIGNED_OFF: self._signed_off,
            DealStatus.WON: self._won,
            DealStatus.LOST: self._lost,
        }[status]
        goal(variant)
        self._backdate()
        deal.refresh_from_db()
        assert deal.status == status, (deal, deal.status, status)
        return deal

    def _create(self) -> Deal:
        count = 2 + self.index % 3
        promises = [PROMISES[(self.index + n) % len(PROMISES)] for n in range(count)]
        return services.deal_create(
            actor=self.owner,
            data={
                "title": TITLES[self.index],
                "client": self.client,
                "value": Decimal(20000 + 7500 * (self.index % 12)),
                "currency": ["EUR", "EUR", "USD", "GBP"][self.index % 4],
                "expected_close_date": self.today + (20 + self.index) * DAY,
                "expected_start_date": self.today + (35 + self.index) * DAY,
                "description": f"{self.client.name} wants this live this year.",
            },
            commitments=[
                {
                    "kind": kind,
                    "summary": summary,
                    "promised_date": self.today + days * DAY,
                    "effort_days": Decimal(effort),
                }
                for kind, summary, effort, days in promises
            ],
        )

    # Steps

    def _submit(self) -> None:
        services.deal_submit(deal=self.deal, actor=self.owner)

    def _commitments(self) -> list:
        return list(self.deal.commitments.order_by("id"))

    def _rule(self, *, flag: bool = False, conditions: bool = False, only: int | None = None):
        services.review_claim(deal=self.deal, actor=self.pm)
        for n, commitment in enumerate(self._commitments()[:only]):
            if flag and n == 0:
                services.commitment_rule(
                    commitment=commitment,
                    actor=self.pm,
                    verdict=VerdictKind.FLAGGED,
                    reason="Nobody with this skill is free before the promised date.",
                    counter_date=commitment.promised_date + 21 * DAY,
                    counter_effort_days=commitment.effort_days + 5,
                )
            elif conditions and n == 1:
                services.commitment_rule(
                    commitment=commitment,
                    actor=self.pm,
                    verdict=VerdictKind.APPROVED_WITH_CONDITION,
                    condition="Only if the client gives us API access in week one.",
                )
            else:
                services.commitment_rule(
                    commitment=commitment, actor=self.pm, verdict=VerdictKind.APPROVED
                )

    def _request_changes(self) -> None:
        self._rule(flag=True, conditions=True)
        services.deal_request_changes(deal=self.deal, actor=self.pm)
        services.comment_add(
            deal=self.deal,
            actor=self.pm,
            body=f"@{self.owner.username} the first promise is too tight for us; "
            "see my counter-proposal.",
        )

    def _rework(self) -> None:
        """Flagged once, revised, the flagged promise moved out."""
        self._submit()
        self._request_changes()
        services.deal_revise(deal=self.deal, actor=self.owner, reason="Moved the date out")
        first = self._commitments()[0]
        services.commitment_update(
            commitment=first,
            actor=self.owner,
            data={"promised_date": first.promised_date + 21 * DAY},
        )

    def _sign_off(self, variant: str) -> None:
        if variant == "second_round":
            self._rework()
        self._submit()
        self._rule(conditions=(variant == "conditions"))
        services.deal_sign_off(deal=self.deal, actor=self.pm)

    # Goals

    def _draft(self, variant: str) -> None:
        if variant == "reworked":
            self._rework()
        elif variant == "voided":
            self._sign_off("plain")
            services.deal_revise(
                deal=self.deal, actor=self.owner, reason="The client added a second site"
            )
        else:
            services.comment_add(
                deal=self.deal,
                actor=self.owner,
                body="@manager worth a look before I submit: the client is pushing on dates.",
            )

    def _in_review(self, variant: str) -> None:
        if variant == "resubmitted":
            self._rework()
        self._submit()
        if variant in ("overdue_claimed", "resubmitted"):
            services.review_claim(deal=self.deal, actor=self.pm)
        elif variant == "partly_ruled":
            self._rule(only=1)
        self.review_overdue = variant.startswith("overdue")
        self.review_due_today = variant == "due_today"

    def _changes_requested(self, variant: str) -> None:
        self._submit()
        self._request_changes()
        if variant.startswith("escalated"):
            flag = Verdict.objects.get(
                round__deal=self.deal, round__number=1, verdict=VerdictKind.FLAGGED
            )
            escalation = services.verdict_escalate(
                verdict=flag,
                actor=self.owner,
                argument="We delivered the same thing for this client last year in half the time.",
            )
            if variant == "escalated_decided":
                services.escalation_decide(
                    escalation=escalation,
                    actor=self.users["manager"],
                    decision="upheld",
                    reason="Last year's team has left; the flag stands.",
                )

    def _signed_off(self, variant: str) -> None:
        self._sign_off(variant)
        services.comment_add(
            deal=self.deal,
            actor=self.owner,
            body=f"Thanks @{self.pm.username}, sending the contract today.",
        )

    def _won(self, variant: str) -> None:
        self._sign_off(variant)
        actor = self.users["manager"] if variant == "by_manager" else self.owner
        services.deal_win(deal=self.deal, actor=actor)

    def _lost(self, variant: str) -> None:
        if variant == "in_review":
            self._submit()
        elif variant == "after_flags":
            self._submit()
            self._request_changes()
        elif variant == "after_sign_off":
            self._sign_off("plain")
        actor = self.users["manager"] if variant == "by_manager" else self.owner
        reason = LOST_REASONS[self.index % len(LOST_REASONS)]
        services.deal_lose(deal=self.deal, actor=actor, reason=reason)

    # Dates

    def _backdate(self) -> None:
        """Move timestamps back so the data has a past; never touches status."""
        now = timezone.now()
        created = now - self.age_days * DAY
        Deal.objects.filter(pk=self.deal.pk).update(
            created_at=created, updated_at=created + min(self.age_days, 10) * DAY / 2
        )
        rounds = list(ReviewRound.objects.filter(deal=self.deal).order_by("number"))
        for number, review_round in enumerate(rounds, start=1):
            submitted = created + (number * 3 - 2) * DAY
            fields = {"submitted_at": submitted, "due_at": add_working_days(submitted, 2)}
            if review_round.claimed_at:
                fields["claimed_at"] = submitted + DAY / 4
            if review_round.decided_at:
                fields["decided_at"] = submitted + DAY * (1 + number % 2)
            elif getattr(self, "review_overdue", False):
                submitted = now - (4 + self.index % 3) * DAY
                fields.update(submitted_at=submitted, due_at=add_working_days(submitted, 2))
                fields["claimed_at"] = submitted + DAY / 4 if review_round.claimed_at else None
            elif getattr(self, "review_due_today", False):
                fields.update(submitted_at=now - 2 * DAY, due_at=now + DAY / 6)
                fields.pop("claimed_at", None)
            else:
                # Open and on time: submitted in the last few hours.
                submitted = now - (2 + self.index % 5) * datetime.timedelta(hours=1)
                fields.update(submitted_at=submitted, due_at=add_working_days(submitted, 2))
                if review_round.claimed_at:
                    fields["claimed_at"] = submitted + datetime.timedelta(minutes=30)
            ReviewRound.objects.filter(pk=review_round.pk).update(**fields)
            ruled_at = fields.get("decided_at") or fields.get("claimed_at") or now
            Verdict.objects.filter(round=review_round).update(decided_at=ruled_at)
            Approval.objects.filter(requirement__round=review_round).update(decided_at=ruled_at)
        date_trail(self.deal, created=created)

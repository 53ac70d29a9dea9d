"""The home page's "what needs you now": one card per thing waiting for this user, by role,
each one query for its first rows, and a second for its count only when it holds more than
it shows: never more than two, whatever it holds."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from deals.approvals import rounds_awaiting
from deals.models import DealStatus, ReviewRound, Verdict, VerdictKind
from deals.rules import can_create_deals
from deals.selectors import (
    deals_visible_to,
    deals_with_unanswered_flags,
    escalations_open,
    review_rounds_waiting,
)
from handoff.models import User
from handoff.roles import is_manager, is_pm, is_sales
from handoff.templatetags.formats import count, short_day
from insights.extensions import extra_home_cards
from insights.home_deliverables import DUE_LATE, DUE_SOON, deliverables_due, handoffs_to_accept

HOME_LIST_SIZE = 10


@dataclass
class Card:
    """One "what needs me now" card: a count, a link to all of it and the first few rows."""

    key: str
    label: str
    count: int
    url: str
    empty: str
    items: list[dict] = field(default_factory=list)

    @property
    def more(self) -> int:
        """How many the card does not show: the "see all" link says so."""
        return self.count - len(self.items)


def _card(
    key: str, label: str, rows: QuerySet, url: str, describe: Callable, *, empty: str
) -> Card:
    """Its first rows, and their count only when they fill the card: two queries at most,
    whether it holds 3 rows or 3,000, and one when it shows all it holds (an empty card too)."""
    shown = list(rows[:HOME_LIST_SIZE])
    return Card(
        key=key,
        label=label,
        count=len(shown) if len(shown) < HOME_LIST_SIZE else rows.count(),
        url=url,
        empty=empty,
        items=[describe(row) for row in shown],
    )


def _deal_row(deal) -> dict:
    return {"title": deal.title, "url": deal.get_absolute_url(), "note": deal.client.name}


def _flagged_deal_row(deal) -> dict:
    row = _deal_row(deal)
    if deal.counters_to_accept:
        n = deal.counters_to_accept
        row["note"] += f" · {count(n, 'counter-proposal')} to accept"
        row["alert"] = True
    return row


def _round_row(review_round) -> dict:
    """The card writes `due` as a deadline: "due in 5 h", "2 days overdue"."""
    deal = review_round.deal
    return {
        "title": deal.title,
        "url": deal.get_absolute_url(),
        "note": deal.client.name,
        "due": review_round.due_at,
        "alert": review_round.is_overdue,
    }


def _escalation_row(escalation) -> dict:
    return {
        "title": f"{escalation.deal.title}: {escalation.verdict.commitment.summary}",
        "url": reverse("deals:escalations") + f"#escalation-{escalation.pk}",
        "note": f"raised by {escalation.raised_by}",
    }


def _handoff_row(project) -> dict:
    return {
        "title": project.deal.title,
        "url": project.get_absolute_url(),
        "note": f"{project.deal.client.name} · won {short_day(project.created_at)}",
    }


def _late_row(deliverable) -> dict:
    late = (timezone.localdate() - deliverable.promised_date).days
    return {
        "title": deliverable.summary,
        "url": f"{deliverable.project.get_absolute_url()}#deliverable-{deliverable.pk}",
        "note": f"{deliverable.project.deal.title} · promised "
        f"{short_day(deliverable.promised_date)}, {count(late, 'day')} late",
        "alert": True,
    }


def _due_row(deliverable) -> dict:
    return {
        "title": deliverable.summary,
        "url": f"{deliverable.project.get_absolute_url()}#deliverable-{deliverable.pk}",
        "note": deliverable.project.deal.title,
        "due": deliverable.promised_date,
    }


def counters_to_accept() -> Coalesce:
    """The counter-proposals of the deal's latest review its owner can still accept in one click."""
    latest = ReviewRound.objects.filter(deal=OuterRef(OuterRef("pk"))).order_by("-number")
    open_counters = (
        Verdict.objects.filter(
            Q(counter_date__isnull=False) | Q(counter_effort_days__isnull=False),
            round=Subquery(latest.values("pk")[:1]),
            verdict=VerdictKind.FLAGGED,
            counter_accepted_version__isnull=True,
            commitment_version=F("commitment__version"),
        )
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(open_counters[:1]), 0)


def _deals_url(**query) -> str:
    return f"{reverse('deals:list')}?{urlencode(query)}"


def _deliverables_url(due: str) -> str:
    return f"{reverse('home_deliverables')}?{urlencode({'due': due})}"


def sales_cards(user: User) -> list[Card]:
    """A rep's deals waiting for them: flags to answer, drafts to submit, sign-offs to win."""
    mine = deals_visible_to(user).filter(owner=user)
    return [
        _card(
            "changes_requested",
            "Changes requested",
            deals_with_unanswered_flags(user).annotate(counters_to_accept=counters_to_accept()),
            _deals_url(status=DealStatus.CHANGES_REQUESTED),
            _flagged_deal_row,
            empty="No deal waits for your changes.",
        ),
        _card(
            "drafts",
            "Drafts",
            mine.filter(status=DealStatus.DRAFT),
            _deals_url(status=DealStatus.DRAFT),
            _deal_row,
            empty="No draft.",
        ),
        _card(
            "signed_off",
            "Signed off, to close",
            mine.filter(status=DealStatus.SIGNED_OFF),
            _deals_url(status=DealStatus.SIGNED_OFF),
            _deal_row,
            empty="No signed-off deal waits to be marked as won.",
        ),
    ]


def pm_cards(user: User) -> list[Card]:
    """A PM's reviews, then the delivery of their projects: handoffs, late and coming due."""
    queue = review_rounds_waiting(user)
    queue_url = reverse("deals:queue")
    projects_url = f"{reverse('projects:list')}?{urlencode({'status': 'kickoff', 'pm': user.pk})}"
    return [
        _card(
            "my_reviews",
            "My reviews",
            queue.filter(reviewer=user),
            queue_url,
            _round_row,
            empty="You lead no open review.",
        ),
        _card(
            "unclaimed",
            "Unclaimed reviews",
            queue.filter(reviewer__isnull=True),
            queue_url,
            _round_row,
            empty="Every review has its reviewer.",
        ),
        _card(
            "overdue",
            "Overdue reviews",
            queue.filter(due_at__lt=timezone.now()),
            queue_url,
            _round_row,
            empty="No review is overdue.",
        ),
        _card(
            "handoffs",
            "Handoffs to accept",
            handoffs_to_accept(user),
            projects_url,
            _handoff_row,
            empty="No handoff waits for you.",
        ),
        _card(
            "late",
            "Late deliverables",
            deliverables_due(user, DUE_LATE),
            _deliverables_url(DUE_LATE),
            _late_row,
            empty="Nothing of yours is late.",
        ),
        _card(
            "due_soon",
            "Due in the next two weeks",
            deliverables_due(user, DUE_SOON),
            _deliverables_url(DUE_SOON),
            _due_row,
            empty="Nothing of yours is due in the next two weeks.",
        ),
    ]


def manager_cards(user: User) -> list[Card]:
    """What waits for a manager: deals in review, overdue rounds, approvals, escalations."""
    queue = review_rounds_waiting(user)
    queue_url = reverse("deals:queue")
    return [
        _card(
            "in_review",
            "Deals in review",
            deals_visible_to(user).filter(status=DealStatus.IN_REVIEW),
            _deals_url(status=DealStatus.IN_REVIEW),
            _deal_row,
            empty="No deal is in review.",
        ),
        _card(
            "overdue",
            "Overdue reviews",
            queue.filter(due_at__lt=timezone.now()),
            queue_url,
            _round_row,
            empty="No review is overdue.",
        ),
        _card(
            "approvals",
            "Awaiting a manager's approval",
            queue.filter(pk__in=rounds_awaiting(user)),
            queue_url,
            _round_row,
            empty="No review waits for a manager's approval.",
        ),
        _card(
            "escalations",
            "Open escalations",
            escalations_open(),
            reverse("deals:escalations"),
            _escalation_row,
            empty="No escalation waits for a decision.",
        ),
    ]


def needs_me_cards(user: User) -> list[Card]:
    """What needs this user now, by role."""
    cards: list[Card] = []
    if is_sales(user):
        cards += sales_cards(user)
    if is_pm(user):
        cards += pm_cards(user)
    if is_manager(user):
        cards += manager_cards(user)
    return cards + extra_home_cards(user)


def home_context(user: User) -> dict:
    """The home page's cards, and whether it offers to start a deal."""
    return {"cards": needs_me_cards(user), "can_create_deal": bool(can_create_deals(user))}

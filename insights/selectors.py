"""Reads for the insights pages: the home page's "what needs you now", one card per thing
waiting for this user, by role (two queries a card whatever it holds), and the dashboard's
capacity heat map.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from deals.models import DealStatus
from deals.selectors import (
    deals_visible_to,
    deals_with_unanswered_flags,
    escalations_open,
    review_rounds_waiting,
)
from handoff.roles import is_manager, is_pm, is_sales
from insights.figures.capacity import CAPACITY_WEEKS
from insights.figures.window import Window
from projects.selectors import team_capacity

HOME_LIST_SIZE = 5


def _card(label: str, items_qs, url: str, describe) -> dict:
    """One "what needs me now" card: a count, a link and the first few rows.

    Always two queries, so the page costs the same whether a card holds 3 items or 3,000.
    """
    rows = list(items_qs[:HOME_LIST_SIZE])
    return {
        "label": label,
        "count": items_qs.count(),
        "url": url,
        "items": [describe(row) for row in rows],
    }


def _deal_row(deal) -> dict:
    return {"title": deal.title, "url": deal.get_absolute_url(), "note": deal.client.name}


def _round_row(review_round) -> dict:
    deal = review_round.deal
    return {
        "title": deal.title,
        "url": deal.get_absolute_url(),
        "note": f"due {date_format(localtime(review_round.due_at), 'D j M, H:i')}",
        "overdue": review_round.is_overdue,
    }


def _escalation_row(escalation) -> dict:
    return {
        "title": f"{escalation.deal.title}: {escalation.verdict.commitment.summary}",
        "url": reverse("deals:escalations") + f"#escalation-{escalation.pk}",
        "note": f"raised by {escalation.raised_by}",
    }


def needs_me_cards(user) -> list[dict]:
    """What needs this user now, by role."""
    deals_url = reverse("deals:list")
    queue_url = reverse("deals:queue")
    cards = []
    if is_sales(user):
        mine = deals_visible_to(user).filter(owner=user)
        cards += [
            _card(
                "Changes requested",
                deals_with_unanswered_flags(user),
                f"{deals_url}?status={DealStatus.CHANGES_REQUESTED}",
                _deal_row,
            ),
            _card(
                "Drafts",
                mine.filter(status=DealStatus.DRAFT),
                f"{deals_url}?status=draft",
                _deal_row,
            ),
            _card(
                "Signed off, to close",
                mine.filter(status=DealStatus.SIGNED_OFF),
                f"{deals_url}?status={DealStatus.SIGNED_OFF}",
                _deal_row,
            ),
        ]
    if is_pm(user):
        queue = review_rounds_waiting(user)
        cards += [
            _card("My reviews", queue.filter(reviewer=user), queue_url, _round_row),
            _card("Unclaimed reviews", queue.filter(reviewer__isnull=True), queue_url, _round_row),
            _card(
                "Overdue reviews", queue.filter(due_at__lt=timezone.now()), queue_url, _round_row
            ),
        ]
    if is_manager(user):
        cards += [
            _card(
                "Deals in review",
                deals_visible_to(user).filter(status=DealStatus.IN_REVIEW),
                f"{deals_url}?status={DealStatus.IN_REVIEW}",
                _deal_row,
            ),
            _card(
                "Overdue reviews",
                review_rounds_waiting(user).filter(due_at__lt=timezone.now()),
                queue_url,
                _round_row,
            ),
            _card(
                "Open escalations",
                escalations_open(),
                reverse("deals:escalations"),
                _escalation_row,
            ),
        ]
    return cards


def capacity_heat_map(w: Window) -> dict:
    """Each PM's load against capacity for the dashboard's next 12 weeks, as the capacity page
    shows it; a delivery team's PMs only. At most four queries, whatever the work."""
    return team_capacity(weeks=CAPACITY_WEEKS, pm_ids=w.pms)

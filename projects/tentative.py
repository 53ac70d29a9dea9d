"""Tentative load: the work of deals in review and signed off, weighted by their chance to win.

A deal in review or signed off is not work yet, but much of it will be. Each of its
commitments counts as its effort times the probability that a deal which reached that status
is won, learned from the last 12 months: of the deals that reached the status in that time
and have since been decided (won or lost), the share that was won. With fewer than
TENTATIVE_MIN_DECIDED decided deals the setting's fallback is used instead, and said so.

The load goes to the PM reviewing the deal (the last round's reviewer), else to no one: it
counts in the team's totals only. It is kept apart from committed load everywhere it shows.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.signals import post_delete
from django.utils import timezone

from deals.models import (
    PIPELINE_STATUSES,
    Commitment,
    Deal,
    DealEvent,
    DealStatus,
    EventKind,
    ReviewRound,
)
from handoff import settled_cache
from projects import capacity as math

# The event that says a deal reached each status.
REACHED_BY = {
    DealStatus.IN_REVIEW: EventKind.SUBMITTED,
    DealStatus.SIGNED_OFF: EventKind.SIGNED_OFF,
}
LEARNING_DAYS = 365
TENTATIVE_MIN_DECIDED = 10
PROBABILITY_CACHE_SECONDS = 3600
# Dropped by the saves that change it (forget_tentative_load); the time bounds the rest.
LOAD_CACHE_SECONDS = 300
QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class WinChance:
    """The chance that a deal in `status` is won, and where it comes from."""

    status: str
    probability: Decimal
    won: int
    decided: int
    learned: bool

    @property
    def label(self) -> str:
        return DealStatus(self.status).label

    @property
    def percent(self) -> int:
        return int((self.probability * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    @property
    def explanation(self) -> str:
        if self.learned:
            return (
                f"{self.label}: {self.percent} %, learned from the {self.decided} deals that "
                f"reached this status in the last 12 months and were decided since "
                f"({self.won} won)."
            )
        return (
            f"{self.label}: {self.percent} %, the set default: only {self.decided} deals that "
            f"reached this status in the last 12 months were decided since "
            f"({TENTATIVE_MIN_DECIDED} needed to learn from)."
        )


def _fallback(status: str) -> Decimal:
    value = (
        settings.TENTATIVE_WIN_FALLBACK_IN_REVIEW
        if status == DealStatus.IN_REVIEW
        else settings.TENTATIVE_WIN_FALLBACK_SIGNED_OFF
    )
    return min(Decimal("1"), max(Decimal("0"), Decimal(str(value))))


def learn_chance(status: str, *, won: int, decided: int) -> WinChance:
    """Pure: the share won when enough deals were decided, else the fallback."""
    if decided >= TENTATIVE_MIN_DECIDED:
        probability = (Decimal(won) / Decimal(decided)).quantize(Decimal("0.0001"))
        return WinChance(status, probability, won, decided, learned=True)
    return WinChance(status, _fallback(status), won, decided, learned=False)


def _decided_counts(status: str, since) -> tuple[int, int]:
    reached = DealEvent.objects.filter(kind=REACHED_BY[status], at__gte=since).values("deal_id")
    counts = Deal.objects.filter(
        pk__in=reached, status__in=(DealStatus.WON, DealStatus.LOST)
    ).aggregate(
        won=Count("pk", filter=Q(status=DealStatus.WON)),
        decided=Count("pk"),
    )
    return counts["won"], counts["decided"]


def win_chances(today: date | None = None) -> dict[str, WinChance]:
    """{status: WinChance} for in review and signed off, cached for an hour."""
    today = today or timezone.localdate()
    key = f"projects:win-chances:v1:{today.isoformat()}"
    chances = cache.get(key)
    if chances is None:
        since = timezone.now() - timedelta(days=LEARNING_DAYS)
        chances = {}
        for status in PIPELINE_STATUSES:
            won, decided = _decided_counts(status, since)
            chances[status] = learn_chance(status, won=won, decided=decided)
        cache.set(key, chances, PROBABILITY_CACHE_SECONDS)
    return chances


def weighted(effort: Decimal, chance: WinChance) -> Decimal:
    return (Decimal(effort) * chance.probability).quantize(QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TentativeItem:
    deal_id: int
    item: math.WorkItem


def tentative_items(chances: dict[str, WinChance], today: date) -> list[TentativeItem]:
    """Every commitment with effort of a deal in review or signed off, weighted: one query."""
    reviewer = ReviewRound.objects.filter(deal=OuterRef("deal_id")).order_by("-number")
    rows = (
        Commitment.objects.filter(deal__status__in=PIPELINE_STATUSES, effort_days__gt=0)
        .annotate(reviewer_id=Subquery(reviewer.values("reviewer_id")[:1]))
        .values_list(
            "deal_id",
            "deal__status",
            "effort_days",
            "deal__expected_start_date",
            "promised_date",
            "reviewer_id",
        )
    )
    items = []
    for deal_id, status, effort, start, promised, pm_id in rows:
        effort = weighted(effort, chances[status])
        if effort > 0:
            work = math.WorkItem(
                pm_id=pm_id, effort=effort, start=start or today, promised=promised
            )
            items.append(TentativeItem(deal_id, work))
    return items


@dataclass(frozen=True)
class TentativeLoad:
    by_pm: dict[int | None, dict[date, Decimal]]
    team: dict[date, Decimal]
    chances: dict[str, WinChance]


def _load_key(today: date) -> str:
    return f"projects:tentative-load:v1:{today.isoformat()}"


def tentative_load(today: date | None = None) -> TentativeLoad:
    """All tentative load by week, per reviewing PM and for the team, cached (five minutes)."""
    today = today or timezone.localdate()

    def build() -> TentativeLoad:
        chances = win_chances(today)
        items = [t.item for t in tentative_items(chances, today)]
        by_pm = math.load_by_pm(items, today)
        return TentativeLoad(by_pm=by_pm, team=math.add_loads(by_pm.values()), chances=chances)

    return settled_cache.read(_load_key(today), build, timeout=LOAD_CACHE_SECONDS)


def forget_tentative_load(sender=None, instance=None, **signal: object) -> None:
    """Mark the cached load changed, now and at commit, when a save may change it
    (projects/apps.py); readers see it rebuilt within CACHED_LOAD_SETTLE_SECONDS.

    A round's save may change its reviewer; a deal's save matters when the deal is in review
    or signed off, or its status changed. A new deal, or an edit of a draft, leaves it (a
    deal's commitments change only while it is a draft or its changes are requested).
    """
    if sender is Deal and signal.get("signal") is not post_delete:
        fields = signal.get("update_fields")
        if signal.get("created") or (
            instance is not None
            and instance.status not in PIPELINE_STATUSES
            and fields is not None
            and "status" not in fields
        ):
            return
    settled_cache.mark_changed(_load_key(timezone.localdate()), timeout=LOAD_CACHE_SECONDS)


def deal_tentative_load(
    deal: Deal, chances: dict[str, WinChance], today: date
) -> dict[int | None, dict[date, Decimal]]:
    """This deal's own share of the tentative load, as the cached total counted it."""
    if deal.status not in PIPELINE_STATUSES:
        return {}
    # All its rounds (a few), which the deal page has read already, rather than the latest alone.
    rounds = list(deal.rounds.all())
    pm_id = max(rounds, key=lambda r: r.number).reviewer_id if rounds else None
    start = deal.expected_start_date or today
    items = []
    for commitment in deal.commitments.all():
        if commitment.effort_days > 0:
            effort = weighted(commitment.effort_days, chances[deal.status])
            if effort > 0:
                items.append(
                    math.WorkItem(
                        pm_id=pm_id, effort=effort, start=start, promised=commitment.promised_date
                    )
                )
    return math.load_by_pm(items, today)


def minus(load: dict[date, Decimal], taken: dict[date, Decimal]) -> dict[date, Decimal]:
    """Load by week with another load taken out (never below zero)."""
    weeks = set(load) | set(taken)
    return {
        week: max(math.ZERO, load.get(week, math.ZERO) - taken.get(week, math.ZERO))
        for week in weeks
    }

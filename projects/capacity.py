"""Capacity math: pure functions over dates and Decimals, no database.

A week is an ISO week, named by its Monday. The load of one open deliverable is
its effort spread evenly over the weeks from max(this week, its start week) to
the week of its promised date; a promise already past puts all of it in this
week. A PM's capacity in a week is their weekly days unless an exception says
otherwise for that week.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from handoff.templatetags.formats import number, person_days

ZERO = Decimal("0")
# Loads are shown to two decimals; the last cent of a spread goes to the earliest weeks.
QUANTUM = Decimal("0.01")
WEEK = timedelta(days=7)
# Twenty years of weeks: dates that come in lie within ten years of today, so any real span
# fits; data from elsewhere (9999-12-31, say) is spread over this many weeks and no more.
MAX_WEEKS = 20 * 53


def week_of(day: date) -> date:
    """The Monday of the ISO week that holds `day`."""
    return day - timedelta(days=day.weekday())


def weeks_between(start_week: date, end_week: date) -> list[date]:
    """Mondays from start_week to end_week inclusive (empty when end is before start).

    At most MAX_WEEKS of them, whatever the dates: a far-off date ends the span early.
    """
    first = week_of(start_week)
    if end_week < first:
        return []
    count = min((end_week - first).days // 7 + 1, MAX_WEEKS)
    return [first + WEEK * i for i in range(count)]


def next_weeks(today: date, count: int) -> list[date]:
    first = week_of(today)
    return [first + WEEK * i for i in range(count)]


def spread(effort: Decimal, start_week: date, end_week: date) -> dict[date, Decimal]:
    """Effort spread evenly over the weeks start..end; the parts add up to exactly `effort`.

    Each week gets effort/n rounded down to the cent; the cents left over go one
    each to the earliest weeks, and anything finer than a cent to the last week.
    An end before the start puts everything in the start week.
    """
    start_week, end_week = week_of(start_week), week_of(end_week)
    weeks = weeks_between(start_week, end_week) or [start_week]
    effort = Decimal(effort)
    if effort == ZERO:
        return {}
    count = len(weeks)
    base = (effort / count).quantize(QUANTUM, rounding=ROUND_DOWN)
    parts = [base] * count
    remainder = effort - base * count
    cents = int(remainder // QUANTUM)
    for i in range(cents):
        parts[i] += QUANTUM
    parts[-1] += remainder - QUANTUM * cents
    return {week: part for week, part in zip(weeks, parts, strict=True) if part != ZERO}


@dataclass(frozen=True)
class WorkItem:
    """Effort someone must deliver: an open deliverable, or a commitment under review."""

    pm_id: int | None
    effort: Decimal
    start: date
    promised: date


def remaining_effort(planned: Decimal, actual_days: Decimal) -> Decimal:
    """What is left of the planned effort once work has started: never below zero."""
    return max(ZERO, Decimal(planned) - Decimal(actual_days))


def item_load(item: WorkItem, today: date) -> dict[date, Decimal]:
    this_week = week_of(today)
    if item.promised < today:
        return spread(item.effort, this_week, this_week)
    first = max(this_week, week_of(item.start))
    return spread(item.effort, first, week_of(item.promised))


def add_loads(loads: Iterable[Mapping[date, Decimal]]) -> dict[date, Decimal]:
    """Loads by week added up, e.g. every PM's into the team's."""
    total: dict[date, Decimal] = defaultdict(Decimal)
    for load in loads:
        for week, days in load.items():
            total[week] += days
    return dict(total)


def load_by_week(items: Iterable[WorkItem], today: date) -> dict[date, Decimal]:
    return add_loads(item_load(item, today) for item in items)


def load_by_pm(items: Iterable[WorkItem], today: date) -> dict[int | None, dict[date, Decimal]]:
    grouped: dict[int | None, list[WorkItem]] = defaultdict(list)
    for item in items:
        grouped[item.pm_id].append(item)
    return {pm_id: load_by_week(pm_items, today) for pm_id, pm_items in grouped.items()}


def capacity_by_week(
    weekly_days: Decimal, exceptions: Mapping[date, Decimal], weeks: Iterable[date]
) -> dict[date, Decimal]:
    return {week: exceptions.get(week, weekly_days) for week in weeks}


def heat_level(load: Decimal, capacity: Decimal) -> int:
    """0 idle, 1 up to half, 2 up to 85 %, 3 up to full, 4 over capacity."""
    if load <= ZERO:
        return 0
    if capacity <= ZERO or load > capacity:
        return 4
    ratio = load / capacity
    if ratio <= Decimal("0.5"):
        return 1
    if ratio <= Decimal("0.85"):
        return 2
    return 3


def days_text(value: Decimal) -> str:
    """Two decimals, none for a whole number: 6.00 -> "6", 1.5 -> "1.50"."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    rounded = value.quantize(QUANTUM, rounding=ROUND_HALF_UP)
    return f"{rounded if rounded else abs(rounded):f}"  # no "-0.00"


def _iso_week_label(weeks: list[date]) -> str:
    first, last = weeks[0].isocalendar().week, weeks[-1].isocalendar().week
    return f"week {first}" if len(weeks) == 1 else f"weeks {first}\u2013{last}"


def group_consecutive(weeks: Iterable[date]) -> list[list[date]]:
    groups: list[list[date]] = []
    for week in sorted(weeks):
        if groups and week - groups[-1][-1] == WEEK:
            groups[-1].append(week)
        else:
            groups.append([week])
    return groups


@dataclass(frozen=True)
class WeekCheck:
    week: date
    without_deal: Decimal
    with_deal: Decimal
    capacity: Decimal
    # Other deals in review or signed off, weighted by their chance to win (projects.tentative).
    tentative: Decimal = ZERO

    @property
    def iso_week(self) -> int:
        return self.week.isocalendar().week

    @property
    def over_by(self) -> Decimal:
        return max(ZERO, self.with_deal - self.capacity)

    # As the template filter floatformat:"-2" writes them, at a fraction of its cost: a check
    # over 40 weeks shows some 250 numbers.
    @property
    def without_text(self) -> str:
        return days_text(self.without_deal)

    @property
    def with_text(self) -> str:
        return days_text(self.with_deal)

    @property
    def capacity_text(self) -> str:
        return days_text(self.capacity)

    @property
    def over_by_text(self) -> str:
        return days_text(self.over_by)

    @property
    def fits(self) -> bool:
        return self.with_deal <= self.capacity

    @property
    def with_tentative(self) -> Decimal:
        return self.with_deal + self.tentative

    @property
    def tentative_text(self) -> str:
        return days_text(self.tentative)

    @property
    def with_tentative_text(self) -> str:
        return days_text(self.with_tentative)

    @property
    def fits_with_tentative(self) -> bool:
        return self.with_tentative <= self.capacity


def check_weeks(
    existing: Iterable[WorkItem],
    deal_items: Iterable[WorkItem],
    capacity: Mapping[date, Decimal],
    today: date,
) -> list[WeekCheck]:
    """Load without and with the deal, week by week, over the weeks the deal spans."""
    return check_against(load_by_week(existing, today), deal_items, capacity, today)


def check_against(
    base: Mapping[date, Decimal],
    deal_items: Iterable[WorkItem],
    capacity: Mapping[date, Decimal],
    today: date,
    tentative: Mapping[date, Decimal] | None = None,
) -> list[WeekCheck]:
    """check_weeks with the existing load already spread by week (and tentative load apart)."""
    tentative = tentative or {}
    deal_load = load_by_week(list(deal_items), today)
    weeks = sorted(deal_load) or [week_of(today)]
    weeks = weeks_between(weeks[0], weeks[-1])
    return [
        WeekCheck(
            week=week,
            without_deal=base.get(week, ZERO),
            with_deal=base.get(week, ZERO) + deal_load.get(week, ZERO),
            capacity=capacity.get(week, ZERO),
            tentative=tentative.get(week, ZERO),
        )
        for week in weeks
    ]


def tentative_sentence(checks: list[WeekCheck]) -> str:
    """The check again with tentative load added: where it would go over, or that it fits."""
    over = [c for c in checks if not c.fits_with_tentative]
    if not any(c.tentative for c in checks):
        return "No tentative load from other deals in these weeks."
    if not over:
        return "Fits with tentative load from other deals too."
    parts = []
    for group in group_consecutive(c.week for c in over):
        by_week = {c.week: c for c in over}
        excess = sum((by_week[w].with_tentative - by_week[w].capacity for w in group), ZERO)
        parts.append(f"{_iso_week_label(group)} by {person_days(excess, 2)}")
    return "With tentative load from other deals: over capacity in " + ", and in ".join(parts)


def verdict_sentence(checks: list[WeekCheck]) -> str:
    """The check in words: "Fits: ..." or "Over capacity in weeks 12 to 14 by 6 person-days"."""
    over = [c for c in checks if not c.fits]
    if not over:
        if not checks:
            return "Fits: nothing to schedule."
        peak = max(checks, key=lambda c: (c.with_deal - c.capacity, -c.week.toordinal()))
        return (
            f"Fits: at most {number(peak.with_deal, 2)} of "
            f"{person_days(peak.capacity, 2)} a week (week {peak.iso_week})."
        )
    by_week = {c.week: c for c in over}
    parts = []
    for group in group_consecutive(by_week):
        excess = sum((by_week[w].over_by for w in group), ZERO)
        parts.append(f"{_iso_week_label(group)} by {person_days(excess, 2)}")
    return "Over capacity in " + ", and in ".join(parts)

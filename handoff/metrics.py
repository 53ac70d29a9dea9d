"""Every alignment figure, computed in one place.

Each figure is a bounded aggregate: the range filters on an indexed column
(ReviewRound.submitted_at, DealEvent (kind, at), Deliverable (status, promised_date),
FeedbackNote (direction, created_at)), so the work follows the size of the range,
not the size of the history. The dashboard, the CSV exports, the API, the
scorecards, the goals and the weekly digest all read from here.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from deals.models import (
    Commitment,
    CommitmentKind,
    Deal,
    DealEvent,
    DealStatus,
    Escalation,
    EscalationDecision,
    EventKind,
    ReviewRound,
    RoundOutcome,
    Verdict,
    VerdictKind,
)
from deals.selectors import open_escalations
from feedback.models import Direction, FeedbackNote
from handoff import snapshots
from handoff.models import (
    GoalComparison,
    GoalMetric,
    Role,
    SharedGoal,
    Team,
    TeamKind,
    User,
    quarter_of,
    quarter_range,
)
from projects import capacity as capacity_math
from projects import promises
from projects.models import (
    OPEN_DELIVERABLE_STATUSES,
    Deliverable,
    DeliverableStatus,
    Project,
    ProjectStatus,
)
from projects.selectors import capacities, project_managers

DEFAULT_RANGE_DAYS = 90
DAY_SECONDS = 86400
CAPACITY_WEEKS = 12
AGENDA_LIMIT = 50
# Rows of a table of people shown on the dashboard; the CSV export has them all.
PAGE_ROWS = 15
# Stored results not recomputed for this long are dropped by the refresh job.
SNAPSHOT_KEEP_DAYS = 2
# Part of every stored result's key: a change to Figure or Table (or to what they hold) bumps it,
# so new code never reads a result stored in an older shape.
SNAPSHOT_VERSION = 1
DECIDED_OUTCOMES = (RoundOutcome.CHANGES_REQUESTED, RoundOutcome.SIGNED_OFF)
DECISION_EVENTS = (
    EventKind.SIGNED_OFF,
    EventKind.CHANGES_REQUESTED,
    EventKind.ESCALATION_DECIDED,
    EventKind.WON,
    EventKind.LOST,
)


# The range and who is in it


@dataclass(frozen=True)
class Window:
    """A date range (both ends inclusive) and, optionally, whose work it covers.

    `reps` limits to deals owned by those reps; `pms` to reviews and projects of
    those PMs. None means everyone.
    """

    start: date
    end: date
    team: Team | None = None
    reps: tuple[int, ...] | None = None
    pms: tuple[int, ...] | None = None

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def default_range(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=DEFAULT_RANGE_DAYS - 1), today


def window_for(start: date, end: date, team: Team | None = None) -> Window:
    """A window over a team: a sales team's members' deals, a delivery team's PMs' work."""
    if team is None:
        return Window(start, end)
    members = tuple(team.members.values_list("pk", flat=True))
    if team.kind == TeamKind.SALES:
        return Window(start, end, team=team, reps=members)
    return Window(start, end, team=team, pms=members)


def window_for_person(start: date, end: date, person: User) -> Window:
    if person.role == Role.PM:
        return Window(start, end, pms=(person.pk,))
    return Window(start, end, reps=(person.pk,))


# Results


@dataclass
class Figure:
    """One number on the dashboard, with how it is computed and where its deals are."""

    key: str
    label: str
    value: float | int | None
    unit: str  # "count", "percent" (a fraction 0..1), "days"
    how: str
    url: str = ""
    detail: str = ""

    @property
    def display(self) -> str:
        return format_value(self.value, self.unit)


@dataclass
class Table:
    """Rows behind a chart or a list, exportable as CSV under its key."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    how: str = ""
    units: dict[str, str] = field(default_factory=dict)
    chart: dict[str, Any] | None = None
    # A table of people shows its `shown` rows ranked highest by `rank` on the page (a chart of
    # 200 bars says nothing); its CSV export and the API keep every row.
    shown: int | None = None
    rank: str = ""

    @property
    def chart_id(self) -> str:
        return f"chart-{self.key}"

    @property
    def page_rows(self) -> list[dict[str, Any]]:
        if self.shown is None or len(self.rows) <= self.shown:
            return self.rows
        ranked = sorted(self.rows, key=lambda row: row.get(self.rank) or 0, reverse=True)
        return ranked[: self.shown]

    @property
    def hidden_note(self) -> str:
        """What the page leaves out, said where the rows would be."""
        if self.shown is None or len(self.rows) <= self.shown:
            return ""
        label = dict(self.columns)[self.rank].lower()
        return (
            f"The {self.shown} rows with the most {label}, of {len(self.rows)}; "
            "the CSV has them all."
        )

    def display_rows(self) -> list[list[dict[str, Any]]]:
        """Cells with their shown text, for templates."""
        return [
            [
                {
                    "key": key,
                    "text": format_value(row.get(key), self.units.get(key, "text")),
                    "url": row.get(f"{key}_url", ""),
                }
                for key, _ in self.columns
            ]
            for row in self.page_rows
        ]

    def chart_data(self) -> dict[str, Any] | None:
        if not self.chart or not self.rows:
            return None
        label_key = self.chart["label"]
        datasets = []
        for key in self.chart["series"]:
            unit = self.units.get(key, "count")
            scale = 100 if unit == "percent" else 1
            datasets.append(
                {
                    "label": dict(self.columns)[key],
                    "data": [_chart_number(row.get(key), scale) for row in self.page_rows],
                    "kind": self.chart.get("kinds", {}).get(key, self.chart["type"]),
                }
            )
        if all(value is None for dataset in datasets for value in dataset["data"]):
            return None
        return {
            "type": self.chart["type"],
            "title": self.title,
            "unit": self.units.get(self.chart["series"][0], "count"),
            "stacked": self.chart.get("stacked", False),
            "labels": [str(row.get(label_key)) for row in self.page_rows],
            "datasets": datasets,
        }


def _chart_number(value: Any, scale: int) -> float | None:
    if value is None:
        return None
    return round(float(value) * scale, 2)


def format_value(value: Any, unit: str) -> str:
    """None shows as an em dash: no misleading 0 % when nothing was measured."""
    if value is None or value == "":
        return "—"
    if unit == "percent":
        return f"{float(value) * 100:.0f} %"
    if unit == "days":
        return f"{float(value):.1f} days"
    if unit == "hours":
        return f"{float(value):.1f} hours"
    if unit == "decimal":
        return f"{float(value):.1f}"
    return str(value)


def ratio(part: int | Decimal | float, whole: int | Decimal | float) -> float | None:
    """part / whole, or None when nothing was measured."""
    if not whole:
        return None
    return round(float(part) / float(whole), 4)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 2)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def working_days_between(start: datetime, end: datetime, tz: tzinfo | None = None) -> float:
    """Elapsed days from start to end not counting Saturdays and Sundays (site time zone)."""
    if end <= start:
        return 0.0
    tz = tz or timezone.get_current_timezone()
    start = start.astimezone(tz).replace(tzinfo=None)
    end = end.astimezone(tz).replace(tzinfo=None)
    first, last = start.date(), end.date()
    if first == last:
        return (end - start).total_seconds() / DAY_SECONDS if first.weekday() < 5 else 0.0
    seconds = 0.0
    if first.weekday() < 5:
        seconds += (datetime.combine(first + timedelta(days=1), time.min) - start).total_seconds()
    if last.weekday() < 5:
        seconds += (end - datetime.combine(last, time.min)).total_seconds()
    seconds += DAY_SECONDS * _weekdays(first + timedelta(days=1), (last - first).days - 1)
    return seconds / DAY_SECONDS


def _weekdays(first: date, days: int) -> int:
    """Monday-to-Friday days among `days` consecutive days from `first`."""
    weeks, rest = divmod(days, 7)
    return weeks * 5 + sum(1 for i in range(rest) if (first.weekday() + i) % 7 < 5)


def person_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


@lru_cache(maxsize=1)
def _deal_list_url() -> str:
    try:
        return reverse("deals:list")
    except NoReverseMatch:
        return "/deals/"


def deals_url(**params: Any) -> str:
    """The deal list filtered to the deals behind a figure."""
    base = _deal_list_url()
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


@lru_cache(maxsize=4096)
def _url(name: str, *args: Any, fallback: str = "") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


# Scoped querysets over the window


def rounds_in(w: Window) -> QuerySet[ReviewRound]:
    rounds = ReviewRound.objects.filter(submitted_at__gte=w.start_at, submitted_at__lt=w.end_at)
    if w.reps is not None:
        rounds = rounds.filter(deal__owner_id__in=w.reps)
    if w.pms is not None:
        rounds = rounds.filter(reviewer_id__in=w.pms)
    return rounds


def verdicts_in(w: Window) -> QuerySet[Verdict]:
    verdicts = Verdict.objects.filter(
        round__submitted_at__gte=w.start_at, round__submitted_at__lt=w.end_at
    )
    if w.reps is not None:
        verdicts = verdicts.filter(round__deal__owner_id__in=w.reps)
    if w.pms is not None:
        verdicts = verdicts.filter(decided_by_id__in=w.pms)
    return verdicts


def _owner_param(w: Window) -> int | None:
    """A deal-list link can name one owner; a window over one rep links to theirs."""
    return w.reps[0] if w.reps is not None and len(w.reps) == 1 else None


# Review figures


def deals_in_review(w: Window) -> Figure:
    deals = Deal.objects.filter(status=DealStatus.IN_REVIEW)
    if w.reps is not None:
        deals = deals.filter(owner_id__in=w.reps)
    if w.pms is not None:
        deals = deals.filter(
            Exists(
                ReviewRound.objects.filter(
                    deal=OuterRef("pk"), decided_at__isnull=True, reviewer_id__in=w.pms
                )
            )
        )
    return Figure(
        key="deals_in_review",
        label="Deals in review now",
        value=deals.count(),
        unit="count",
        how="Deals whose status is in review right now, whatever the range.",
        url=deals_url(status=DealStatus.IN_REVIEW, owner=_owner_param(w)),
    )


def decided_rounds(w: Window) -> list[tuple[datetime, datetime]]:
    """(submitted at, decided at) of each round submitted in the range and decided."""
    return list(
        rounds_in(w)
        .filter(outcome__in=DECIDED_OUTCOMES)
        .order_by()
        .values_list("submitted_at", "decided_at")
    )


def turnaround_days(w: Window, pairs: list[tuple[datetime, datetime]] | None = None) -> list[float]:
    """Working days from submission to decision of each round submitted in the range."""
    pairs = decided_rounds(w) if pairs is None else pairs
    tz = timezone.get_current_timezone()
    return [working_days_between(submitted, decided, tz) for submitted, decided in pairs]


def review_turnaround(w: Window, durations: list[float] | None = None) -> list[Figure]:
    durations = turnaround_days(w) if durations is None else durations
    how = (
        "Review rounds submitted in the range and decided (signed off or changes requested): "
        "working days from submission to decision, weekends not counted: {}."
    )
    detail = f"{len(durations)} decided rounds"
    url = deals_url(owner=_owner_param(w))
    return [
        Figure(
            key="review_turnaround_median_days",
            label="Review turnaround, median",
            value=median(durations),
            unit="days",
            how=how.format("the middle value"),
            url=url,
            detail=detail,
        ),
        Figure(
            key="review_turnaround_p90_days",
            label="Review turnaround, 90th percentile",
            value=percentile(durations, 0.9),
            unit="days",
            how=how.format("9 rounds in 10 took at most this"),
            url=url,
            detail=detail,
        ),
    ]


def sla_breaches(w: Window) -> Figure:
    now = timezone.now()
    counts = rounds_in(w).aggregate(
        total=Count("pk"),
        breached=Count(
            "pk",
            filter=Q(decided_at__gt=F("due_at")) | Q(decided_at__isnull=True, due_at__lt=now),
        ),
    )
    return Figure(
        key="sla_breaches",
        label="Review SLA breaches",
        value=counts["breached"] if counts["total"] else None,
        unit="count",
        how=(
            "Review rounds submitted in the range that were decided after their due time, "
            "or are still open past it."
        ),
        url=deals_url(status=DealStatus.IN_REVIEW, owner=_owner_param(w)),
        detail=f"of {counts['total']} rounds" if counts["total"] else "no rounds in the range",
    )


def first_pass_approval(w: Window) -> Figure:
    counts = (
        rounds_in(w)
        .filter(number=1, outcome__in=DECIDED_OUTCOMES)
        .aggregate(
            decided=Count("pk"),
            signed=Count("pk", filter=Q(outcome=RoundOutcome.SIGNED_OFF)),
        )
    )
    return Figure(
        key="first_pass_approval_rate",
        label="First-pass approval rate",
        value=ratio(counts["signed"], counts["decided"]),
        unit="percent",
        how=(
            "Deals first submitted in the range whose first review round was signed off, "
            "out of those whose first round is decided."
        ),
        url=deals_url(status=DealStatus.SIGNED_OFF, owner=_owner_param(w)),
        detail=f"{counts['signed']} of {counts['decided']} deals",
    )


def verdict_counts(w: Window) -> list[dict[str, Any]]:
    """Verdicts, flags and reviewed effort per (rep, commitment kind) in one pass over the
    range's verdicts: every flag-rate figure and the over-commit index read from it."""
    flagged = Q(verdict=VerdictKind.FLAGGED)
    kept_badly = Exists(
        Deliverable.objects.filter(commitment_id=OuterRef("commitment_id")).filter(
            Q(status=DeliverableStatus.MISSED)
            | Q(status=DeliverableStatus.DELIVERED, delivered_on__gt=F("promised_date"))
            | promises.late_q()
        )
    )
    return list(
        verdicts_in(w)
        .values(
            "round__deal__owner_id",
            "round__deal__owner__first_name",
            "round__deal__owner__last_name",
            "round__deal__owner__username",
            "commitment__kind",
        )
        .annotate(
            total=Count("pk"),
            flagged=Count("pk", filter=flagged),
            effort=Sum("commitment__effort_days"),
            over_effort=Sum("commitment__effort_days", filter=flagged | Q(kept_badly)),
        )
        .order_by()
    )


def flag_rate(w: Window, counts: list[dict[str, Any]] | None = None) -> Figure:
    counts = verdict_counts(w) if counts is None else counts
    total = sum(c["total"] for c in counts)
    flagged = sum(c["flagged"] for c in counts)
    return Figure(
        key="flag_rate",
        label="Flag rate",
        value=ratio(flagged, total),
        unit="percent",
        how="Verdicts in review rounds submitted in the range that flagged the commitment.",
        url=deals_url(status=DealStatus.CHANGES_REQUESTED, owner=_owner_param(w)),
        detail=f"{flagged} of {total} verdicts",
    )


FLAG_HOW = "Flagged verdicts out of all verdicts, in review rounds submitted in the range."
FLAG_COLUMNS = [("verdicts", "Verdicts"), ("flagged", "Flagged"), ("flag_rate", "Flag rate")]


def _rows_by_rep(counts: list[dict[str, Any]], sums: dict[str, str]) -> list[dict[str, Any]]:
    """verdict_counts summed per rep, by username: {row key: count key}."""
    reps: dict[str, dict[str, Any]] = {}
    for c in counts:
        username = c["round__deal__owner__username"]
        if username not in reps:
            reps[username] = {
                "rep": person_name(
                    c["round__deal__owner__first_name"],
                    c["round__deal__owner__last_name"],
                    username,
                ),
                "rep_url": _url("scorecard", username),
                "owner_id": c["round__deal__owner_id"],
                **dict.fromkeys(sums, 0),
            }
        for key, source in sums.items():
            reps[username][key] += c[source] or 0
    return [reps[username] for username in sorted(reps)]


def flag_rate_by_rep(w: Window, counts: list[dict[str, Any]] | None = None) -> Table:
    counts = verdict_counts(w) if counts is None else counts
    rows = _rows_by_rep(counts, {"verdicts": "total", "flagged": "flagged"})
    for row in rows:
        row["flagged_url"] = deals_url(owner=row["owner_id"])
        row["flag_rate"] = ratio(row["flagged"], row["verdicts"])
    return Table(
        key="flag-rate-by-rep",
        title="Flag rate by rep",
        columns=[("rep", "Rep"), *FLAG_COLUMNS],
        rows=rows,
        how=FLAG_HOW,
        units={"flag_rate": "percent"},
        chart={"type": "bar", "label": "rep", "series": ["flag_rate"]},
        shown=PAGE_ROWS,
        rank="verdicts",
    )


def flag_rate_by_kind(w: Window, counts: list[dict[str, Any]] | None = None) -> Table:
    counts = verdict_counts(w) if counts is None else counts
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in counts:
        totals[c["commitment__kind"]][0] += c["total"]
        totals[c["commitment__kind"]][1] += c["flagged"]
    rows = [
        {
            "kind": label,
            "verdicts": totals[kind][0],
            "flagged": totals[kind][1],
            "flagged_url": deals_url(status=DealStatus.CHANGES_REQUESTED, owner=_owner_param(w)),
            "flag_rate": ratio(totals[kind][1], totals[kind][0]),
        }
        for kind, label in CommitmentKind.choices
        if kind in totals
    ]
    return Table(
        key="flag-rate-by-kind",
        title="Flag rate by commitment kind",
        columns=[("kind", "Kind"), *FLAG_COLUMNS],
        rows=rows,
        how=FLAG_HOW,
        units={"flag_rate": "percent"},
        chart={"type": "bar", "label": "kind", "series": ["flag_rate"]},
    )


def turnaround_by_week(
    w: Window,
    pairs: list[tuple[datetime, datetime]] | None = None,
    durations: list[float] | None = None,
) -> Table:
    """Median turnaround of the rounds submitted each week of the range."""
    pairs = decided_rounds(w) if pairs is None else pairs
    durations = turnaround_days(w, pairs) if durations is None else durations
    tz = timezone.get_current_timezone()
    by_week: dict[date, list[float]] = defaultdict(list)
    for (submitted, _), days in zip(pairs, durations, strict=True):
        day = submitted.astimezone(tz).date()
        by_week[day - timedelta(days=day.weekday())].append(days)
    rows = [
        {
            "week": week.isoformat(),
            "rounds": len(by_week[week]),
            "median_days": median(by_week[week]),
            "p90_days": percentile(by_week[week], 0.9),
        }
        for week in sorted(by_week)
    ]
    return Table(
        key="review-turnaround",
        title="Review turnaround by week of submission",
        columns=[
            ("week", "Week of"),
            ("rounds", "Decided rounds"),
            ("median_days", "Median (working days)"),
            ("p90_days", "90th percentile (working days)"),
        ],
        rows=rows,
        how="Rounds grouped by the Monday of the week they were submitted.",
        units={"median_days": "decimal", "p90_days": "decimal"},
        chart={"type": "line", "label": "week", "series": ["median_days", "p90_days"]},
    )


def escalations(w: Window) -> tuple[Figure, Table]:
    found = Escalation.objects.filter(raised_at__gte=w.start_at, raised_at__lt=w.end_at)
    if w.reps is not None:
        found = found.filter(deal__owner_id__in=w.reps)
    if w.pms is not None:
        found = found.filter(verdict__decided_by_id__in=w.pms)
    counts = found.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(decision=EscalationDecision.PENDING)),
        upheld=Count("pk", filter=Q(decision=EscalationDecision.UPHELD)),
        overruled=Count("pk", filter=Q(decision=EscalationDecision.OVERRULED)),
    )
    owner = _owner_param(w)
    figure = Figure(
        key="escalations",
        label="Escalations",
        value=counts["total"],
        unit="count",
        how="Flags that reps escalated in the range, and what managers decided.",
        url=deals_url(status=DealStatus.CHANGES_REQUESTED, owner=owner),
        detail=(
            f"{counts['open']} open, {counts['upheld']} upheld, {counts['overruled']} overruled"
        ),
    )
    table = Table(
        key="escalations",
        title="Escalations and their outcomes",
        columns=[("outcome", "Outcome"), ("count", "Escalations"), ("share", "Share")],
        rows=[
            {"outcome": label, "count": counts[key], "share": ratio(counts[key], counts["total"])}
            for key, label in (("open", "Open"), ("upheld", "Upheld"), ("overruled", "Overruled"))
        ],
        how=figure.how,
        units={"share": "percent"},
        chart={"type": "doughnut", "label": "outcome", "series": ["count"]},
    )
    return figure, table


def over_commit_by_rep(w: Window, counts: list[dict[str, Any]] | None = None) -> Table:
    """Share of a rep's reviewed effort that was flagged, or later delivered late or missed."""
    counts = verdict_counts(w) if counts is None else counts
    rows = _rows_by_rep(
        counts, {"reviews": "total", "effort": "effort", "over_effort": "over_effort"}
    )
    for row in rows:
        row["index"] = ratio(row["over_effort"], row["effort"])
    return Table(
        key="over-commit",
        title="Over-commit index by rep",
        columns=[
            ("rep", "Rep"),
            ("reviews", "Commitments reviewed"),
            ("effort", "Effort reviewed (days)"),
            ("over_effort", "Flagged, late or missed (days)"),
            ("index", "Over-commit index"),
        ],
        rows=rows,
        how=(
            "Of the effort (person-days) a rep put up for review in the range, each commitment "
            "counted once per review round, the share a PM flagged in that round, or whose "
            "deliverable was later delivered late, missed, or is open past its promised date."
        ),
        units={"index": "percent"},
        chart={"type": "bar", "label": "rep", "series": ["index"]},
        shown=PAGE_ROWS,
        rank="effort",
    )


# Promises, capacity and feedback: reused from the projects and feedback apps


# Descoped promises count neither way; leaving them out lets (status, promised_date) serve.
PROMISE_STATUSES = tuple(s for s in DeliverableStatus.values if s != DeliverableStatus.DESCOPED)


def deliverables_in(w: Window) -> QuerySet[Deliverable]:
    """Promises whose promised date falls in the range."""
    deliverables = Deliverable.objects.filter(
        status__in=PROMISE_STATUSES, promised_date__gte=w.start, promised_date__lte=w.end
    )
    if w.reps is not None:
        deliverables = deliverables.filter(project__deal__owner_id__in=w.reps)
    if w.pms is not None:
        deliverables = deliverables.filter(project__pm_id__in=w.pms)
    return deliverables


PROMISE_HOW = (
    "Promises (deliverables) due in the range: kept = delivered on or before the promised "
    "date, out of those delivered or missed; slip = days past the promised date, early = 0."
)


def promise_figures(w: Window) -> list[Figure]:
    summary = promises.promise_summary(deliverables_in(w))
    owner = _owner_param(w)
    return [
        Figure(
            key="kept_rate",
            label="Promises kept",
            value=_round(summary["kept_rate"]),
            unit="percent",
            how=PROMISE_HOW,
            url=deals_url(status=DealStatus.WON, owner=owner),
            detail=f"{summary['kept']} of {summary['resolved']} resolved promises",
        ),
        Figure(
            key="avg_slip_days",
            label="Average slip",
            value=_round(summary["avg_slip_days"], 2),
            unit="days",
            how=PROMISE_HOW,
            url=deals_url(status=DealStatus.WON, owner=owner),
            detail=f"{summary['late']} open past their date",
        ),
    ]


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def _promise_table(key: str, title: str, who: str, summaries: dict, names: dict) -> Table:
    rows = []
    for user_id, summary in sorted(summaries.items(), key=lambda kv: names[kv[0]].username):
        person = names[user_id]
        rows.append(
            {
                who: person.display_name,
                f"{who}_url": _url("scorecard", person.username),
                "resolved": summary["resolved"],
                "kept": summary["kept"],
                "kept_rate": _round(summary["kept_rate"]),
                "avg_slip_days": _round(summary["avg_slip_days"], 2),
                "late": summary["late"],
                "resolved_url": deals_url(status=DealStatus.WON, owner=user_id)
                if who == "rep"
                else "",
            }
        )
    return Table(
        key=key,
        title=title,
        columns=[
            (who, "Rep" if who == "rep" else "Project manager"),
            ("resolved", "Resolved promises"),
            ("kept", "Kept"),
            ("kept_rate", "Kept rate"),
            ("avg_slip_days", "Average slip (days)"),
            ("late", "Open past date"),
        ],
        rows=rows,
        how=PROMISE_HOW,
        units={"kept_rate": "percent", "avg_slip_days": "decimal"},
        chart={"type": "bar", "label": who, "series": ["kept_rate"]},
        shown=PAGE_ROWS,
        rank="resolved",
    )


def promise_tables(w: Window) -> list[Table]:
    deliverables = deliverables_in(w)
    per_rep = promises.by_rep(deliverables)
    per_pm = promises.by_pm(deliverables)
    names = User.objects.in_bulk([*per_rep, *per_pm]) if per_rep or per_pm else {}
    return [
        _promise_table("kept-by-rep", "Promises kept by rep", "rep", per_rep, names),
        _promise_table("kept-by-pm", "Promises kept by project manager", "pm", per_pm, names),
    ]


def weekly_load(rows: QuerySet, start_field: str, today: date) -> dict[date, Decimal]:
    """projects.capacity's load of rows with effort_days and promised_date, week by week.

    Promises already past load this week in full, so their effort is summed in the
    database; the ones ahead are summed per (first week, promised week) and spread,
    so a team total may differ from the sum of per-PM loads by a cent.
    """
    this_week = capacity_math.week_of(today)
    overdue = rows.filter(promised_date__lt=today).aggregate(total=Sum("effort_days"))["total"]
    # The load of a promise depends only on its first and last week: spread each group once.
    groups: dict[tuple[date, date], Decimal] = defaultdict(Decimal)
    for promised, start, effort in (
        rows.filter(promised_date__gte=today)
        .values("promised_date", start_field)
        .annotate(effort=Sum("effort_days"))
        .order_by()
        .values_list("promised_date", start_field, "effort")
    ):
        first = max(this_week, capacity_math.week_of(start or today))
        groups[first, capacity_math.week_of(promised)] += effort
    load: dict[date, Decimal] = defaultdict(Decimal)
    for (first, last), effort in groups.items():
        for week, days in capacity_math.spread(effort, first, last).items():
            load[week] += days
    if overdue:
        load[this_week] += overdue
    return dict(load)


def pipeline_capacity(w: Window, today: date | None = None) -> Table:
    """Delivery load and open pipeline against capacity, week by week, from this week on."""
    today = today or timezone.localdate()
    weeks = capacity_math.next_weeks(today, CAPACITY_WEEKS)
    pms = list(project_managers() if w.pms is None else project_managers().filter(pk__in=w.pms))
    pm_ids = [pm.pk for pm in pms]
    delivery = weekly_load(
        Deliverable.objects.filter(
            status__in=OPEN_DELIVERABLE_STATUSES, effort_days__gt=0, project__pm_id__in=pm_ids
        ),
        "project__start_date",
        today,
    )
    commitments = Commitment.objects.filter(
        deal__status__in=(DealStatus.IN_REVIEW, DealStatus.SIGNED_OFF), effort_days__gt=0
    )
    if w.reps is not None:
        commitments = commitments.filter(deal__owner_id__in=w.reps)
    pipeline = weekly_load(commitments, "deal__expected_start_date", today)
    caps = capacities(pm_ids, weeks)
    zero = capacity_math.ZERO
    rows = []
    for week in weeks:
        capacity = sum((caps[pm_id][week] for pm_id in pm_ids), zero)
        load = delivery.get(week, zero)
        open_pipeline = pipeline.get(week, zero)
        rows.append(
            {
                "week": f"W{week.isocalendar().week} ({week.isoformat()})",
                "delivery": load,
                "pipeline": open_pipeline,
                "capacity": capacity,
                "use": ratio(load + open_pipeline, capacity),
            }
        )
    return Table(
        key="pipeline-capacity",
        title="Pipeline effort against delivery capacity, next 12 weeks",
        columns=[
            ("week", "Week"),
            ("delivery", "Delivery load (days)"),
            ("pipeline", "Open pipeline (days)"),
            ("capacity", "Capacity (days)"),
            ("use", "Load with pipeline / capacity"),
        ],
        rows=rows,
        how=(
            "Delivery load: effort of open deliverables spread evenly over the weeks up to their "
            "promised dates. Open pipeline: effort of commitments of deals in review or signed "
            "off, spread the same way from the deal's expected start. Capacity: the PMs' "
            "person-days per week, with their exceptions. Not limited by the range; a sales team "
            "limits the pipeline to its reps' deals, a delivery team the load and capacity to "
            "its PMs."
        ),
        units={"use": "percent"},
        chart={
            "type": "bar",
            "label": "week",
            "series": ["delivery", "pipeline", "capacity"],
            "kinds": {"capacity": "line"},
            "stacked": True,
        },
    )


def feedback_notes_in(w: Window) -> QuerySet[FeedbackNote]:
    notes = FeedbackNote.objects.filter(
        direction__in=Direction.values, created_at__gte=w.start_at, created_at__lt=w.end_at
    )
    people = w.reps if w.reps is not None else w.pms
    if people is not None:
        notes = notes.filter(
            Q(author_id__in=people) | Q(recipient_id__in=people) | Q(deal__owner_id__in=people)
        )
    return notes


def feedback_health(w: Window) -> tuple[list[Figure], Table]:
    notes = list(
        feedback_notes_in(w).order_by().values_list("direction", "created_at", "acknowledged_at")
    )
    how = (
        "Feedback notes written in the range, each way; acknowledged = the recipient side "
        "marked it read; time to acknowledge in hours."
    )
    rows = []
    for direction, label in Direction.choices:
        mine = [n for n in notes if n[0] == direction]
        hours = [(ack - created).total_seconds() / 3600 for _, created, ack in mine if ack]
        rows.append(
            {
                "direction": label,
                "notes": len(mine),
                "acknowledged": len(hours),
                "acknowledged_share": ratio(len(hours), len(mine)),
                "median_hours": median(hours),
            }
        )
    all_hours = [(ack - created).total_seconds() / 3600 for _, created, ack in notes if ack]
    figures = [
        Figure(
            key="feedback_notes",
            label="Feedback notes",
            value=len(notes),
            unit="count",
            how=how,
            url=_url("feedback:inbox"),
            detail=", ".join(f"{r['notes']} {r['direction'].lower()}" for r in rows),
        ),
        Figure(
            key="feedback_acknowledged_share",
            label="Feedback acknowledged",
            value=ratio(len(all_hours), len(notes)),
            unit="percent",
            how=how,
            url=_url("feedback:inbox"),
            detail=f"{len(all_hours)} of {len(notes)} notes",
        ),
        Figure(
            key="feedback_median_hours_to_acknowledge",
            label="Median time to acknowledge",
            value=median(all_hours),
            unit="hours",
            how=how,
            url=_url("feedback:inbox"),
            detail=f"{len(all_hours)} acknowledged notes",
        ),
    ]
    table = Table(
        key="feedback",
        title="Feedback loop health",
        columns=[
            ("direction", "Direction"),
            ("notes", "Notes"),
            ("acknowledged", "Acknowledged"),
            ("acknowledged_share", "Share acknowledged"),
            ("median_hours", "Median hours to acknowledge"),
        ],
        rows=rows,
        how=how,
        units={"acknowledged_share": "percent", "median_hours": "decimal"},
        chart={"type": "bar", "label": "direction", "series": ["notes", "acknowledged"]},
    )
    return figures, table


# The dashboard as a whole


@dataclass
class Alignment:
    window: Window
    figures: list[Figure]
    tables: list[Table]
    # When the figures were computed and how long that took (see stored_alignment).
    computed_at: datetime | None = None
    seconds: float | None = None

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def alignment(w: Window) -> Alignment:
    """Every figure and table of the dashboard over one window; a fixed number of queries."""
    pairs = decided_rounds(w)
    durations = turnaround_days(w, pairs)
    counts = verdict_counts(w)
    escalation_figure, escalation_table = escalations(w)
    feedback_figures, feedback_table = feedback_health(w)
    figures = [
        deals_in_review(w),
        *review_turnaround(w, durations),
        sla_breaches(w),
        first_pass_approval(w),
        flag_rate(w, counts),
        *promise_figures(w),
        escalation_figure,
        *feedback_figures,
    ]
    tables = [
        turnaround_by_week(w, pairs, durations),
        flag_rate_by_rep(w, counts),
        flag_rate_by_kind(w, counts),
        *promise_tables(w),
        pipeline_capacity(w),
        feedback_table,
        escalation_table,
        over_commit_by_rep(w, counts),
    ]
    return Alignment(window=w, figures=figures, tables=tables)


def snapshot_key(w: Window) -> str:
    team = w.team.pk if w.team else "all"
    return f"alignment:v{SNAPSHOT_VERSION}:{w.start.isoformat()}:{w.end.isoformat()}:{team}"


def stored_alignment(w: Window, *, recompute: bool = False) -> Alignment:
    """The alignment over a window as stored, at most METRICS_SNAPSHOT_MAX_AGE_SECONDS old.

    Two queries when a fresh result is stored; the whole computation otherwise. A window
    limited to people (a scorecard) is not stored: it is small and computed each time.
    """

    def compute() -> dict[str, Any]:
        result = alignment(w)
        return {
            "figures": [asdict(f) for f in result.figures],
            "tables": [asdict(t) for t in result.tables],
        }

    stored = snapshots.read(snapshot_key(w), compute, recompute=recompute)
    tables = []
    for table in stored.value["tables"]:
        table["columns"] = [tuple(column) for column in table["columns"]]
        tables.append(Table(**table))
    return Alignment(
        window=w,
        figures=[Figure(**figure) for figure in stored.value["figures"]],
        tables=tables,
        computed_at=stored.computed_at,
        seconds=stored.seconds,
    )


TABLE_KEYS = (
    "figures",
    "review-turnaround",
    "flag-rate-by-rep",
    "flag-rate-by-kind",
    "kept-by-rep",
    "kept-by-pm",
    "pipeline-capacity",
    "feedback",
    "escalations",
    "over-commit",
)


def figures_table(result: Alignment) -> Table:
    """The headline figures as a table of their own, for the CSV export."""
    return Table(
        key="figures",
        title="Figures",
        columns=[("label", "Figure"), ("value", "Value"), ("detail", "Detail"), ("how", "How")],
        rows=[
            {"label": f.label, "value": f.display, "detail": f.detail, "how": f.how}
            for f in result.figures
        ],
    )


def table_for_export(w: Window, key: str) -> Table:
    """One table of TABLE_KEYS as the dashboard shows it: from the same stored result."""
    result = stored_alignment(w)
    return figures_table(result) if key == "figures" else result.table(key)


# Shared goals


def goal_values(quarter: str, today: date | None = None) -> dict[str, float | None]:
    """Each goal metric's value over the quarter so far; None before it starts."""
    today = today or timezone.localdate()
    start, end = quarter_range(quarter)
    if start > today:
        return dict.fromkeys(GoalMetric.values)
    w = Window(start, min(end, today))
    return {
        GoalMetric.KEPT_RATE: _round(promises.promise_summary(deliverables_in(w))["kept_rate"]),
        GoalMetric.MEDIAN_REVIEW_TURNAROUND_DAYS: median(turnaround_days(w)),
        GoalMetric.FIRST_PASS_APPROVAL_RATE: first_pass_approval(w).value,
    }


def stored_goal_values(
    quarter: str, today: date, *, recompute: bool = False
) -> dict[str, float | None]:
    """goal_values as stored for the day, like stored_alignment."""
    key = f"goals:v{SNAPSHOT_VERSION}:{quarter}:{today.isoformat()}"
    stored = snapshots.read(key, lambda: goal_values(quarter, today), recompute=recompute)
    return stored.value


def refresh_snapshots(today: date | None = None) -> dict[str, Any]:
    """The scheduled job: recompute what pages read most, drop what nobody needed lately.

    The dashboard's default range for both teams and for each team, and this quarter's
    goal values. Other ranges are computed when someone first looks at them.
    """
    today = today or timezone.localdate()
    start, end = default_range(today)
    windows = [window_for(start, end)] + [
        window_for(start, end, team) for team in Team.objects.order_by("name")
    ]
    for w in windows:
        stored_alignment(w, recompute=True)
    stored_goal_values(quarter_of(today), today, recompute=True)
    forgotten = snapshots.forget(timedelta(days=SNAPSHOT_KEEP_DAYS))
    return {"alignments": len(windows), "goals": 1, "forgotten": forgotten}


@dataclass
class GoalProgress:
    goal: SharedGoal
    value: float | None

    @property
    def target(self) -> float:
        target = float(self.goal.target)
        return target / 100 if self.goal.unit == "percent" else target

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        if self.goal.comparison == GoalComparison.AT_LEAST:
            return self.value >= self.target
        return self.value <= self.target

    @property
    def display(self) -> str:
        return format_value(self.value, self.goal.unit)

    @property
    def target_display(self) -> str:
        return f"{self.goal.comparison_sign} {format_value(self.target, self.goal.unit)}"

    @property
    def status(self) -> str:
        return {True: "Met", False: "Not met", None: "Not measured yet"}[self.met]


def goal_progress(goals: Iterable[SharedGoal], today: date | None = None) -> list[GoalProgress]:
    """Progress of each goal, from the stored values of its quarter.

    One query per distinct quarter among them while its values are fresh; else the
    quarter's values are computed and stored.
    """
    goals = list(goals)
    today = today or timezone.localdate()
    values = {q: stored_goal_values(q, today) for q in sorted({g.quarter for g in goals})}
    return [GoalProgress(goal=g, value=values[g.quarter][g.metric]) for g in goals]


def current_goals(today: date | None = None) -> dict[str, Any]:
    """This quarter's goals with their progress: the dashboard and both teams' home pages."""
    today = today or timezone.localdate()
    quarter = quarter_of(today)
    goals = list(SharedGoal.objects.filter(quarter=quarter).order_by("metric"))
    return {"quarter": quarter, "goals": goal_progress(goals, today) if goals else []}


# Scorecards


def team_of(person: User) -> Team | None:
    kind = TeamKind.DELIVERY if person.role == Role.PM else TeamKind.SALES
    return person.teams.filter(kind=kind).order_by("name").first()


def _person_figures(w: Window, is_pm: bool) -> list[Figure]:
    kept, slip = promise_figures(w)
    if is_pm:
        median_figure = review_turnaround(w)[0]
        return [median_figure, sla_breaches(w), kept]
    return [flag_rate(w), first_pass_approval(w), kept, slip]


def scorecard(person: User, start: date, end: date) -> dict[str, Any]:
    """A rep's or PM's own figures beside their team's (everyone's when in no team)."""
    is_pm = person.role == Role.PM
    team = team_of(person)
    own = _person_figures(window_for_person(start, end, person), is_pm)
    if team is not None:
        team_window = window_for(start, end, team)
    else:
        role_ids = tuple(
            User.objects.filter(role=person.role, is_active=True).values_list("pk", flat=True)
        )
        team_window = (
            Window(start, end, pms=role_ids) if is_pm else Window(start, end, reps=role_ids)
        )
    theirs = _person_figures(team_window, is_pm)
    return {
        "person": person,
        "team": team,
        "team_label": team.name if team else ("All project managers" if is_pm else "All reps"),
        "rows": [{"own": o, "team": t} for o, t in zip(own, theirs, strict=True)],
    }


# The weekly sync agenda


def _deal_item(deal: Deal, **extra: Any) -> dict[str, Any]:
    return {
        "deal_id": deal.pk,
        "deal": deal.title,
        "client": deal.client.name,
        "owner": deal.owner.display_name,
        "url": deal.get_absolute_url(),
        **extra,
    }


def _section(title: str, items: list[dict[str, Any]], empty: str) -> dict[str, Any]:
    return {
        "title": title,
        "items": items[:AGENDA_LIMIT],
        "more": len(items) > AGENDA_LIMIT,
        "empty": empty,
    }


def sync_agenda(today: date | None = None) -> dict[str, Any]:
    """The weekly cross-team meeting's agenda as plain data (dicts, strings, dates, URLs).

    Sections: waiting_for_review, open_flags, open_escalations, projects_at_risk,
    due_next_week, unacknowledged_feedback, decisions; each {"title", "items",
    "more", "empty"}. Each section reads at most AGENDA_LIMIT + 1 rows.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    take = AGENDA_LIMIT + 1
    next_monday = capacity_math.week_of(today) + timedelta(days=7)
    next_sunday = next_monday + timedelta(days=6)
    week_ago = now - timedelta(days=7)

    waiting = (
        ReviewRound.objects.filter(decided_at__isnull=True, deal__status=DealStatus.IN_REVIEW)
        .select_related("deal__client", "deal__owner", "reviewer")
        .order_by("submitted_at", "id")[:take]
    )
    latest_round = ReviewRound.objects.filter(deal=OuterRef(OuterRef("pk"))).order_by("-number")
    flagged_count = (
        Verdict.objects.filter(
            round=Subquery(latest_round.values("pk")[:1]), verdict=VerdictKind.FLAGGED
        )
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    flagged_deals = (
        Deal.objects.filter(status=DealStatus.CHANGES_REQUESTED)
        .select_related("client", "owner")
        .annotate(flags=Subquery(flagged_count))
        .order_by("updated_at", "id")[:take]
    )
    escalations_open = open_escalations()[:take]
    at_risk = Q(status=DeliverableStatus.AT_RISK)
    late = promises.late_q(today)
    projects = (
        Project.objects.exclude(status=ProjectStatus.COMPLETED)
        .filter(Exists(Deliverable.objects.filter(at_risk | late, project=OuterRef("pk"))))
        .select_related("deal__client", "deal__owner", "pm")
        .annotate(
            at_risk=Count("deliverables", filter=Q(deliverables__status=DeliverableStatus.AT_RISK)),
            late=Count(
                "deliverables",
                filter=Q(
                    deliverables__status__in=OPEN_DELIVERABLE_STATUSES,
                    deliverables__promised_date__lt=today,
                ),
            ),
        )
        .order_by("deal__expected_close_date", "id")[:take]
    )
    due = (
        Deliverable.objects.filter(
            status__in=OPEN_DELIVERABLE_STATUSES,
            promised_date__gte=next_monday,
            promised_date__lte=next_sunday,
        )
        .select_related("project__deal", "project__pm")
        .order_by("promised_date", "id")[:take]
    )
    unacknowledged = (
        FeedbackNote.objects.filter(
            direction__in=Direction.values,
            created_at__gte=now - timedelta(days=DEFAULT_RANGE_DAYS),
            acknowledged_at__isnull=True,
        )
        .select_related("author", "recipient", "deal")
        .order_by("created_at", "id")[:take]
    )
    decisions = (
        DealEvent.objects.filter(kind__in=DECISION_EVENTS, at__gte=week_ago, at__lt=now)
        .select_related("deal__client", "deal__owner", "actor")
        .order_by("at", "id")[:take]
    )

    return {
        "today": today,
        "week_of": capacity_math.week_of(today),
        "sections": {
            "waiting_for_review": _section(
                "Deals waiting for review, oldest first",
                [
                    _deal_item(
                        r.deal,
                        submitted_at=r.submitted_at,
                        due_at=r.due_at,
                        overdue=r.due_at < now,
                        reviewer=r.reviewer.display_name if r.reviewer else "",
                        round=r.number,
                    )
                    for r in waiting
                ],
                "No deal is waiting for review.",
            ),
            "open_flags": _section(
                "Open flags: deals with changes requested",
                [_deal_item(d, flags=d.flags or 0, since=d.updated_at) for d in flagged_deals],
                "No deal has open flags.",
            ),
            "open_escalations": _section(
                "Open escalations",
                [
                    _deal_item(
                        e.deal,
                        commitment=e.verdict.commitment.summary,
                        raised_by=e.raised_by.display_name,
                        raised_at=e.raised_at,
                        flagged_by=e.verdict.decided_by.display_name,
                    )
                    for e in escalations_open
                ],
                "No escalation is waiting for a decision.",
            ),
            "projects_at_risk": _section(
                "Projects at risk",
                [
                    {
                        "project_id": p.pk,
                        "project": p.deal.title,
                        "client": p.deal.client.name,
                        "pm": p.pm.display_name,
                        "at_risk": p.at_risk,
                        "late": p.late,
                        "url": p.get_absolute_url(),
                    }
                    for p in projects
                ],
                "No project has a deliverable at risk or late.",
            ),
            "due_next_week": _section(
                f"Deliverables due next week ({next_monday:%d %b} to {next_sunday:%d %b})",
                [
                    {
                        "deliverable": d.summary,
                        "project": d.project.deal.title,
                        "pm": d.project.pm.display_name,
                        "promised_date": d.promised_date,
                        "status": d.get_status_display(),
                        "url": d.project.get_absolute_url(),
                    }
                    for d in due
                ],
                "Nothing is due next week.",
            ),
            "unacknowledged_feedback": _section(
                f"Unacknowledged feedback of the last {DEFAULT_RANGE_DAYS} days",
                [
                    {
                        "topic": n.get_topic_display(),
                        "direction": n.get_direction_display(),
                        "author": n.author.display_name,
                        "recipient": n.recipient.display_name if n.recipient else "",
                        "deal": n.deal.title if n.deal else "",
                        "created_at": n.created_at,
                        "url": _url("feedback:note", n.pk),
                    }
                    for n in unacknowledged
                ],
                "Every feedback note is acknowledged.",
            ),
            "decisions": _section(
                "Decisions of the past week",
                [
                    _deal_item(
                        e.deal,
                        decision=e.get_kind_display(),
                        kind=e.kind,
                        by=e.actor.display_name if e.actor else "",
                        at=e.at,
                        reason=e.reason,
                    )
                    for e in decisions
                ],
                "No decision in the past week.",
            ),
        },
    }

"""Calibrated promises: what resolved promises say about a new one, and a date history met.

Pure functions first (quantiles, effort bands, the calibration of one promise), then the
cached table they read: per commitment kind, per kind and effort band, and per kind, band and
delivery team, the distribution of slip (days past the promised date, early = 0) and of effort
overrun (actual effort over the estimate, when time was recorded). A figure needs
CALIBRATION_MIN_SAMPLE resolved promises; with fewer the answer says so instead of guessing.

Each group with enough history has a date of its own: the promised date plus the slip that
80 % of its promises stayed within (the nearest-rank 80th percentile). The suggested date is
the latest of them, so it never precedes the promised date, a narrower group can move it
later but never earlier than the broader history says, and a delivery later than the date
history gave it never brings any suggestion earlier (adding a slip at or above a group's 80th
percentile never lowers it, and a group that reaches the minimum only adds a candidate). The
figures shown are those of the group that set the date; on a tie, the narrowest one.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Sum, Value, When

from deals.models import CommitmentKind
from handoff.models import Team, TeamKind
from projects.models import HOURS_PER_DAY, RESOLVED_DELIVERABLE_STATUSES, Deliverable, TimeEntry

SUGGESTION_SHARE = 0.8
# Effort bands in person-days, [low, high): a 15-day promise is compared with 10-20-day ones.
EFFORT_BANDS: tuple[tuple[Decimal, Decimal | None], ...] = (
    (Decimal("0"), Decimal("5")),
    (Decimal("5"), Decimal("10")),
    (Decimal("10"), Decimal("20")),
    (Decimal("20"), Decimal("40")),
    (Decimal("40"), None),
)


def min_sample() -> int:
    return max(1, settings.CALIBRATION_MIN_SAMPLE)


def band_of(effort: Decimal) -> int:
    """The index of the effort band that holds `effort` (negative effort is refused earlier)."""
    effort = Decimal(effort)
    for index, (low, high) in enumerate(EFFORT_BANDS):
        if effort >= low and (high is None or effort < high):
            return index
    return 0


def band_label(index: int) -> str:
    low, high = EFFORT_BANDS[index]
    if high is None:
        return f"{low:f} days or more"
    return f"{low:f}\u2013{high:f} days"


def nearest_rank(values: Sequence[float], share: float) -> float:
    """The smallest value that at least `share` of `values` do not exceed (values sorted)."""
    if not values:
        raise ValueError("no values")
    rank = max(1, math.ceil(share * len(values) - 1e-9))
    return values[rank - 1]


def median(values: Sequence[float]) -> float:
    """The middle value of sorted `values`, or the mean of the two middle ones."""
    if not values:
        raise ValueError("no values")
    middle = len(values) // 2
    if len(values) % 2:
        return float(values[middle])
    return (values[middle - 1] + values[middle]) / 2


@dataclass(frozen=True)
class Distribution:
    """Sample size, median and 80th percentile of one measure; None figures below the minimum."""

    count: int
    median: float | None = None
    p80: float | None = None

    @property
    def enough(self) -> bool:
        return self.median is not None


def distribution(values: Iterable[float], minimum: int | None = None) -> Distribution:
    return counted_distribution(Counter(float(v) for v in values), minimum)


def _at_rank(ordered: list[tuple[float, int]], rank: int) -> float:
    """The value at 1-based position `rank` of the values, each repeated its count."""
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return value
    raise ValueError("rank past the values")


def counted_distribution(counts: Counter, minimum: int | None = None) -> Distribution:
    """distribution() over values given as {value: how many}: what a grouped query returns."""
    total = sum(counts.values())
    minimum = min_sample() if minimum is None else minimum
    if total < max(1, minimum):
        return Distribution(count=total)
    ordered = sorted(counts.items())
    middle = (
        float(_at_rank(ordered, total // 2 + 1))
        if total % 2
        else (_at_rank(ordered, total // 2) + _at_rank(ordered, total // 2 + 1)) / 2
    )
    rank = max(1, math.ceil(SUGGESTION_SHARE * total - 1e-9))
    return Distribution(count=total, median=middle, p80=_at_rank(ordered, rank))


@dataclass(frozen=True)
class Sample:
    """Resolved promises alike: kind, estimate (or its band), delivery team, slip, overrun.

    `count` promises share these values (a grouped query); a sample without slip carries only
    an overrun, one without overrun only slip.
    """

    kind: str
    effort: Decimal
    slip_days: int | None
    team_id: int | None = None
    overrun: float | None = None  # actual effort / estimate - 1
    count: int = 1
    band: int | None = None


# A cell of the table: (kind, band or None, team or None).
CellKey = tuple[str, int | None, int | None]


@dataclass(frozen=True)
class Cell:
    slip: Distribution
    overrun: Distribution


def build_table(samples: Iterable[Sample], minimum: int | None = None) -> dict[CellKey, Cell]:
    """Every kind, kind by band and kind by band by team with its distributions."""
    slips: dict[CellKey, Counter] = defaultdict(Counter)
    overruns: dict[CellKey, Counter] = defaultdict(Counter)
    for sample in samples:
        band = sample.band if sample.band is not None else band_of(sample.effort)
        keys: list[CellKey] = [(sample.kind, None, None), (sample.kind, band, None)]
        if sample.team_id is not None:
            keys.append((sample.kind, band, sample.team_id))
        for key in keys:
            if sample.slip_days is not None:
                slips[key][float(sample.slip_days)] += sample.count
            if sample.overrun is not None:
                overruns[key][round(sample.overrun, 4)] += sample.count
    return {
        key: Cell(
            slip=counted_distribution(slips[key], minimum),
            overrun=counted_distribution(overruns[key], minimum),
        )
        for key in set(slips) | set(overruns)
    }


SCOPES = ("kind_band_team", "kind_band", "kind")  # narrowest first


@dataclass(frozen=True)
class GroupFigure:
    """One group a promise was compared with: its size, and its own date when it has enough."""

    scope: str
    label: str
    slip: Distribution
    suggested_date: date | None = None

    @property
    def sample_size(self) -> int:
        return self.slip.count

    @property
    def enough(self) -> bool:
        return self.suggested_date is not None


@dataclass(frozen=True)
class Calibration:
    """What history says about one promise, and the date 80 % of similar promises met.

    `scope`, `slip`, `sample_size` and `suggested_date` belong to the group that set the date;
    `groups` has every group compared, narrowest first, each with its own date when it has
    enough history.
    """

    kind: str
    effort_days: Decimal
    promised_date: date
    scope: str  # "kind_band_team", "kind_band", "kind" or "none"
    sample_size: int
    slip: Distribution
    overrun: Distribution
    band: int
    team_id: int | None = None
    suggested_date: date | None = None
    considered: list[tuple[str, int]] = field(default_factory=list)
    groups: list[GroupFigure] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.suggested_date is not None

    @property
    def kind_label(self) -> str:
        return CommitmentKind(self.kind).label

    @property
    def scope_label(self) -> str:
        return scope_label(self.kind, self.band, self.scope)

    @property
    def narrower(self) -> list[GroupFigure]:
        """Narrower groups with enough history whose own date is earlier than the one set."""
        if self.scope not in SCOPES:
            return []
        narrower_scopes = SCOPES[: SCOPES.index(self.scope)]
        return [
            group
            for group in self.groups
            if group.scope in narrower_scopes
            and group.enough
            and self.suggested_date is not None
            and group.suggested_date < self.suggested_date
        ]

    @property
    def narrower_sentence(self) -> str:
        """Why a narrower group's earlier date is not the suggestion, or nothing."""
        if not self.narrower:
            return ""
        group = self.narrower[0]  # the narrowest
        extra = (group.suggested_date - self.promised_date).days
        by = "by the promised date" if extra == 0 else f"by a date {_days(extra)} later"
        return (
            f"{group.label[0].upper()}{group.label[1:]} alone did better: 80 % were "
            f"delivered {by} ({group.sample_size} resolved); the suggestion keeps to the "
            f"later date that 80 % of {self.scope_label} met."
        )

    @property
    def extra_days(self) -> int:
        return 0 if self.suggested_date is None else (self.suggested_date - self.promised_date).days

    @property
    def sentence(self) -> str:
        """The figures in words, or why there are none."""
        if not self.enough:
            return (
                f"Not enough history yet: {self.sample_size} resolved "
                f"{self.kind_label.lower()} promises, {min_sample()} needed."
            )
        slip = self.slip
        late = _days(slip.median)
        median_text = "on time at the median" if slip.median == 0 else f"a median of {late} late"
        extra = _days(slip.p80)
        share = f"{round(SUGGESTION_SHARE * 100)} %"
        by = "by the promised date" if slip.p80 == 0 else f"by a date {extra} later than promised"
        return (
            f"{self.scope_label[0].upper()}{self.scope_label[1:]} were delivered "
            f"{median_text}; {share} were delivered {by} "
            f"({self.sample_size} resolved)."
        )

    @property
    def overrun_sentence(self) -> str:
        if not self.overrun.enough:
            return ""
        return (
            f"Effort ran a median of {_percent(self.overrun.median)} over the estimate; "
            f"80 % stayed within {_percent(self.overrun.p80)}."
        )


def scope_label(kind: str, band: int, scope: str) -> str:
    """The group in words: "integration promises of 10-20 days delivered by this team"."""
    kind_text = CommitmentKind(kind).label.lower()
    if scope in ("kind", "none"):
        return f"{kind_text} promises"
    band_text = band_label(band)
    if scope == "kind_band_team":
        return f"{kind_text} promises of {band_text} delivered by this team"
    return f"{kind_text} promises of {band_text}"


def _days(value: float | None) -> str:
    if value is None:
        return ""
    number = int(value) if float(value).is_integer() else round(value, 1)
    return f"{number} day" if number == 1 else f"{number} days"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)} %"


def calibrate(
    table: dict[CellKey, Cell],
    *,
    kind: str,
    effort_days: Decimal,
    promised_date: date,
    team_id: int | None = None,
) -> Calibration:
    """The latest date of the groups with enough history: kind by band by team, kind by band,
    kind. The figures are those of the group that set it, the narrowest on a tie."""
    band = band_of(effort_days)
    candidates: list[tuple[str, CellKey]] = []
    if team_id is not None:
        candidates.append(("kind_band_team", (kind, band, team_id)))
    candidates += [("kind_band", (kind, band, None)), ("kind", (kind, None, None))]
    empty = Distribution(count=0)
    considered: list[tuple[str, int]] = []
    groups: list[GroupFigure] = []
    chosen: tuple[str, Cell, date] | None = None
    for scope, key in candidates:
        cell = table.get(key)
        considered.append((scope, cell.slip.count if cell else 0))
        slip = cell.slip if cell is not None else empty
        own = suggest(promised_date, slip) if cell is not None and slip.enough else None
        groups.append(
            GroupFigure(
                scope=scope,
                label=scope_label(kind, band, scope),
                slip=slip,
                suggested_date=own,
            )
        )
        # Strictly later only: on a tie the narrower group, met first, keeps the figures.
        if own is not None and (chosen is None or own > chosen[2]):
            chosen = (scope, cell, own)
    if chosen is not None:
        scope, cell, suggested = chosen
        return Calibration(
            kind=kind,
            effort_days=Decimal(effort_days),
            promised_date=promised_date,
            scope=scope,
            sample_size=cell.slip.count,
            slip=cell.slip,
            overrun=cell.overrun,
            band=band,
            team_id=team_id if scope == "kind_band_team" else None,
            suggested_date=suggested,
            considered=considered,
            groups=groups,
        )
    kind_cell = table.get((kind, None, None))
    return Calibration(
        kind=kind,
        effort_days=Decimal(effort_days),
        promised_date=promised_date,
        scope="none",
        sample_size=kind_cell.slip.count if kind_cell else 0,
        slip=kind_cell.slip if kind_cell else empty,
        overrun=kind_cell.overrun if kind_cell else empty,
        band=band,
        considered=considered,
        groups=groups,
    )


def suggest(promised_date: date, slip: Distribution) -> date | None:
    """The promised date moved by the slip 80 % of similar promises stayed within."""
    if slip.p80 is None:
        return None
    extra = math.ceil(max(0.0, slip.p80))
    try:
        return promised_date + timedelta(days=extra)
    except OverflowError:
        return date.max


# The table, from the database and cached


CACHE_SECONDS = 6 * 3600


def _cache_key() -> str:
    return "projects:calibration:v1"


def _band_expression() -> Case:
    """The effort band in SQL, as band_of() says it."""
    whens = [
        When(effort_days__lt=high, then=Value(index))
        for index, (_, high) in enumerate(EFFORT_BANDS)
        if high is not None
    ]
    return Case(*whens, default=Value(len(EFFORT_BANDS) - 1), output_field=IntegerField())


def resolved_samples() -> list[Sample]:
    """Every resolved promise, grouped in the database: three queries, and rows that grow with
    the kinds, bands, PMs and distinct slips there are, not with the number of promises.

    Overrun is the hours recorded on a deliverable (HOURS_PER_DAY to a day) over the effort
    as sold, read only for resolved promises that have time recorded.
    """
    team_of = delivery_teams()
    resolved = Deliverable.objects.filter(
        status__in=RESOLVED_DELIVERABLE_STATUSES, slip_days__isnull=False
    )
    grouped = (
        resolved.annotate(band=_band_expression())
        .order_by()
        .values("kind", "band", "project__pm_id", "slip_days")
        .annotate(n=Count("pk"))
        .values_list("kind", "band", "project__pm_id", "slip_days", "n")
    )
    samples = [
        Sample(
            kind=kind,
            effort=Decimal("0"),
            band=band,
            slip_days=slip,
            team_id=team_of.get(pm_id),
            count=n,
        )
        for kind, band, pm_id, slip, n in grouped
    ]
    spent = (
        TimeEntry.objects.filter(deliverable__in=resolved.filter(effort_days__gt=0).values("pk"))
        .order_by()
        .values("deliverable_id")
        .annotate(total=Sum("hours"))
        .values_list(
            "deliverable__kind", "deliverable__effort_days", "deliverable__project__pm_id", "total"
        )
    )
    for kind, effort, pm_id, hours in spent:
        samples.append(
            Sample(
                kind=kind,
                effort=effort,
                slip_days=None,
                team_id=team_of.get(pm_id),
                overrun=float(hours / HOURS_PER_DAY / effort) - 1,
            )
        )
    return samples


def delivery_teams() -> dict[int, int]:
    """{PM id: the first delivery team they belong to}."""
    teams: dict[int, int] = {}
    memberships = Team.members.through.objects.filter(team__kind=TeamKind.DELIVERY).order_by(
        "team_id"
    )
    for user_id, team_id in memberships.values_list("user_id", "team_id"):
        teams.setdefault(user_id, team_id)
    return teams


def calibration_table() -> dict[CellKey, Cell]:
    """The table from the cache, built from every resolved promise when it is not there.

    It changes only when a deliverable is resolved: every save or delete of a deliverable
    drops it (projects/apps.py), so the next reader builds it again.
    """
    table = cache.get(_cache_key())
    if table is None:
        table = build_table(resolved_samples())
        cache.set(_cache_key(), table, CACHE_SECONDS)
    return table


def forget_calibration(**signal: object) -> None:
    """Drop the cached table now and at commit (a rolled-back write leaves nothing behind).

    A new open deliverable (a deal just won) changes nothing resolved, so it keeps the table.
    """
    instance = signal.get("instance")
    if (
        signal.get("created")
        and getattr(instance, "status", None) not in RESOLVED_DELIVERABLE_STATUSES
    ):
        return
    cache.delete(_cache_key())
    transaction.on_commit(lambda: cache.delete(_cache_key()))


def calibration_for(
    *, kind: str, effort_days: Decimal, promised_date: date, team_id: int | None = None
) -> Calibration:
    return calibrate(
        calibration_table(),
        kind=kind,
        effort_days=effort_days,
        promised_date=promised_date,
        team_id=team_id,
    )


def team_of_pm(pm_id: int | None) -> int | None:
    """The first delivery team a PM belongs to: one query."""
    if pm_id is None:
        return None
    return (
        Team.members.through.objects.filter(user_id=pm_id, team__kind=TeamKind.DELIVERY)
        .order_by("team_id")
        .values_list("team_id", flat=True)
        .first()
    )


def calibrations_for(
    promises: list[tuple[str, Decimal, date]], pm_id: int | None = None
) -> list[Calibration]:
    """Each promise calibrated against the table, for the PM's delivery team when given.

    At most two queries for any number of promises, none when the table is cached and no
    PM is named: what the deals app registers (deals.promise_advice).
    """
    table = calibration_table()
    team_id = team_of_pm(pm_id)
    return [
        calibrate(table, kind=kind, effort_days=effort, promised_date=promised, team_id=team_id)
        for kind, effort, promised in promises
    ]

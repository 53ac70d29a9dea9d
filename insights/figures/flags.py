"""Flag figures: the flag rate overall, by rep and by commitment kind, and the over-commit index.

All read one pass over the range's verdicts (verdict_counts).
"""

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from deals.models import CommitmentKind, DealStatus, Verdict, VerdictKind
from insights.figures.format import person_name
from insights.figures.links import deals_url, url_for
from insights.figures.results import PAGE_ROWS, Figure, Table
from insights.figures.stats import ratio
from insights.figures.window import Window, owner_param
from projects import promises as promise_rules
from projects.models import Deliverable, DeliverableStatus


def verdicts_in(w: Window) -> QuerySet[Verdict]:
    verdicts = Verdict.objects.filter(
        round__submitted_at__gte=w.start_at, round__submitted_at__lt=w.end_at
    )
    if w.reps is not None:
        verdicts = verdicts.filter(round__deal__owner_id__in=w.reps)
    if w.pms is not None:
        verdicts = verdicts.filter(decided_by_id__in=w.pms)
    return verdicts


def kept_badly(today: date | None = None) -> Q:
    """A deliverable missed, delivered late, or open past its promised date."""
    return (
        Q(status=DeliverableStatus.MISSED)
        | Q(status=DeliverableStatus.DELIVERED, delivered_on__gt=F("promised_date"))
        | promise_rules.late_q(today)
    )


def verdict_aggregates() -> dict[str, Any]:
    """Verdicts, flags and reviewed effort per group of verdicts."""
    flagged = Q(verdict=VerdictKind.FLAGGED)
    badly = Exists(
        Deliverable.objects.filter(commitment_id=OuterRef("commitment_id")).filter(kept_badly())
    )
    return {
        "total": Count("pk"),
        "flagged": Count("pk", filter=flagged),
        "effort": Sum("commitment__effort_days"),
        "over_effort": Sum("commitment__effort_days", filter=flagged | Q(badly)),
    }


REP_FIELDS = (
    "round__deal__owner_id",
    "round__deal__owner__first_name",
    "round__deal__owner__last_name",
    "round__deal__owner__username",
)


def verdict_counts(w: Window) -> list[dict[str, Any]]:
    """Verdicts, flags and reviewed effort per (rep, commitment kind) in one pass over the
    range's verdicts: every flag-rate figure and the over-commit index read from it."""
    return list(
        verdicts_in(w)
        .values(*REP_FIELDS, "commitment__kind")
        .annotate(**verdict_aggregates())
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
        url=deals_url(status=DealStatus.CHANGES_REQUESTED, owner=owner_param(w)),
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
                "rep_url": url_for("scorecard", username),
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
            "flagged_url": deals_url(status=DealStatus.CHANGES_REQUESTED, owner=owner_param(w)),
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

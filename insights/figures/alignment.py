"""The dashboard as a whole: every figure and table over one window, computed or as stored.

Once the summary tables are built, the range's figures are sums of their rows per day
(insights.figures.summarised); live, each is a bounded aggregate whose range filters on an
indexed column. The dashboard, the CSV
exports and the API read from here.
"""

from dataclasses import asdict
from typing import Any

from insights import snapshots
from insights.figures.acceptance import acceptance_figures
from insights.figures.calibration import calibration_figures
from insights.figures.capacity import pipeline_capacity
from insights.figures.cells import UNIT_NAMES, csv_cell
from insights.figures.feedback import feedback_health
from insights.figures.flags import (
    flag_rate,
    flag_rate_by_kind,
    flag_rate_by_rep,
    over_commit_by_rep,
    verdict_counts,
)
from insights.figures.pipeline import PIPELINE_TABLE, pipeline_table
from insights.figures.promises import promise_figures, promise_tables
from insights.figures.results import SNAPSHOT_VERSION, Alignment, Figure, Table
from insights.figures.reviews import (
    deals_in_review,
    decided_rounds,
    escalations,
    first_pass_approval,
    review_turnaround,
    sla_breaches,
    turnaround_by_week,
    turnaround_days,
    turnaround_table,
)
from insights.figures.summarised import is_folded, summarised
from insights.figures.window import Window, window_params


def alignment(w: Window, *, live: bool | None = None) -> Alignment:
    """Every figure and table of the dashboard over one window; a fixed number of queries.

    From the summary tables once they are built (insights.summary_fold), else (or with
    live=True) from the rows themselves; both give the same figures.
    """
    if live is None:
        live = not is_folded()
    if live:
        return _live_alignment(w)
    s = summarised(w)
    escalation_figure, escalation_table = escalations(w)
    feedback_figures, feedback_table = feedback_health(w)
    figures = [
        deals_in_review(w),
        *review_turnaround(w, s.durations),
        sla_breaches(w, s.sla),
        first_pass_approval(w, s.first_pass),
        flag_rate(w, s.verdict_counts),
        *promise_figures(w, s.promise_summary, s.sold),
        *calibration_figures(w, s.calibration),
        *acceptance_figures(w),
        escalation_figure,
        *feedback_figures,
    ]
    tables = [
        turnaround_table(s.dated),
        flag_rate_by_rep(w, s.verdict_counts),
        flag_rate_by_kind(w, s.verdict_counts),
        *promise_tables(w, s.per_rep, s.per_pm),
        pipeline_capacity(w),
        pipeline_table(w),
        feedback_table,
        escalation_table,
        over_commit_by_rep(w, s.verdict_counts),
    ]
    return Alignment(window=w, figures=figures, tables=tables)


def _live_alignment(w: Window) -> Alignment:
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
        *calibration_figures(w),
        *acceptance_figures(w),
        escalation_figure,
        *feedback_figures,
    ]
    tables = [
        turnaround_by_week(w, pairs, durations),
        flag_rate_by_rep(w, counts),
        flag_rate_by_kind(w, counts),
        *promise_tables(w),
        pipeline_capacity(w),
        pipeline_table(w),
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

    later = snapshots.refresh_later("alignment", window_params(w))
    stored = snapshots.read(snapshot_key(w), compute, recompute=recompute, later=later)
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
    PIPELINE_TABLE,
    "feedback",
    "escalations",
    "over-commit",
)


def figures_table(result: Alignment) -> Table:
    """The headline figures as a table of their own, for the CSV export."""
    return Table(
        key="figures",
        title="Figures",
        columns=[
            ("label", "Figure"),
            ("value", "Value"),
            ("unit", "Unit"),
            ("detail", "Detail"),
            ("how", "How"),
        ],
        # Each figure has its own unit: the number in Value, its unit in Unit.
        rows=[
            {
                "label": f.label,
                "value": csv_cell(f.value, f.unit),
                "unit": UNIT_NAMES.get(f.unit, ""),
                "detail": f.detail,
                "how": f.how,
            }
            for f in result.figures
        ],
    )


def table_for_export(w: Window, key: str) -> Table:
    """One table of TABLE_KEYS as the dashboard shows it: from the same stored result."""
    result = stored_alignment(w)
    return figures_table(result) if key == "figures" else result.table(key)

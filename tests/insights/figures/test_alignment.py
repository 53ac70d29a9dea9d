"""The dashboard as a whole on an empty history: a dash or a zero everywhere."""

import pytest

from insights.figures.alignment import alignment
from tests.insights.crafted import (
    JUNE,
)


@pytest.mark.django_db
def test_every_figure_on_an_empty_history_is_a_dash_or_zero():
    result = alignment(JUNE)
    shown = {f.key: f.display for f in result.figures}
    assert shown == {
        "deals_in_review": "0",
        "review_turnaround_median_days": "—",
        "review_turnaround_p90_days": "—",
        "sla_breaches": "—",
        "first_pass_approval_rate": "—",
        "flag_rate": "—",
        "kept_rate": "—",
        "avg_slip_days": "—",
        "acceptance_rate": "—",
        "customer_satisfaction": "—",
        "suggestion_held_rate": "—",
        "against_suggestion_missed_rate": "—",
        "escalations": "0",
        "feedback_notes": "0",
        "feedback_acknowledged_share": "—",
        "feedback_median_hours_to_acknowledge": "—",
    }
    tables = {t.key: t for t in result.tables}
    for key in ("review-turnaround", "flag-rate-by-rep", "flag-rate-by-kind", "over-commit"):
        assert tables[key].rows == []
        assert tables[key].chart_data() is None
    assert [r["share"] for r in tables["escalations"].rows] == [None, None, None]
    assert len(tables["pipeline-capacity"].rows) == 12

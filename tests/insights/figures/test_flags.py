"""Flag figures on crafted data: the flag rate by rep and kind, the over-commit index."""

from decimal import Decimal

import pytest

from deals.models import CommitmentKind
from insights.figures.flags import (
    flag_rate,
    flag_rate_by_kind,
    flag_rate_by_rep,
    over_commit_by_rep,
)
from tests.insights.crafted import (
    APPROVED,
    CONDITION,
    FLAGGED,
    JUNE,
    at,
    day,
    make_deal,
    review,
    set_clock,
)


@pytest.mark.django_db
def test_flag_rate_overall_by_rep_and_by_kind(rep, rep2, pm):
    three = make_deal(
        rep,
        [(CommitmentKind.SCOPE, "10"), (CommitmentKind.TIMELINE, "20"), ("staffing", "10")],
    )
    one = make_deal(rep2, [(CommitmentKind.TIMELINE, "4")])
    set_clock(review(three, pm, [FLAGGED, APPROVED, CONDITION]), at(day(0)), at(day(1)))
    set_clock(review(one, pm, [APPROVED]), at(day(0)), at(day(1)))

    assert flag_rate(JUNE).value == 0.25
    by_rep = flag_rate_by_rep(JUNE)
    assert [(r["rep"], r["verdicts"], r["flagged"], r["flag_rate"]) for r in by_rep.rows] == [
        ("Rita Reyes", 3, 1, 0.3333),
        ("Sam Osei", 1, 0, 0.0),
    ]
    assert by_rep.rows[0]["rep_url"] == "/people/rep/"
    by_kind = flag_rate_by_kind(JUNE)
    assert [(r["kind"], r["verdicts"], r["flag_rate"]) for r in by_kind.rows] == [
        ("Scope", 1, 1.0),
        ("Timeline", 2, 0.0),
        ("Staffing", 1, 0.0),
    ]
    chart = by_kind.chart_data()
    assert chart["labels"] == ["Scope", "Timeline", "Staffing"]
    assert chart["datasets"][0]["data"] == [100.0, 0.0, 0.0]


@pytest.mark.django_db
def test_over_commit_index_is_the_flagged_share_of_reviewed_effort(rep, pm):
    deal = make_deal(rep, [(CommitmentKind.SCOPE, "10"), (CommitmentKind.TIMELINE, "30")])
    set_clock(review(deal, pm, [FLAGGED, APPROVED]), at(day(0)), at(day(1)))
    [row] = over_commit_by_rep(JUNE).rows
    assert (row["reviews"], row["effort"], row["over_effort"], row["index"]) == (
        2,
        Decimal("40.0"),
        Decimal("10.0"),
        0.25,
    )

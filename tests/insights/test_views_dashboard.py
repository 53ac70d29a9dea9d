"""How the dashboard lays out its figures: short week labels, sparklines, which tables are
charts, and the headline cards with their trends."""

import datetime

from insights.figures.results import Alignment, Figure, Table
from insights.figures.window import Window
from insights.views_dashboard import (
    SPARK_HEIGHT,
    SPARK_PAD,
    SPARK_WIDTH,
    chart_for,
    headline,
    panels,
    short_label,
    sparkline,
    turnaround_sparkline,
)
from tests.insights.crafted import JUNE


def bar_table(key: str, values: list, kind: str = "bar") -> Table:
    return Table(
        key=key,
        title=key,
        columns=[("who", "Who"), ("share", "Share")],
        rows=[{"who": f"P{i}", "share": v} for i, v in enumerate(values)],
        units={"share": "percent"},
        chart={"type": kind, "label": "who", "series": ["share"]},
    )


def test_week_labels_carry_short_dates():
    assert short_label("W2 (2026-01-05)") == "5 Jan"
    assert short_label("2026-06-29") == "29 Jun"
    assert short_label("Rita Reyes") == "Rita Reyes"


def test_a_sparkline_spans_its_box_from_the_highest_to_the_lowest_value():
    line = sparkline([2.0, None, 1.0, 3.0], "Median by week")
    points = [tuple(map(float, p.split(","))) for p in line.points.split()]
    assert [x for x, _ in points] == [0.0, round(SPARK_WIDTH * 2 / 3, 1), float(SPARK_WIDTH)]
    assert points[1][1] == SPARK_HEIGHT - SPARK_PAD  # the lowest value at the bottom
    assert points[2][1] == SPARK_PAD  # the highest at the top
    assert (line.last_x, line.last_y) == points[-1]
    flat = sparkline([1.0, 1.0, 1.0], "Flat")
    assert {y for _, y in (map(float, p.split(",")) for p in flat.points.split())} == {SPARK_PAD}
    assert sparkline([1.0, None, 2.0], "Two known values") is None


def test_the_turnaround_sparkline_says_what_it_shows():
    table = Table(
        key="review-turnaround",
        title="Review turnaround by week of submission",
        columns=[("week", "Week of"), ("median_days", "Median")],
        rows=[
            {"week": "2026-06-01", "median_days": 2.0},
            {"week": "2026-06-08", "median_days": None},
            {"week": "2026-06-15", "median_days": 1.5},
            {"week": "2026-06-22", "median_days": 1.0},
        ],
    )
    line = turnaround_sparkline(table)
    assert line.label == (
        "Median by week of submission, 3 weeks: 2 days in the week of 1 Jun, "
        "1 day in the week of 22 Jun"
    )
    table.rows = table.rows[:2]
    assert turnaround_sparkline(table) is None


def test_two_bars_are_a_table_and_three_are_a_chart():
    assert chart_for(bar_table("two", [0.5, 0.25])) is None
    chart = chart_for(bar_table("three", [0.5, 0.25, 0.0]))
    assert chart["datasets"][0]["data"] == [50.0, 25.0, 0.0]
    assert chart_for(bar_table("unmeasured", [0.5, None, None])) is None
    assert chart_for(bar_table("zeros", [0.0, 0.0, 0.0])) is None  # a flat line says nothing
    # A doughnut's empty slices are no slices.
    assert chart_for(bar_table("slices", [0.5, 0.5, 0.0], "doughnut")) is None
    assert chart_for(bar_table("slices", [0.5, 0.25, 0.25], "doughnut")) is not None


def test_chart_labels_that_are_weeks_are_short_dates():
    table = Table(
        key="weeks",
        title="Weeks",
        columns=[("week", "Week"), ("load", "Load")],
        rows=[{"week": f"W{23 + i} (2026-06-{1 + 7 * i:02})", "load": 1 + i} for i in range(3)],
        chart={"type": "bar", "label": "week", "series": ["load"]},
    )
    assert chart_for(table)["labels"] == ["1 Jun", "8 Jun", "15 Jun"]
    assert table.chart_data()["labels"][0] == "W23 (2026-06-01)"  # the table keeps its own


def test_panels_split_charts_from_tables_and_keep_the_capacity_panel_apart():
    capacity = bar_table("pipeline-capacity", [1, 2, 3])
    result = Alignment(
        window=JUNE,
        figures=[],
        tables=[bar_table("a", [0.1, 0.2, 0.3]), bar_table("b", [0.1]), capacity],
    )
    found = panels(result)
    assert [p.table.key for p in found["charts"]] == ["a"]
    assert [p.table.key for p in found["tables"]] == ["b"]
    assert found["capacity"].table is capacity and found["capacity"].chart is not None


def test_headline_cards_come_in_order_with_their_trends():
    keys = {
        "deals_in_review": ("count", 4),
        "kept_rate": ("percent", 0.9),
        "review_turnaround_median_days": ("days", 1.0),
        "flag_rate": ("percent", 0.2),
        "first_pass_approval_rate": ("percent", None),
        "sla_breaches": ("count", 1),
        "escalations": ("count", 3),
    }
    figures = [Figure(key=k, label=k, value=v, unit=u, how="") for k, (u, v) in keys.items()]
    turnaround = Table(key="review-turnaround", title="t", columns=[], rows=[])
    w = Window(datetime.date(2026, 6, 1), datetime.date(2026, 6, 28))
    previous = {"kept_rate": Figure("kept_rate", "Kept", 0.8, "percent", "")}
    cards = headline(Alignment(window=w, figures=figures, tables=[turnaround]), previous)
    assert [c.figure.key for c in cards] == [
        "deals_in_review",
        "kept_rate",
        "review_turnaround_median_days",
        "flag_rate",
        "first_pass_approval_rate",
        "sla_breaches",
    ]
    assert cards[0].trend is None  # "now" has no previous period
    assert cards[1].trend.text == "up 10 points on the previous 28 days"
    assert cards[2].trend.text == "nothing to compare in the previous 28 days"
    assert cards[2].sparkline is None

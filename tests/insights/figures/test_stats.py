"""The figures' plain arithmetic: percentiles, ratios and their shown text."""

from insights.figures.format import format_value
from insights.figures.stats import median, percentile, ratio


def test_percentile_interpolates_and_handles_empty_and_single():
    assert median([]) is None
    assert percentile([], 0.9) is None
    assert median([2.5]) == 2.5
    assert percentile([2.5], 0.9) == 2.5
    assert median([1, 1, 3]) == 1
    assert percentile([1, 1, 3], 0.9) == 2.6
    assert median([1, 2, 3, 4]) == 2.5


def test_ratio_is_none_when_nothing_was_measured():
    assert ratio(0, 0) is None
    assert ratio(0, 4) == 0.0
    assert format_value(None, "percent") == "—"
    assert format_value(0.0, "percent") == "0\u202f%"
    assert format_value(0.3333, "percent") == "33\u202f%"

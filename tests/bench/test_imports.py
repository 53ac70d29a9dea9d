"""The import bench case on a handful of rows: it imports them all, then finds them unchanged,
chunked and (to compare) one deal at a time, with the queries, seconds and CPU of each part."""

import pytest

from bench import imports


@pytest.mark.django_db
def test_the_import_case_runs_and_reimports_nothing():
    result = imports.run(rows=12)
    assert result["status"] == "done" and result["errors"] == 0
    assert result["created_rows"] == 12 and result["reimport_unchanged_rows"] == 12
    assert result["deals"] == 2
    for part in ("preview", "import", "reimport_preview"):
        assert result[f"{part}_queries"] > 0 and result[f"{part}_cpu_seconds"] >= 0


@pytest.mark.django_db
def test_compared_with_one_deal_at_a_time():
    result = imports.run(rows=30, compare=True)
    one_at_a_time = result["per_row"]
    assert one_at_a_time["created_rows"] == result["created_rows"] == 30
    assert one_at_a_time["reimport_unchanged_rows"] == 30
    assert result["import_queries"] * 3 < one_at_a_time["import_queries"]
    assert result["preview_queries"] * 3 < one_at_a_time["preview_queries"]
    assert "cpu_ratio_per_row_to_chunked" in result

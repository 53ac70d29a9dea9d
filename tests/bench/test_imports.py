"""The import bench case on a handful of rows: it imports them all, then finds them unchanged."""

import pytest

from bench import imports


@pytest.mark.django_db
def test_the_import_case_runs_and_reimports_nothing():
    result = imports.run(rows=12)
    assert result["status"] == "done" and result["errors"] == 0
    assert result["created_rows"] == 12 and result["reimport_unchanged_rows"] == 12
    assert result["deals"] == 2

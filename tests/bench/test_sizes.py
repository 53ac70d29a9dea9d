"""What the benchmark reports of sizes: each table largest first, a process's resident memory."""

import os
import subprocess
import sys

import pytest

from bench.sizes import rss_mb, sizes


def test_a_running_process_has_a_resident_size():
    assert rss_mb(os.getpid()) > 1


def test_a_process_that_is_gone_has_none():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert rss_mb(child.pid) is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_tables_come_largest_first_with_their_share_per_100k_deals():
    found = sizes(1_000, largest=50)
    tables = found["tables"]
    names = [t["table"] for t in tables]
    assert "deals_deal" in names
    assert [t["mb"] for t in tables] == sorted((t["mb"] for t in tables), reverse=True)
    assert found["database_mb"] >= sum(t["mb"] for t in tables)
    assert found["database_mb_per_100k_deals"] == pytest.approx(found["database_mb"] * 100, 0.01)
    for t in tables:
        assert t["mb_per_100k_deals"] == pytest.approx(t["mb"] * 100, abs=0.1)
        assert t["indexes_mb"] <= t["mb"]
    # A partitioned table is one row with its partitions, none of which is listed on its own.
    events = next(t for t in tables if t["table"] == "deals_dealevent")
    if "partitions" in events:
        assert events["partitions"] >= 1
        assert not any(n.startswith("deals_dealevent_") for n in names)

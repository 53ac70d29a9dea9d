"""The load's mixes: the write-heavy one writes 30 % of its requests, the mixed one far fewer,
and a commit without a part of the app runs the rest of the mix."""

import pytest

from bench.mixes import MIXES, ROLE_WEIGHTS, TASKS, left_out, tasks_of, write_share


def test_the_write_heavy_mix_writes_thirty_percent_of_its_requests():
    assert write_share("write-heavy") == pytest.approx(0.30, abs=0.02)


def test_the_mixed_load_mostly_reads():
    assert 0.10 <= write_share("mixed") <= 0.17
    assert write_share("mixed") < write_share("write-heavy") / 2 + 0.02


def test_every_role_has_tasks_in_every_mix_and_each_task_is_known():
    for mix in MIXES.values():
        assert set(mix) == set(ROLE_WEIGHTS)
        for tasks in mix.values():
            assert tasks
            assert set(tasks) <= set(TASKS)
            assert all(isinstance(w, int) and w > 0 for w in tasks.values())


def test_a_task_whose_feature_is_missing_is_left_out_and_the_rest_keep_their_weights():
    everything = tasks_of("mixed", "sales", {"imports", "webhooks"})
    without = tasks_of("mixed", "sales", set())
    assert "import_deals" in everything
    assert "import_deals" not in without
    assert {k: v for k, v in everything.items() if k != "import_deals"} == without
    assert left_out("mixed", set()) == ["import_deals"]
    assert left_out("mixed", {"imports"}) == []


def test_the_share_of_writes_follows_the_tasks_that_remain():
    # Without imports a rep writes less, so the mix does too.
    assert write_share("mixed", set()) < write_share("mixed")

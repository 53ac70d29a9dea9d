"""A shared figure is rebuilt at most once per settle period after changes, by one process,
the others reading the one before meanwhile; with no settle period, at the next read."""

import pytest
from django.core.cache import cache

from handoff import settled_cache

pytestmark = pytest.mark.django_db

KEY = "test:settled-figure"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(settled_cache.time, "time", clock.time)
    return clock


@pytest.fixture
def builds():
    made = []

    def build():
        made.append(len(made) + 1)
        return made[-1]

    build.made = made
    return build


def read(build):
    return settled_cache.read(KEY, build, timeout=300)


def change():
    settled_cache.mark_changed(KEY, timeout=300)


def test_an_unchanged_figure_is_built_once(settings, clock, builds):
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    assert [read(builds) for _ in range(3)] == [1, 1, 1]
    clock.now += 200  # long past the settle period, within the entry's 300 s
    assert read(builds) == 1
    assert builds.made == [1]


def test_changes_within_the_settle_period_are_seen_once_it_has_passed(settings, clock, builds):
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    assert read(builds) == 1
    clock.now += 5
    change()
    assert read(builds) == 1  # built 5 s ago: still current
    clock.now += 20
    change()
    assert read(builds) == 1
    clock.now += 10  # 35 s after it was built, changed since
    assert read(builds) == 2
    assert read(builds) == 2 and builds.made == [1, 2]


def test_while_one_process_builds_the_others_read_the_one_before(settings, clock, builds):
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    read(builds)
    clock.now += 60
    change()
    cache.add(f"{KEY}:building", 1, 30)  # another process has started the new one
    assert read(builds) == 1
    cache.delete(f"{KEY}:building")
    assert read(builds) == 2


def test_with_no_settle_period_a_change_is_seen_at_the_next_read(settings, clock, builds):
    settings.CACHED_LOAD_SETTLE_SECONDS = 0
    assert read(builds) == 1
    clock.now += 0.5
    change()
    assert read(builds) == 2
    assert read(builds) == 2


def test_a_change_during_a_build_marks_the_new_figure_changed(settings, clock):
    """The figure takes the time its build started: a write while it reads the rows is seen."""
    settings.CACHED_LOAD_SETTLE_SECONDS = 0

    def build_while_written():
        clock.now += 1
        change()
        return "built"

    assert read(build_while_written) == "built"
    assert read(lambda: "again") == "again"


@pytest.mark.django_db(transaction=True)
def test_a_change_is_marked_again_when_its_transaction_commits(settings, clock, builds):
    from django.db import transaction

    settings.CACHED_LOAD_SETTLE_SECONDS = 0
    with transaction.atomic():
        change()
        clock.now += 1
        assert read(builds) == 1  # read inside the transaction, built after the mark
        clock.now += 1
    assert read(builds) == 2, builds.made  # the commit's mark is later than that build


def test_a_reader_with_nothing_stored_leaves_another_builders_lock(settings, clock, builds):
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    cache.add(f"{KEY}:building", 1, 30)  # another process is building
    assert read(builds) == 1  # nothing to read meanwhile: it builds too
    assert cache.get(f"{KEY}:building") == 1


# What each process keeps of a figure it read


@pytest.fixture
def cache_reads(monkeypatch):
    reads = []
    get = cache.get

    def counted(key, *args, **kwargs):
        reads.append(key)
        return get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counted)
    return reads


def test_a_process_reads_the_shared_figure_once_a_settle_period(
    settings, clock, builds, cache_reads
):
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    read(builds)
    cache_reads.clear()
    clock.now += 29
    assert [read(builds) for _ in range(5)] == [1] * 5
    assert cache_reads == []  # built 29 s ago: current, kept by this process
    clock.now += 1
    assert read(builds) == 1
    assert cache_reads == [KEY, f"{KEY}:changed"]  # a settle period on: the cache is asked
    cache_reads.clear()
    clock.now += 29
    assert read(builds) == 1
    assert cache_reads == []  # said unchanged 29 s ago: kept again


def test_a_change_another_process_made_is_seen_within_a_settle_period(settings, clock, builds):
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    read(builds)
    clock.now += 100
    assert read(builds) == 1  # unchanged: kept for the next 30 s
    clock.now += 1
    cache.set(f"{KEY}:changed", clock.now, 300)  # written elsewhere: this process's copy stays
    assert read(builds) == 1
    clock.now += 29
    assert read(builds) == 2 and builds.made == [1, 2]


def test_a_change_this_process_made_drops_its_own_copy(settings, clock, builds):
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    read(builds)
    clock.now += 100
    assert read(builds) == 1
    change()
    assert read(builds) == 2  # settled and changed: rebuilt at once, as without a copy


def test_a_figure_kept_for_one_database_is_not_read_for_another(settings, clock):
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    prefix = cache.key_prefix
    try:
        cache.key_prefix = "first"
        assert read(lambda: "first's") == "first's"
        cache.key_prefix = "second"
        assert read(lambda: "second's") == "second's"
        cache.key_prefix = "first"
        assert read(lambda: "rebuilt") == "first's"
    finally:
        cache.key_prefix = prefix


def test_with_no_settle_period_nothing_is_kept(settings, clock, builds, cache_reads):
    settings.CACHED_LOAD_SETTLE_SECONDS = 0
    read(builds)
    cache_reads.clear()
    assert read(builds) == 1
    assert cache_reads == [KEY, f"{KEY}:changed"]

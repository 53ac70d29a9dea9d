from tests.workers import redis_url_for_worker, worker_number


def test_each_worker_takes_its_own_redis_database_below_the_first():
    assert redis_url_for_worker("redis://127.0.0.1:6379/15", 1) == "redis://127.0.0.1:6379/14"
    assert redis_url_for_worker("redis://127.0.0.1:6379/0", 1) == "redis://127.0.0.1:6379/15"
    assert redis_url_for_worker("redis://:pw@cache:6380", 2) == "redis://:pw@cache:6380/14"


def test_the_worker_number_comes_from_pytest_xdist(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert worker_number() == 3
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert worker_number() is None

"""The stepped load's figures: the knee, submit beside the deal page, locust's statistics read
back, the review work shared out between steps, and the options that ask for it."""

import argparse
import json
import random
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from bench.__main__ import parse_args, rate_list, store_load
from bench.load_users import share_reviews
from bench.pacing import poisson_pacing
from bench.stack import Receiver, settle
from bench.steps import KNEE_FACTOR, knee, report, submit_versus_page, summarise, users_for
from tests.bench.stacks import a_stack


def step(rate, p95, **more):
    return {"offered_per_second": rate, "p95_ms": p95, **more}


def test_the_knee_is_the_last_step_within_four_unloaded_medians():
    steps = [step(25, 40), step(50, 60), step(75, 79), step(100, 81), step(150, 900)]
    found = knee(20.0, steps)
    assert found["requests_per_second"] == 75
    assert found["p95_limit_ms"] == KNEE_FACTOR * 20.0


def test_a_step_past_the_limit_ends_the_count_even_if_a_later_one_is_within():
    assert knee(20.0, [step(25, 40), step(50, 200), step(75, 70)])["requests_per_second"] == 25


def test_no_knee_when_the_first_step_is_already_slow_or_nothing_was_measured():
    assert knee(20.0, [step(25, 100)])["requests_per_second"] is None
    assert knee(None, [step(25, 10)])["requests_per_second"] is None
    assert knee(20.0, [step(25, None)])["requests_per_second"] is None


def test_submit_is_set_beside_the_deal_page_at_each_step():
    rows = submit_versus_page(
        [
            step(25, 50, submit_p95_ms=90.0, deal_page_p95_ms=45.0),
            step(50, 60, submit_p95_ms=None, deal_page_p95_ms=40.0),
        ]
    )
    assert rows[0] == {
        "offered_per_second": 25,
        "submit_p95_ms": 90.0,
        "deal_page_p95_ms": 45.0,
        "ratio": 2.0,
    }
    assert rows[1]["ratio"] is None


HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
)


def stats_row(kind, name, count, failures, rate, p50, p95, p99):
    cells = [kind, name, count, failures, p50, p50, 1, p99, 100, rate, 0]
    cells += [p50, p50, p50, p50, p95, p95, p99, p99, p99, p99, p99]
    return ",".join(str(c) for c in cells) + "\n"


def test_locusts_statistics_are_read_back_with_the_share_of_writes(tmp_path):
    prefix = tmp_path / "step"
    (tmp_path / "step_stats.csv").write_text(
        HEADER
        + stats_row("GET", "/deals/<id>/", 70, 0, 7.0, 20, 40, 60)
        + stats_row("POST", "POST /api/v1/deals/<id>/submit/", 30, 1, 3.0, 50, 70, 90)
        + stats_row("", "Aggregated", 100, 1, 10.0, 25, 60, 85)
    )
    (tmp_path / "step_failures.csv").write_text(
        "Method,Name,Error,Occurrences\nPOST,POST /api/v1/deals/<id>/submit/,HTTP 500,1\n"
    )
    figures = summarise(prefix)
    assert figures["requests"] == 100
    assert figures["failures"] == 1
    assert figures["requests_per_second"] == 10.0
    assert (figures["p50_ms"], figures["p95_ms"], figures["p99_ms"]) == (25, 60, 85)
    assert figures["write_share"] == 0.3
    assert figures["submit_p95_ms"] == 70
    assert figures["deal_page_p95_ms"] == 40
    assert figures["failure_kinds"][0]["count"] == 1


def test_a_step_without_statistics_says_where_to_look(tmp_path):
    assert "locust wrote no statistics" in summarise(tmp_path / "missing")["error"]


def test_each_step_has_users_enough_to_offer_its_rate():
    assert users_for(200) == 400
    assert users_for(25) == 50
    assert users_for(0.1) == 2


def test_the_reviews_are_shared_between_steps_each_deal_once():
    pms = [{"pk": 1, "username": "pm001"}, {"pk": 2, "username": "pm002"}]
    rounds = [(100, 2), (101, None), (102, None), (103, 1), (104, 99), (105, None), (106, None)]
    parts = share_reviews(rounds, pms, [1, 3])
    handed = [deal for part in parts for deals in part.values() for deal in deals]
    # Claimed by one of ours stays theirs, claimed by someone else is left alone.
    assert sorted(handed) == [100, 101, 102, 103, 105, 106]
    assert all(100 not in part["pm001"] and 103 not in part["pm002"] for part in parts)
    assert sum(len(d) for d in parts[1].values()) > sum(len(d) for d in parts[0].values())


def test_a_user_offers_its_rate_in_requests_whatever_its_tasks_make():
    now = [0.0]
    wait = poisson_pacing(2.0, clock=lambda: now[0])
    person = SimpleNamespace(next_start=0.0, rng=random.Random(3), requests_made=0)
    requests = 0
    while now[0] < 5_000:
        made = random.Random(now[0]).choice([1, 1, 1, 6])  # pages, and a review of six
        person.requests_made = made
        requests += made
        now[0] += wait(person) + 0.001
    assert requests / now[0] == pytest.approx(2.0, rel=0.05)
    assert person.requests_made == 0


def test_the_receiver_answers_every_post_and_counts_it():
    with Receiver() as receiver:
        for _ in range(3):
            request = urllib.request.Request(receiver.url, data=b"{}", method="POST")  # noqa: S310
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                assert response.status == 204
        assert receiver.received == 3
        assert receiver.url.startswith("http://127.0.0.1:")


def test_the_steps_options():
    assert rate_list("25, 50,75") == [25.0, 50.0, 75.0]
    for bad in ("", "25,x", "0,10", "-5"):
        with pytest.raises(argparse.ArgumentTypeError):
            rate_list(bad)
    args = parse_args([])
    assert args.load_steps == [25, 50, 75, 100, 150, 200]
    assert (args.load_seconds, args.load_mix, args.baseline) == (60, "mixed", None)
    quick = parse_args(["--quick", "--load-seconds", "5", "--load-mix", "write-heavy"])
    assert (quick.load_steps, quick.load_seconds, quick.load_mix) == ([10, 20], 5, "write-heavy")
    assert parse_args(["--baseline", "839f340"]).baseline == "839f340"


def test_a_baseline_joins_the_figures_of_its_mix_and_a_plain_run_keeps_it():
    results = {"load": {"knee": {"requests_per_second": 75}}}
    store_load(results, parse_args(["--baseline", "abc"]), {"knee_ratio": 1.5})
    assert results["load"] == {"knee": {"requests_per_second": 75}, "baseline": {"knee_ratio": 1.5}}
    store_load(results, parse_args([]), {"knee": {"requests_per_second": 100}})
    assert results["load"]["knee"] == {"requests_per_second": 100}
    assert results["load"]["baseline"] == {"knee_ratio": 1.5}
    store_load(results, parse_args(["--load-mix", "write-heavy"]), {"mix": "write-heavy"})
    assert json.dumps(results["load_write_heavy"]) == '{"mix": "write-heavy"}'


def test_the_report_holds_the_knee_submit_at_the_knee_and_the_memory_targets(tmp_path):
    stack = a_stack(tmp_path, features={"imports", "webhooks"})
    figures = {
        "unloaded": {"p50_ms": 20.0, "endpoints": {}, "failure_kinds": []},
        "steps": [
            step(25, 50, submit_p95_ms=70.0, deal_page_p95_ms=40.0),
            step(50, 70, submit_p95_ms=90.0, deal_page_p95_ms=50.0),
            step(75, 300, submit_p95_ms=900.0, deal_page_p95_ms=200.0),
        ],
        "resident_mb": {"gunicorn_workers": [120.5, 131.0], "celery": [118.0]},
    }
    reported = report(figures, mix="mixed", seconds=60, stack=stack)
    assert reported["knee"]["requests_per_second"] == 50
    assert reported["submit_versus_deal_page_at_knee"]["ratio"] == 1.8
    assert reported["largest_worker_mb"] == 131.0
    assert reported["targets"] == {
        "submit_p95_at_most_2x_deal_page": True,
        "every_worker_at_most_200_mb": True,
    }
    assert reported["tasks_left_out"] == []
    assert reported["setup"]["database"] == "handoff_bench_x"
    figures["resident_mb"]["gunicorn_workers"].append(201.0)
    assert not report(figures, mix="mixed", seconds=60, stack=stack)["targets"][
        "every_worker_at_most_200_mb"
    ]


def test_after_a_step_the_server_is_waited_for_until_it_answers_at_once():
    slow = [2]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if slow[0]:
                slow[0] -= 1
                time.sleep(1.1)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        waited = settle(f"http://127.0.0.1:{server.server_address[1]}/healthz", seconds=20)
    finally:
        server.shutdown()
        server.server_close()
    assert 2 <= waited < 10
    assert slow == [0]

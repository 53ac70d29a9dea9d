"""The load test's users start tasks at independent random moments, at the rate asked for."""

import heapq
import itertools
import random
from types import SimpleNamespace

from bench.pacing import poisson_pacing


def simulate(users: int, rate: float, seconds: float, task_seconds: float) -> list[float]:
    """Start times of every task, for users that each take task_seconds per task."""
    now = [0.0]
    wait = poisson_pacing(rate, clock=lambda: now[0])
    people = [SimpleNamespace(next_start=0.0, rng=random.Random(f"user-{i}")) for i in range(users)]
    queue = [(wait(person), i) for i, person in enumerate(people)]
    heapq.heapify(queue)
    starts = []
    while queue:
        start, i = heapq.heappop(queue)
        if start > seconds:
            continue
        starts.append(start)
        now[0] = start + task_seconds
        heapq.heappush(queue, (now[0] + wait(people[i]), i))
    return starts


def test_the_users_together_start_the_rate_asked_for():
    starts = simulate(users=25, rate=1.8, seconds=600, task_seconds=0.05)
    assert 0.95 * 45 < len(starts) / 600 < 1.05 * 45


def test_tasks_arrive_spread_out_not_in_bursts():
    starts = sorted(simulate(users=25, rate=1.8, seconds=600, task_seconds=0.05))
    # The most tasks starting within any 10 ms: a shared beat would start all 25 at once.
    densest = max(
        sum(1 for t in starts[i : i + 25] if t - start < 0.01) for i, start in enumerate(starts)
    )
    assert densest <= 6
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert abs(sum(gaps) / len(gaps) - 1 / 45) < 0.1 / 45


def test_a_task_that_overruns_its_gap_does_not_lower_the_rate():
    # Tasks of 0.3 s against gaps of 0.56 s on average: many overrun, the schedule catches up.
    starts = simulate(users=25, rate=1.8, seconds=600, task_seconds=0.3)
    assert 0.95 * 45 < len(starts) / 600 < 1.05 * 45


def test_an_overrun_task_is_followed_at_once():
    person = SimpleNamespace(next_start=0.0, rng=random.Random(1))
    wait = poisson_pacing(1.0, clock=lambda: 100.0)
    assert wait(person) == 0.0

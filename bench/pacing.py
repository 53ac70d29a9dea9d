"""When each load-test user starts its next task: a Poisson process per user.

People act independently, so their tasks arrive at random moments, `rate` per second per user
on average, and 25 users make one Poisson stream of 25 times `rate` tasks per second. The
schedule runs on whatever a task took, so the rate holds; a user whose task overran the gap
starts the next one at once.

Locust's own constant_throughput counts every user's beat from the moment all were spawned, so
all 25 users sent at once every 1/rate s: a burst no team makes, which the server had to queue.
"""

import time
from collections.abc import Callable


def poisson_pacing(rate: float, clock: Callable[[], float] = time.monotonic):
    """A locust `wait_time` for users that carry `next_start` (a clock reading) and `rng`."""

    def wait_time(user) -> float:
        user.next_start += user.rng.expovariate(rate)
        return max(0.0, user.next_start - clock())

    return wait_time

"""When each load-test user starts its next task: a Poisson process per user, counted in requests.

People act independently, so their requests arrive at random moments, `rate` per second per
user on average, and N users make one Poisson stream of N times `rate` requests per second: the
offered rate of a step is set in requests, whatever the tasks are. A task that made k requests
takes k gaps of the stream (a user carries `requests_made`, reset here); a user without the
counter takes one gap a task. The schedule runs on whatever a task took, so the rate holds; a
user whose task overran its gaps starts the next one at once.

Locust's own constant_throughput counts every user's beat from the moment all were spawned, so
all 25 users sent at once every 1/rate s: a burst no team makes, which the server had to queue.
"""

import time
from collections.abc import Callable


def poisson_pacing(rate: float, clock: Callable[[], float] = time.monotonic):
    """A locust `wait_time` for users that carry `next_start` (a clock reading) and `rng`."""

    def wait_time(user) -> float:
        arrivals = getattr(user, "requests_made", None)
        if arrivals is None:
            arrivals = 1
        else:
            user.requests_made = 0
        for _ in range(arrivals):
            user.next_start += user.rng.expovariate(rate)
        return max(0.0, user.next_start - clock())

    return wait_time

"""Two (or more) things at once: each call in its own thread and database connection."""

import threading
from collections.abc import Callable

from django.db import connections


def race(*calls: Callable[[], object]) -> list[tuple[str, object]]:
    """Run the calls at once, each in its own thread and connection; (outcome, value) each."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, object]] = [("not run", None)] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as error:  # the losing side's refusal is what is checked
            results[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a side never finished: deadlock?"
    return results

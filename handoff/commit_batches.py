"""Ids written in one transaction, handed after its commit to one call per kind of row."""

from collections.abc import Callable, Iterable

from django.db import transaction

Send = Callable[[list[int]], object]


class CommitBatch:
    """The ids of one transaction for one `send`, sent by whichever of its hooks runs first.

    Each write registers a hook of its own, so a savepoint rolled back drops only its own
    hook, and every hook that survives holds every id: the first to run sends them all.
    """

    def __init__(self, send: Send) -> None:
        self.send = send
        self.ids: list[int] = []
        self.done = False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            self.send(self.ids)


def send_on_commit(send: Send, ids: Iterable[int]) -> CommitBatch:
    """Add `ids` to this transaction's batch for `send`, which gets them all once, on commit."""
    batch = _pending(send) or CommitBatch(send)
    batch.ids.extend(ids)
    transaction.on_commit(batch)
    return batch


def batches_among(hooks: Iterable[Callable], send: Send) -> list[CommitBatch]:
    """The hooks that are batches for `send` (a registration each, so the same batch repeats)."""
    return [hook for hook in hooks if isinstance(hook, CommitBatch) and hook.send == send]


def _pending(send: Send) -> CommitBatch | None:
    hooks = (hook for _savepoints, hook, _robust in transaction.get_connection().run_on_commit)
    return next((batch for batch in batches_among(hooks, send) if not batch.done), None)

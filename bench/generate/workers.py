"""Deals made in forked processes while the parent's one connection copies them in."""

import multiprocessing
import queue
import random
import traceback

from bench.generate.history import People
from bench.generate.tables import copy_in
from bench.generate.vocabulary import (
    CHUNK,
)


class Workers:
    """Where the generator that mixes this in makes its deals: here, or in worker processes."""

    def _deals_here(self, cursor, first: int, count: int, people: People, clients: list[int]):
        for n in range(first, first + count):
            self.deal(n, people, clients)
            if (n - first + 1) % CHUNK == 0:
                self.flush(cursor)
        self.flush(cursor)

    def _deals_in_workers(
        self, cursor, first: int, count: int, people: People, clients: list[int], workers: int
    ) -> None:
        """Deals made by `workers` processes, each with its own seed, its slice of the deal
        numbers and blocks of ids taken from shared counters; this process only copies what
        they send, in the one transaction. The last block of each worker leaves a gap in the
        ids of the rows below a deal."""
        context = multiprocessing.get_context("fork")
        labels = [label for label in self.tables if label != "authtoken.Token"]
        counters = context.RawArray("q", [self.next_id[label] for label in labels])
        lock = context.Lock()
        self._id_blocks = (counters, lock, {label: i for i, label in enumerate(labels)})
        made = context.Queue(maxsize=4 * len(self.tables))
        share = -(-count // workers)
        deal_start = self.next_id["deals.Deal"]
        processes = []
        for w in range(workers):
            offset = w * share
            size = min(share, count - offset)
            if size <= 0:
                break
            process = context.Process(
                target=self._worker,
                args=(w, first + offset, size, deal_start + offset, people, clients, made),
                daemon=True,
            )
            process.start()
            processes.append(process)
        running = len(processes)
        try:
            while running:
                try:
                    message = made.get(timeout=5)
                except queue.Empty:
                    dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                    if dead:
                        raise RuntimeError(f"a generator process ended with {dead[0]}") from None
                    continue
                kind, body = message
                if kind == "rows":
                    copy_in(cursor, *body)
                elif kind == "done":
                    running -= 1
                    for label, written in body.items():
                        self.tables[label].written += written
                else:
                    raise RuntimeError(f"a generator process failed:\n{body}")
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()
        for label in labels:
            self.next_id[label] = max(self.next_id[label], counters[labels.index(label)])
        self.next_id["deals.Deal"] = deal_start + count
        self._id_blocks = None

    def _worker(self, w, first, count, deal_start, people, clients, made) -> None:
        """In a forked process: make a slice of the deals and send their rows, formatted."""
        try:
            self.rng = random.Random(self.seed * 1000 + w + 1)  # noqa: S311 - reproducible data
            for label in self.id_limit:
                self.id_limit[label] = 0
            self.next_id["deals.Deal"] = deal_start
            self.id_limit["deals.Deal"] = deal_start + count
            for table in self.tables.values():
                table.written = 0
            for n in range(first, first + count):
                self.deal(n, people, clients)
                if (n - first + 1) % CHUNK == 0:
                    for payload in self.rendered():
                        made.put(("rows", payload))
            for payload in self.rendered():
                made.put(("rows", payload))
            made.put(("done", {label: t.written for label, t in self.tables.items()}))
        except BaseException:
            made.put(("error", traceback.format_exc()))
            raise
        finally:
            made.close()
            made.join_thread()

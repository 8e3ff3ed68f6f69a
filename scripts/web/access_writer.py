"""The access log's group commit: every request's line is stored with the other lines
waiting at that moment, in one transaction, by one thread.

Each request that reads another person's pay or client data, and each refusal, adds a
line to the access log (docs/rules.md R11.3), and its answer is given only once the
line is stored: nothing is shown that is not on record. One transaction per line
made every such request queue for the event store's single writer (and, while an
ingest held SQLite's write lock, fill the store's connection pool with waiting
writers until other requests timed out). Here the requests hand their lines to one
writer thread and wait; the thread stores everything handed in since its last
transaction in the next one. A batch the store refuses is stored line by line, so
that one bad line fails only its own request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from domain.access_log import AccessEntry

log = logging.getLogger("rmledger.web")

Store = Callable[[Sequence[AccessEntry]], object]
"""``store(lines)``: append the lines in one transaction (``Ledger.record_accesses``)."""


class AccessLogWriter:
    """Stores access-log lines in batches; ``record`` returns once its line is stored."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._waiting: list[tuple[AccessEntry, Future[None]]] = []
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="rmledger-access-log", daemon=True)
        self._thread.start()
        self.batches = 0

    def record(self, entry: AccessEntry) -> None:
        """Store ``entry``; raises what the store raised for it."""
        done: Future[None] = Future()
        with self._wake:
            if self._stopping:
                raise RuntimeError("the access log's writer has stopped")
            self._waiting.append((entry, done))
            self._wake.notify()
        done.result()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._waiting and not self._stopping:
                    self._wake.wait()
                batch, self._waiting = self._waiting, []
                if not batch and self._stopping:
                    return
            self._write(batch)

    def _write(self, batch: list[tuple[AccessEntry, Future[None]]]) -> None:
        try:
            self._store([entry for entry, _ in batch])
        except Exception as error:
            if len(batch) == 1:
                batch[0][1].set_exception(error)
                return
            log.warning(
                "a batch of %d access-log lines was refused (%s); one by one", len(batch), error
            )
            for one in batch:
                self._write([one])
            return
        self.batches += 1
        for _, done in batch:
            done.set_result(None)

    def stop(self) -> None:
        """Store what was handed in, then stop (later ``record`` calls are refused)."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout=60)

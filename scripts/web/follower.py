"""The server's follower: one thread that keeps the read model caught up with the log.

Every ``interval`` seconds it compares the log's head with the position it last
loaded and, when the log is ahead, calls ``load`` (the server's
``LiveReadModel.catch_up``), which commits page by page while requests go on reading
their snapshots: neither waits for the other. ``on_move(position)`` is told each
position it publishes: the position from which the server's kept answers
(scripts/web/answers.py) are computed again.

While the log grows (an ingest, a consumer catching up) the follower goes on loading
every ``interval``, but publishes at most every ``publish_every`` seconds: each
publication makes the server compute every answer it keeps again, and publishing
every half second during an ingest made it spend its time on answers that the next
load made old again. Once a look finds nothing new (the ingest has ended), or a
write of the server's own asks for it, what was loaded is published at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("rmledger.web")

PUBLISH_EVERY_S = 2.0
"""While the log grows, the longest time between two publications."""


class Follower:
    """Calls ``load`` whenever ``ledger``'s log is ahead, until ``stop()``."""

    def __init__(
        self,
        load: Callable[[], int],
        ledger: Any,
        interval: float,
        publish_every: float = PUBLISH_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.load = load
        self.on_move: Callable[[int], None] = lambda position: None
        self.publish_every = publish_every
        self.clock = clock
        self.published = 0
        self._published_at = float("-inf")
        self.ledger = ledger
        self.interval = interval
        self.position = 0
        self.head = 0
        self.failures = 0
        self._stop = threading.Event()
        # A write's request catches up too (so that its answer shows it): one at a time.
        self._catching_up = threading.Lock()
        self._thread: threading.Thread | None = None

    def catch_up(self, publish: bool = False) -> int:
        """One look at the log, a catch-up when it is ahead, and a publication when
        due (``publish``: now, for a write's answer); the position reached."""
        with self._catching_up:
            self.head = self.ledger.recorder.max_notification_id() or 0
            grew = self.head > self.position or self.position == 0
            if grew:
                self.position = self.load()
            due = self.clock() - self._published_at >= self.publish_every
            if self.position > self.published and (publish or not grew or due):
                self.published = self.position
                self._published_at = self.clock()
                self.on_move(self.position)
            return self.position

    def start(self) -> None:
        """Catch up once now (the first requests see the log as it is), then follow."""
        self.catch_up()
        self._thread = threading.Thread(target=self._run, name="rmledger-follower", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.catch_up()
            except Exception:  # a store or disk hiccup: say so, and look again next time
                self.failures += 1
                log.exception("the read model could not be caught up; trying again")

    def stop(self) -> None:
        """Stop following (waits for a catch-up under way to finish)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=600)

    @property
    def lag(self) -> int:
        """Events in the log that the read model has not loaded yet, at the last look."""
        return max(self.head - self.position, 0)

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
load made old again. Once a look finds nothing new but access-log lines (the ingest
has ended), or a write of the server's own asks for it, what was loaded is published
at once.

Events of ``lazy_topics`` (the access log's lines, which the server's own requests
write all the time) are loaded at most every ``lazy_every`` seconds when nothing else
has arrived: a load costs tens of milliseconds whatever its size, and only the access
log's own page shows them (it asks for a load first, ``catch_up(publish=True)``).
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
LAZY_EVERY_S = 2.0
"""While only events of the lazy topics arrive, the longest time between two loads."""
_LOOK_AHEAD = 1000  # events looked at to tell whether anything but lazy topics arrived


class Follower:
    """Calls ``load`` whenever ``ledger``'s log is ahead, until ``stop()``."""

    def __init__(
        self,
        load: Callable[[], int],
        ledger: Any,
        interval: float,
        publish_every: float = PUBLISH_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        lazy_topics: frozenset[str] = frozenset(),
        lazy_every: float = LAZY_EVERY_S,
    ) -> None:
        self.lazy_topics = lazy_topics
        self.lazy_every = lazy_every
        self._loaded_at = float("-inf")
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
            ahead = self._look()
            lazy_only = ahead and self._only_lazy_events()
            lazy_due = self.clock() - self._loaded_at >= self.lazy_every
            if ahead and (publish or not lazy_only or lazy_due):
                self.position = self.load()
                self._loaded_at = self.clock()
            # Settled: nothing but access-log lines came in since the last load. (Looking
            # again after a load would publish at every pause between an ingest's
            # batches, and compute every kept answer again each time.)
            settled = not ahead or lazy_only
            due = self.clock() - self._published_at >= self.publish_every
            if self.position > self.published and (publish or settled or due):
                self.published = self.position
                self._published_at = self.clock()
                self.on_move(self.position)
            return self.position

    def _look(self) -> bool:
        """Read the log's head; whether it is ahead of the position."""
        self.head = self.ledger.recorder.max_notification_id() or 0
        return self.head > self.position or self.position == 0

    def _only_lazy_events(self) -> bool:
        """Whether the events after the position (the first ``_LOOK_AHEAD``) are all of
        the lazy topics."""
        if not self.lazy_topics or self.position == 0:
            return False
        new = self.ledger.recorder.select_notifications(
            self.position + 1, _LOOK_AHEAD, stop=self.head
        )
        return all(n.topic in self.lazy_topics for n in new)

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

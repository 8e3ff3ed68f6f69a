"""The server's follower: one thread that keeps the read model caught up with the log.

Every ``interval`` seconds it compares the log's head with the position it last
loaded and, when the log is ahead, calls ``load`` (the server's
``LiveReadModel.catch_up``), which commits page by page while requests go on reading
their snapshots: neither waits for the other. ``on_move(position)`` is told each
position reached (the kept answers' clock, scripts/web/answers.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("rmledger.web")


class Follower:
    """Calls ``load`` whenever ``ledger``'s log is ahead, until ``stop()``."""

    def __init__(self, load: Callable[[], int], ledger: Any, interval: float) -> None:
        self.load = load
        self.on_move: Callable[[int], None] = lambda position: None
        self.ledger = ledger
        self.interval = interval
        self.position = 0
        self.head = 0
        self.failures = 0
        self._stop = threading.Event()
        # A write's request catches up too (so that its answer shows it): one at a time.
        self._catching_up = threading.Lock()
        self._thread: threading.Thread | None = None

    def catch_up(self) -> int:
        """One look at the log, and a catch-up when it is ahead; the position reached."""
        with self._catching_up:
            self.head = self.ledger.recorder.max_notification_id() or 0
            if self.head > self.position or self.position == 0:
                self.position = self.load()
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

"""Failed sign-ins slow the next ones down: per username and per client address, the
n-th failure in a row makes the next attempt wait ``first × 2^(n−1)`` seconds, at most
``most``. A success clears the username's count; a quiet ``forget_after`` clears both.
Held in memory: each server process keeps its own (docs/operations.md)."""

from __future__ import annotations

import threading
import time

FORGET_AFTER = 900.0
MOST_KEPT = 100_000


class LoginThrottle:
    """The failure counts and the delays they impose."""

    def __init__(self, first: float, most: float, forget_after: float = FORGET_AFTER) -> None:
        self.first = first
        self.most = most
        self.forget_after = forget_after
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def delay(self, *keys: str) -> float:
        """Seconds the next attempt for ``keys`` (``user:NAME``, ``ip:ADDRESS``) waits."""
        now = time.monotonic()
        with self._lock:
            counts = [self._count(key, now) for key in keys]
        worst = max(counts, default=0)
        return 0.0 if worst == 0 else min(self.first * 2 ** (worst - 1), self.most)

    def failed(self, *keys: str) -> None:
        """One more failure for each of ``keys``."""
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= MOST_KEPT:
                self._forget_old(now)
            for key in keys:
                self._failures[key] = (self._count(key, now) + 1, now)

    def succeeded(self, key: str) -> None:
        """A successful sign-in clears ``key``'s failures."""
        with self._lock:
            self._failures.pop(key, None)

    def _count(self, key: str, now: float) -> int:
        count, last = self._failures.get(key, (0, now))
        return 0 if now - last > self.forget_after else count

    def _forget_old(self, now: float) -> None:
        for key, (_, last) in list(self._failures.items()):
            if now - last > self.forget_after:
                del self._failures[key]
        while len(self._failures) >= MOST_KEPT:  # a flood of fresh names: drop the oldest
            del self._failures[next(iter(self._failures))]

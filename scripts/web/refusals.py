"""Requests without an identity: recorded in the access log, but boundedly.

Anyone who can reach the server can send requests without an acceptable identity, and
each refusal is worth an audit line; one line per refusal, though, would let them grow
the ledger's log without limit. So the refusals are recorded per (client address,
reason code) pair: the pair's first refusal is a line; after it, at most one line per
``UNAUTHENTICATED_LOG_INTERVAL``, and that line's reason ends with the number of the
pair's refusals that were not recorded since the pair's last line, e.g.
``missing: sign in: ... (and 37 more from 10.1.2.3 since 2026-12-07 12:00:01 UTC)``.

The counts are held in memory, in each server process (like the failed sign-ins,
``scripts/web/throttle.py``): several processes each record their own first refusal
and count their own. At most ``MOST_KEPT`` pairs are kept; past that, pairs with
nothing left to count and whose interval is over are forgotten first, then those of
the oldest lines (their uncounted refusals with them). docs/web.md, the access log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs

UNAUTHENTICATED_LOG_INTERVAL = timedelta(minutes=1)
"""After a line of the access log for a refusal without identity, the next refusal of
the same client address and reason code is recorded only once this much time has passed
(the ones in between are counted, and the count is said in that next line)."""
MOST_KEPT = 100_000
"""The most (client address, reason code) pairs kept in memory."""
ADDRESS_CHARS = 64
"""A client address is cut to this many characters (an IPv6 address has at most 45)."""


def utc_now() -> datetime:
    """The time now, in UTC (the default clock)."""
    return datetime.now(UTC)


@attrs.frozen
class Line:
    """A refusal to record: ``at`` its time, ``more`` what its reason ends with: ``""``,
    or `` (and N more from ADDRESS since YYYY-MM-DD HH:MM:SS UTC)``."""

    at: datetime
    more: str


@attrs.define
class _Pair:
    recorded_at: datetime  # the pair's last line
    unrecorded: int = 0  # refusals of the pair since that line, not recorded


class UnauthenticatedLog:
    """Which refusals without identity are written to the access log (see the module)."""

    def __init__(
        self,
        interval: timedelta = UNAUTHENTICATED_LOG_INTERVAL,
        clock: Callable[[], datetime] = utc_now,
        most_kept: int = MOST_KEPT,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.most_kept = most_kept
        self._pairs: dict[tuple[str, str], _Pair] = {}
        self._lock = threading.Lock()

    def refused(self, address: str, code: str) -> Line | None:
        """A refusal from ``address`` for the reason ``code``: the line to record, or
        None when it is only counted (the pair had a line less than an interval ago)."""
        address = address[:ADDRESS_CHARS]
        key = (address, code)
        now = self.clock().astimezone(UTC)
        with self._lock:
            pair = self._pairs.get(key)
            if pair is not None and timedelta(0) <= now - pair.recorded_at < self.interval:
                pair.unrecorded += 1
                return None
            more = ""
            if pair is not None and pair.unrecorded:
                since = pair.recorded_at.strftime("%Y-%m-%d %H:%M:%S UTC")
                more = f" (and {pair.unrecorded} more from {address} since {since})"
            self._pairs.pop(key, None)  # put back last: the dict is kept oldest line first
            if len(self._pairs) >= self.most_kept:
                self._forget(now)
            self._pairs[key] = _Pair(now)
            return Line(now, more)

    def __len__(self) -> int:
        """The pairs kept now."""
        with self._lock:
            return len(self._pairs)

    def _forget(self, now: datetime) -> None:
        """Room for a tenth more pairs (so that a flood of new addresses sweeps once per
        tenth, not at every request): first the pairs whose next refusal would be
        recorded anyway with nothing to add, then the pairs of the oldest lines."""
        for key, pair in list(self._pairs.items()):
            if pair.unrecorded == 0 and now - pair.recorded_at >= self.interval:
                del self._pairs[key]
        keep = self.most_kept - max(1, self.most_kept // 10)
        while len(self._pairs) > keep:
            del self._pairs[next(iter(self._pairs))]

"""The server's answers, kept per read-model position so that a read is computed
once per position, not once per request.

Every read of the server is a function of its parameters and of the read model at
one log position (a ``Snapshot``). ``Answers.get(key, position, compute)`` therefore
keeps ``compute()``'s result under ``key`` with the position it was computed at, and
hands it to later requests whose snapshot is at that position or before it. A key is
computed by one request at a time (the others with the same key wait for it, then
take its answer).

When the follower has loaded newer events, a kept answer is behind the read model.
The first request to find it so computes it again; while it does, the other requests
for that key are given the kept answer, but only within ``STALE_LIMIT_S`` of the
moment the follower first loaded past it. After that they wait for the new answer.
So no answer is older than the read model by more than the limit, and a burst of
events costs each kept answer one computation, not one per request.

Only the data is kept. Who may see it (the access policy) and the access log are
decided for every request by ``scripts/web/reads.py``; keys that depend on the
caller (the set of statements a branch head may see) name the caller's scope.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

STALE_LIMIT_S = 4.0
"""How long after the follower loaded past an answer it may still be handed out."""
COMPUTING_AT_ONCE = 2
"""How many answers are computed at once; the other requests that must compute wait.
After the follower loads, every kept answer is computed again; dozens of requests
computing side by side took the interpreter from the follower (whose next load then
came seconds later) and from the requests that had an answer to hand out."""
KEPT_ANSWERS = 512
"""How many answers are kept (the least recently asked go first)."""
_MOVES_KEPT = 256


@dataclass
class _Entry:
    position: int
    value: Any
    rendered: bytes | None = None  # the value as JSON, made once when first asked


class Answers:
    """Answers kept per position, with the follower's moves (``moved(position)``)."""

    def __init__(
        self,
        stale_limit: float = STALE_LIMIT_S,
        size: int = KEPT_ANSWERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stale_limit = stale_limit
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._flights: dict[Hashable, threading.Event] = {}  # set when computed
        self._by_value: dict[int, _Entry] = {}  # id(entry.value) -> entry, for rendered()
        self._moves: list[tuple[int, float]] = []  # (position loaded, when), oldest first
        self._forgotten = 0  # the position of the newest move no longer in _moves
        self._lock = threading.Lock()
        self._computing = threading.Semaphore(COMPUTING_AT_ONCE)
        self.hits = self.misses = self.stale = 0

    def moved(self, position: int) -> None:
        """The follower has loaded the log up to ``position`` (called after each load)."""
        with self._lock:
            if not self._moves or position > self._moves[-1][0]:
                self._moves.append((position, self.clock()))
                if len(self._moves) > _MOVES_KEPT:
                    self._forgotten = self._moves[-_MOVES_KEPT - 1][0]
                    del self._moves[:-_MOVES_KEPT]

    def _behind_for(self, position: int) -> float:
        """Seconds since the follower first loaded past ``position`` (0 if it has not;
        infinite if it did so in a move no longer kept, before the oldest kept one)."""
        if position < self._forgotten:
            return float("inf")
        for loaded, when in self._moves:
            if loaded > position:
                return self.clock() - when
        return 0.0

    def get(
        self,
        key: Hashable,
        position: int,
        compute: Callable[[], T],
        cheap: bool | Callable[[], bool] = False,
    ) -> T:
        """``compute()`` at a snapshot of ``position``, or an answer kept for ``key``
        (see the module's text for which). ``cheap`` (or, asked only when this call
        computes, ``cheap()``): a computation of milliseconds (the access policy's
        facts, a closed month's issued statements), which does not queue behind the
        others."""
        while True:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry.position >= position:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return entry.value  # type: ignore[no-any-return]
                flight = self._flights.get(key)
                if flight is None:
                    flight = self._flights[key] = threading.Event()
                    self.misses += 1
                    break
                if entry is not None and self._behind_for(entry.position) < self.stale_limit:
                    self.stale += 1
                    return entry.value  # type: ignore[no-any-return]
            flight.wait()
        try:
            if cheap() if callable(cheap) else cheap:
                value = compute()
            else:
                with self._computing:
                    value = compute()
            with self._lock:
                kept = self._entries.get(key)
                if kept is None or kept.position < position:
                    if kept is not None:
                        self._by_value.pop(id(kept.value), None)
                    self._entries[key] = self._by_value[id(value)] = _Entry(position, value)
                    self._entries.move_to_end(key)
                    while len(self._entries) > self.size:
                        _, dropped = self._entries.popitem(last=False)
                        self._by_value.pop(id(dropped.value), None)
            return value
        finally:
            with self._lock:
                del self._flights[key]
            flight.set()

    def rendered(self, value: Any) -> bytes:
        """``value`` as JSON bytes; made once for a kept answer (a history is hundreds
        of kilobytes), every time for any other value."""
        with self._lock:
            entry = self._by_value.get(id(value))
            if entry is not None and entry.value is not value:
                entry = None  # not kept (an id is unique only among live objects)
            if entry is not None and entry.rendered is not None:
                return entry.rendered
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if entry is not None:
            entry.rendered = text
        return text

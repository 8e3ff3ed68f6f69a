"""Python's cyclic garbage collector, paused while the loader follows the log.

Reading a page of notifications from SQLite makes a row tuple for each, and they
live until the page is turned into Arrow columns. Every 700 new objects the collector
runs, and the older generations it promotes them into are traversed again and again,
holding the GIL that the loading thread needs between its DuckDB calls (why:
docs/decisions.md#collector-paused). Nothing the loader keeps forms reference cycles,
so reference counting frees every page as before; the collector is switched back on
(and catches any cycle made meanwhile) when the last pause ends, even on an error.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Switch the cyclic garbage collector off for the block; back on when the
    outermost pause (of any thread) ends, unless it was off before the first."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()

"""What the other projections add to the read model, registered here so that the read
model imports none of them.

- installers run when a read-model file is created: the auditors' views and the tier
  macros are stored in the file, so that ``rmledger sql`` finds them read-only;
- the close action runs when the loader meets a month's close (``period.closed``): pay
  issues that month's statements there. It receives what it returned at the previous
  close (state the loader keeps for it and drops on a rebuild) and returns the new one.

``projections/__init__.py`` registers them; importing any projections module runs it
first, so a read model never follows the log without them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

Installer = Callable[[duckdb.DuckDBPyConnection], None]
CloseAction = Callable[[duckdb.DuckDBPyConnection, str, int, Any], Any]

_installers: list[Installer] = []
_close_actions: list[CloseAction] = []


def installer(fn: Installer) -> Installer:
    """Register ``fn(conn)`` to run, in registration order, when a file is created."""
    if fn not in _installers:
        _installers.append(fn)
    return fn


def at_close(fn: CloseAction) -> CloseAction:
    """Register ``fn(conn, period, position, kept) -> kept`` as the close action.

    There is one: two would each need their own kept state, and nothing needs that.
    """
    if _close_actions and _close_actions[0] is not fn:
        raise RuntimeError("a close action is already registered")
    if not _close_actions:
        _close_actions.append(fn)
    return fn


def install_all(conn: duckdb.DuckDBPyConnection) -> None:
    """Run every registered installer on a newly created read model."""
    for fn in _installers:
        fn(conn)


def run_close(conn: duckdb.DuckDBPyConnection, period: str, position: int, kept: Any) -> Any:
    """Run the close action for ``period`` closed at ``position``; return its new state."""
    if not _close_actions:
        # A read model that met a close without pay would store no statements and
        # say nothing: refuse instead.
        raise RuntimeError("no close action registered: import projections first")
    return _close_actions[0](conn, period, position, kept)

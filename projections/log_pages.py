"""Pages of the event store's notification log, as columns.

The read model needs five values of each notification (id, originator id as text,
originator version, topic, stored state bytes) and turns a page of them into Arrow
columns. eventsourcing's ``select_notifications`` builds a ``Notification`` object
per row and parses each originator id into a ``UUID`` that the loader then turns
back into text: on a 1.5M-event rebuild that was a third of the reading thread's
time. For the SQLite recorder the page is therefore read with the recorder's own
SELECT straight into columns; any other recorder (PostgreSQL) goes through
``select_notifications``. Both give the same values, which the tests check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder


@dataclass(frozen=True)
class LogPage:
    """Consecutive notifications of the log, column by column, in log order."""

    positions: list[int]
    originator_ids: list[str]
    versions: list[int]
    topics: list[str]
    states: list[bytes]

    def __len__(self) -> int:
        return len(self.positions)

    @classmethod
    def from_notifications(cls, notifications: Sequence[Any]) -> LogPage:
        """A page of eventsourcing ``Notification`` objects (or alike), as columns."""
        return cls(
            [n.id for n in notifications],
            [str(n.originator_id) for n in notifications],
            [n.originator_version for n in notifications],
            [n.topic for n in notifications],
            [n.state for n in notifications],
        )


def read_log_page(recorder: Any, after: int, limit: int, stop: int | None = None) -> LogPage:
    """Up to ``limit`` notifications with ids above ``after`` (and at most ``stop``)."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _read_sqlite(recorder, after, limit, stop)
    return LogPage.from_notifications(
        recorder.select_notifications(start=after, limit=limit, stop=stop, inclusive_of_start=False))


def _read_sqlite(recorder: SQLiteApplicationRecorder, after: int, limit: int, stop: int | None) -> LogPage:
    # The same table, order and bounds as SQLiteApplicationRecorder.select_notifications.
    statement = (f"SELECT rowid, originator_id, originator_version, topic, state "
                 f"FROM {recorder.events_table_name} WHERE rowid > ?")
    params: list[int] = [after]
    if stop is not None:
        statement += " AND rowid <= ?"
        params.append(stop)
    statement += " ORDER BY rowid LIMIT ?"
    params.append(limit)
    with recorder.datastore.transaction(commit=False) as cursor:
        raw = cursor.sqlite_cursor  # type: ignore[attr-defined]
        raw.row_factory = None  # plain tuples, not sqlite3.Row
        raw.execute(statement, params)
        rows = raw.fetchall()
    if not rows:
        return LogPage([], [], [], [], [])
    positions, stored_ids, versions, topics, states = (list(column) for column in zip(*rows, strict=True))
    if recorder.datastore.originator_id_type == "uuid":
        originator_ids = [_uuid_text(stored) for stored in stored_ids]
    else:
        originator_ids = stored_ids
    return LogPage(positions, originator_ids, versions, topics, states)


def _uuid_text(stored: str) -> str:
    """``str(UUID(stored))`` without building a UUID: SQLite keeps UUIDs as 32 hex
    digits, and the read model and the hash chain use the dashed form."""
    if len(stored) == 32:
        return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}".lower()
    return str(UUID(stored))

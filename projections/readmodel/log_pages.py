"""Pages of the event store's notification log, as Arrow columns.

The read model needs five values of each notification (id, originator id as text,
originator version, topic, stored state bytes) and hands them to DuckDB as Arrow.
eventsourcing's ``select_notifications`` builds a ``Notification`` object per row and
parses each originator id into a ``UUID`` that the loader then turns back into text:
on a 1.5M-event rebuild that was a third of the reading thread's time. For the
SQLite recorder the page is therefore read with the recorder's own SELECT straight
into columns, and the dashed form of each UUID is made by Arrow for the whole page at
once; any other recorder (PostgreSQL) goes through ``select_notifications``. Both
give the same pages, which the tests check.

When the stored state is plain JSON (no cipher, no compressor), SQLite is asked for
it as text: Python then builds one ``str`` per row instead of ``bytes`` that the
loader would decode into a second object, and Arrow keeps the same UTF-8 bytes either
way (``states`` gives them back as the stored bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pyarrow as pa
import pyarrow.compute as pc
from eventsourcing.sqlite import SQLiteApplicationRecorder

SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("originator_id", pa.string()),
        ("originator_version", pa.int32()),
        ("topic", pa.string()),
        ("state", pa.binary()),
    ]
)


@dataclass(frozen=True, eq=False)
class LogPage:
    """Consecutive notifications of the log in log order: an Arrow table of
    ``SCHEMA`` (``state`` holds the stored bytes, compressed and encrypted when the
    store is)."""

    table: pa.Table

    def __len__(self) -> int:
        return self.table.num_rows

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LogPage) and self.table.equals(other.table)

    @property
    def positions(self) -> list[int]:
        return self.table.column("position").to_pylist()

    @property
    def originator_ids(self) -> list[str]:
        return self.table.column("originator_id").to_pylist()

    @property
    def versions(self) -> list[int]:
        return self.table.column("originator_version").to_pylist()

    @property
    def topics(self) -> list[str]:
        return self.table.column("topic").to_pylist()

    @property
    def states(self) -> list[bytes]:
        return self.table.column("state").to_pylist()

    def last_position(self) -> int:
        return int(self.table.column("position")[-1].as_py())

    def after(self, position: int) -> LogPage:
        """The notifications of this page with ids above ``position``."""
        ids = self.table.column("position")
        skipped = int(pc.sum(pc.less_equal(ids, position)).as_py() or 0)
        return LogPage(self.table.slice(skipped))

    @classmethod
    def from_notifications(cls, notifications: Sequence[Any]) -> LogPage:
        """A page of eventsourcing ``Notification`` objects (or alike)."""
        return cls(
            pa.table(
                [
                    pa.array([n.id for n in notifications], pa.int64()),
                    pa.array([str(n.originator_id) for n in notifications], pa.string()),
                    pa.array([n.originator_version for n in notifications], pa.int32()),
                    pa.array([n.topic for n in notifications], pa.string()),
                    pa.array([n.state for n in notifications], pa.binary()),
                ],
                schema=SCHEMA,
            )
        )


def read_log_page(
    recorder: Any, after: int, limit: int, stop: int | None = None, states_are_text: bool = False
) -> LogPage:
    """Up to ``limit`` notifications with ids above ``after`` (and at most ``stop``).
    ``states_are_text``: the store keeps plain UTF-8 JSON (no cipher or compressor),
    so that SQLite may hand the state over as text."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _read_sqlite(recorder, after, limit, stop, states_are_text)
    return LogPage.from_notifications(
        recorder.select_notifications(start=after, limit=limit, stop=stop, inclusive_of_start=False)
    )


def _read_sqlite(
    recorder: SQLiteApplicationRecorder,
    after: int,
    limit: int,
    stop: int | None,
    states_are_text: bool,
) -> LogPage:
    # The same table, order and bounds as SQLiteApplicationRecorder.select_notifications.
    state = "CAST(state AS TEXT)" if states_are_text else "state"
    statement = (
        f"SELECT rowid, originator_id, originator_version, topic, {state} "
        f"FROM {recorder.events_table_name} WHERE rowid > ?"
    )
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
        return LogPage(SCHEMA.empty_table())
    positions, stored_ids, versions, topics, states = zip(*rows, strict=True)
    ids = pa.array(stored_ids, pa.string())
    if recorder.datastore.originator_id_type == "uuid":
        ids = uuid_text(ids)
    state_array = (
        pa.array(states, pa.string()).cast(pa.binary())
        if states_are_text
        else pa.array(states, pa.binary())
    )
    return LogPage(
        pa.table(
            [
                pa.array(positions, pa.int64()),
                ids,
                pa.array(versions, pa.int32()),
                pa.array(topics, pa.string()),
                state_array,
            ],
            schema=SCHEMA,
        )
    )


_UUID_PARTS = ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))


def uuid_text(stored: pa.Array) -> pa.Array:
    """``str(UUID(s))`` of each stored id, for a whole column: SQLite keeps UUIDs as
    32 hex digits, and the read model and the hash chain use the dashed form."""
    if pc.all(pc.equal(pc.utf8_length(stored), 32)).as_py():
        parts = [pc.utf8_slice_codeunits(stored, start, stop) for start, stop in _UUID_PARTS]
        return pc.utf8_lower(pc.binary_join_element_wise(*parts, "-"))
    return pa.array([str(UUID(s)) for s in stored.to_pylist()], pa.string())

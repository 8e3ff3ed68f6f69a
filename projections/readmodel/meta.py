"""What a read-model file is: its format stamp, and the checks made before reading it.

A read model is only worth reading when it was made by this version of the loader
from this event store. ``inspect`` opens the file read-only and says, without
changing it, which of these it is:

- ``ok``: a read model of this format whose first and last loaded events are, at the
  same positions, the store's own (same originator id and topic);
- ``missing``: no file yet;
- ``wal``: a write-ahead log beside it (a writer was killed before it checkpointed):
  it needs a read-write open, which replays the log, before readers use it;
- ``damaged``: DuckDB cannot open it (not a DuckDB file, truncated, corrupt, written
  by another DuckDB storage version);
- ``foreign``: a DuckDB file without the read model's tables or format stamp, of
  another format (an older or newer rmledger), or of another event store (its
  events are not the store's, or it is ahead of the store's last position).

The format stamp is a digest of the table definitions and the loading SQL, written
into the table ``read_model_meta`` when the file is created: any change to how the
read model is made changes it, and a file made the old way is rebuilt instead of
being read as if it were new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

META_TABLE = "read_model_meta"
# Raised by hand when the read model changes in a way the digest below cannot see
# (a pay rule that changes the statements issued at a close, say).
FORMAT_VERSION = "1"

_META_DDL = f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)"


@cache
def format_stamp() -> str:
    """This code's read-model format: the version above and a digest of every table
    definition and loading statement."""
    from projections.readmodel import loader, schema

    digest = hashlib.sha256(FORMAT_VERSION.encode())
    for name, columns in schema.TABLES.items():
        digest.update(f"{name}({columns})\n".encode())
    for topic, sql in loader.TYPED:
        digest.update(f"{topic}:{sql}\n".encode())
    for sql in (loader._EVENTS_SQL, loader._KEY_SQL):
        digest.update(sql.encode())
    return f"{FORMAT_VERSION}-{digest.hexdigest()[:16]}"


def stamp(conn: duckdb.DuckDBPyConnection) -> None:
    """Record this code's format in a new file. A file that already has a stamp keeps
    it: opening an old file read-write must not make it look new."""
    conn.execute(_META_DDL)
    conn.execute(
        f"INSERT INTO {META_TABLE} SELECT 'format', ? "
        f"WHERE NOT EXISTS (SELECT 1 FROM {META_TABLE} WHERE key = 'format')",
        [format_stamp()],
    )


@dataclass(frozen=True)
class Found:
    """What ``inspect`` found: ``state`` (see the module docstring), why, in words,
    and the position the read model reached (when it is readable)."""

    state: str
    reason: str = ""
    position: int = 0

    @property
    def readable(self) -> bool:
        return self.state == "ok"

    @property
    def needs_rebuild(self) -> bool:
        return self.state in ("damaged", "foreign")


def wal_of(path: Path) -> Path:
    """DuckDB's write-ahead log of the database file ``path``."""
    return path.with_name(path.name + ".wal")


def is_lock_conflict(error: BaseException) -> bool:
    """A DuckDB error that says another process (or another connection of this one,
    opened read-write) holds the file, not that the file is bad."""
    text = str(error)
    return any(
        sign in text
        for sign in ("Could not set lock", "Conflicting lock", "different configuration")
    )


def is_write_failure(error: BaseException) -> bool:
    """A DuckDB error that says the machine refused a write (a full disk, a file-size
    limit, a read-only mount), not that the file is bad: rebuilding would fail the same
    way, so the command says so instead (scripts/cli/failures.py)."""
    text = str(error).lower()
    return any(
        sign in text
        for sign in (
            "no space left on device",
            "file too large",
            "read-only file system",
            "disk quota exceeded",
            "permission denied",
        )
    )


def check(conn: duckdb.DuckDBPyConnection, ledger: Any) -> Found:
    """The checks of ``inspect`` on an open connection to the read model."""
    from projections.readmodel import schema
    from projections.readmodel.loader import PROJECTION

    tables = {
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main'"
        ).fetchall()
    }
    if "projection_state" not in tables or "events" not in tables:
        return Found("foreign", "it is a DuckDB file but not an rmledger read model")
    if META_TABLE not in tables:
        return Found("foreign", "it was made by an older rmledger (no format stamp)")
    row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'format'").fetchone()
    if row is None or row[0] != format_stamp():
        return Found(
            "foreign",
            f"it was made by another version of rmledger (format {row[0] if row else 'none'}, "
            f"this version reads {format_stamp()})",
        )
    missing = sorted(set(schema.TABLES) - tables)
    if missing:
        return Found("foreign", f"tables are missing: {', '.join(missing)}")
    row = conn.execute(
        "SELECT position FROM projection_state WHERE name = ?", [PROJECTION]
    ).fetchone()
    position = int(row[0]) if row else 0
    if position == 0:
        return Found("ok", position=0)
    head = ledger.recorder.max_notification_id() or 0
    if position > head:
        return Found(
            "foreign",
            f"it reached position {position} but the event store ends at {head}: "
            "it was made from another event store",
        )
    first = conn.execute(
        "SELECT position, originator_id, topic FROM events ORDER BY position LIMIT 1"
    ).fetchone()
    last = conn.execute(
        "SELECT position, originator_id, topic FROM events WHERE position = ?", [position]
    ).fetchone()
    for loaded in (first, last):
        if loaded is None:
            return Found("foreign", f"it has no event at its own position {position}")
        stored = ledger.recorder.select_notifications(start=int(loaded[0]), limit=1)
        if (
            not stored
            or stored[0].id != loaded[0]
            or str(stored[0].originator_id) != loaded[1]
            or stored[0].topic != loaded[2]
        ):
            return Found(
                "foreign",
                f"its event at position {loaded[0]} is not the event store's: "
                "it was made from another event store",
            )
    return Found("ok", position=position)

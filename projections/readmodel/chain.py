"""The hash chain over the event store's notification log, kept in the read model.

Each notification (id, originator id, originator version, topic and the stored state
bytes, exactly as the recorder holds them: compressed and encrypted when the store is)
is reduced to a canonical line, and

    chain_i = sha256(chain_{i-1} || canonical(notification_i)),  chain_0 = 32 zero bytes

(``domain/seal.py``, where the seals that authenticate it are made). The read model
stores one row per notification in ``log_chain``: the loader extends it with each page
it loads, inside its own transaction, so the chain always ends at the position the
read model reached, and on the way compares the log with its seals
(``projections/readmodel/seals.py``). Tamper evidence itself lives in the log, not here:
``rmledger verify`` needs only the log and the seal key (``projections/audit/verify.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import attrs
import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from domain.seal import GENESIS, canonical, link, state_digest
from projections.readmodel.log_pages import LogPage
from projections.readmodel.seals import LogTampered, SealWalk

__all__ = [
    "GENESIS",
    "canonical",
    "link",
    "state_digest",
    "chain_head",
    "chain_at",
    "chain_rows",
    "chain_rows_of_page",
    "insert_chain_rows",
    "extend_chain",
    "catch_up_chain",
    "ensure_chain_table",
]

PAGE_SIZE = 5000

CHAIN_DDL = """
CREATE TABLE IF NOT EXISTS log_chain (
    position BIGINT NOT NULL,  -- appended in log order; no index (docs/decisions.md#no-position-index)
    originator_id VARCHAR NOT NULL,
    originator_version INTEGER NOT NULL,
    topic VARCHAR NOT NULL,
    state_sha256 VARCHAR NOT NULL,
    chain_sha256 VARCHAR NOT NULL
)
"""

_SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("originator_id", pa.string()),
        ("originator_version", pa.int32()),
        ("topic", pa.string()),
        ("state_sha256", pa.string()),
        ("chain_sha256", pa.string()),
    ]
)


class NotificationLike(Protocol):
    """What the chain reads of an eventsourcing ``Notification``."""

    id: int
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


class NotificationSource(Protocol):
    """The part of an eventsourcing application recorder that ``catch_up_chain`` uses."""

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Any: ...


@attrs.frozen
class ChainRow:
    """One row of ``log_chain``."""

    position: int
    originator_id: str
    originator_version: int
    topic: str
    state_sha256: str
    chain_sha256: str


def ensure_chain_table(conn: duckdb.DuckDBPyConnection) -> None:
    """Create ``log_chain`` if it does not exist (idempotent)."""
    conn.execute(CHAIN_DDL)


def chain_head(conn: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The last chained position and its chain hash; ``(0, GENESIS)`` when empty."""
    ensure_chain_table(conn)
    rows = conn.execute(
        "SELECT position, chain_sha256 FROM log_chain ORDER BY position DESC LIMIT 1"
    ).fetchall()
    return (0, GENESIS) if not rows else (int(rows[0][0]), str(rows[0][1]))


def chain_at(conn: duckdb.DuckDBPyConnection, position: int) -> tuple[int, str]:
    """The chain at the last chained position at or before ``position`` (a read: the
    loader made the table, and the connection may be read-only)."""
    rows = conn.execute(
        "SELECT position, chain_sha256 FROM log_chain WHERE position <= ? ORDER BY position DESC LIMIT 1",
        [position],
    ).fetchall()
    return (0, GENESIS) if not rows else (int(rows[0][0]), str(rows[0][1]))


def chain_rows(
    notifications: Iterable[NotificationLike],
    head: tuple[int, str],
) -> tuple[pa.Table | None, tuple[int, str]]:
    """The ``log_chain`` rows for ``notifications`` after ``head`` (last chained
    position, its chain hash), and the new head."""
    return chain_rows_of_page(LogPage.from_notifications(list(notifications)), head)


def chain_rows_of_page(
    page: LogPage,
    head: tuple[int, str],
    walk: SealWalk | None = None,
    emit_after: int | None = None,
) -> tuple[pa.Table | None, tuple[int, str]]:
    """``chain_rows`` of a page of the log given as columns. Pure: the loader runs it
    on its reading thread, in parallel with DuckDB loading the previous page.
    Notifications at or before the head are skipped without being turned into Python
    values. ``walk``: the seals the page is compared with (``LogTampered`` at the
    first event that does not match, naming it, before anything of the page is
    stored). ``emit_after``: rows are made only past this position (a rebuild
    recomputes a chain that ``log_chain`` already holds)."""
    last_position, previous = head
    page = page.after(last_position)
    if not len(page):
        return None, head
    positions, originators = page.positions, page.originator_ids
    versions, topics = page.versions, page.topics
    state_shas, chain_shas = [], []
    sha256 = hashlib.sha256
    for position, originator, version, topic, state in zip(
        positions, originators, versions, topics, page.states, strict=True
    ):
        state_sha = sha256(state).hexdigest()
        digest = sha256(bytes.fromhex(previous))
        digest.update(canonical(position, originator, version, topic, state_sha))
        previous = digest.hexdigest()
        state_shas.append(state_sha)
        chain_shas.append(previous)
    if walk is not None and walk.feed(
        positions, originators, versions, topics, state_shas, chain_shas
    ):
        raise LogTampered(walk.first(), last_position)
    columns = [
        page.table.column(name)
        for name in ("position", "originator_id", "originator_version", "topic")
    ]
    rows = pa.table(
        [*columns, pa.array(state_shas, pa.string()), pa.array(chain_shas, pa.string())],
        schema=_SCHEMA,
    )
    if emit_after is not None and emit_after > last_position:
        rows = rows.filter(pc.greater(rows.column("position"), emit_after))
        rows = rows if rows.num_rows else None
    return rows, (positions[-1], previous)


def insert_chain_rows(conn: duckdb.DuckDBPyConnection, rows: pa.Table | None) -> int:
    """Append rows made by ``chain_rows`` (inside the caller's transaction)."""
    if rows is None:
        return 0
    conn.register("chain_page", rows)
    try:
        conn.execute("INSERT INTO log_chain SELECT * FROM chain_page")
    finally:
        conn.unregister("chain_page")
    return rows.num_rows


def extend_chain(conn: duckdb.DuckDBPyConnection, notifications: Iterable[NotificationLike]) -> int:
    """Append ``notifications`` (in log order) to ``log_chain``; returns rows added.

    Runs inside the caller's transaction (it neither begins nor commits), so the
    loader can store the chain with the page's rows and its position atomically.
    Notifications at or before the chain's head are skipped, so a page read twice
    adds nothing.
    """
    rows, _ = chain_rows(notifications, chain_head(conn))
    return insert_chain_rows(conn, rows)


def catch_up_chain(
    conn: duckdb.DuckDBPyConnection, source: NotificationSource, page_size: int = PAGE_SIZE
) -> int:
    """Extend ``log_chain`` with every notification after its head, reading the store in
    pages (for commands that run before, or without, the loader's own chaining).
    Commits each page. Returns the number of rows added."""
    ensure_chain_table(conn)
    added = 0
    while True:
        head, _ = chain_head(conn)
        page = source.select_notifications(start=head, limit=page_size, inclusive_of_start=False)
        if not page:
            return added
        conn.execute("BEGIN TRANSACTION")
        try:
            added += extend_chain(conn, page)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

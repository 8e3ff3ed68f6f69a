"""Tamper evidence: a hash chain over the event store's notification log.

Each notification (id, originator id, originator version, topic and the stored state
bytes, exactly as the recorder holds them: compressed and encrypted when the store is)
is reduced to a canonical line, and

    chain_i = sha256(chain_{i-1} || canonical(notification_i)),  chain_0 = 32 zero bytes.

The read model stores one row per notification in ``log_chain``. The loader calls
``extend_chain(conn, notifications)`` with each page it loads, inside its own
transaction, so the chain always ends at the position the read model reached.
``verify_chain`` re-reads the raw log from the event store in pages and reports every
notification that was altered, removed or inserted out of order since it was chained,
naming its id.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import attrs
import duckdb
import pyarrow as pa

from projections.log_pages import LogPage

GENESIS = "0" * 64
PAGE_SIZE = 5000

CHAIN_DDL = """
CREATE TABLE IF NOT EXISTS log_chain (
    position BIGINT NOT NULL,  -- appended in log order; no index (see docs/read-model.md)
    originator_id VARCHAR NOT NULL,
    originator_version INTEGER NOT NULL,
    topic VARCHAR NOT NULL,
    state_sha256 VARCHAR NOT NULL,
    chain_sha256 VARCHAR NOT NULL
)
"""

_SCHEMA = pa.schema([
    ("position", pa.int64()),
    ("originator_id", pa.string()),
    ("originator_version", pa.int32()),
    ("topic", pa.string()),
    ("state_sha256", pa.string()),
    ("chain_sha256", pa.string()),
])


class NotificationLike(Protocol):
    """What the chain reads of an eventsourcing ``Notification``."""

    id: int
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


class NotificationSource(Protocol):
    """The part of an eventsourcing application recorder that ``verify_chain`` uses."""

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True) -> Any: ...


@attrs.frozen
class ChainRow:
    """One row of ``log_chain``."""

    position: int
    originator_id: str
    originator_version: int
    topic: str
    state_sha256: str
    chain_sha256: str


_PLAIN_TOPIC = re.compile(r"[A-Za-z0-9_.:]+")


def canonical(position: int, originator_id: str, originator_version: int, topic: str, state_sha256: str) -> bytes:
    """The canonical bytes of one notification: sorted-key compact JSON."""
    if _PLAIN_TOPIC.fullmatch(topic):
        # The same bytes as json.dumps below, written directly: this runs once per
        # event of every catch-up and rebuild, and json.dumps was a third of it.
        return (
            f'{{"id":{int(position)},"originator_id":"{originator_id}",'
            f'"originator_version":{int(originator_version)},"state_sha256":"{state_sha256}",'
            f'"topic":"{topic}"}}'
        ).encode()
    body = {
        "id": int(position),
        "originator_id": str(originator_id),
        "originator_version": int(originator_version),
        "topic": topic,
        "state_sha256": state_sha256,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def link(previous: str, position: int, originator_id: str, originator_version: int, topic: str,
         state_sha256: str) -> str:
    """chain_i from chain_{i-1} (hex) and notification i."""
    digest = hashlib.sha256(bytes.fromhex(previous))
    digest.update(canonical(position, originator_id, originator_version, topic, state_sha256))
    return digest.hexdigest()


def state_digest(state: bytes | str) -> str:
    """SHA-256 of the stored state bytes (a row edited by hand may come back as text)."""
    data = state.encode() if isinstance(state, str) else bytes(state)
    return hashlib.sha256(data).hexdigest()


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


def chain_rows(
    notifications: Iterable[NotificationLike],
    head: tuple[int, str],
) -> tuple[pa.Table | None, tuple[int, str]]:
    """The ``log_chain`` rows for ``notifications`` after ``head`` (last chained
    position, its chain hash), and the new head."""
    return chain_rows_of_page(LogPage.from_notifications(list(notifications)), head)


def chain_rows_of_page(page: LogPage, head: tuple[int, str]) -> tuple[pa.Table | None, tuple[int, str]]:
    """``chain_rows`` of a page of the log given as columns. Pure: the loader runs it
    on its reading thread, in parallel with DuckDB loading the previous page.
    Notifications at or before the head are skipped without being turned into Python
    values: a rebuild re-reads a log that is already chained."""
    last_position, previous = head
    page = page.after(last_position)
    if not len(page):
        return None, head
    positions, originators = page.positions, page.originator_ids
    versions, topics = page.versions, page.topics
    state_shas, chain_shas = [], []
    sha256 = hashlib.sha256
    for position, originator, version, topic, state in zip(
            positions, originators, versions, topics, page.states, strict=True):
        state_sha = sha256(state).hexdigest()
        digest = sha256(bytes.fromhex(previous))
        digest.update(canonical(position, originator, version, topic, state_sha))
        previous = digest.hexdigest()
        state_shas.append(state_sha)
        chain_shas.append(previous)
    columns = [page.table.column(name) for name in ("position", "originator_id", "originator_version", "topic")]
    rows = pa.table([*columns, pa.array(state_shas, pa.string()), pa.array(chain_shas, pa.string())],
                    schema=_SCHEMA)
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


# -- verification -------------------------------------------------------------------


@attrs.frozen
class Discrepancy:
    """One notification that no longer matches its chained record."""

    kind: str  # altered | removed | inserted | chain_broken | version_gap | version_duplicate
    notification_id: int
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "notification_id": self.notification_id, "detail": self.detail}


@attrs.define
class VerifyReport:
    """The outcome of ``verify_chain``."""

    checked: int = 0
    chained_to: int = 0
    head_sha256: str = GENESIS
    not_yet_chained: int = 0
    discrepancies: list[Discrepancy] = attrs.Factory(list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "chained_to": self.chained_to,
            "head_sha256": self.head_sha256,
            "not_yet_chained": self.not_yet_chained,
            "discrepancies": [d.as_json() for d in self.discrepancies],
        }


def _store_pages(source: NotificationSource, page_size: int) -> Iterator[NotificationLike]:
    start = 0
    while True:
        page = source.select_notifications(start=start, limit=page_size, inclusive_of_start=False)
        if not page:
            return
        yield from page
        start = int(page[-1].id)


def _chain_pages(conn: duckdb.DuckDBPyConnection, page_size: int) -> Iterator[ChainRow]:
    after = 0
    while True:
        rows = conn.execute(
            "SELECT position, originator_id, originator_version, topic, state_sha256, chain_sha256 "
            "FROM log_chain WHERE position > ? ORDER BY position LIMIT ?",
            [after, page_size],
        ).fetchall()
        if not rows:
            return
        for r in rows:
            yield ChainRow(int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4]), str(r[5]))
        after = int(rows[-1][0])


def verify_chain(conn: duckdb.DuckDBPyConnection, source: NotificationSource,
                 page_size: int = PAGE_SIZE) -> VerifyReport:
    """Recompute the chain from the event store and compare it with ``log_chain``.

    Both sides are walked in position order (a merge): a chained position missing
    from the store was *removed*; a store notification at or before the chain's head
    without a chained row was *inserted* out of order; a notification whose id,
    originator, version, topic or state hash differs was *altered*. The stored chain
    hashes are recomputed too, so an edit of ``log_chain`` itself shows as
    *chain_broken*. Notifications after the head are counted as not yet chained.
    Last, originator versions are checked for continuity over the chained rows
    (*version_gap*, *version_duplicate*: ``_version_breaks``).
    """
    ensure_chain_table(conn)
    head_position, head_sha = chain_head(conn)
    report = VerifyReport(chained_to=head_position, head_sha256=head_sha)
    previous = GENESIS
    chain_ok = True
    chain_iter = _chain_pages(conn, page_size)
    store_iter = _store_pages(source, page_size)
    row = next(chain_iter, None)
    note = next(store_iter, None)
    while row is not None or note is not None:
        if note is not None and (row is None or int(note.id) < row.position):
            if int(note.id) <= head_position:
                report.discrepancies.append(Discrepancy(
                    "inserted", int(note.id),
                    f"notification {note.id} ({note.topic}, {note.originator_id} v{note.originator_version}) "
                    "is in the event store but was never chained: inserted out of order",
                ))
            else:
                report.not_yet_chained += 1
            report.checked += 1
            note = next(store_iter, None)
            continue
        assert row is not None
        if chain_ok:
            expected = link(previous, row.position, row.originator_id, row.originator_version, row.topic,
                            row.state_sha256)
            if expected != row.chain_sha256:
                chain_ok = False
                report.discrepancies.append(Discrepancy(
                    "chain_broken", row.position,
                    f"log_chain row {row.position} does not follow from the row before it: "
                    "the chain table itself was edited",
                ))
            previous = row.chain_sha256
        if note is None or int(note.id) > row.position:
            report.discrepancies.append(Discrepancy(
                "removed", row.position,
                f"notification {row.position} ({row.topic}, {row.originator_id} v{row.originator_version}) "
                "was chained but is no longer in the event store: removed",
            ))
            row = next(chain_iter, None)
            continue
        report.checked += 1
        changed = []
        if str(note.originator_id) != row.originator_id:
            changed.append(f"originator_id {row.originator_id} -> {note.originator_id}")
        if int(note.originator_version) != row.originator_version:
            changed.append(f"originator_version {row.originator_version} -> {note.originator_version}")
        if note.topic != row.topic:
            changed.append(f"topic {row.topic} -> {note.topic}")
        if state_digest(note.state) != row.state_sha256:
            changed.append("state")
        if changed:
            report.discrepancies.append(Discrepancy(
                "altered", row.position,
                f"notification {row.position} ({row.topic}, {row.originator_id} v{row.originator_version}) "
                f"was altered since it was chained: {', '.join(changed)} changed",
            ))
        row = next(chain_iter, None)
        note = next(store_iter, None)
    report.discrepancies += _version_breaks(conn)
    return report


def _version_breaks(conn: duckdb.DuckDBPyConnection) -> list[Discrepancy]:
    """Originator-version continuity over everything chained.

    An aggregate's events are versions 1, 2, 3, ... and each is recorded after the one
    before it (the store refuses a version that is not new, and notification ids
    follow insertion). So in log order every originator's versions must go up by
    exactly one from 1: a *version_gap* (a version skipped, or a first version above
    1) or a *version_duplicate* (a version at or below one already seen) is a row
    forged or moved, even when it was appended after the head and chained since. A
    forged event that continues its originator's versions correctly (or starts a new
    originator at version 1) cannot be told from a genuine one (docs/audit.md)."""
    out = []
    for position, originator, version, previous, previous_position, topic in conn.execute("""
            SELECT position, originator_id, originator_version, previous, previous_position, topic FROM (
                SELECT position, originator_id, originator_version, topic,
                       lag(originator_version) OVER w AS previous, lag(position) OVER w AS previous_position
                FROM log_chain WINDOW w AS (PARTITION BY originator_id ORDER BY position))
            WHERE originator_version <> coalesce(previous, 0) + 1
            ORDER BY position""").fetchall():
        if previous is None:
            out.append(Discrepancy(
                "version_gap", int(position),
                f"notification {position} ({topic}, {originator} v{version}) is the first event of its "
                f"originator but not version 1: versions 1..{version - 1} are missing"))
        elif version > previous:
            out.append(Discrepancy(
                "version_gap", int(position),
                f"notification {position} ({topic}, {originator} v{version}) follows v{previous} "
                f"(notification {previous_position}): version(s) {previous + 1}..{version - 1} are missing"))
        else:
            out.append(Discrepancy(
                "version_duplicate", int(position),
                f"notification {position} ({topic}, {originator} v{version}) comes after v{previous} "
                f"(notification {previous_position}) of the same originator: a version repeated or out of order"))
    return out


def describe(report: VerifyReport) -> list[str]:
    """Lines for people."""
    lines = [
        f"checked {report.checked} notification(s); chain head at position {report.chained_to} "
        f"sha256 {report.head_sha256}",
    ]
    if report.not_yet_chained:
        lines.append(f"{report.not_yet_chained} notification(s) after the head are not yet chained")
    if report.ok:
        lines.append("OK: the event log matches its hash chain")
    else:
        lines.append(f"TAMPERED: {len(report.discrepancies)} discrepancy(ies)")
        lines += [f"  {d.kind}: notification {d.notification_id}: {d.detail}" for d in report.discrepancies]
    return lines


def catch_up_chain(conn: duckdb.DuckDBPyConnection, source: NotificationSource,
                   page_size: int = PAGE_SIZE) -> int:
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

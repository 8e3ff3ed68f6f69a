"""A read model owned by one long-running process: one read-write DuckDB database,
caught up in place by one thread, read by many threads through snapshots.

``ReadModelAccess`` serves commands: each opens the file, reads, closes, and a writer
waits for every reader to go (``docs/concurrency.md``). A server that did the same for
every request paid the opening (tens of milliseconds, with DuckDB's caches cold) on
each, and its follower waited for a gap between readers that a busy server never
has. ``LiveReadModel`` keeps the file open for the process's life instead:

- ``snapshot()``: a cursor of the database in its own transaction, begun when a read
  first asks for it. DuckDB's MVCC gives it the committed state as it was then,
  whatever the follower commits meanwhile; its ``position()`` says which log
  position that is.
- ``catch_up()``: the loader on the database's own connection, one page per
  transaction (``ReadModel.catch_up``); readers never wait for it, nor it for them.
- ``answer_position``: the position of the last event loaded that is not a line of
  the access log. Requests add a line to the log for every read of another person's
  pay, so the log's head moves all the time under load; no answer but the access
  log's own depends on those lines, and answers kept by the server
  (``scripts/web/answers.py``) are kept per ``answer_position``.

The file is the process's own (a server names it after its port): the process
holds the read model's exclusive lock (``projections/readmodel/lock.py``) for its
whole life, so a command pointed at it waits and says why instead of failing. When
the file is missing, the command line's read model is copied under its shared lock
(so a restart or a new server starts from where the commands are, not from the
start of the log); a damaged or foreign file is rebuilt by ``ReadModelAccess``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from projections.readmodel.access import ReadModelAccess
from projections.readmodel.duck import loading_threads
from projections.readmodel.loader import ACCESS_RECORDED, PROJECTION, ReadModel
from projections.readmodel.lock import Announce, ReadWriteLock, to_stderr
from projections.readmodel.meta import wal_of

_POSITION = f"SELECT position FROM projection_state WHERE name = '{PROJECTION}'"
_LAST_ANSWERED = "SELECT max(position) FROM events WHERE position > ? AND topic <> ?"


class Snapshot(ReadModel):
    """The read model as one committed state: ``conn`` (a cursor in a transaction,
    begun at its first use) and ``position()`` (the log position of that state);
    ``close()`` ends it. Reads take it as the ``ReadModel`` it is; it is never caught
    up. ``answers_at``: the live model's ``answer_position`` when the snapshot was
    taken (its state is at that position or later)."""

    def __init__(
        self, open_cursor: Callable[[], duckdb.DuckDBPyConnection], path: str, answers_at: int
    ) -> None:
        # Not ReadModel.__init__: the database is open already, this is a cursor of it.
        self._open_cursor = open_cursor
        self._cursor: duckdb.DuckDBPyConnection | None = None
        self._closed = False
        self.path = path
        self.read_only = True
        self._kept = None
        self.answers_at = answers_at

    # A ReadModel sets ``conn`` when it opens; a snapshot opens its cursor late.
    @property
    def conn(self) -> duckdb.DuckDBPyConnection:  # type: ignore[override]
        """The cursor, in its transaction (begun now if this is its first use)."""
        if self._cursor is None:
            if self._closed:
                raise duckdb.ConnectionException("this snapshot is closed")
            cursor = self._open_cursor()
            cursor.execute("BEGIN TRANSACTION")
            self._cursor = cursor
        return self._cursor

    def position(self) -> int:
        """The log position of this snapshot's state."""
        row = self.conn.execute(_POSITION).fetchone()
        return int(row[0]) if row else 0

    def catch_up(self, *args: Any, **kwargs: Any) -> int:
        """Refused: the live read model's follower catches up, never a reader."""
        raise TypeError("a snapshot is read-only; LiveReadModel.catch_up loads the log")

    def close(self) -> None:
        """End the transaction (it wrote nothing) and the cursor (idempotent)."""
        self._closed = True
        cursor, self._cursor = self._cursor, None
        if cursor is None:
            return
        try:
            cursor.execute("ROLLBACK")
        except duckdb.Error:
            pass  # already ended
        finally:
            cursor.close()

    def __enter__(self) -> Snapshot:
        return self


def seed_from(shared: Path, own: Path, announce: Announce = to_stderr) -> bool:
    """Copy the command line's read model ``shared`` to ``own`` (when ``own`` is
    missing and ``shared`` is a checkpointed file), under ``shared``'s shared lock;
    whether it was copied. The copy is written beside ``own`` and renamed into place,
    so a process killed while copying leaves no half file."""
    if own.exists() or not shared.exists():
        return False
    lock = ReadWriteLock(shared, None, announce)
    lock.shared()
    try:
        if wal_of(shared).exists():  # a writer was killed: let the catch-up rebuild
            return False
        partial = own.with_name(own.name + ".copying")
        shutil.copyfile(shared, partial)
        os.replace(partial, own)
        return True
    finally:
        lock.release()


class LiveReadModel:
    """The read model at ``path`` of ``ledger``'s log, open for this process's life."""

    def __init__(
        self,
        path: Path,
        ledger: Any,
        *,
        seed: Path | None = None,
        announce: Announce = to_stderr,
    ) -> None:
        self.path = Path(path)
        self.ledger = ledger
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if seed is not None:
            seed_from(seed, self.path, announce)
        # Repairs or rebuilds a damaged or foreign file, and loads what the log has.
        ReadModelAccess(self.path, ledger, announce=announce).catch_up()
        self._lock = ReadWriteLock(self.path, None, announce)
        self._lock.exclusive()
        try:
            self._model = ReadModel(self.path)
        except BaseException:
            self._lock.release()
            raise
        # The loader's setting, kept: SET threads restarts DuckDB's thread pool, and the
        # readers run side by side anyway.
        self._model.conn.execute(f"SET threads = {loading_threads()}")
        self._loading = threading.Lock()  # one catch-up at a time
        self.position = self._model.position()
        self.answer_position = self._last_answered(0)

    def _last_answered(self, after: int) -> int:
        """The last position after ``after`` that is not an access-log line, else the
        ``answer_position`` already known."""
        row = self._model.conn.execute(_LAST_ANSWERED, [after, ACCESS_RECORDED]).fetchone()
        found = row[0] if row else None
        return int(found) if found is not None else getattr(self, "answer_position", 0)

    def snapshot(self) -> Snapshot:
        """The committed state from the moment a read first uses it, until ``close()``."""
        return Snapshot(self._model.conn.cursor, str(self.path), self.answer_position)

    def catch_up(self) -> int:
        """Load what the log has beyond the position; the position reached."""
        with self._loading:
            before = self.position
            self.position = self._model.catch_up(self.ledger)
            if self.position > before:
                self.answer_position = self._last_answered(before)
            return self.position

    def close(self) -> None:
        """Close the database (DuckDB checkpoints) and let other processes in."""
        with self._loading:
            try:
                self._model.close()
            finally:
                self._lock.release()

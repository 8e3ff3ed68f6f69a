"""The one way to get at the read model: for reading, for catching up, for rebuilding
(docs/concurrency.md).

Every command, and a future web server, goes through ``ReadModelAccess`` instead of
opening the DuckDB file itself:

- ``read()``: the read model up to date, on a read-only connection, held under the
  shared lock (``projections/readmodel/lock.py``) until ``close()``. When the file is already
  at the log's head (the common case) no exclusive lock is taken at all. Otherwise it
  first ``catch_up()``s, then reads under the shared lock.
- ``catch_up()``: under the exclusive lock, open read-write, load what the log has
  beyond the stored position (each page with its position in one transaction), close
  (DuckDB checkpoints). A server follows the log by calling it now and then, while its
  requests ``read(catch_up=False)``.
- ``rebuild()``: a new file built beside the old one, which readers go on reading;
  then, under the exclusive lock, its tail caught up, checkpointed, and renamed over
  the old one (``os.replace``, then the directory synced). Killed at any moment, the
  data directory holds the old read model or the new one, never a mixture; the
  leftovers of a killed rebuild are removed by the next rebuild or catch-up.

Before a file is read it is inspected (``projections/readmodel/meta.py``). A damaged or
foreign file is rebuilt (said on stderr), or, when ``auto_rebuild`` is off or the
rebuild fails, ``ReadModelUnusable`` says to run ``rmledger rebuild``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from projections.readmodel.loader import ReadModel
from projections.readmodel.lock import (
    Announce,
    ReadModelBusy,
    ReadWriteLock,
    RebuildLock,
    to_stderr,
)
from projections.readmodel.meta import Found, check, is_lock_conflict, is_write_failure, wal_of

# Set by tests to follow (or kill) a rebuild step by step; also $RMLEDGER_TEST_KILL_AT,
# a step name at which the process SIGKILLs itself (tests/projections/readmodel/test_rebuild_interrupted.py).
StepHook = Callable[[str], None]
step_hook: StepHook | None = None
KILL_AT_SETTING = "RMLEDGER_TEST_KILL_AT"
REBUILD_STEPS = (
    "started",
    "cleaned",
    "page",
    "built",
    "locked",
    "tail",
    "checkpointed",
    "old-wal-removed",
    "replaced",
    "synced",
)


class ReadModelUnusable(Exception):
    """The read model cannot be read and was not (or could not be) rebuilt."""


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild reached: the position and the number of events in the new file."""

    position: int
    events: int


class HeldReadModel(ReadModel):
    """A read-only ``ReadModel`` that holds the shared lock until it is closed."""

    def __init__(self, path: Path, lock: ReadWriteLock) -> None:
        self._lock = lock
        try:
            super().__init__(path, read_only=True)
        except BaseException:
            lock.release()
            raise

    def close(self) -> None:
        """Close the connection, then let writers in (idempotent)."""
        try:
            self.conn.close()
        finally:
            self._lock.release()


def _step(name: str) -> None:
    if step_hook is not None:
        step_hook(name)
    if os.environ.get(KILL_AT_SETTING) == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ReadModelAccess:
    """The read model at ``path`` of the event store behind ``ledger``.

    ``timeout``: seconds to wait for other processes (default $RMLEDGER_LOCK_TIMEOUT,
    else 300). ``announce``: how to say what this process waits for or does (a line
    on stderr). ``auto_rebuild``: rebuild a damaged or foreign file instead of
    refusing it. Cheap to create; holds nothing between calls."""

    def __init__(
        self,
        path: str | Path,
        ledger: Any,
        *,
        timeout: float | None = None,
        announce: Announce = to_stderr,
        auto_rebuild: bool = True,
    ) -> None:
        self.path = Path(path)
        self.ledger = ledger
        self.timeout = timeout
        self.announce = announce
        self.auto_rebuild = auto_rebuild

    def _lock(self) -> ReadWriteLock:
        return ReadWriteLock(self.path, self.timeout, self.announce)

    # -- inspection -------------------------------------------------------------------

    def _inspect(
        self, keep_open: ReadWriteLock | None = None
    ) -> tuple[Found, HeldReadModel | None]:
        """Inspect the file (under a lock the caller holds). With ``keep_open`` (the
        caller's shared lock) a readable file is returned open, holding that lock."""
        if not self.path.exists():
            return Found("missing"), None
        if wal_of(self.path).exists():
            return Found("wal"), None
        try:
            held = (
                HeldReadModel(self.path, keep_open)
                if keep_open is not None
                else ReadModel(self.path, read_only=True)
            )
        except duckdb.Error as error:
            if is_lock_conflict(error):
                raise ReadModelBusy(
                    f"another program has the read model {self.path} open for writing "
                    f"({error}); close it and try again"
                ) from None
            return Found("damaged", f"DuckDB cannot read it: {error}"), None
        try:
            found = check(held.conn, self.ledger)
        except duckdb.Error as error:
            found = Found("damaged", f"DuckDB cannot read it: {error}")
        if found.readable and keep_open is not None:
            return found, held  # type: ignore[return-value]
        held.conn.close()
        return found, None

    # -- reading ----------------------------------------------------------------------

    def read(self, catch_up: bool = True) -> ReadModel:
        """The read model on a read-only connection, holding the shared lock until its
        ``close()``. ``catch_up``: bring it to the log's head first (a command); a
        server's request passes False and reads what its follower has loaded."""
        # The log's head when the command started: a log that grows meanwhile (a
        # consumer at work) must not send the reader round again and again.
        head = (self.ledger.recorder.max_notification_id() or 0) if catch_up else 0
        for _ in range(3):
            lock = self._lock()
            lock.shared()
            try:
                found, held = self._inspect(keep_open=lock)
            except BaseException:
                lock.release()
                raise
            if held is not None:
                if found.position >= head:
                    return held
                held.close()
            else:
                lock.release()
            self._repair_or_catch_up(found)
        raise ReadModelUnusable(
            f"the read model {self.path} changed under this process three times; try again"
        )

    # -- writing ----------------------------------------------------------------------

    def catch_up(self) -> int:
        """Under the exclusive lock, load what the log has beyond the stored position;
        return the position reached. A damaged or foreign file is rebuilt instead."""
        lock = self._lock()
        lock.exclusive()
        try:
            found, _ = self._inspect()
            if found.needs_rebuild:
                lock.release()
                return self._repair(found).position
            self._remove_leftovers()
            try:
                model = ReadModel(self.path)  # replays a write-ahead log left by a killed writer
            except duckdb.Error as error:
                if is_lock_conflict(error):
                    raise ReadModelBusy(
                        f"another program has the read model {self.path} open "
                        f"({error}); close it and try again"
                    ) from None
                if is_write_failure(error):
                    raise
                lock.release()
                return self._repair(
                    Found("damaged", f"DuckDB cannot open it for writing: {error}")
                ).position
            with model:
                return model.catch_up(self.ledger)
        finally:
            lock.release()

    def updating(self) -> ReadModel:
        """The read model caught up and open read-write under the exclusive lock, for
        a command that writes beside the loader (``verify``'s chain). The lock is held
        until ``close()``."""
        self.catch_up()
        lock = self._lock()
        lock.exclusive()
        try:
            model = ReadModel(self.path)
        except BaseException:
            lock.release()
            raise
        closing = model.close

        def close() -> None:
            try:
                closing()
            finally:
                lock.release()

        model.close = close  # type: ignore[method-assign]
        return model

    def _repair_or_catch_up(self, found: Found) -> None:
        if found.needs_rebuild:
            self._repair(found)
        else:
            self.catch_up()

    def _repair(self, found: Found) -> Rebuilt:
        if not self.auto_rebuild:
            raise ReadModelUnusable(
                f"the read model {self.path} cannot be used: {found.reason}; "
                "run `rmledger rebuild` to make it again from the event log"
            )
        self.announce(
            f"the read model {self.path} cannot be used ({found.reason}); rebuilding it "
            "from the event log"
        )
        try:
            return self.rebuild(unless_usable=True)
        except ReadModelBusy:
            raise
        except Exception as error:
            cause = (
                error.__cause__
                if isinstance(error, ReadModelUnusable) and error.__cause__
                else error
            )
            raise ReadModelUnusable(
                f"the read model {self.path} cannot be used ({found.reason}) and "
                f"rebuilding it failed: {cause}; run `rmledger rebuild` once "
                "that is fixed"
            ) from error

    # -- rebuilding -------------------------------------------------------------------

    def _new_path(self) -> Path:
        return self.path.with_name(f"{self.path.name}.new-{os.getpid()}")

    def _leftovers(self) -> list[Path]:
        return sorted(self.path.parent.glob(f"{self.path.name}.new-*"))

    def _remove_leftovers(self) -> None:
        """Remove the new files of killed rebuilds, when no rebuild is running."""
        if not self._leftovers():
            return
        rebuild_lock = RebuildLock(self.path, self.timeout, self.announce)
        if rebuild_lock.try_acquire():
            try:
                for leftover in self._leftovers():
                    leftover.unlink(missing_ok=True)
            finally:
                rebuild_lock.release()

    def rebuild(
        self,
        page_size: int | None = None,
        on_page: Callable[[int], None] | None = None,
        unless_usable: bool = False,
    ) -> Rebuilt:
        """Build a new read model from the whole log beside the old one and put it in
        the old one's place atomically. Never opens the old file: works whatever state
        it is in. ``on_page``: as ``ReadModel.catch_up``'s. ``unless_usable``: skip it
        when, once this process's turn has come, the file is usable after all
        (another process found the same damage and rebuilt first); then ``events``
        is -1."""
        rebuild_lock = RebuildLock(self.path, self.timeout, self.announce)
        rebuild_lock.acquire()
        replaced = False
        try:
            if unless_usable:
                lock = self._lock()
                lock.shared()
                try:
                    found, _ = self._inspect()
                finally:
                    lock.release()
                if not found.needs_rebuild:
                    return Rebuilt(found.position, -1)
            _step("started")
            for leftover in self._leftovers():  # nobody else builds: they are stale
                leftover.unlink(missing_ok=True)
            _step("cleaned")
            new = self._new_path()
            paging: dict[str, Any] = {} if page_size is None else {"page_size": page_size}

            def page_done(position: int) -> None:
                if on_page is not None:
                    on_page(position)
                _step("page")

            with ReadModel(new) as model:
                model.catch_up(self.ledger, on_page=page_done, **paging)
            _step("built")
            lock = self._lock()
            lock.exclusive()
            try:
                _step("locked")
                with ReadModel(new) as model:
                    # What was appended to the log while the file was built.
                    position = model.catch_up(self.ledger, on_page=page_done, **paging)
                    _step("tail")
                    row = model.conn.execute("SELECT count(*) FROM events").fetchone()
                    model.conn.execute("CHECKPOINT")
                if wal_of(new).exists():
                    raise ReadModelUnusable(
                        f"DuckDB left a write-ahead log beside {new} after closing it"
                    )
                _fsync(new)
                _step("checkpointed")
                # A stale log of the old file (its writer was killed) would otherwise be
                # replayed into the new file at its next open.
                wal_of(self.path).unlink(missing_ok=True)
                _step("old-wal-removed")
                os.replace(new, self.path)
                replaced = True
                _step("replaced")
                _fsync(self.path.parent)
                _step("synced")
            finally:
                lock.release()
            return Rebuilt(position, int(row[0]) if row else 0)
        except BaseException as error:
            with contextlib.suppress(OSError):
                for leftover in (self._new_path(), wal_of(self._new_path())):
                    leftover.unlink(missing_ok=True)
            if isinstance(
                error, (duckdb.Error, OSError)
            ):  # a full disk, a read-only directory, ...
                where = (
                    "the new read model is in place"
                    if replaced
                    else "the read model in place was not changed"
                )
                raise ReadModelUnusable(
                    f"rebuilding the read model {self.path} failed ({error}); {where}"
                ) from error
            raise
        finally:
            rebuild_lock.release()

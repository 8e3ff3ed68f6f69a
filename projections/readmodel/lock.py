"""Readers and writers of one read-model file, across processes (docs/concurrency.md).

Three ``flock`` locks on small files beside the read model ``<name>.duckdb``:

- ``<name>.lock``: held shared by every process reading the file, exclusive by the
  one process writing it (catching up, checkpointing, or putting a rebuilt file in
  its place). DuckDB lets many processes open a file read-only, or one read-write,
  never both: this lock is what makes a process wait instead of failing.
- ``<name>.intent.lock``: a turnstile. A writer takes it exclusive *before* it waits
  for ``<name>.lock``; a reader passes through it (shared, released at once) before
  taking ``<name>.lock``. A writer waiting for the readers in place therefore stops
  new readers from coming in, and a stream of readers cannot starve it.
- ``<name>.rebuild.lock``: exclusive for the whole of a rebuild, so that two rebuilds
  never build at once, and so that a leftover new file is known to be stale when
  nobody holds it.

``flock`` locks belong to an open file description: two opens of the lock file in one
process (two threads of a web server) exclude each other like two processes, and the
kernel drops a lock when its process dies, SIGKILL included.

Waiting polls with ``LOCK_NB`` (a blocked ``flock`` cannot be given a time limit
from a thread), says once on stderr what it waits for, and gives up after the
timeout with ``ReadModelBusy``.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

# How long a command waits for another rmledger process before giving up; 0 or a
# negative value: do not wait at all.
DEFAULT_WAIT_SECONDS = 300.0
WAIT_SETTING = "RMLEDGER_LOCK_TIMEOUT"

Announce = Callable[[str], None]


class ReadModelBusy(Exception):
    """Another process kept the read model longer than this one would wait."""


def wait_seconds(value: float | None = None) -> float:
    """The wait limit: ``value`` when given, else $RMLEDGER_LOCK_TIMEOUT, else the default."""
    if value is not None:
        return value
    text = os.environ.get(WAIT_SETTING)
    if text is None or not text.strip():
        return DEFAULT_WAIT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        raise ReadModelBusy(f"{WAIT_SETTING}={text!r} is not a number of seconds") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ReadModelBusy(f"{WAIT_SETTING}={text!r} is not a number of seconds")
    return seconds


def to_stderr(message: str) -> None:
    """The default way to say what a process waits for: one line on stderr."""
    print(message, file=sys.stderr, flush=True)


def lock_paths(model: Path) -> tuple[Path, Path, Path]:
    """The read/write, intent and rebuild lock files of the read model ``model``."""
    stem = model.name[: -len(".duckdb")] if model.name.endswith(".duckdb") else model.name
    return (
        model.with_name(f"{stem}.lock"),
        model.with_name(f"{stem}.intent.lock"),
        model.with_name(f"{stem}.rebuild.lock"),
    )


class _LockFile:
    """One lock file, opened for this holder only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        self.mode = 0

    def _open(self) -> int:
        if self.fd is None:
            try:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:
                raise ReadModelBusy(
                    f"cannot open the lock file {self.path} ({error.strerror}): rmledger "
                    "needs to write in the data directory"
                ) from None
        return self.fd

    def try_lock(self, mode: int) -> bool:
        try:
            fcntl.flock(self._open(), mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.mode = mode
        return True

    def lock(
        self,
        mode: int,
        deadline: float,
        waiting: str,
        gave_up: str,
        announce: Announce,
        said: list[bool],
    ) -> None:
        """Take the lock, polling until ``deadline`` (monotonic); say ``waiting`` once
        (``said`` is shared by the locks of one acquisition, so that it is one line)."""
        if self.try_lock(mode):
            return
        if not said[0]:
            announce(waiting)
            said[0] = True
        delay = 0.005
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReadModelBusy(gave_up)
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.1)
            if self.try_lock(mode):
                return

    def unlock(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops its lock
            self.fd = None
            self.mode = 0


class ReadWriteLock:
    """Shared (reading) or exclusive (writing) hold on one read model, for one holder."""

    def __init__(
        self, model: Path, timeout: float | None = None, announce: Announce = to_stderr
    ) -> None:
        self.model = model
        self.timeout = wait_seconds(timeout)
        self.announce = announce
        rw, intent, _ = lock_paths(model)
        self._rw = _LockFile(rw)
        self._intent = _LockFile(intent)

    def _messages(self, what: str) -> tuple[str, str]:
        waiting = f"waiting for {what} (read model {self.model}; up to {self.timeout:g} s, {WAIT_SETTING})"
        gave_up = (
            f"gave up after {self.timeout:g} s waiting for {what} (read model {self.model}); "
            f"try again later, or set {WAIT_SETTING} to wait longer"
        )
        return waiting, gave_up

    def shared(self) -> None:
        """Wait for any writer (one already writing, or one waiting to), then hold shared."""
        self._hold(fcntl.LOCK_SH, "another rmledger process that is updating the read model")

    def exclusive(self) -> None:
        """Stop new readers, wait for those in place (and any writer), then hold exclusive.
        A shared hold of this object is given up first (flock would convert it, but
        not atomically, and a converting holder could deadlock with another)."""
        if self._rw.mode:
            self._rw.unlock()
        self._hold(fcntl.LOCK_EX, "other rmledger processes using the read model to finish")

    def _hold(self, mode: int, awaited: str) -> None:
        """The intent lock, then the read-write lock, both in ``mode``, within one
        deadline and with one waiting line; the intent lock let go again."""
        deadline = time.monotonic() + self.timeout
        waiting, gave_up = self._messages(awaited)
        said = [False]
        self._intent.lock(mode, deadline, waiting, gave_up, self.announce, said)
        try:
            self._rw.lock(mode, deadline, waiting, gave_up, self.announce, said)
        finally:
            self._intent.unlock()

    def downgrade(self) -> None:
        """From exclusive to shared: let readers in, keep writers out. flock converts
        in two steps, so a writer may slip in between; whatever it leaves is a whole
        read model, which is all a reader needs."""
        deadline = time.monotonic() + self.timeout
        waiting, gave_up = self._messages(
            "another rmledger process that is updating the read model"
        )
        self._rw.lock(fcntl.LOCK_SH, deadline, waiting, gave_up, self.announce, [False])

    @property
    def held(self) -> bool:
        return bool(self._rw.mode)

    def release(self) -> None:
        self._rw.unlock()
        self._intent.unlock()


class RebuildLock:
    """The lock a rebuild holds from start to finish."""

    def __init__(
        self, model: Path, timeout: float | None = None, announce: Announce = to_stderr
    ) -> None:
        self.model = model
        self.timeout = wait_seconds(timeout)
        self.announce = announce
        self._file = _LockFile(lock_paths(model)[2])

    def acquire(self) -> None:
        what = "another rmledger process that is rebuilding the read model"
        waiting = f"waiting for {what} (read model {self.model}; up to {self.timeout:g} s, {WAIT_SETTING})"
        gave_up = (
            f"gave up after {self.timeout:g} s waiting for {what} (read model {self.model}); "
            f"try again later, or set {WAIT_SETTING} to wait longer"
        )
        self._file.lock(
            fcntl.LOCK_EX, time.monotonic() + self.timeout, waiting, gave_up, self.announce, [False]
        )

    def try_acquire(self) -> bool:
        """Take it only if no rebuild is running."""
        return self._file.try_lock(fcntl.LOCK_EX)

    def release(self) -> None:
        self._file.unlock()

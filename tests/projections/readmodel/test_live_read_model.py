"""The server's live read model (projections/readmodel/live.py) on SQLite and PostgreSQL:
a snapshot keeps the committed state it began with, and its position, while the live
model loads newer events on the same file; a missing file is seeded from the command
line's read model and then loads only the tail of the log; while the live model is
open, a command's ``ReadModelAccess`` on its file waits and gives up with one sentence,
and once it is closed another process takes the file.

The ledgers are small: the bank of tests/builders.py (three managers and three
clients, 12 events), then a manager and a client more (16 events)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from domain.ledger import Ledger
from projections.readmodel.access import ReadModelAccess
from projections.readmodel.live import LiveReadModel, Snapshot, seed_from
from projections.readmodel.loader import ReadModel
from projections.readmodel.lock import ReadModelBusy
from tests import builders as b

WAIT = "RMLEDGER_LOCK_TIMEOUT"
SHARED = "read_model.duckdb"  # the command line's file
OWN = "read_model.serve-8765.duckdb"  # the server's own


def _seen(rm: ReadModel) -> tuple[int, int, list[str]]:
    """What a read model holds: its position, its events, its managers."""
    (events,) = rm.conn.execute("SELECT count(*) FROM events").fetchone() or (None,)
    rows = rm.conn.execute("SELECT manager_id FROM managers ORDER BY 1").fetchall()
    managers = [r[0] for r in rows]
    return rm.position(), events, managers


def test_a_snapshot_keeps_its_state_and_position_while_the_live_model_loads(
    ledger: Ledger, tmp_path: Path
) -> None:
    b.given(ledger, *b.bank())
    assert b.position(ledger) == 12
    live = LiveReadModel(tmp_path / OWN, ledger, announce=lambda _: None)
    try:
        assert live.position == 12
        old = live.snapshot()
        assert isinstance(old, ReadModel)
        assert _seen(old) == (12, 12, ["M1", "M2", "M3"])

        b.given(ledger, b.hire("M4"), b.register("C4"))
        assert b.position(ledger) == 16
        reached: list[int] = []
        loading = threading.Thread(target=lambda: reached.append(live.catch_up()))
        loading.start()
        during = _seen(old)  # read on the same file while the follower commits
        loading.join()
        assert reached == [16] and live.position == 16
        assert during == (12, 12, ["M1", "M2", "M3"])
        assert _seen(old) == (12, 12, ["M1", "M2", "M3"])

        new = live.snapshot()
        assert _seen(new) == (16, 16, ["M1", "M2", "M3", "M4"])
        # Each snapshot still answers from its own state, read from another thread.
        from_thread: list[tuple[int, int, list[str]]] = []
        reader = threading.Thread(target=lambda: from_thread.extend([_seen(old), _seen(new)]))
        reader.start()
        reader.join()
        assert from_thread == [(12, 12, ["M1", "M2", "M3"]), (16, 16, ["M1", "M2", "M3", "M4"])]
        old.close()
        old.close()  # idempotent
        with new:
            assert new.position() == 16
    finally:
        live.close()


def test_a_snapshot_is_never_caught_up(ledger: Ledger, tmp_path: Path) -> None:
    b.given(ledger, *b.bank())
    live = LiveReadModel(tmp_path / OWN, ledger, announce=lambda _: None)
    try:
        b.given(ledger, b.hire("M4"))
        with live.snapshot() as snapshot:
            assert isinstance(snapshot, Snapshot)
            with pytest.raises(TypeError) as refused:
                snapshot.catch_up(ledger)
            assert str(refused.value) == (
                "a snapshot is read-only; LiveReadModel.catch_up loads the log"
            )
            assert _seen(snapshot) == (12, 12, ["M1", "M2", "M3"])
        assert live.position == 12
    finally:
        live.close()


def test_a_missing_file_is_seeded_from_the_command_lines_and_loads_only_the_tail(
    ledger: Ledger, tmp_path: Path
) -> None:
    b.given(ledger, *b.bank())
    shared, own = tmp_path / SHARED, tmp_path / OWN
    assert ReadModelAccess(shared, ledger, announce=lambda _: None).catch_up() == 12
    # A mark that the log cannot make: only a copy of the command line's file has it.
    with ReadModel(shared) as rm:
        rm.conn.execute("UPDATE managers SET name = 'Copied' WHERE manager_id = 'M1'")
    b.given(ledger, b.hire("M4"), b.register("C4"))

    live = LiveReadModel(own, ledger, seed=shared, announce=lambda _: None)
    try:
        assert live.position == 16
        with live.snapshot() as rm:
            names = rm.conn.execute("SELECT manager_id, name FROM managers ORDER BY 1").fetchall()
            positions = rm.conn.execute(
                "SELECT count(*), count(DISTINCT position), min(position), max(position) "
                "FROM events"
            ).fetchone()
        # The copy's rows, the tail loaded once on top of them: nothing loaded twice.
        assert names == [
            ("M1", "Copied"),
            ("M2", "Manager M2"),
            ("M3", "Manager M3"),
            ("M4", "Manager M4"),
        ]
        assert positions == (16, 16, 1, 16)
        # Seeding needs the file to be missing: the server's own file is kept.
        assert seed_from(shared, own, announce=lambda _: None) is False
    finally:
        live.close()
    # The command line's file is as it was, and no half copy is left.
    with ReadModel(shared, read_only=True) as rm:
        assert _seen(rm) == (12, 12, ["M1", "M2", "M3"])
    assert sorted(p.name for p in tmp_path.glob("*.copying")) == []


def test_a_command_on_the_live_file_waits_and_gives_up_with_one_sentence(
    ledger: Ledger, tmp_path: Path
) -> None:
    b.given(ledger, *b.bank())
    path = tmp_path / OWN
    said: list[str] = []
    access = ReadModelAccess(path, ledger, timeout=0.2, announce=said.append)
    live = LiveReadModel(path, ledger, announce=lambda _: None)
    try:
        with pytest.raises(ReadModelBusy) as reading:
            access.read(catch_up=False)
        assert str(reading.value) == (
            "gave up after 0.2 s waiting for another rmledger process that is updating the "
            f"read model (read model {path}); try again later, or set {WAIT} to wait longer"
        )
        with pytest.raises(ReadModelBusy) as writing:
            access.catch_up()
        assert str(writing.value) == (
            "gave up after 0.2 s waiting for other rmledger processes using the read model "
            f"to finish (read model {path}); try again later, or set {WAIT} to wait longer"
        )
        assert said == [
            "waiting for another rmledger process that is updating the read model "
            f"(read model {path}; up to 0.2 s, {WAIT})",
            "waiting for other rmledger processes using the read model to finish "
            f"(read model {path}; up to 0.2 s, {WAIT})",
        ]
        b.given(ledger, b.hire("M4"))
    finally:
        live.close()
    # Closed: the same command gets in, and catches the file up itself.
    said.clear()
    with access.read() as rm:
        assert _seen(rm) == (14, 14, ["M1", "M2", "M3", "M4"])
    assert said == []


# Another process: takes the file's exclusive lock without waiting, then opens it
# read-write and prints its position; or prints why not and exits with 3.
OTHER_PROCESS = """
import sys
from pathlib import Path

import duckdb

from projections.readmodel.lock import ReadModelBusy, ReadWriteLock

path = Path(sys.argv[1])
lock = ReadWriteLock(path, timeout=0, announce=lambda line: None)
try:
    lock.exclusive()
except ReadModelBusy as error:
    print(error)
    raise SystemExit(3)
with duckdb.connect(str(path)) as conn:
    print(conn.execute("SELECT position FROM projection_state").fetchone()[0])
lock.release()
"""


def _other_process(path: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stderr == ""
    return done.returncode, done.stdout


def test_close_lets_another_process_take_the_file(ledger: Ledger, tmp_path: Path) -> None:
    b.given(ledger, *b.bank())
    path = tmp_path / OWN
    live = LiveReadModel(path, ledger, announce=lambda _: None)
    try:
        b.given(ledger, b.hire("M4"))
        assert live.catch_up() == 14
        snapshot = live.snapshot()  # still open when the live model closes
        assert _other_process(path) == (
            3,
            "gave up after 0 s waiting for other rmledger processes using the read model "
            f"to finish (read model {path}); try again later, or set {WAIT} to wait longer\n",
        )
    finally:
        live.close()
    assert _other_process(path) == (0, "14\n")
    snapshot.close()  # after its database: nothing to do, and no error

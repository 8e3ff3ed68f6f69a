"""Many at once (docs/concurrency.md): reading commands, an ingest and a rebuild on one
data directory at the same time all succeed with the right output; a process that
must wait says on stderr what it waits for, waits, and gives up after its timeout
with one clear sentence; a waiting writer is not starved by new readers.

No timing is asserted: each wait is sequenced by holding a lock in the test process
and reading the waiting process's stderr line before letting it go."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from projections.pay.statements import statements
from projections.readmodel.access import ReadModelAccess
from projections.readmodel.lock import ReadModelBusy, ReadWriteLock
from tests.read_model_support import (
    MODEL,
    RMLEDGER,
    behind_store,
    clean_hashes,
    cli_env,
    hashes,
    leftovers,
    rmledger,
)
from tests.scenarios.helpers import apply, namespaced, new_ledger, scenario

PAY_M1 = ("pay", "--period", "2026-02", "--manager", "M1", "--json")
SQL = (
    "sql",
    "SELECT period, count(*) AS statements FROM statements_issued GROUP BY period ORDER BY period",
)
TIERS = ("tiers", "--as-of", "2026-01-31", "--client", "C1", "--json")
EXPLAIN = ("pay", "explain", "--manager", "M1", "--period", "2026-01", "--json")
WAIT = "RMLEDGER_LOCK_TIMEOUT"


def _start(directory: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [RMLEDGER, "--data-dir", str(directory), *args],
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _caught_up(directory: Path) -> None:
    ledger = new_ledger(directory)
    try:
        ReadModelAccess(directory / MODEL, ledger).catch_up()
    finally:
        ledger.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    behind_store(tmp_path / "data")
    return tmp_path / "data"


def test_a_reader_waits_for_a_writer_says_so_and_then_reads(store: Path, tmp_path: Path) -> None:
    _caught_up(store)
    expected = rmledger(store, *SQL)
    assert expected.returncode == 0, expected.stderr
    model = store / MODEL
    writer = ReadWriteLock(model)
    writer.exclusive()  # as a catch-up or a rebuild's swap would
    try:
        reader = _start(store, *SQL)
        assert reader.stderr is not None
        line = reader.stderr.readline()
        assert line == (
            f"waiting for another rmledger process that is updating the read model "
            f"(read model {model}; up to 300 s, {WAIT})\n"
        )
    finally:
        writer.release()
    out, err = reader.communicate(timeout=300)
    assert (reader.returncode, out, err) == (0, expected.stdout, "")


def test_a_writer_waits_for_readers_and_new_readers_queue_behind_it(
    store: Path, tmp_path: Path
) -> None:
    model = store / MODEL
    reading = ReadWriteLock(model)
    reading.shared()  # a long query in progress
    try:
        catching_up = _start(store, *PAY_M1)  # the read model is behind: it must write
        assert catching_up.stderr is not None
        line = catching_up.stderr.readline()
        assert line == (
            f"waiting for other rmledger processes using the read model to finish "
            f"(read model {model}; up to 300 s, {WAIT})\n"
        )
        # It now holds the turnstile: a reader arriving after it does not get in.
        late = ReadWriteLock(model, timeout=0.2, announce=lambda _: None)
        with pytest.raises(
            ReadModelBusy,
            match="gave up after 0.2 s waiting for another rmledger "
            "process that is updating the read model",
        ):
            late.shared()
    finally:
        reading.release()
    out, err = catching_up.communicate(timeout=300)
    assert (catching_up.returncode, err) == (0, ""), err
    assert [s["manager_id"] for s in json.loads(out)] == ["M1"]


def test_a_command_gives_up_after_its_timeout_with_one_sentence(store: Path) -> None:
    model = store / MODEL
    writer = ReadWriteLock(model)
    writer.exclusive()
    try:
        done = rmledger(store, *PAY_M1, **{WAIT: "0.5"})
    finally:
        writer.release()
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"waiting for another rmledger process that is updating the read model (read model {model}; "
        f"up to 0.5 s, {WAIT})\n"
        f"Error: gave up after 0.5 s waiting for another rmledger process that is updating the read model "
        f"(read model {model}); try again later, or set {WAIT} to wait longer\n"
    )


def test_a_bad_wait_setting_is_one_sentence(store: Path) -> None:
    done = rmledger(store, *PAY_M1, **{WAIT: "soon"})
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        f"Error: {WAIT}='soon' is not a number of seconds\n",
    )


def _more_messages() -> list[dict[str, object]]:
    """Another bank's messages that change none of the outputs checked: no plan, no
    close, nothing of M1 or C1."""
    return [m for m in namespaced(scenario("example_a"), "-x") if m["type"] != "plan.published"]


@pytest.mark.slow
def test_readers_an_ingest_and_a_rebuild_at_once_all_succeed_with_the_right_output(
    store: Path, tmp_path: Path
) -> None:
    commands = [PAY_M1, PAY_M1, SQL, TIERS, EXPLAIN, ("verify",)]
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in store.glob("events.sqlite*"):
        shutil.copy(file, copy / file.name)
    expected = {}
    for args in commands[1:]:
        done = rmledger(copy, *args)
        assert done.returncode == 0, done.stderr
        expected[args] = done.stdout
    extra = tmp_path / "more.jsonl"
    extra.write_text("".join(json.dumps(m) + "\n" for m in _more_messages()))

    running = [
        (args, _start(store, *args)) for args in [*commands, ("ingest", str(extra)), ("rebuild",)]
    ]
    results = {}
    for args, process in running:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, (args, err)
        results.setdefault(args, []).append(out)

    for args in commands[:-1]:
        assert all(out == expected[args] for out in results[args]), args
    assert results[("verify",)][0].endswith(
        "OK: every seal authenticates and every sealed event matches its seal\n"
    )
    assert results[("ingest", str(extra))][0].startswith(
        f"applied: {len(_more_messages())}  duplicates: 0"
    )
    _caught_up(store)
    assert hashes(store / MODEL) == clean_hashes(store, tmp_path / "clean.duckdb")
    assert leftovers(store) == []


def test_threads_of_one_process_follow_and_read_like_a_server(store: Path) -> None:
    """A server: one thread follows the log (a catch-up per cycle), others serve
    requests on read-only connections; meanwhile the log grows."""
    ledger = new_ledger(store)
    model = store / MODEL
    access = ReadModelAccess(model, ledger)
    access.catch_up()
    failures: list[BaseException] = []
    seen: list[str] = []
    stop = threading.Event()

    def serve(catch_up: bool) -> None:
        try:
            while not stop.is_set():
                held = access.read(catch_up=catch_up)
                try:
                    seen.extend(s["manager_id"] for s in statements(held, "2026-01", "M1"))
                finally:
                    held.close()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    # Two serve what the follower loaded; one catches up itself, as a command would,
    # while the log keeps growing.
    servers = [
        threading.Thread(target=serve, args=(catch_up,)) for catch_up in (False, False, True)
    ]
    for thread in servers:
        thread.start()
    try:
        for chunk in range(3):
            messages = _more_messages()
            apply(ledger, namespaced(messages, f"-{chunk}"))
            access.catch_up()
    finally:
        stop.set()
        for thread in servers:
            thread.join(timeout=300)
        ledger.close()
    assert failures == []
    assert seen and set(seen) == {"M1"}

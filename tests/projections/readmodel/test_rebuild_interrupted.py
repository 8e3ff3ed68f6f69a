"""Interrupted at any moment, never wrong (docs/concurrency.md): ``rmledger rebuild``
killed with SIGKILL at each of its steps, or at random moments, leaves either the old
read model or the new one, never a mixture; the next command computes the right
statements and the next rebuild leaves no leftover. A catch-up killed between pages
leaves exactly a clean build up to a page's end."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from projections.pay.statements import statements
from projections.readmodel.access import KILL_AT_SETTING, REBUILD_STEPS, ReadModelAccess
from projections.readmodel.loader import ReadModel
from projections.readmodel.lock import RebuildLock
from tests.paths import ROOT
from tests.read_model_support import (
    MODEL,
    PAY,
    RMLEDGER,
    behind_store,
    clean_hashes,
    cli_env,
    expected_output,
    hashes,
    leftovers,
    rmledger,
)
from tests.scenarios.helpers import new_ledger


@pytest.fixture(scope="module")
def template(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, str], dict[str, str], list]:
    """The store, its old read model's hashes, a clean build's hashes and statements."""
    directory = tmp_path_factory.mktemp("template") / "data"
    behind_store(directory)
    scratch = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    new = clean_hashes(directory, scratch)
    with ReadModel(scratch, read_only=True) as clean:
        expected = statements(clean, "2026-02")
    return directory, hashes(directory / MODEL), new, expected


@pytest.fixture
def store(template: tuple[Path, dict[str, str], dict[str, str], list], tmp_path: Path) -> Path:
    shutil.copytree(template[0], tmp_path / "data")
    return tmp_path / "data"


def _old_or_new(model: Path, old: dict[str, str], new: dict[str, str]) -> str:
    now = hashes(model)
    assert now in (old, new), "the read model is neither the old one nor a clean build"
    return "old" if now == old else "new"


def _read(store: Path) -> list:
    """What the next reading command reads: the statements, through the access module."""
    ledger = new_ledger(store)
    try:
        model = ReadModelAccess(store / MODEL, ledger).read()
        try:
            return statements(model, "2026-02")
        finally:
            model.close()
    finally:
        ledger.close()


@pytest.mark.parametrize("step", REBUILD_STEPS)
def test_a_rebuild_killed_at_each_step_leaves_the_old_or_the_new_read_model(
    template: tuple[Path, dict[str, str], dict[str, str], list], store: Path, step: str
) -> None:
    _, old, new, expected = template
    model = store / MODEL
    assert old != new

    killed = rmledger(store, "rebuild", **{KILL_AT_SETTING: step})

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    before_the_swap = REBUILD_STEPS.index(step) < REBUILD_STEPS.index("replaced")
    assert _old_or_new(model, old, new) == ("old" if before_the_swap else "new")
    assert not (store / f"{MODEL}.wal").exists()
    # The next reader is right, whichever it found, and leaves a clean build.
    assert _read(store) == expected
    assert hashes(model) == new
    # The next rebuild works and cleans up after the killed one.
    ledger = new_ledger(store)
    try:
        ReadModelAccess(model, ledger).rebuild()
    finally:
        ledger.close()
    assert (hashes(model), leftovers(store)) == (new, [])


def test_a_killed_rebuilds_leftover_is_removed_by_the_next_catch_up(store: Path) -> None:
    killed = rmledger(store, "rebuild", **{KILL_AT_SETTING: "built"})
    assert killed.returncode == -signal.SIGKILL
    (leftover,) = leftovers(store)
    assert leftover.startswith(f"{MODEL}.new-")
    pay = rmledger(store, *PAY)  # the read model is behind: this one catches up
    assert pay.returncode == 0, pay.stderr
    assert leftovers(store) == []


@pytest.mark.slow
def test_rebuilds_killed_at_random_moments_never_leave_a_mixture(
    template: tuple[Path, dict[str, str], dict[str, str], list], store: Path, tmp_path: Path
) -> None:
    _, old, new, _ = template
    model = store / MODEL
    chooser = random.Random(14)
    for _ in range(8):
        process = subprocess.Popen(
            [RMLEDGER, "--data-dir", str(store), "rebuild"],
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _until_rebuilding(store, process)
        time.sleep(chooser.uniform(0.0, 0.6))  # where it is killed, not what is asserted
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=120)
        _old_or_new(model, old, new)
        assert not (store / f"{MODEL}.wal").exists()
    expected = expected_output(store, tmp_path / "copy", *PAY)
    pay = rmledger(store, *PAY)
    assert (pay.returncode, pay.stdout, pay.stderr) == (0, expected, "")
    again = rmledger(store, "rebuild")
    assert again.returncode == 0, again.stderr
    assert (hashes(model), leftovers(store)) == (new, [])


def _until_rebuilding(store: Path, process: subprocess.Popen[bytes]) -> None:
    """Wait until ``process`` holds the rebuild lock (or has ended): the random moment
    is then taken within the rebuild, not within the interpreter's start."""
    probe = RebuildLock(store / MODEL, announce=lambda _: None)
    while process.poll() is None:
        if not probe.try_acquire():
            return
        probe.release()
        time.sleep(0.01)


_KILLED_CATCH_UP = """
import os, signal, sys
from projections.readmodel.loader import ReadModel
from projections.pay.statements import statements
from tests.scenarios.helpers import new_ledger
ledger = new_ledger(__import__("pathlib").Path(sys.argv[1]))
pages = 0
def page(_position):
    global pages
    pages += 1
    if pages == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)
ReadModel(sys.argv[2]).catch_up(ledger, page_size=4, on_page=page)
"""


@pytest.mark.parametrize("pages", [1, 3, 6])
def test_a_catch_up_killed_between_pages_keeps_whole_pages_and_then_catches_up_cleanly(
    template: tuple[Path, dict[str, str], dict[str, str], list],
    store: Path,
    tmp_path: Path,
    pages: int,
) -> None:
    model = tmp_path / "killed.duckdb"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_CATCH_UP, str(store), str(model), str(pages)],
        env=cli_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Each page is committed with its position: the file (its log replayed) holds
    # exactly the first ``pages`` pages, like a clean catch-up stopped there.
    ledger = new_ledger(store)
    try:
        with ReadModel(model) as after_kill:
            assert after_kill.position() == 4 * pages
            kept = after_kill.table_hashes()
        with ReadModel(tmp_path / "stopped.duckdb") as stopped:
            stopped.catch_up(ledger, page_size=4, stop=4 * pages)
            assert kept == stopped.table_hashes()
        ReadModelAccess(model, ledger).catch_up()
    finally:
        ledger.close()
    assert hashes(model) == template[2]

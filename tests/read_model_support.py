"""A data directory for the read-model access tests, and ways to run and compare.

``behind_store(directory)``: an SQLite event store of two scenarios (a close, a late
posting and a reversal, then a second bank's messages) whose read model was left at
position 12, so that the read model on disk ("old") differs from a clean build of the
whole log ("new")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from projections.readmodel.loader import ReadModel
from tests.scenarios.helpers import apply, namespaced, new_ledger, scenario

RMLEDGER = str(Path(sys.executable).parent / "rmledger")
MODEL = "read_model.duckdb"
# Statements that every correct read model gives whatever it caught up from: the
# issued January and the open February, recomputed on the whole log.
PAY = ("pay", "--period", "2026-02", "--json")


def behind_store(directory: Path) -> Path:
    """The store described above, in ``directory``; returns the read model's path."""
    directory.mkdir(parents=True, exist_ok=True)
    ledger = new_ledger(directory)
    try:
        apply(ledger, scenario("late_posting_reversal"))
        with ReadModel(directory / MODEL) as rm:
            rm.catch_up(ledger, page_size=5, stop=12)
        apply(ledger, namespaced(scenario("half_clawback"), "-h"))
    finally:
        ledger.close()
    return directory / MODEL


def rmledger(
    directory: Path, *args: str, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    """``rmledger --data-dir DIRECTORY ARGS`` as a process, SQLite store, clean settings."""
    return subprocess.run(
        [RMLEDGER, "--data-dir", str(directory), *args],
        capture_output=True,
        text=True,
        env=cli_env(**env),
        timeout=timeout,
        check=False,
    )


def cli_env(**env: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RMLEDGER_", "PERSISTENCE_MODULE", "SQLITE_", "CIPHER_"))
    }
    return {**base, **env}


def hashes(path: Path) -> dict[str, str]:
    """The table hashes of the read model at ``path``, read as it is (no catch-up)."""
    with ReadModel(path, read_only=True) as rm:
        return rm.table_hashes()


def clean_hashes(directory: Path, scratch: Path) -> dict[str, str]:
    """The table hashes of a read model built from nothing on ``directory``'s log."""
    ledger = new_ledger(directory)
    try:
        with ReadModel(scratch) as rm:
            rm.catch_up(ledger)
            return rm.table_hashes()
    finally:
        ledger.close()


def expected_output(directory: Path, scratch: Path, *args: str) -> str:
    """What ``rmledger ARGS`` prints on a copy of ``directory``'s store with no read model."""
    scratch.mkdir(parents=True)
    for file in directory.glob("events.sqlite*"):
        shutil.copy(file, scratch / file.name)
    done = rmledger(scratch, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def leftovers(directory: Path) -> list[str]:
    """Files a rebuild leaves behind while it runs (the new file, its log)."""
    return sorted(p.name for p in directory.glob(f"{MODEL}.new-*"))

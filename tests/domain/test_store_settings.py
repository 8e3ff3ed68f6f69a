"""Stores that cannot be mixed, and machines that say what is wrong.

The store records whether it is encrypted (and a check value under its key); a
command whose CIPHER_KEY does not match is refused before anything is written, naming
the setting. A malformed key, a reading command where there is no store, a read-only
or full disk: one sentence on stderr, exit 1, no traceback.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher

from domain.ledger import Ledger
from domain.store import MAKE_KEY, ledger_env
from scripts.bank.generate import write_jsonl
from tests import builders as b
from tests.paths import SCENARIOS
from tests.stores import RMLEDGER, PostgresStore, SqliteStore, run_rmledger

SCENARIO = str(SCENARIOS / "example_a.jsonl")
KEY = AESCipher.create_key(32)
OTHER_KEY = AESCipher.create_key(16)
AES = "eventsourcing.cryptography:AESCipher"

NEEDS_KEY = (
    "Error: this event store is encrypted and CIPHER_KEY is not set: set CIPHER_KEY to the store's key "
    "(a store cannot mix clear and encrypted events; nothing was written)\n"
)
NO_KEY_WANTED = (
    "Error: this event store is not encrypted and CIPHER_KEY is set: unset CIPHER_KEY for this "
    "store (a store cannot mix clear and encrypted events; nothing was written)\n"
)
WRONG_KEY = (
    "Error: CIPHER_KEY is not the key this event store was encrypted with: give the store's own key "
    "(a store cannot mix keys; nothing was written)\n"
)
BAD_KEY = (
    "Error: CIPHER_KEY is not an AES key: it must be the base64 of 16, 24 or 32 random bytes "
    f"(44 characters for 32 bytes); make one with {MAKE_KEY}\n"
)


def _refused(result: subprocess.CompletedProcess[str], stderr: str) -> None:
    assert (result.returncode, result.stdout, result.stderr) == (1, "", stderr)


@pytest.mark.parametrize(
    ("first", "then", "error"),
    [
        (None, KEY, NO_KEY_WANTED),
        (KEY, None, NEEDS_KEY),
        (KEY, OTHER_KEY, WRONG_KEY),
    ],
)
def test_a_store_written_one_way_refuses_a_writer_with_another_cipher_key_before_writing(
    store: Any, first: str | None, then: str | None, error: str
) -> None:
    env = {"CIPHER_KEY": first} if first else {}
    assert run_rmledger(store, "ingest", SCENARIO, **env).returncode == 0
    before = store.raw_bytes()
    other = {"CIPHER_KEY": then} if then else {}
    other_file = str(SCENARIOS / "all_categories.jsonl")

    _refused(run_rmledger(store, "ingest", other_file, **other), error)
    _refused(run_rmledger(store, "pay", "--period", "2025-03", **other), error)
    assert store.raw_bytes() == before
    # With its own setting the store is still whole and readable.
    assert run_rmledger(store, "pay", "--period", "2025-03", **env).returncode == 0


def test_a_store_written_before_the_marker_existed_is_judged_by_its_first_event(
    store: Any, make_ledger: Callable[..., Ledger]
) -> None:
    legacy = make_ledger(CIPHER_TOPIC=AES, CIPHER_KEY=KEY)
    b.given(legacy, b.hire("M9"))
    legacy.close()  # its file closed (checkpointed), so that the bytes compared are final
    before = store.raw_bytes()
    _refused(run_rmledger(store, "ingest", SCENARIO), NEEDS_KEY)
    _refused(run_rmledger(store, "ingest", SCENARIO, CIPHER_KEY=OTHER_KEY), WRONG_KEY)
    assert store.raw_bytes() == before
    assert run_rmledger(store, "ingest", SCENARIO, CIPHER_KEY=KEY).returncode == 0


@pytest.mark.parametrize("key", ["hunter2", "aGVsbG8=", "A" * 43 + "=" + "!", " "])
def test_a_malformed_cipher_key_is_refused_with_the_format_and_how_to_make_one(
    store: Any, key: str
) -> None:
    _refused(run_rmledger(store, "ingest", SCENARIO, CIPHER_KEY=key), BAD_KEY)
    assert not (store.data_dir / "events.sqlite").exists()


def test_the_key_maker_named_in_the_message_makes_a_key_the_ledger_takes(
    tmp_path: Path, clean_environ: None
) -> None:
    made = subprocess.run(
        ["sh", "-c", MAKE_KEY.replace("python", str(Path(RMLEDGER).parent / "python"), 1)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert len(made) == 44
    Ledger({**ledger_env(tmp_path, {"CIPHER_KEY": made}), "CIPHER_KEY": made}).close()


def test_a_reading_command_where_there_is_no_store_says_so_and_creates_nothing(
    tmp_path: Path, clean_environ: None
) -> None:
    empty = SqliteStore(tmp_path / "nothing-here")
    for args in (
        ["pay", "--period", "2025-03"],
        ["tiers", "--as-of", "2025-03-31"],
        ["rebuild"],
        ["verify"],
        ["sql", "SELECT 1"],
        ["export", "--out", str(tmp_path / "export")],
    ):
        result = run_rmledger(empty, *args)
        assert (result.returncode, result.stdout) == (1, ""), result
        assert result.stderr == (
            f"Error: no event store at {empty.data_dir}/events.sqlite: give the data directory or database that "
            "holds it (--data-dir, RMLEDGER_DATA_DIR, POSTGRES_*), or write to it first with `rmledger ingest` "
            "or `rmledger consume`\n"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_a_reading_command_on_an_empty_postgresql_schema_creates_no_table(
    tmp_path: Path, clean_environ: None
) -> None:
    from tests.stores import require_postgres

    require_postgres()
    empty = PostgresStore(tmp_path)
    try:
        result = run_rmledger(empty, "pay", "--period", "2025-03")
        assert result.returncode == 1 and result.stderr.startswith(
            f"Error: no event store at PostgreSQL database 'test' schema '{empty.schema}' (table rmledger_events)"
        )
        assert empty.tables() == []
    finally:
        empty.drop()


# -- the machine: read-only and full disks, a data directory that is a file ------------


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """``directory`` read-only: a read-only mount of a copy when root (permissions do
    not stop root), its permission bits otherwise."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    bound = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(directory), str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if bound.returncode != 0:
        pytest.skip(f"!!! cannot make a read-only mount here: {bound.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(directory)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(directory)], check=True)


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_a_read_only_data_directory_gives_one_sentence(tmp_path: Path, clean_environ: None) -> None:
    store = SqliteStore(tmp_path / "var")
    store.data_dir.mkdir()
    with read_only(store.data_dir):
        result = run_rmledger(store, "ingest", SCENARIO)
    assert result.returncode == 1
    _no_traceback(result)
    assert result.stderr.startswith(
        f"Error: the data directory {store.data_dir} is not writable"
    ) or result.stderr.startswith(f"Error: cannot use {store.data_dir}/events.sqlite"), (
        result.stderr
    )


def _file_size_limit(limit: int) -> Callable[[], None]:
    def limited() -> None:
        signal.signal(
            signal.SIGXFSZ, signal.SIG_IGN
        )  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


def test_a_full_disk_gives_one_sentence_and_leaves_a_whole_store(
    tmp_path: Path, clean_environ: None
) -> None:
    store = SqliteStore(tmp_path / "var")
    bank = tmp_path / "bank.jsonl"
    write_jsonl(bank, seed=3, size="tiny")
    full = subprocess.run(
        [RMLEDGER, "--data-dir", str(store.data_dir), "ingest", "--batch-size", "50", str(bank)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SQLITE_LOCK_TIMEOUT": "5"},
        preexec_fn=_file_size_limit(256 * 1024),
    )
    assert full.returncode == 1
    _no_traceback(full)
    assert full.stderr in (
        f"Error: the disk holding the event store is full: free space on that disk and run the command again "
        f"(the transaction being written was rolled back) (data directory {store.data_dir})\n",
        f"Error: a disk I/O error while writing the event store (a full or failing disk) "
        f"(data directory {store.data_dir})\n",
    ) or full.stderr.startswith(f"Error: cannot use {store.data_dir}"), full.stderr
    # With room again, the same file applies what is missing: the store was left whole.
    again = run_rmledger(store, "ingest", "--json", str(bank))
    assert again.returncode == 0, again.stderr
    assert run_rmledger(store, "verify").returncode == 0


def test_a_data_directory_that_is_a_file_is_a_usage_error(
    tmp_path: Path, clean_environ: None
) -> None:
    afile = tmp_path / "var"
    afile.write_text("not a directory\n")
    result = run_rmledger(SqliteStore(afile), "ingest", SCENARIO)
    assert result.returncode == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for '--data-dir': Directory '{afile}' is a file.\n"
    )
    assert afile.read_text() == "not a directory\n"


def test_a_full_disk_under_the_read_model_gives_one_sentence_and_the_next_run_works(
    tmp_path: Path, clean_environ: None
) -> None:
    store = SqliteStore(tmp_path / "var")
    assert run_rmledger(store, "ingest", SCENARIO).returncode == 0
    full = subprocess.run(
        [RMLEDGER, "--data-dir", str(store.data_dir), "pay", "--period", "2025-03"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ),
        preexec_fn=_file_size_limit(64 * 1024),
    )
    assert full.returncode == 1
    _no_traceback(full)
    assert full.stderr.startswith(f"Error: cannot write the read model in {store.data_dir}: "), (
        full.stderr
    )
    assert run_rmledger(store, "pay", "--period", "2025-03").returncode == 0

"""A damaged, truncated or foreign read-model file (docs/concurrency.md): the next
command says on stderr what is wrong with it and that it rebuilds it, then gives the
right output; ``rmledger rebuild`` works whatever the old file is; when the file
cannot be rebuilt the command says which command to run, in one sentence."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from projections.readmodel.access import ReadModelAccess, ReadModelUnusable
from projections.readmodel.loader import ReadModel
from projections.readmodel.meta import format_stamp
from tests.read_model_support import (
    MODEL,
    PAY,
    behind_store,
    clean_hashes,
    expected_output,
    hashes,
    leftovers,
    rmledger,
)
from tests.scenarios.helpers import apply, new_ledger, scenario


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """A store, what ``pay`` prints on it, and a clean build's table hashes."""
    directory = tmp_path_factory.mktemp("template") / "data"
    behind_store(directory)
    expected = expected_output(directory, tmp_path_factory.mktemp("expected") / "copy", *PAY)
    return (
        directory,
        expected,
        clean_hashes(directory, tmp_path_factory.mktemp("clean") / "clean.duckdb"),
    )


@pytest.fixture
def store(template: tuple[Path, str, dict[str, str]], tmp_path: Path) -> Path:
    shutil.copytree(template[0], tmp_path / "data")
    return tmp_path / "data"


def _garbage(model: Path) -> None:
    model.write_bytes(b"not a database\n" * 1000)


def _empty(model: Path) -> None:
    model.write_bytes(b"")


def _truncated(model: Path) -> None:
    data = model.read_bytes()
    model.write_bytes(data[: len(data) // 2])


def _no_schema(model: Path) -> None:
    model.unlink()
    conn = duckdb.connect(str(model))
    conn.execute("CREATE TABLE notes AS SELECT 'hello' AS text")
    conn.close()


def _older_format(model: Path) -> None:
    conn = duckdb.connect(str(model))
    conn.execute("UPDATE read_model_meta SET value = '0-old' WHERE key = 'format'")
    conn.close()


def _unstamped(model: Path) -> None:
    conn = duckdb.connect(str(model))
    conn.execute("DROP TABLE read_model_meta")
    conn.close()


def _other_store(model: Path) -> None:
    """The read model of another event store (same size, other events)."""
    other = model.parent.parent / "other"
    other.mkdir()
    ledger = new_ledger(other)
    try:
        apply(ledger, scenario("smoke"))
        model.unlink()
        with ReadModel(model) as rm:
            rm.catch_up(ledger, stop=12)
    finally:
        ledger.close()


REASONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "garbage": (
        _garbage,
        'DuckDB cannot read it: IO Error: The file "{model}" exists, but it is not a '
        "valid DuckDB database file!",
    ),
    "empty": (
        _empty,
        'DuckDB cannot read it: IO Error: The file "{model}" exists, but it is not a '
        "valid DuckDB database file!",
    ),
    "truncated": (
        _truncated,
        'DuckDB cannot read it: IO Error: Could not read enough bytes from file "{model}"',
    ),
    "no schema": (_no_schema, "it is a DuckDB file but not an rmledger read model"),
    "older format": (
        _older_format,
        "it was made by another version of rmledger (format 0-old, this version reads {stamp})",
    ),
    "unstamped": (_unstamped, "it was made by an older rmledger (no format stamp)"),
    "other store": (
        _other_store,
        "its event at position 1 is not the event store's: it was made from another event store",
    ),
}


@pytest.mark.parametrize("kind", REASONS)
def test_a_bad_file_is_said_rebuilt_and_read(
    template: tuple[Path, str, dict[str, str]], store: Path, kind: str
) -> None:
    _, expected, clean = template
    model = store / MODEL
    damage, reason = REASONS[kind]
    damage(model)

    pay = rmledger(store, *PAY)

    said = reason.format(model=model, stamp=format_stamp())
    assert (pay.returncode, pay.stdout) == (0, expected), pay.stderr
    assert pay.stderr.startswith(f"the read model {model} cannot be used ({said}")
    assert pay.stderr.endswith("); rebuilding it from the event log\n")
    assert pay.stderr.count("\n") == 1
    assert (hashes(model), leftovers(store)) == (clean, [])


@pytest.mark.parametrize("kind", REASONS)
def test_rebuild_works_whatever_the_old_file_is(
    template: tuple[Path, str, dict[str, str]], store: Path, kind: str
) -> None:
    model = store / MODEL
    REASONS[kind][0](model)
    rebuilt = rmledger(store, "rebuild")
    assert (rebuilt.returncode, rebuilt.stderr) == (0, "")
    assert (hashes(model), leftovers(store)) == (template[2], [])


def test_a_stale_write_ahead_log_of_the_old_file_is_not_replayed_into_the_new_one(
    template: tuple[Path, str, dict[str, str]], store: Path
) -> None:
    model = store / MODEL
    (store / f"{MODEL}.wal").write_bytes(b"left by a killed writer\n" * 100)
    rebuilt = rmledger(store, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert not (store / f"{MODEL}.wal").exists()
    assert hashes(model) == template[2]


def test_without_automatic_rebuild_the_error_names_the_command(store: Path) -> None:
    model = store / MODEL
    _garbage(model)
    ledger = new_ledger(store)
    try:
        with pytest.raises(ReadModelUnusable) as refused:
            ReadModelAccess(model, ledger, auto_rebuild=False).read()
    finally:
        ledger.close()
    assert str(refused.value) == (
        f'the read model {model} cannot be used: DuckDB cannot read it: IO Error: The file "{model}" '
        "exists, but it is not a valid DuckDB database file!; run `rmledger rebuild` to make it again "
        "from the event log"
    )


def test_when_the_rebuild_fails_too_the_command_says_what_to_run(store: Path) -> None:
    model = store / MODEL
    model.unlink()
    model.mkdir()  # a directory where the file should be: DuckDB cannot read it, nor can it be replaced
    pay = rmledger(store, *PAY)
    assert (pay.returncode, pay.stdout) == (1, "")
    lines = pay.stderr.splitlines()
    assert len(lines) == 2, pay.stderr
    assert lines[0].startswith(f"the read model {model} cannot be used (DuckDB cannot read it: ")
    assert lines[1].startswith(
        f"Error: the read model {model} cannot be used (DuckDB cannot read it: "
    )
    assert lines[1].endswith(
        f"rebuilding it failed: [Errno 21] Is a directory: '{model.with_name(MODEL)}.new-"
        f"{lines[1].split('.new-')[1].split(chr(39))[0]}' -> '{model}'; run `rmledger "
        "rebuild` once that is fixed"
    )
    assert leftovers(store) == []


def test_a_rebuild_that_cannot_succeed_is_one_sentence(store: Path) -> None:
    model = store / MODEL
    model.unlink()
    model.mkdir()
    rebuilt = rmledger(store, "rebuild")
    assert (rebuilt.returncode, rebuilt.stdout) == (1, "")
    [line] = rebuilt.stderr.splitlines()
    new = f"{model}.new-{line.split('.new-')[1].split(chr(39))[0]}"
    assert line == (
        f"Error: rebuilding the read model {model} failed ([Errno 21] Is a directory: '{new}' -> "
        f"'{model}'); the read model in place was not changed"
    )
    assert leftovers(store) == []


def test_a_garbage_write_ahead_log_beside_the_file_does_not_stop_the_next_command(
    template: tuple[Path, str, dict[str, str]], store: Path
) -> None:
    """DuckDB checks its log's checksums and discards one that is not its own; the
    command opens the file read-write once (exclusive lock), which checkpoints it."""
    _, expected, clean = template
    model = store / MODEL
    (store / f"{MODEL}.wal").write_bytes(bytes(range(256)) * 20)
    pay = rmledger(store, *PAY)
    assert (pay.returncode, pay.stdout, pay.stderr) == (0, expected, "")
    assert not (store / f"{MODEL}.wal").exists()
    assert hashes(model) == clean

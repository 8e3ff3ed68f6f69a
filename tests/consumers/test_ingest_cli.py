"""``rmledger ingest`` end to end (docs/contract.md C2.1, C3): a file mixing good,
duplicate, conflicting, rule-breaking and malformed lines is applied line by line;
the summary names each rejection with its line and reason; exit 1 when any line was
rejected; only the good lines reach the store. Run as a process and with CliRunner,
on each store."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from consumers.jsonl import ingest_files
from domain.ledger import Ledger
from domain.store import ledger_env
from scripts.cli import main as cli_module
from scripts.cli.main import cli
from tests import builders as b
from tests.progress_bars import Bars, record_progress_bars
from tests.stores import RMLEDGER, run_rmledger

MIXED = [
    json.dumps(b.hire("M1")),  # 1 applied
    json.dumps(b.register("C1")),  # 2 applied
    json.dumps(b.assign("C1", "M1")),  # 3 applied
    json.dumps(b.book("P1", "C1", "100.00")),  # 4 applied
    "",  # 5 blank: skipped
    json.dumps(b.hire("M1")),  # 6 duplicate
    json.dumps(b.book("P1", "C1", "200.00")),  # 7 conflict
    json.dumps(b.book("P2", "C1")).replace('"100.00"', "12.5"),  # 8 a float
    "this is not json",  # 9 malformed
    json.dumps(b.assign("C1", "M2")),  # 10 unknown manager
    json.dumps(b.book("P3", "C1", "50.00")),  # 11 applied
    json.dumps(b.hire("M1", grade="senior")),  # 12 conflict
    json.dumps(b.register("C2", nickname="Xiao Wang")),  # 13 unknown field
]

REJECTIONS = [
    (
        7,
        "P1",
        "id",
        "id_conflict",
        "id: id_conflict: message id 'P1' was already applied with different content",
    ),
    (
        8,
        "P2",
        "amount",
        "wrong_type",
        "amount: wrong_type: must be a JSON string holding a decimal, got the number 12.5",
    ),
    (
        9,
        None,
        None,
        "invalid_json",
        "invalid_json: not valid JSON (Expecting value: line 1 column 1 (char 0))",
    ),
    (
        10,
        "assign:C1:M2:primary:2025-01-10",
        "manager_id",
        "unknown_manager",
        "manager_id: unknown_manager: no manager 'M2' is known",
    ),
    (
        12,
        "hire:M1",
        "id",
        "id_conflict",
        "id: id_conflict: message id 'hire:M1' was already applied with different content",
    ),
    (
        13,
        "reg:C2",
        "nickname",
        "unknown_field",
        "nickname: unknown_field: client.registered has no field 'nickname' (unknown fields are rejected)",
    ),
]

STORED = [
    "Manager.Hired",
    "Receipt.Applied",
    "Client.Registered",
    "Receipt.Applied",
    "Client.Assigned",
    "Manager.ClientTaken",
    "Receipt.Applied",
    "Posting.Booked",
    "Posting.Booked",
]


def expected_text(path: Path, applied: int = 5, duplicates: int = 1) -> str:
    lines = [f"applied: {applied}  duplicates: {duplicates}  rejected: {len(REJECTIONS)}"]
    lines += [
        f"  {path}:{line} [{id_ or '-'}] {message}" for line, id_, _, _, message in REJECTIONS
    ]
    return "\n".join(lines) + "\n"


def expected_json(path: Path) -> str:
    rejected = [
        {
            "file": str(path),
            "line": line,
            "id": id_,
            "field": field,
            "rule": rule,
            "message": message,
        }
        for line, id_, field, rule, message in REJECTIONS
    ]
    return json.dumps({"applied": 5, "duplicates": 1, "rejected": rejected}, indent=2) + "\n"


@pytest.fixture
def rmledger(store: Any) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``rmledger --data-dir <the store's directory> ...`` as a process on the test's store."""
    return lambda *args: run_rmledger(store, *args)


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    path = tmp_path / "input" / "messages.jsonl"
    path.parent.mkdir()
    path.write_text("\n".join(MIXED) + "\n")
    return path


# -- as a process -------------------------------------------------------------------------------------


def test_ingest_prints_the_counts_and_each_rejection_with_its_line_and_reason(
    rmledger: Callable[..., Any], mixed_file: Path
) -> None:
    result = rmledger("ingest", str(mixed_file))
    assert result.stdout == expected_text(mixed_file)
    assert result.returncode == 1


def test_ingest_json_prints_the_summary_of_the_contract(
    rmledger: Callable[..., Any], mixed_file: Path
) -> None:
    result = rmledger("ingest", "--json", str(mixed_file))
    assert result.stdout == expected_json(mixed_file)
    assert result.returncode == 1


def test_only_the_good_lines_reach_the_store(
    rmledger: Callable[..., Any], mixed_file: Path, make_ledger: Callable[..., Ledger]
) -> None:
    rmledger("ingest", str(mixed_file))
    ledger = make_ledger()
    assert b.topics_since(ledger, 0) == STORED
    assert b.state(ledger, "posting", "P1").amount == Decimal("100.00")
    assert b.state(ledger, "manager", "M1").grade == "junior"
    assert b.state(ledger, "client", "C1").primary.manager_id == "M1"


def test_ingesting_the_same_file_again_changes_nothing(
    rmledger: Callable[..., Any], mixed_file: Path, make_ledger: Callable[..., Ledger]
) -> None:
    rmledger("ingest", str(mixed_file))
    before = b.notifications(make_ledger())
    again = rmledger("ingest", str(mixed_file))
    assert again.stdout == expected_text(mixed_file, applied=0, duplicates=6)
    assert again.returncode == 1
    assert b.notifications(make_ledger()) == before


def test_the_result_is_the_same_with_one_message_per_transaction(
    rmledger: Callable[..., Any], mixed_file: Path, make_ledger: Callable[..., Ledger]
) -> None:
    result = rmledger("ingest", "--batch-size", "1", "--json", str(mixed_file))
    assert result.stdout == expected_json(mixed_file)
    assert b.topics_since(make_ledger(), 0) == STORED


def test_a_file_without_rejections_exits_0(rmledger: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps(b.hire("M1")) + "\n" + json.dumps(b.register("C1")) + "\n")
    result = rmledger("ingest", str(path))
    assert (result.stdout, result.returncode) == ("applied: 2  duplicates: 0  rejected: 0\n", 0)


def test_lines_are_numbered_within_each_file_and_files_apply_in_order(
    rmledger: Callable[..., Any], tmp_path: Path
) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps(b.register("C1")) + "\n" + "{}\n")
    second.write_text(json.dumps(b.book("P1", "C1")) + "\n" + json.dumps(b.book("P2", "C2")) + "\n")
    result = rmledger("ingest", str(first), str(second))
    assert result.stdout == (
        "applied: 2  duplicates: 0  rejected: 2\n"
        f"  {first}:2 [-] type: missing_field: every message needs a type\n"
        f"  {second}:2 [P2] client_id: unknown_client: no client 'C2' is known\n"
    )
    assert result.returncode == 1


def test_the_data_directory_can_come_from_the_environment(
    store: Any, tmp_path: Path, mixed_file: Path, make_ledger: Callable[..., Ledger]
) -> None:
    env = {**os.environ, **store.cli_env(), "RMLEDGER_DATA_DIR": str(store.data_dir)}
    result = subprocess.run(
        [RMLEDGER, "ingest", str(mixed_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert b.topics_since(make_ledger(), 0) == STORED


def test_a_missing_file_is_a_usage_error(rmledger: Callable[..., Any], tmp_path: Path) -> None:
    result = rmledger("ingest", str(tmp_path / "nowhere.jsonl"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_a_line_that_cannot_be_stored_is_rejected_and_the_others_applied(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "surrogate.jsonl"
    bad = json.dumps(b.hire("M2", name="Li\ud800"))  # a lone surrogate escape: valid JSON, not text
    path.write_text("\n".join([json.dumps(b.hire("M1")), bad, json.dumps(b.register("C1"))]) + "\n")
    summary = ingest_files(ledger, [path])
    assert (summary.applied, [(r.line, r.field) for r in summary.rejected]) == (2, [(2, "name")])


# -- with click's CliRunner --------------------------------------------------------------------------------


def test_ingest_in_process_prints_the_same_summary(
    store: Any, tmp_path: Path, mixed_file: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(store.data_dir), "ingest", str(mixed_file)], env=store.cli_env()
    )
    assert result.stdout == expected_text(mixed_file)
    assert result.exit_code == 1


def test_ingest_in_process_prints_the_same_json(
    store: Any, tmp_path: Path, mixed_file: Path, make_ledger: Callable[..., Ledger]
) -> None:
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(store.data_dir), "ingest", "--json", str(mixed_file)],
        env=store.cli_env(),
    )
    assert json.loads(result.stdout) == json.loads(expected_json(mixed_file))
    assert result.stdout == expected_json(mixed_file)
    assert result.exit_code == 1
    assert b.topics_since(make_ledger(), 0) == STORED


# -- the progress bar on large files ---------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch, clean_environ: None) -> Bars:
    """Make every file "large" (a 100-byte threshold) and record the bars shown."""
    monkeypatch.setattr(cli_module, "PROGRESS_THRESHOLD_BYTES", 100)
    return record_progress_bars(monkeypatch, cli_module)


def test_a_large_file_shows_a_progress_bar_on_stderr_and_the_summary_stays_exact(
    bars: Bars,
    tmp_path: Path,
    mixed_file: Path,
) -> None:
    size = mixed_file.stat().st_size
    assert size > cli_module.PROGRESS_THRESHOLD_BYTES
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "store"), "ingest", str(mixed_file)]
    )
    assert result.stdout == expected_text(mixed_file)
    assert result.exit_code == 1
    # rich's bar, drawn on stderr: the description, the bar, bytes read of the total.
    drawn = ANSI.sub("", result.stderr)
    assert re.search(r"ingesting ━+ 0\.0/1\.8 kB", drawn), drawn
    assert re.search(r"ingesting ━+╸? 1\.8/1\.8 kB", drawn), drawn
    [[(total, completed)]] = bars
    assert total == size and completed > 0
    ledger = Ledger(ledger_env(tmp_path / "store", {}))
    try:
        assert b.topics_since(ledger, 0) == STORED  # the bar changes nothing of what is stored
    finally:
        ledger.close()


@pytest.mark.parametrize("blank_lines", [False, True])
def test_the_progress_bar_ends_at_the_total_of_the_files(
    bars: Bars,
    tmp_path: Path,
    blank_lines: bool,
) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(
        json.dumps(b.hire("M1"))
        + "\n"
        + ("\n" if blank_lines else "")
        + json.dumps(b.register("C1"))
        + "\n"
    )
    second.write_text(json.dumps(b.assign("C1", "M1")) + "\n")
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "store"), "ingest", str(first), str(second)]
    )
    assert (result.stdout, result.exit_code) == ("applied: 3  duplicates: 0  rejected: 0\n", 0)
    total = first.stat().st_size + second.stat().st_size
    assert bars == [[(total, total)]]


def test_the_json_summary_is_not_polluted_by_the_progress_bar(
    bars: Bars,
    tmp_path: Path,
    mixed_file: Path,
) -> None:
    """Above the threshold and on a terminal, --json still prints only the JSON (on
    stdout) and draws no bar (on stderr): its output is for programs."""
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "store"), "ingest", "--json", str(mixed_file)]
    )
    assert result.stdout == expected_json(mixed_file)
    assert result.stderr == ""
    assert result.exit_code == 1
    assert bars == []


def test_a_small_file_shows_no_progress_bar(
    bars: Bars,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    mixed_file: Path,
) -> None:
    monkeypatch.setattr(cli_module, "PROGRESS_THRESHOLD_BYTES", mixed_file.stat().st_size + 1)
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "store"), "ingest", str(mixed_file)]
    )
    assert result.stdout == expected_text(mixed_file)
    assert (result.stderr, bars) == ("", [])

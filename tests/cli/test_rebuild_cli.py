"""``rmledger rebuild``: drops the read model and replays the whole log, to the same
tables as an incremental catch-up; says where it got to; on a long log shows a
progress bar on stderr that ends at the log's last position."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from projections.readmodel.loader import ReadModel
from scripts.cli import rebuild as cmd_rebuild
from scripts.cli.main import cli
from tests import builders as b
from tests.progress_bars import Bars, record_progress_bars
from tests.scenarios.helpers import apply, namespaced, new_ledger, scenario

SUMMARY = re.compile(
    r"rebuilt to position (\d+): (\d+) events in \d+\.\d\d s \([\d,]+ events/s\)\n"
)


@pytest.fixture
def store(tmp_path: Path, clean_environ: None) -> Path:
    """A data directory whose event store holds two scenarios (a close, a late posting
    and a reversal among them), and whose read model is behind the log."""
    ledger = new_ledger(tmp_path)
    try:
        apply(ledger, scenario("late_posting_reversal"))
        with ReadModel(tmp_path / "read_model.duckdb") as rm:
            rm.catch_up(ledger, page_size=5, stop=12)
        apply(ledger, namespaced(scenario("half_clawback"), "-h"))
    finally:
        ledger.close()
    return tmp_path


def _last_position(directory: Path) -> int:
    ledger = new_ledger(directory)
    try:
        return b.position(ledger)
    finally:
        ledger.close()


def test_rebuild_replays_the_whole_log_to_the_tables_of_a_catch_up(
    store: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(store), "rebuild"])
    assert result.exit_code == 0, result.output
    match = SUMMARY.fullmatch(result.stdout)
    assert match, result.stdout
    last = _last_position(store)
    assert int(match[1]) == last
    with ReadModel(store / "read_model.duckdb") as rebuilt:
        assert (
            int(match[2])
            == rebuilt.conn.execute("SELECT count(*) FROM events").fetchone()[0]
            == last
        )
        assert rebuilt.position() == last
        rebuilt_hashes = rebuilt.table_hashes()
    ledger = new_ledger(store)
    try:
        with ReadModel(tmp_path / "incremental.duckdb") as incremental:
            incremental.catch_up(ledger, page_size=7)
            assert incremental.table_hashes() == rebuilt_hashes
    finally:
        ledger.close()


def test_catch_up_reports_the_position_stored_after_each_page(store: Path, tmp_path: Path) -> None:
    seen: list[int] = []
    ledger = new_ledger(store)
    try:
        with ReadModel(tmp_path / "fresh.duckdb") as rm:
            reached = rm.catch_up(ledger, page_size=7, on_page=seen.append)
            assert rm.position() == reached
    finally:
        ledger.close()
    last = _last_position(store)
    # Notification ids are 1..last here, so pages of 7 end at 7, 14, ... and the last.
    assert seen == [*range(7, last, 7), last]
    assert reached == last


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> Bars:
    return record_progress_bars(monkeypatch, cmd_rebuild)


def test_a_long_log_shows_a_bar_on_stderr_ending_at_the_last_position(
    store: Path,
    bars: Bars,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    last = _last_position(store)
    monkeypatch.setattr(
        cmd_rebuild, "REBUILD_PROGRESS_THRESHOLD", last
    )  # "long" from exactly this log
    result = CliRunner().invoke(cli, ["--data-dir", str(store), "rebuild"])
    assert result.exit_code == 0, result.output
    assert SUMMARY.fullmatch(result.stdout), result.stdout  # the bar stays off stdout
    assert "rebuilding" in result.stderr
    assert bars == [[(last, last)]]


def test_a_short_log_shows_no_bar(
    store: Path,
    bars: Bars,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cmd_rebuild, "REBUILD_PROGRESS_THRESHOLD", _last_position(store) + 1)
    result = CliRunner().invoke(cli, ["--data-dir", str(store), "rebuild"])
    assert result.exit_code == 0, result.output
    assert (result.stderr, bars) == ("", [])

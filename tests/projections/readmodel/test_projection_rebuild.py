"""The read model: rebuild equals incremental catch-up whatever the page sizes, and
statements do not depend on how the messages were split into files."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.jsonl import ingest_files
from projections.pay.statements import statements, to_json
from projections.readmodel.loader import ReadModel
from tests.scenarios.helpers import apply, caught_up, namespaced, new_ledger, scenario

NAMES = ["half_clawback", "late_posting_reversal", "smoke", "handover_mid_month", "loan_downgrades"]


def _ledger_with(names: list[str], directory: Path):  # type: ignore[no-untyped-def]
    ledger = new_ledger(directory)
    for i, name in enumerate(names):
        apply(ledger, scenario(name) if i == 0 else namespaced(scenario(name), f"-{name}"))
    return ledger


def test_client_identity_number_is_never_stored(tmp_path: Path) -> None:
    ledger = _ledger_with(["smoke"], tmp_path)
    rm = caught_up(ledger, tmp_path)
    assert rm.conn.execute("SELECT id_last4 FROM clients").fetchall() == [("1234",)]
    states = rm.conn.execute("SELECT CAST(state AS VARCHAR) FROM events").fetchall()
    assert not any("110101199001011234" in s for (s,) in states)
    assert rm.position() == rm.conn.execute("SELECT max(position) FROM events").fetchone()[0]


def test_issued_statements_are_frozen_at_the_closing_event(tmp_path: Path) -> None:
    ledger = _ledger_with(["late_posting_reversal"], tmp_path)
    rm = caught_up(ledger, tmp_path, page_size=10_000)  # one page spans the close
    (issued,) = statements(rm, "2026-01")
    closing = rm.conn.execute("SELECT position FROM periods_closed").fetchone()[0]
    assert issued["issued_at_position"] == closing
    assert issued["prepayment"] == 126
    # Every issued row carries the closing event's own time (as the bank knew it).
    times = rm.conn.execute(
        "SELECT DISTINCT s.recorded_at = e.recorded_at, s.recorded_at IS NOT NULL FROM statements_issued s "
        "JOIN events e ON e.position = s.position"
    ).fetchall()
    assert times == [(True, True)]


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=8))
def test_rebuild_equals_incremental_catch_up(tmp_path: Path, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as work:
        directory = Path(work)
        ledger = _ledger_with(NAMES[:2], directory)
        incremental = ReadModel(directory / "incremental.duckdb")
        # Catch up in pages of the drawn sizes, stopping at arbitrary points.
        for size in sizes:
            stop = incremental.position() + size
            incremental.catch_up(ledger, page_size=max(1, size // 2), stop=stop)
        # More events arrive; then the rest.
        apply(ledger, namespaced(scenario(NAMES[2]), "-late"))
        incremental.catch_up(ledger, page_size=sizes[0])
        rebuilt = ReadModel(directory / "rebuilt.duckdb")
        rebuilt.rebuild(ledger, page_size=10_000)
        assert incremental.position() == rebuilt.position()
        assert incremental.table_hashes() == rebuilt.table_hashes()
        # And rebuilding the incremental one in place gives the same again.
        incremental.rebuild(ledger, page_size=sizes[-1])
        assert incremental.table_hashes() == rebuilt.table_hashes()


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(min_value=1, max_value=30), max_size=5))
def test_statements_same_from_one_file_or_many(tmp_path: Path, cuts: list[int]) -> None:
    lines = [
        json.dumps(m)
        for m in scenario("half_clawback") + namespaced(scenario("late_posting_reversal"), "-b")
    ]
    with tempfile.TemporaryDirectory(dir=tmp_path) as work:
        directory = Path(work)
        one = directory / "one"
        one.mkdir()
        (one / "all.jsonl").write_text("\n".join(lines) + "\n")
        many = directory / "many"
        many.mkdir()
        bounds = sorted({c % len(lines) for c in cuts} | {0, len(lines)})
        files = []
        for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
            path = many / f"part{i:02d}.jsonl"
            path.write_text("\n".join(lines[a:b]) + "\n")
            files.append(path)
        results = []
        for d, paths in ((one, [one / "all.jsonl"]), (many, files)):
            ledger = new_ledger(d)
            summary = ingest_files(ledger, paths, batch_size=7)
            rm = caught_up(ledger, d, page_size=13)
            results.append(
                (
                    summary.applied,
                    [
                        [to_json(s) for s in statements(rm, p, restated=r)]
                        for p in ("2026-01", "2026-02", "2026-06", "2026-07")
                        for r in (False, True)
                    ],
                )
            )
        assert results[0] == results[1]


def test_the_event_json_is_stored_zstd_compressed(tmp_path: Path) -> None:
    ledger = _ledger_with(["smoke"], tmp_path)
    rm = caught_up(ledger, tmp_path)
    rm.conn.execute("CHECKPOINT")
    compressions = rm.conn.execute(
        "SELECT DISTINCT compression FROM pragma_storage_info('events') "
        "WHERE column_name = 'state' AND segment_type = 'VARCHAR'"
    ).fetchall()
    assert compressions == [("ZSTD",)]

"""Monthly aggregates kept from one close to the next (projections/kept_aggregates.py)
must be, at every close, exactly what attributing the whole history gives, whatever
arrives between closes: late postings, reversals, back-dated assignments, handovers,
classifications and plans, all reaching back into closed months."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections import ReadModel, kept_aggregates, schema
from projections.credit import credit_lines_sql, monthly_aggregates_sql
from scripts.generate import generate
from tests import builders as b
from tests.scenarios.helpers import HERE, apply, namespaced, new_ledger, scenario

CLOSING = "half_clawback"  # seven closes, one after each month


def _late_arrivals() -> list[dict[str, Any]]:
    """Every other scenario, its ids suffixed and its closes left out: loaded between
    CLOSING's closes, their rows reach back into months already closed. Without the
    adjustments: the ledger refuses them for a closed month, and no aggregate counts
    them."""
    names = sorted(p.stem for p in HERE.glob("*.jsonl") if p.stem != CLOSING)
    return [m for name in names for m in namespaced(scenario(name), f"-{name}")
            if m["type"] != "adjustment.recorded"]


def _interleaved() -> list[dict[str, Any]]:
    """CLOSING's messages with a share of the late arrivals after each close but the
    last, so that every share is loaded before some close."""
    closing, late = scenario(CLOSING), _late_arrivals()
    closes = sum(1 for m in closing if m["type"] == "period.closed")
    share = -(-len(late) // (closes - 1))
    out, seen = [], 0
    for message in closing:
        out.append(message)
        if message["type"] == "period.closed" and seen < closes - 1:
            out.extend(late[seen * share:(seen + 1) * share])
            seen += 1
    return out


class CheckedReadModel(ReadModel):
    """After each close, compares what the loader kept with a full attribution."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.closes_checked = 0

    def _issue(self, closing_position: int) -> None:
        super()._issue(closing_position)
        kept = self._kept
        assert kept is not None and kept.position == closing_position
        sql, params = monthly_aggregates_sql(kept.until)
        assert kept.rows == self.conn.execute(sql, params).fetchall(), f"close at {closing_position}"
        self.closes_checked += 1


@pytest.fixture
def recomputed_from(monkeypatch: pytest.MonkeyPatch) -> list[date | None]:
    """The ``since`` of every attribution the kept aggregates asked SQL for."""
    calls: list[date | None] = []
    real = kept_aggregates.monthly_aggregates_sql

    def recording(until: date, manager_id: str | None = None, since: date | None = None) -> Any:
        calls.append(since)
        return real(until, manager_id, since)

    monkeypatch.setattr(kept_aggregates, "monthly_aggregates_sql", recording)
    return calls


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page_size=st.integers(min_value=1, max_value=200))
def test_kept_aggregates_equal_a_full_attribution_at_every_close(
    tmp_path: Path, clean_environ: None, page_size: int,
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as work:
        ledger = new_ledger(Path(work))
        try:
            apply(ledger, _interleaved())
            with CheckedReadModel(Path(work) / "read_model.duckdb") as rm:
                rm.catch_up(ledger, page_size=page_size)
                assert rm.closes_checked == 7
        finally:
            ledger.close()


def test_a_generated_bank_every_message_type(
    tmp_path: Path, clean_environ: None, recomputed_from: list[date | None],
) -> None:
    ledger = new_ledger(tmp_path)
    try:
        apply(ledger, generate(7, "tiny"))
        with CheckedReadModel(tmp_path / "read_model.duckdb") as rm:
            rm.catch_up(ledger, page_size=97)
            assert rm.closes_checked == 2
    finally:
        ledger.close()
    # The first close attributes the whole history; the second only from a later month.
    assert recomputed_from[0] is None
    assert recomputed_from[1] is not None and recomputed_from[1].day == 1


def test_a_rebuild_forgets_what_was_kept(tmp_path: Path, clean_environ: None) -> None:
    ledger = new_ledger(tmp_path)
    try:
        apply(ledger, _interleaved())
        with CheckedReadModel(tmp_path / "read_model.duckdb") as rm:
            rm.catch_up(ledger)
            assert rm._kept is not None
            rm.drop()
            assert rm._kept is None
            rm.rebuild(ledger, page_size=50)
            assert rm.closes_checked == 14
    finally:
        ledger.close()


# Two months closed: C1 (M1) and C2 (M2, M3 its backup) served from 2025-01-10, C3 by
# nobody; a loan of C1 classified twice; an activity of M1. Then one row of one kind
# reaching back into January (a plan: into January and February), and March closed:
# the kept aggregates must see those months change. Each kind fails this test when
# kept_aggregates stops looking at its table (checked by hand: the plan's two tables
# together, as one message writes both).
BEFORE = [
    *b.bank(), b.assign("C1", "M1"), b.assign("C2", "M2"), b.assign("C2", "M3", role="backup"),
    b.book("P1", "C1", "1000.00", value_date="2025-01-20"),
    b.book("P2", "C2", "2000.00", value_date="2025-02-15"),
    b.book("P3", "C3", "500.00", value_date="2025-01-25"),
    b.book("P4", "C1", "700.00", value_date="2025-02-20"),
    b.classify("L1", "C1", "normal", "100000.00", as_of="2025-01-31"),
    b.classify("L1", "C1", "substandard", "100000.00", as_of="2025-02-28"),
    b.activity("M1", "credit_card", 3, value_date="2025-01-15"),
    b.close("2025-01", "2025-02-05"),
    b.book("P5", "C2", "300.00", value_date="2025-02-25"),
    b.close("2025-02", "2025-03-05"),
]
REACHING_BACK = {
    "a late posting": b.book("P9", "C1", "1500.00", value_date="2025-01-28"),
    "a reversal": b.reverse("P1"),
    "a back-dated classification": b.classify("L1", "C1", "doubtful", "100000.00", as_of="2025-01-15"),
    "a late activity": b.activity("M1", "merchant", 2, value_date="2025-01-20"),
    "a back-dated assignment": b.assign("C3", "M3", effective_on="2025-01-12"),
    "a back-dated plan": b.plan("back", effective_from="2025-01-01", backup_share="0.30",
                                activity_values={"credit_card": "80.00", "merchant": "300.00",
                                                 "agency": "200.00", "market_info": "100.00"}),
}


@pytest.mark.parametrize("kind", list(REACHING_BACK))
def test_a_row_reaching_back_into_a_closed_month_is_seen_at_the_next_close(
    tmp_path: Path, clean_environ: None, recomputed_from: list[date | None], kind: str,
) -> None:
    ledger = new_ledger(tmp_path)
    try:
        b.given(ledger, *BEFORE, REACHING_BACK[kind],
                b.close("2025-03", "2025-04-05"))
        with CheckedReadModel(tmp_path / "read_model.duckdb") as rm:
            rm.catch_up(ledger, page_size=1)
            assert rm.closes_checked == 3
    finally:
        ledger.close()
    # Whole history at the first close; February on at the second; January again at the third.
    assert recomputed_from == [None, date(2025, 2, 1), date(2025, 1, 1)]


def test_every_table_attribution_reads_is_one_whose_new_rows_are_looked_at() -> None:
    """A table added to the attribution SQL must be added to ``earliest_change`` too
    (with the dates its rows reach back to), or the kept months would miss its rows."""
    def tables(sql: str) -> set[str]:
        return set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", sql)) & set(schema.TABLES)

    attribution = tables(credit_lines_sql())
    assert attribution == tables(kept_aggregates.EARLIEST_CHANGE_SQL)
    assert attribution == {"postings", "reversals", "loan_classifications", "activities",
                           "assignment_changes", "plans", "plan_activity_values"}


def test_a_page_that_fails_after_a_close_forgets_what_was_kept(tmp_path: Path, clean_environ: None) -> None:
    class FailingOnce(CheckedReadModel):
        failing = True

        def _load_part(self, part: Any) -> None:
            if self.failing and self._kept is not None:  # a close was issued in this page
                raise RuntimeError("the disk is full")
            super()._load_part(part)

    ledger = new_ledger(tmp_path)
    try:
        apply(ledger, _interleaved())
        with FailingOnce(tmp_path / "read_model.duckdb") as rm:
            with pytest.raises(RuntimeError, match="the disk is full"):
                rm.catch_up(ledger, page_size=10_000)  # the whole log in one page
            assert (rm._kept, rm.position()) == (None, 0)
            assert rm.conn.execute("SELECT count(*) FROM statements_issued").fetchone() == (0,)
            rm.failing = False
            rm.catch_up(ledger, page_size=10_000)
            assert rm.closes_checked == 8  # the first close again, then all seven
    finally:
        ledger.close()

"""Monthly aggregates and pay rules' running states kept from one close to the next
(projections/readmodel/kept_aggregates.py, projections/pay/kept.py) must give, at every close,
exactly what computing the whole history gives, whatever arrives between closes: late
postings, reversals, back-dated assignments, handovers, classifications, plans and
grade changes, compliance adjustments, all reaching back into closed months, and
closes out of order."""

from __future__ import annotations

import inspect
import json
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.pay import kept as kept_pay
from projections.pay import statements as pay
from projections.pay.attribution import credit_lines_sql, monthly_aggregates_sql
from projections.pay.rules import RunningState
from projections.readmodel import kept_aggregates, schema
from projections.readmodel.loader import ReadModel
from scripts.bank.generate import generate
from tests import builders as b
from tests.scenarios.helpers import HERE, apply, namespaced, new_ledger, scenario

CLOSING = "half_clawback"  # seven closes, one after each month


def _late_arrivals() -> list[dict[str, Any]]:
    """Every other scenario, its ids suffixed and its closes left out: loaded between
    CLOSING's closes, their rows reach back into months already closed. Without the
    adjustments: the ledger refuses them for a closed month, and no aggregate counts
    them."""
    names = sorted(p.stem for p in HERE.glob("*.jsonl") if p.stem != CLOSING)
    return [
        m
        for name in names
        for m in namespaced(scenario(name), f"-{name}")
        if m["type"] != "adjustment.recorded"
    ]


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
            out.extend(late[seen * share : (seen + 1) * share])
            seen += 1
    return out


class CheckedReadModel(ReadModel):
    """At each close, compares what the loader kept and issued with a computation of
    the whole history: the monthly aggregates, every issued statement, and the pay
    rules' running state at the start of every month of every manager."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.closes_checked = 0

    def _issue(self, closing_position: int) -> None:
        conn = self.conn
        (period,) = conn.execute(
            "SELECT period FROM periods_closed WHERE position = ?", [closing_position]
        ).fetchone()
        # Computed from every hire, on the data as it stands just before issuing.
        expected = [
            json.loads(
                json.dumps(
                    pay.to_json(
                        {
                            **calc.statement(),
                            "status": "issued",
                            "issued_at_position": closing_position,
                        }
                    )
                )
            )
            for calc in pay.compute(conn, period)
        ]
        super()._issue(closing_position)
        kept = self._kept
        assert (
            kept is not None
            and kept.aggregates.position == closing_position
            and kept.period == period
        )
        sql, params = monthly_aggregates_sql(kept.aggregates.until)
        assert kept.aggregates.rows == conn.execute(sql, params).fetchall(), (
            f"close at {closing_position}"
        )
        issued = [
            json.loads(text)
            for (text,) in conn.execute(
                "SELECT statement FROM statements_issued WHERE position = ? ORDER BY manager_id",
                [closing_position],
            ).fetchall()
        ]
        assert issued == expected, f"statements issued at {closing_position}"
        data = pay.load_pay_data(conn, period)
        full: dict[str, dict[str, RunningState]] = {}
        for mid, info in data.managers.items():
            if info.employed_in(period):
                pay.manager_months(data, info, period, starts=full.setdefault(mid, {}))
        assert kept.starts == full, f"running states kept at {closing_position}"
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


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page_size=st.integers(min_value=1, max_value=200))
def test_kept_aggregates_equal_a_full_attribution_at_every_close(
    tmp_path: Path,
    clean_environ: None,
    page_size: int,
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
    tmp_path: Path,
    clean_environ: None,
    recomputed_from: list[date | None],
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
    *b.bank(),
    b.assign("C1", "M1"),
    b.assign("C2", "M2"),
    b.assign("C2", "M3", role="backup"),
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
    "a back-dated classification": b.classify(
        "L1", "C1", "doubtful", "100000.00", as_of="2025-01-15"
    ),
    "a late activity": b.activity("M1", "merchant", 2, value_date="2025-01-20"),
    "a back-dated assignment": b.assign("C3", "M3", effective_on="2025-01-12"),
    "a back-dated plan": b.plan(
        "back",
        effective_from="2025-01-01",
        backup_share="0.30",
        activity_values={
            "credit_card": "80.00",
            "merchant": "300.00",
            "agency": "200.00",
            "market_info": "100.00",
        },
    ),
}


@pytest.mark.parametrize("kind", list(REACHING_BACK))
def test_a_row_reaching_back_into_a_closed_month_is_seen_at_the_next_close(
    tmp_path: Path,
    clean_environ: None,
    recomputed_from: list[date | None],
    kind: str,
) -> None:
    ledger = new_ledger(tmp_path)
    try:
        b.given(ledger, *BEFORE, REACHING_BACK[kind], b.close("2025-03", "2025-04-05"))
        with CheckedReadModel(tmp_path / "read_model.duckdb") as rm:
            rm.catch_up(ledger, page_size=1)
            assert rm.closes_checked == 3
    finally:
        ledger.close()
    # Whole history at the first close; February on at the second; January again at the third.
    assert recomputed_from == [None, date(2025, 2, 1), date(2025, 1, 1)]


@pytest.fixture
def resumed_at(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The month every close started the managers' months at (None: each hire)."""
    months: list[str | None] = []
    real = pay.resume_at_close

    def recording(*args: Any) -> Any:
        resume = real(*args)
        months.append(resume.month)
        return resume

    monkeypatch.setattr(pay, "resume_at_close", recording)
    return months


# Rows that change no aggregate of a closed month but pay: a closed month's (which
# every later month's true-up rests on), a manager's not yet seen, the open month's;
# and closes out of order. The grade change, the compliance adjustment and the
# out-of-order close fail this test when kept_pay stops looking at them (checked by
# hand). A departure can only end the months of a manager still employed in the
# month being closed, so none of the months kept before it.
PAY_REACHING_BACK = {
    "a back-dated grade change": (
        [b.grade_change("M1", "senior", effective_on="2025-01-20")],
        "2025-01",
    ),
    "a compliance adjustment of a closed month": (
        [b.adjust("M1", "2025-01", "compliance", "-50.00")],
        "2025-01",
    ),
    "a departure in the open month": (
        [
            b.release("C2", "M3", role="backup", effective_on="2025-03-01"),
            *b.departure_approved("M3", on="2025-03-02"),
            b.depart("M3", departed_on="2025-03-20"),
        ],
        "2025-02",
    ),
    "a manager hired back-dated": (
        [b.hire("M4", hired_on="2025-01-02"), b.assign("C3", "M4")],
        "2025-01",
    ),
    "an award of the open month": ([b.adjust("M1", "2025-03", "award", "100.00")], "2025-02"),
    "a dispute upheld in January": (
        [
            b.open_dispute("D1", opened_on="2025-01-31"),
            b.resolve_dispute("D1", resolved_on="2025-01-31"),
        ],
        "2025-01",
    ),
    "April closed before March": (
        [b.book("P8", "C1", "900.00", value_date="2025-04-10"), b.close("2025-04", "2025-05-05")],
        "2025-02",
    ),
}


@pytest.mark.parametrize("kind", list(PAY_REACHING_BACK))
def test_a_row_changing_the_pay_of_a_closed_month_is_seen_at_the_next_close(
    tmp_path: Path,
    clean_environ: None,
    resumed_at: list[str | None],
    kind: str,
) -> None:
    rows, resumed_from = PAY_REACHING_BACK[kind]
    ledger = new_ledger(tmp_path)
    try:
        b.given(ledger, *BEFORE, *rows, b.close("2025-03", "2025-04-05"))
        with CheckedReadModel(tmp_path / "read_model.duckdb") as rm:
            rm.catch_up(ledger, page_size=1)
            assert rm.closes_checked == len(resumed_at)
    finally:
        ledger.close()
    # From each hire at the first close; from January (the month closed last) at the
    # second; at the third from February (closed last) or from where the row reaches;
    # after April, March from March.
    assert resumed_at == [None, "2025-01", resumed_from] + (["2025-03"] if "April" in kind else [])


def _tables(sql: str) -> set[str]:
    return set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", sql)) & set(schema.TABLES)


def test_every_table_attribution_reads_is_one_whose_new_rows_are_looked_at() -> None:
    """A table added to the attribution SQL must be added to ``earliest_change`` too
    (with the dates its rows reach back to), or the kept months would miss its rows."""
    tables = _tables

    attribution = tables(credit_lines_sql())
    assert attribution == tables(kept_aggregates.EARLIEST_CHANGE_SQL)
    assert attribution == {
        "postings",
        "reversals",
        "loan_classifications",
        "activities",
        "assignment_changes",
        "plans",
        "plan_activity_values",
    }


def test_a_page_that_fails_after_a_close_forgets_what_was_kept(
    tmp_path: Path, clean_environ: None
) -> None:
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


def test_every_table_the_pay_rules_read_is_looked_at_or_has_its_reason() -> None:
    """A table added to ``load_pay_data`` must be looked at by ``kept_pay`` (with the
    dates its rows reach back to) or be shown unable to reach a kept month, or the
    running states kept would miss its rows."""
    read = _tables(inspect.getsource(pay.load_pay_data))
    looked_at = _tables(kept_pay.EARLIEST_PAY_CHANGE_SQL)
    cannot_reach_a_kept_month = {
        "plans": "the monthly aggregates start again from a plan's effective date",
        "managers": "a manager not seen at the last close has nothing kept",
        "departures": "only a manager employed in the month being closed is computed",
        "periods_closed": "changes only at a close, never resumed after",
        "statements_issued": "changes only at a close, never resumed after",
    }
    assert looked_at == {"grade_changes", "adjustments", "disputes"}
    assert read == looked_at | set(cannot_reach_a_kept_month)
    assert "plans" in _tables(kept_aggregates.EARLIEST_CHANGE_SQL)

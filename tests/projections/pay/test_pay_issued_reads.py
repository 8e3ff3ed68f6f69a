"""``statements`` of a closed month reads the issued statements and attributes nothing
when every manager employed in the month has one; a manager employed in it without
one (hired back-dated after the close) is computed, and so is everybody when the
restated view is asked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from projections.pay import statements as pay
from projections.readmodel.loader import ReadModel
from tests import builders as b
from tests.scenarios.helpers import new_ledger

CLOSED_JANUARY = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.assign("C2", "M2"),
    b.book("P1", "C1", "1000.00", value_date="2025-01-20"),
    b.book("P2", "C2", "2000.00", value_date="2025-01-25"),
    b.close("2025-01", "2025-02-05"),
]


@pytest.fixture
def attributions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The month (``until``) of every attribution SQL the pay module asked for."""
    calls: list[str] = []
    real = pay.monthly_aggregates_sql

    def recording(until: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(until))
        return real(until, *args, **kwargs)

    monkeypatch.setattr(pay, "monthly_aggregates_sql", recording)
    return calls


def _read_model(tmp_path: Path, *messages: dict[str, Any]) -> ReadModel:
    ledger = new_ledger(tmp_path)
    try:
        b.given(ledger, *messages)
        rm = ReadModel(tmp_path / "read_model.duckdb")
        rm.catch_up(ledger)
        return rm
    finally:
        ledger.close()


def test_a_closed_month_is_read_as_issued_without_attributing_anything(
    tmp_path: Path,
    clean_environ: None,
    attributions: list[str],
) -> None:
    with _read_model(tmp_path, *CLOSED_JANUARY) as rm:
        issued = {
            mid: json.loads(text)
            for mid, text in rm.conn.execute(
                "SELECT manager_id, statement FROM statements_issued WHERE period = '2025-01'"
            ).fetchall()
        }
        attributions.clear()  # the close's own
        got = pay.statements(rm, "2025-01")
        assert attributions == []
        assert [pay.to_json(st) for st in got] == [issued[m] for m in ("M1", "M2", "M3")]
        assert {st["status"] for st in got} == {"issued"}

        pay.statements(rm, "2025-01", restated=True)
        assert attributions == ["2025-01-31"]


def test_a_manager_employed_in_a_closed_month_without_a_statement_is_computed(
    tmp_path: Path,
    clean_environ: None,
    attributions: list[str],
) -> None:
    late_hire = b.hire("M4", hired_on="2025-01-02")
    with _read_model(tmp_path, *CLOSED_JANUARY, late_hire) as rm:
        attributions.clear()
        got = {st["manager_id"]: st for st in pay.statements(rm, "2025-01")}
        assert attributions == ["2025-01-31"]
        assert [(m, st["status"]) for m, st in sorted(got.items())] == [
            ("M1", "issued"),
            ("M2", "issued"),
            ("M3", "issued"),
            ("M4", "open"),
        ]
        # Junior terms, employed 30 of January's 31 days: 5,000.00 × 30 / 31 = 4,838.71.
        assert str(got["M4"]["base_salary"]) == "4838.71"

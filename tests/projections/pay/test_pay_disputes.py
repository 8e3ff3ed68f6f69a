"""Upheld disputes in the statements (docs/rules.md R7.6, docs/pay.md "Disputes").

The month, worked by hand: M1 (junior, default plan: 180 per 10,000, coefficient 1.0,
prepayment ratio 0.70, salary 5,000 + 1,500) brought C1 in January; a fee of 20,000.00
on 2025-02-10 is new business: WP 20,000.00, PP 360.00, prepayment 252.00, February's
total 6,752.00. March has no postings: PP 0, E 0, total 6,500.00. June settles the half:
round(max(0, 360)) − 252 = 108.00. M2 earns the salary only.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

from projections.pay.explanation import explain
from projections.pay.statements import statements, to_json
from tests import builders as b
from tests.scenarios.helpers import caught_up, new_ledger

MONTHS = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
    b.close("2025-01", "2025-02-01"),
    b.close("2025-02", "2025-03-01"),
]


def month(tmp_path: Path, *messages: Any, restated: bool = False) -> dict[str, dict[str, Any]]:
    """Every statement of M1 from February to June (as ``rmledger pay --json`` shows
    them; ``restated``: on today's data) after ``messages``."""
    ledger = new_ledger(tmp_path)
    try:
        b.given(ledger, *MONTHS, *messages)
        rm = caught_up(ledger, tmp_path)
    finally:
        ledger.close()
    with rm:
        return {
            p: to_json(statements(rm, p, "M1", restated)[0])
            for p in ("2025-02", "2025-03", "2025-04", "2025-06")
        }


def changed(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """(month, field) -> (before, after) for every field that differs."""
    return {
        (p, k): (before[p][k], after[p].get(k))
        for p in before
        for k in before[p]
        if before[p][k] != after[p].get(k)
    }


def test_an_upheld_dispute_changes_only_the_statement_of_the_month_it_was_resolved_in(
    tmp_path: Path,
) -> None:
    # Given February's statement issued at 252.00 and the month without disputes
    plain = month(tmp_path / "plain")
    assert (plain["2025-03"]["corrections"], plain["2025-03"]["total"]) == ("0.00", "6500.00")
    # When M1 disputes February on 2025-03-05 and the office upholds 120.00 on 2025-03-20
    upheld = month(
        tmp_path / "upheld",
        b.open_dispute("D1", period="2025-02", opened_on="2025-03-05"),
        b.resolve_dispute("D1", amount="120.00", resolved_on="2025-03-20"),
    )
    # Then March (a prepayment month) alone changes: E = 0 + 0 + 0 + 120 = 120; prior 0;
    # due 120, paid 120; total 6,500 + 120 = 6,620. February stays as issued, April's
    # prior true-up is 0 (March paid what it was entitled to), and June's settlement is
    # 108.00 as before: the half settles PP against prepayments, and a correction is
    # neither (docs/pay.md, "Disputes").
    assert changed(plain, upheld) == {
        ("2025-03", "corrections"): ("0.00", "120.00"),
        ("2025-03", "performance_due"): ("0.00", "120.00"),
        ("2025-03", "performance_paid"): ("0.00", "120.00"),
        ("2025-03", "total"): ("6500.00", "6620.00"),
    }
    assert upheld["2025-06"]["settlement"] == "108.00"


def test_a_rejected_dispute_changes_nothing(tmp_path: Path) -> None:
    # Given the month without disputes
    plain = month(tmp_path / "plain")
    # When a dispute of February is rejected in March
    rejected = month(
        tmp_path / "rejected",
        b.open_dispute("D1", period="2025-02", opened_on="2025-03-05"),
        b.resolve_dispute("D1", outcome="rejected", amount=None, resolved_on="2025-03-20"),
    )
    # Then no statement changes
    assert changed(plain, rejected) == {}


def test_an_upheld_negative_amount_is_a_clawback_carried_forward(tmp_path: Path) -> None:
    # Given the month; when a dispute is upheld for −100.00 in March
    plain = month(tmp_path / "plain")
    minus = month(
        tmp_path / "minus",
        b.open_dispute("D1", period="2025-02", opened_on="2025-03-05"),
        b.resolve_dispute("D1", amount="-100.00", resolved_on="2025-03-20"),
    )
    # Then March: E = −100, due −100, nothing paid, 100.00 carried; April: prior −100,
    # due −100, still carried; June: E = 108.00 settlement, due = 108 − 100 = 8.00 paid.
    assert changed(plain, minus) == {
        ("2025-03", "corrections"): ("0.00", "-100.00"),
        ("2025-03", "performance_due"): ("0.00", "-100.00"),
        ("2025-03", "clawback_carried"): ("0.00", "100.00"),
        ("2025-04", "prior_true_up"): ("0.00", "-100.00"),
        ("2025-04", "performance_due"): ("0.00", "-100.00"),
        ("2025-04", "clawback_carried"): ("0.00", "100.00"),
        ("2025-06", "prior_true_up"): ("0.00", "-100.00"),
        ("2025-06", "performance_due"): ("108.00", "8.00"),
        ("2025-06", "performance_paid"): ("108.00", "8.00"),
        ("2025-06", "total"): ("6608.00", "6508.00"),
    }


def test_a_dispute_upheld_in_a_closed_month_reaches_the_next_statement_through_the_true_up(
    tmp_path: Path,
) -> None:
    # Given February closed on 2025-03-01; when a dispute of January is upheld for 50.00
    # with a resolution dated 2025-02-27 (in February, already closed)
    plain = month(tmp_path / "plain")
    late = month(
        tmp_path / "late",
        b.open_dispute("D1", period="2025-01", opened_on="2025-02-05"),
        b.resolve_dispute("D1", amount="50.00", resolved_on="2025-02-27"),
    )
    # Then February's issued statement is as issued, and March (open) carries it:
    # prior true-up = ΣE (252 + 50) − Σpaid (252) = 50; due = paid = 50; total 6,550.
    assert changed(plain, late) == {
        ("2025-03", "prior_true_up"): ("0.00", "50.00"),
        ("2025-03", "performance_due"): ("0.00", "50.00"),
        ("2025-03", "performance_paid"): ("0.00", "50.00"),
        ("2025-03", "total"): ("6500.00", "6550.00"),
    }
    # and February restated shows the correction in its own month
    restated = month(tmp_path / "restated", *_late_dispute(), restated=True)
    assert (restated["2025-02"]["corrections"], restated["2025-02"]["performance_due"]) == (
        "50.00",
        "302.00",
    )


def _late_dispute() -> list[Any]:
    return [
        b.open_dispute("D1", period="2025-01", opened_on="2025-02-05"),
        b.resolve_dispute("D1", amount="50.00", resolved_on="2025-02-27"),
    ]


def test_explain_lists_each_upheld_dispute_with_its_reason(tmp_path: Path) -> None:
    # Given two disputes of February upheld in March, one naming the posting
    ledger = new_ledger(tmp_path)
    try:
        b.given(
            ledger,
            *MONTHS,
            b.open_dispute("D1", period="2025-02", opened_on="2025-03-05"),
            b.open_dispute("D2", period="2025-02", posting_id="P1", opened_on="2025-03-06"),
            b.resolve_dispute("D1", amount="120.00", resolved_on="2025-03-20"),
            b.resolve_dispute("D2", amount="-20.00", resolved_on="2025-03-21"),
        )
        rm = caught_up(ledger, tmp_path)
    finally:
        ledger.close()
    # When March is explained
    with rm:
        result = explain(rm, "M1", "2025-03")
    assert result is not None
    # Then each dispute is listed with its amount and reason, and E includes them
    assert [(d["dispute_id"], d["amount"], d["posting_id"]) for d in result["disputes"]] == [
        ("D1", "120.00", None),
        ("D2", "-20.00", "P1"),
    ]
    steps = result["steps"]
    start = steps.index("corrections = 120.00 − 20.00 = 100.00")
    assert steps[start : start + 4] == [
        "corrections = 120.00 − 20.00 = 100.00",
        "  120.00: dispute D1 of 2025-02, upheld on 2025-03-20 by PO-1: checked against the posting records",
        "  −20.00: dispute D2 of 2025-02 (posting P1), upheld on 2025-03-21 by PO-1: checked against the "
        "posting records",
        "entitlement E = prepayment + settlement + compliance + corrections = "
        "0.00 + 0.00 + 0.00 + 100.00 = 100.00",
    ]
    assert D(result["restated"]["corrections"]) == D("100.00")

"""Golden scenarios (tests/scenarios/*.jsonl), with the expected statements worked
out by hand in the comments. Default plan unless the scenario publishes one; a junior
earns PP = WP × 180 / 10,000 × 1.0 and is prepaid round(0.70 × PP)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from projections import ReadModel, statements, unattributed
from tests.scenarios.helpers import apply, caught_up, new_ledger, scenario


@pytest.fixture
def replay(tmp_path: Path) -> Any:
    def run(name: str) -> ReadModel:
        ledger = new_ledger(tmp_path)
        apply(ledger, scenario(name))
        return caught_up(ledger, tmp_path)
    return run


def one(rm: ReadModel, period: str, manager: str, restated: bool = False) -> dict[str, Any]:
    (st,) = statements(rm, period, manager, restated)
    return st


def test_half_year_settlement_and_clawback(replay: Any) -> None:
    rm = replay("half_clawback")
    # Jan: PP 1,000, prepay 700, paid 700, total 6,500 + 700 = 7,200 (issued at close)
    jan = one(rm, "2026-01", "M1")
    assert (jan["status"], jan["performance_paid"], jan["total"]) == ("issued", D(700), D("7200.00"))
    # Jun: settle = round(max(0, 1,000 + 1,000 − 3,000)) − 1,400 = −1,400;
    # due = ΣE (700 + 700 − 1,400 = 0) − paid (1,400) = −1,400 → paid 0, clawback 1,400
    jun = one(rm, "2026-06", "M1")
    assert (jun["settlement"], jun["performance_due"], jun["clawback_carried"]) == (
        D(-1400), D(-1400), D(1400))
    # Jul (open): PP 500, prepay 350; prior true-up −1,400; due = 350 − 1,400 = −1,050:
    # nothing paid, 1,050 still carried; salary only.
    jul = one(rm, "2026-07", "M1")
    assert jul["prepayment"] == D(350) and jul["prior_true_up"] == D(-1400)
    assert (jul["performance_paid"], jul["clawback_carried"], jul["total"]) == (0, D(1050), D(6500))
    assert jul["status"] == "open"


def test_handover_mid_month(replay: Any) -> None:
    rm = replay("handover_mid_month")
    # Filed 2026-03-16: P1 (03-10) stays with M1; P2 (03-16) and P3 (03-20) go to M2,
    # inherited hence stock, aged from first_served_on 2025-01-10.
    # M1: fee stock 1,000 at 424 days: k0 = 1 − 0.05 × 424/365 = 0.941918 → WP 941.92,
    #     PP = 941.9178… × 0.018 = 16.954520… → 16.95, prepay round(11.868164…) = 11.87
    m1 = one(rm, "2026-03", "M1")
    assert (m1["k0"]["fee"], m1["weighted_profit"], m1["performance_earned"], m1["prepayment"]) == (
        D("0.941918"), D("941.92"), D("16.95"), D("11.87"))
    # M2: n = (2,000 × 430 + 1,000 × 434) / (365 × 3,000) = 1.181735; k0 = 0.940913
    #     WP = 2,822.7397… ; PP = 50.809315… → 50.81; prepay round(35.566520…) = 35.57
    m2 = one(rm, "2026-03", "M2")
    assert (m2["k0"]["fee"], m2["weighted_profit"], m2["performance_earned"], m2["prepayment"]) == (
        D("0.940913"), D("2822.74"), D("50.81"), D("35.57"))
    # C9 has no primary: its posting is listed, never paid.
    assert [u["ref"] for u in unattributed(rm, "2026-03")] == ["P9"]


def test_backup_share(replay: Any) -> None:
    rm = replay("backup_share")
    # backup_share 0.2: of the 10,000 fee, M1 (primary, acquired 2026-01-05, 64 days: new)
    # gets 8,000 → PP 144, prepay 100.80; M2 (backup, inherited: stock, age 64/365)
    # gets 2,000 × k0 (1 − 0.05 × 64/365 = 0.991233) = 1,982.4658 → PP 35.68, prepay 24.98
    m1, m2 = one(rm, "2026-03", "M1"), one(rm, "2026-03", "M2")
    assert (m1["weighted_profit"], m1["performance_earned"], m1["prepayment"]) == (
        D(8000), D(144), D("100.80"))
    assert (m2["k0"]["fee"], m2["weighted_profit"], m2["performance_earned"], m2["prepayment"]) == (
        D("0.991233"), D("1982.47"), D("35.68"), D("24.98"))


def test_plan_change_and_promotion_mid_half(replay: Any) -> None:
    rm = replay("plan_change_promotion")
    # Jan junior: PP 10,000 × 180/10,000 = 180, prepay 126, salary 5,000 + 1,500
    assert one(rm, "2026-01", "M1")["total"] == D("6626.00")
    # Feb: promoted to intermediate on 02-15, the grade on the month's last day:
    # PP = 10,000 × 200/10,000 × 1.1 = 220, prepay 154, salary 6,500 + 2,500 → 9,154
    feb = one(rm, "2026-02", "M1")
    assert (feb["grade"], feb["performance_earned"], feb["prepayment"], feb["total"]) == (
        "intermediate", D(220), D(154), D("9154.00"))
    # Apr: plan v2026q2 (from 04-01): intermediate 250/10,000 × 1.1, ratio 0.60, salary
    # 7,000 + 3,000: PP = 275, prepay round(0.6 × 275) = 165 → total 10,165
    apr = one(rm, "2026-04", "M1")
    assert (apr["performance_earned"], apr["prepayment"], apr["total"]) == (D(275), D(165), D("10165.00"))
    # Jun: settle = round(180 + 220 + 275) − (126 + 154 + 165) = 675 − 445 = 230
    jun = one(rm, "2026-06", "M1")
    assert (jun["settlement"], jun["performance_paid"], jun["total"]) == (D(230), D(230), D("10230.00"))


def test_departure_with_partial_half_settlement(replay: Any) -> None:
    rm = replay("departure_partial_half")
    # Jan, Feb: PP 180 each, prepay 126 each. Departed 2026-03-15: March is the
    # departure month, settled for the part of the half worked:
    # settle = round(180 + 180 + 0) − 252 = 108; salary 15/31 of the month:
    # base 5,000 × 15/31 = 2,419.354… → 2,419.35; post 1,500 × 15/31 = 725.806… → 725.81
    # total = 2,419.35 + 725.81 + 108 = 3,253.16
    mar = one(rm, "2026-03", "M1")
    assert (mar["settlement"], mar["base_salary"], mar["post_salary"], mar["total"]) == (
        D(108), D("2419.35"), D("725.81"), D("3253.16"))
    assert statements(rm, "2026-04") == []  # no statement after departure
    # The March posting of C1 came after its release: unattributed, never paid.
    assert [u["ref"] for u in unattributed(rm)] == ["P-MAR"]


def test_late_posting_and_reversal_after_close(replay: Any) -> None:
    rm = replay("late_posting_reversal")
    # Issued January (at close): P1 10,000 → PP 180, prepay 126, total 6,626. Unchanged.
    jan = one(rm, "2026-01", "M1")
    assert (jan["status"], jan["performance_paid"], jan["total"]) == ("issued", D(126), D("6626.00"))
    # Restated January: P1 reversed, P2 5,000 late → PP 90, prepay 63.
    assert one(rm, "2026-01", "M1", restated=True)["prepayment"] == D(63)
    # February: E_feb = 126; prior true-up = E_jan (63) − paid_jan (126) = −63;
    # due = 63, paid 63, total 6,563.
    feb = one(rm, "2026-02", "M1")
    assert (feb["prepayment"], feb["prior_true_up"], feb["performance_paid"], feb["total"]) == (
        D(126), D(-63), D(63), D("6563.00"))


def test_loan_downgrades_and_an_upgrade(replay: Any) -> None:
    rm = replay("loan_downgrades")
    # Mar: normal 100,000 (provision 0), then substandard (30,000): charge 30,000 (stock).
    # loan P0 = 50,000 − 30,000 = 20,000; n = 419/365, k0 = 0.942603;
    # WP = 18,852.0548; PP = 339.336986… → 339.34; prepay round(237.535890…) = 237.54
    mar = one(rm, "2026-03", "M1")
    assert (mar["weighted_profit"], mar["performance_earned"], mar["prepayment"]) == (
        D("18852.05"), D("339.34"), D("237.54"))
    # Apr: doubtful 80,000 → 40,000, charge 10,000; no stock income, k0 1: PP −180, prepay 0
    apr = one(rm, "2026-04", "M1")
    assert (apr["responsibility_profit"], apr["performance_earned"], apr["prepayment"]) == (
        D(-10000), D(-180), 0)
    # May: upgrade to substandard 80,000 → 24,000: release −16,000: PP 288, prepay 201.60
    may = one(rm, "2026-05", "M1")
    assert (may["responsibility_profit"], may["prepayment"]) == (D(16000), D("201.60"))
    # Jun: settle = round(339.336986 − 180 + 288) − (237.54 + 201.60) = 447.34 − 439.14 = 8.20
    assert one(rm, "2026-06", "M1")["settlement"] == D("8.20")

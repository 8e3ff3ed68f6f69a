"""DOMAIN.md §10 worked examples A, B and C, replayed from events, exact to the fen."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from projections import statements
from projections.rules import half_true_up, k0, settlement
from tests.scenarios.helpers import apply, assign, caught_up, client, new_ledger, post, scenario


def test_example_a_one_month_one_junior_manager(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario("example_a"))
    (st,) = statements(caught_up(ledger, tmp_path), "2026-03")
    # loan: P0 = 10,000 − 3,000 = 7,000, n = 419/365, k0 = 0.942603
    # fee:  P0 = 2,000, n = 434/365, k0 = 0.940548
    assert st["k0"]["loan"] == D("0.942603") and st["k0"]["fee"] == D("0.940548")
    assert st["responsibility_profit"] == D("9000.00")
    assert st["weighted_profit"] == D("8479.32")
    assert st["performance_earned"] == D("152.63")
    assert st["prepayment"] == D("106.84")
    assert (st["base_salary"], st["post_salary"]) == (D("5000.00"), D("1500.00"))
    assert st["total"] == D("6606.84")
    assert st["status"] == "open"


def test_example_b_new_business_has_weight_one(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario("example_a") + [
        client("C2", "2026-01-15"), assign("C2", "M1", "2026-02-01"),
        post("B1", "C2", "loan_interest", "5000.00", "2026-03-05"),
    ])
    (st,) = statements(caught_up(ledger, tmp_path), "2026-03")
    # WP = 8,479.315068… + 1 × 5,000 = 13,479.315068…; PP = × 0.018 = 242.627671… → 242.63
    # prepay = round(0.7 × 242.627671…) = round(169.839370…) = 169.84
    assert st["weighted_profit"] == D("13479.32")
    assert st["performance_earned"] == D("242.63")
    assert st["prepayment"] == D("169.84")
    assert st["k0"]["loan"] == D("0.942603")  # the new posting does not age the stock


def test_example_c_clawback_rules() -> None:
    months = half_true_up([D(1000), D(1000), D(-3000), D(0), D(0), D(0)])
    assert [m["prepayment"] for m in months] == [D(700), D(700), 0, 0, 0, 0]
    june = months[-1]
    assert june["settlement"] == D(-1400)
    assert june["due"] == D(-1400) and june["paid"] == 0 and june["clawback"] == D(1400)
    assert settlement([D(1000), D(1000), D(-3000)], [D(700), D(700), D(0)]) == D(-1400)


def test_example_c_replayed(tmp_path: Path) -> None:
    # Plan "simple": junior commission 100 per 10,000 × 1.0, so PP = WP / 100 and the
    # new business (weight 1) gives PP 1,000, 1,000, −3,000, 0, 0, 0.
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario("half_clawback"))
    rm = caught_up(ledger, tmp_path)
    paid = [statements(rm, f"2026-0{m}")[0] for m in range(1, 7)]
    assert [s["performance_earned"] for s in paid] == [D(1000), D(1000), D(-3000), 0, 0, 0]
    assert [s["prepayment"] for s in paid] == [D(700), D(700), 0, 0, 0, 0]
    assert [s["performance_paid"] for s in paid] == [D(700), D(700), 0, 0, 0, 0]
    june = paid[-1]
    assert june["settlement"] == D("-1400.00")
    assert june["performance_due"] == D("-1400.00")
    assert june["clawback_carried"] == D("1400.00")
    assert june["total"] == D("6500.00")


def test_k0_floor() -> None:
    assert k0(D(0)) == 1
    assert k0(D(4)) == D("0.80")
    assert k0(D(10)) == D("0.8")

"""docs/rules.md R10 worked examples A, B and C, replayed from events, exact to the fen."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from click.testing import CliRunner

from projections.pay.explanation import explain
from projections.pay.rules import half_true_up, k0, settlement
from projections.pay.statements import statements, to_json
from scripts.cli.main import cli
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


def _example_b() -> list[dict[str, object]]:
    return scenario("example_a") + [
        client("C2", "2026-01-15"),
        assign("C2", "M1", "2026-02-01"),
        post("B1", "C2", "loan_interest", "5000.00", "2026-03-05"),
    ]


def test_example_b_new_business_has_weight_one(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, _example_b())
    rm = caught_up(ledger, tmp_path)
    (st,) = statements(rm, "2026-03")
    # WP = 8,479.315068… + 1 × 5,000 = 13,479.315068…; PP = × 0.018 = 242.627671… → 242.63
    # prepay = round(0.7 × 242.627671…) = round(169.839370…) = 169.84
    assert st["weighted_profit"] == D("13479.32")
    assert st["performance_earned"] == D("242.63")
    assert st["prepayment"] == D("169.84")
    assert st["k0"]["loan"] == D("0.942603")  # the new posting does not age the stock
    # March total = 5,000 + 1,500 + 169.84 = 6,669.84 (no month closed, nothing before March:
    # prior true-up 0, due = paid = 169.84; not a half's last month: no settlement).
    assert st["total"] == D("6669.84")
    # The whole statement: RP = (10,000 − 3,000) + 2,000 + 5,000 = 14,000; k0 as in example A.
    assert to_json(st) == {
        "manager_id": "M1",
        "period": "2026-03",
        "grade": "junior",
        "base_salary": "5000.00",
        "post_salary": "1500.00",
        "responsibility_profit": "14000.00",
        "weighted_profit": "13479.32",
        "k0": {
            "loan": "0.942603",
            "deposit": "1.000000",
            "fee": "0.940548",
            "settlement": "1.000000",
            "other": "1.000000",
        },
        "performance_earned": "242.63",
        "prepayment": "169.84",
        "settlement": "0.00",
        "compliance": "0.00",
        "corrections": "0.00",
        "prior_true_up": "0.00",
        "performance_due": "169.84",
        "performance_paid": "169.84",
        "clawback_carried": "0.00",
        "awards": "0.00",
        "total": "6669.84",
        "status": "open",
    }
    # `pay explain` shows B1 as new with weight 1: C2 acquired 2026-02-01, 2026-03-05 is 32 days
    # later (< 365), age 32/365 = 0.087671; the stock lines carry their class's k0 (example A:
    # A1 419 days, A2 434 days = 1.189041, A3 445 days = 1.219178).
    result = explain(rm, "M1", "2026-03")
    assert result is not None
    assert [
        (
            ln["ref"],
            ln["client_id"],
            ln["category"],
            ln["class"],
            ln["stock_or_new"],
            ln["age_days"],
            ln["age_years"],
            ln["weight"],
            ln["amount"],
        )
        for ln in result["lines"]
    ] == [
        ("A1", "C1", "loan_interest", "loan", "stock", 419, "1.147945", "0.942603", "10000.00"),
        ("B1", "C2", "loan_interest", "loan", "new", 32, "0.087671", "1.000000", "5000.00"),
        ("A2", "C1", "fee_income", "fee", "stock", 434, "1.189041", "0.940548", "2000.00"),
        ("A3", "C1", "asset_cost", "loan", "stock", 445, "1.219178", "0.942603", "3000.00"),
    ]
    # Loan: P0 = 10,000 − 3,000 = 7,000, P1 = 5,000 (the new posting at weight 1).
    assert (result["classes"]["loan"]["P0"], result["classes"]["loan"]["P1"]) == (
        "7000.00",
        "5000.00",
    )


def test_example_b_pay_explain_on_the_command_line(tmp_path: Path) -> None:
    source = tmp_path / "example_b.jsonl"
    source.write_text("".join(json.dumps(m) + "\n" for m in _example_b()))
    data = tmp_path / "data"

    def rmledger(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--data-dir", str(data), *args])
        assert result.exit_code == 0, result.output
        return result.output

    rmledger("ingest", str(source))
    out = json.loads(rmledger("pay", "explain", "--manager", "M1", "--period", "2026-03", "--json"))
    # B1: C2 acquired 2026-02-01, 32 days before 2026-03-05: new, weight 1, credited 5,000.
    (b1,) = [ln for ln in out["lines"] if ln["ref"] == "B1"]
    assert (
        b1["kind"],
        b1["category"],
        b1["class"],
        b1["origin"],
        b1["stock_or_new"],
        b1["age_days"],
        b1["weight"],
        b1["amount"],
    ) == ("posting", "loan_interest", "loan", "acquired", "new", 32, "1.000000", "5000.00")
    # ... and the same total as the statement: 5,000 + 1,500 + 169.84 = 6,669.84.
    assert out["statement"]["total"] == "6669.84"
    text = rmledger("pay", "explain", "--manager", "M1", "--period", "2026-03")
    lines = text.splitlines()
    i = lines.index("  2026-03-05  posting B1  client C2  loan_interest  primary")
    assert (
        lines[i + 1]
        == "      new, age 0.087671 years: 5,000.00 × share 1 = 5,000.00; × weight 1.000000 = 5,000.00"
    )


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

"""``rmledger pay explain`` and ``rmledger pay --json`` through the click command line,
on golden scenarios ingested with ``rmledger ingest``; expected figures worked out by
hand in the comments (default plan: a junior earns PP = WP × 180 / 10,000 and is
prepaid round(0.70 × PP))."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from projections.display import amount, difference, terms
from projections.pay.explanation import _q
from projections.pay.rules import rounded
from projections.pay.statements import to_json
from scripts.cli.main import cli
from tests.paths import SCENARIOS

# docs/contract.md C2.2, in its order; issued statements add issued_at_position.
CONTRACT_FIELDS = [
    "manager_id",
    "period",
    "grade",
    "base_salary",
    "post_salary",
    "responsibility_profit",
    "weighted_profit",
    "k0",
    "performance_earned",
    "prepayment",
    "settlement",
    "compliance",
    "corrections",
    "prior_true_up",
    "performance_due",
    "performance_paid",
    "clawback_carried",
    "awards",
    "total",
    "status",
]
MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
RATIO = re.compile(r"^[0-9]\.[0-9]{6}$")


def rmledger(data_dir: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])
    assert result.exit_code == code, result.output
    return result.output


def ingested(tmp_path: Path, name: str) -> Path:
    rmledger(tmp_path, "ingest", str(SCENARIOS / f"{name}.jsonl"))
    return tmp_path


def position(data_dir: Path, query: str) -> int:
    (row,) = json.loads(rmledger(data_dir, "sql", query, "--json"))
    return int(row["position"])


def closed_at(data_dir: Path, period: str) -> int:
    return position(data_dir, f"SELECT position FROM periods_closed WHERE period = '{period}'")


def test_explain_lists_every_line_and_the_arithmetic_to_the_fen(tmp_path: Path) -> None:
    data = ingested(tmp_path, "explain_month")
    result = json.loads(
        rmledger(data, "pay", "explain", "--manager", "M1", "--period", "2026-03", "--json")
    )
    charge = position(data, "SELECT position FROM loan_classifications WHERE message_id = 'E-CLS'")
    # C1 served since 2025-01-10 (acquired): stock, aged from then, weighted by the loan
    # class's k0 = 1 − 0.05 × 419/365 (n from the stock income only) = 0.942603.
    # C2 acquired 2026-02-01: new (32 days), weight 1. The merchant activity: new, other.
    # The substandard classification of 10,000: provision 3,000, a charge of 3,000.
    assert [
        (
            ln["kind"],
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
        (
            "posting",
            "E-C1-LOAN",
            "C1",
            "loan_interest",
            "loan",
            "stock",
            419,
            "1.147945",
            "0.942603",
            "10000.00",
        ),
        (
            "posting",
            "E-C2-LOAN",
            "C2",
            "loan_interest",
            "loan",
            "new",
            32,
            "0.087671",
            "1.000000",
            "5000.00",
        ),
        (
            "activity",
            "E-MERCHANT",
            None,
            "merchant",
            "other",
            "new",
            None,
            None,
            "1.000000",
            "600.00",
        ),
        (
            "charge",
            f"L1@2026-03-20#{charge}",
            "C1",
            "loan_loss_charge",
            "loan",
            "stock",
            434,
            "1.189041",
            "0.942603",
            "3000.00",
        ),
        (
            "posting",
            "E-C1-COST",
            "C1",
            "asset_cost",
            "loan",
            "stock",
            445,
            "1.219178",
            "0.942603",
            "3000.00",
        ),
    ]
    # The prior true-up, month by month: January issued 23.92 (fee 2,000 at 370 days:
    # k0 0.949315, PP 34.175342, prepay 23.92); a late January fee of 1,000 (375 days)
    # after the close restates it: n = (2,000 × 370 + 1,000 × 375) / (365 × 3,000)
    # = 1.018265, k0 = 0.949087, WP 2,847.260274, PP 51.250685, prepay round(35.875479) = 35.88.
    # February was closed with nothing: E 0, paid 0.
    jan, feb = closed_at(data, "2026-01"), closed_at(data, "2026-02")
    rows = {r["period"]: r for r in result["true_up"]}
    assert len(rows) == 14  # 2025-01 (hire month) to 2026-02
    assert rows["2026-01"] == {
        "period": "2026-01",
        "prepayment": "35.88",
        "settlement": "0.00",
        "compliance": "0.00",
        "corrections": "0.00",
        "entitlement": "35.88",
        "paid": "23.92",
        "paid_basis": f"issued at position {jan}",
    }
    assert rows["2026-02"] == {
        "period": "2026-02",
        "prepayment": "0.00",
        "settlement": "0.00",
        "compliance": "0.00",
        "corrections": "0.00",
        "entitlement": "0.00",
        "paid": "0.00",
        "paid_basis": f"issued at position {feb}",
    }
    assert {
        (r["entitlement"], r["paid"], r["paid_basis"]) for p, r in rows.items() if p < "2026-01"
    } == {("0.00", "0.00", "not closed: paid as computed now")}
    # Loan: P0 = 10,000 − 3,000 − 3,000 = 4,000; P1 = 5,000; 0.942603 × 4,000 + 5,000 = 8,770.41;
    # other: P1 = 600. WP = 9,370.410959; PP = × 0.018 = 168.667397; prepay round(118.067178) = 118.07.
    # prior = 35.88 − 23.92 = 11.96; due = 130.03; total 6,630.03.
    assert result["steps"] == [
        "loan:",
        "  n = Σ(stock income × age) / Σ stock income = 11,479.45 / 10,000.00 = 1.147945 years",
        "  k0 = max(0.8, 1 − 0.05 × n) = max(0.8, 1 − 0.05 × 1.147945) = 0.942603",
        "  P0 = stock income − cost − loss charge = 10,000.00 − 3,000.00 − 3,000.00 = 4,000.00",
        "  P1 = new income − cost − loss charge = 5,000.00 − 0.00 − 0.00 = 5,000.00",
        "  k0 × P0 + P1 = 0.942603 × 4,000.00 + 5,000.00 = 8,770.41",
        "other:",
        "  n = 0 (no stock income)",
        "  k0 = max(0.8, 1 − 0.05 × n) = max(0.8, 1 − 0.05 × 0.000000) = 1.000000",
        "  P0 = stock income − cost − loss charge = 0.00 − 0.00 − 0.00 = 0.00",
        "  P1 = new income − cost − loss charge = 600.00 − 0.00 − 0.00 = 600.00",
        "  k0 × P0 + P1 = 1.000000 × 0.00 + 600.00 = 600.00",
        "responsibility profit = 9,600.00",
        "WP = Σ over the classes (k0 × P0 + P1) = 9,370.41",
        "plan default, grade junior on 2026-03-31: commission 180.00 per 10,000, coefficient 1.000000",
        "prepayment ratio 0.700000 (plan default on 2026-03-31)",
        "PP = WP × 180.00 / 10,000 × 1.000000 = 168.667397 (shown 168.67)",
        "prepayment = round(0.700000 × max(0, PP)) = 118.07",
        "compliance = 0.00",
        "entitlement E = prepayment + settlement + compliance = 118.07 + 0.00 + 0.00 = 118.07",
        "prior true-up = Σ earlier E − Σ earlier paid, month by month (E restated, paid as issued):",
        f"  2026-01: E = 35.88 + 0.00 + 0.00 = 35.88; paid 23.92 (issued at position {jan})",
        "  (13 other month(s) since the hire month: E = 0.00, paid 0.00)",
        "  Σ E = 35.88; Σ paid = 23.92; prior true-up = 35.88 − 23.92 = 11.96",
        "due = E + prior true-up = 118.07 + 11.96 = 130.03; paid = max(0, due) = 130.03",
        "salary: base 5,000.00 × 31/31 = 5,000.00; post 1,500.00 × 31/31 = 1,500.00",
        "awards = 0.00",
        "total = base + post + paid performance + awards = 5,000.00 + 1,500.00 + 130.03 + 0.00 = 6,630.03",
    ]
    # Each line signed, with its share, its weight and its weighted amount: the loss
    # charge and the cost lower P0 (−3,000.00 × 0.942603 = −2,827.81 each).
    assert [
        (ln["ref"], ln["posting_amount"], ln["share"], ln["credited"], ln["weighted"])
        for ln in result["lines"]
    ] == [
        ("E-C1-LOAN", "10000.00", "1.000000", "10000.00", "9426.03"),
        ("E-C2-LOAN", "5000.00", "1.000000", "5000.00", "5000.00"),
        ("E-MERCHANT", "600.00", "1.000000", "600.00", "600.00"),
        (f"L1@2026-03-20#{charge}", "-3000.00", "1.000000", "-3000.00", "-2827.81"),
        ("E-C1-COST", "-3000.00", "1.000000", "-3000.00", "-2827.81"),
    ]
    assert result["adjustments"] == []
    assert result["statement"]["total"] == result["restated"]["total"] == "6630.03"
    # The text for people: the same lines as a table and the same arithmetic.
    text = rmledger(data, "pay", "explain", "--manager", "M1", "--period", "2026-03")
    lines = text.splitlines()
    i = lines.index("  2026-03-05  posting E-C1-LOAN  client C1  loan_interest  primary")
    assert lines[i + 1] == (
        "      stock, age 1.147945 years: 10,000.00 × share 1 = 10,000.00; "
        "× weight 0.942603 = 9,426.03"
    )
    assert max(len(line) for line in lines) <= 120
    assert text.split("Arithmetic:\n")[1].splitlines() == [f"  {s}" for s in result["steps"]]


def test_explain_of_a_final_statement_after_a_back_dated_departure(tmp_path: Path) -> None:
    data = ingested(tmp_path, "back_dated_departure")
    result = json.loads(
        rmledger(data, "pay", "explain", "--manager", "M1", "--period", "2026-03", "--json")
    )
    mar, apr = closed_at(data, "2026-03"), closed_at(data, "2026-04")
    # Issued before the departure was known; on today's data March is the departure
    # month (settled for Jan–Mar) and April's issued 126.00 was paid after it.
    steps = result["steps"]
    i = steps.index("settlement (2026-01 to 2026-03) = round(max(0, Σ PP)) − Σ prepayment:")
    assert steps[i + 1 : i + 4] == [
        "  Σ PP = 180.000000 + 180.000000 + 180.000000 = 540.000000",
        "  Σ prepayment = 126.00 + 126.00 + 126.00 = 378.00",
        "  settlement = 540.00 − 378.00 = 162.00",
    ]
    i = steps.index(
        "prior true-up = Σ earlier E − Σ earlier paid, month by month (E restated, paid as issued):"
    )
    assert steps[i + 1 : i + 5] == [
        f"  2026-01: E = 126.00 + 0.00 + 0.00 = 126.00; paid 126.00 (issued at position {closed_at(data, '2026-01')})",
        f"  2026-02: E = 126.00 + 0.00 + 0.00 = 126.00; paid 126.00 (issued at position {closed_at(data, '2026-02')})",
        "  2026-04: E = 0.00 + 0.00 + 0.00 = 0.00; paid 126.00 "
        "(issued; after the departure day, so no entitlement on today's data)",
        "  (12 other month(s) since the hire month: E = 0.00, paid 0.00)",
    ]
    assert steps[i + 5 : i + 8] == [
        "  Σ E = 252.00; Σ paid = 378.00; prior true-up = 252.00 − 378.00 = −126.00",
        "due = E + prior true-up = 288.00 − 126.00 = 162.00; paid = max(0, due) = 162.00",
        "final statement (departure month), issued: outstanding = due − issued paid = 162.00 − 126.00 = 36.00",
    ]
    assert steps[-3:] == [
        "salary: base 5,000.00 × 15/31 = 2,419.35; post 1,500.00 × 15/31 = 725.81",
        "awards = 0.00",
        "total = base + post + paid performance + awards = 2,419.35 + 725.81 + 162.00 + 0.00 = 3,307.16",
    ]
    assert (result["statement"]["status"], result["statement"]["issued_at_position"]) == (
        "issued",
        mar,
    )
    # April: no statement on today's data to explain.
    out = CliRunner().invoke(
        cli, ["--data-dir", str(data), "pay", "explain", "--manager", "M1", "--period", "2026-04"]
    )
    assert out.exit_code == 1 and "no statement for manager M1 in 2026-04" in out.output
    # ...but `rmledger pay --restated` shows it, nil, with the reason (and the issued one as issued).
    (restated,) = json.loads(rmledger(data, "pay", "--period", "2026-04", "--restated", "--json"))
    assert (restated["total"], restated["issued_at_position"], restated["restated"]) == (
        "0.00",
        apr,
        True,
    )
    assert restated["note"].startswith(
        "not employed in 2026-04 on today's data: departed on 2026-03-15"
    )
    (issued,) = json.loads(rmledger(data, "pay", "--period", "2026-04", "--json"))
    assert (issued["total"], issued["status"], "note" in issued) == ("6626.00", "issued", False)
    # The table for people says the same under the rows.
    text = rmledger(data, "pay", "--period", "2026-04", "--restated")
    assert f"M1 2026-04: {restated['note']}" in text.splitlines()
    text = rmledger(data, "pay", "--period", "2026-03", "--restated")
    assert (
        "M1 2026-03: final statement; outstanding 36.00 (restated due − issued paid; + owed to the "
        "manager, − owed by the manager)"
    ) in text.splitlines()


def test_pay_json_has_the_contract_fields_and_two_decimal_money(tmp_path: Path) -> None:
    data = ingested(tmp_path, "explain_month")
    jan = closed_at(data, "2026-01")
    (issued,) = json.loads(rmledger(data, "pay", "--period", "2026-01", "--json"))
    (restated,) = json.loads(rmledger(data, "pay", "--period", "2026-01", "--restated", "--json"))
    (open_,) = json.loads(rmledger(data, "pay", "--period", "2026-03", "--manager", "M1", "--json"))
    assert list(issued) == [*CONTRACT_FIELDS, "issued_at_position"]
    assert list(restated) == [*CONTRACT_FIELDS, "issued_at_position", "restated"]
    assert list(open_) == CONTRACT_FIELDS
    for st in (issued, restated, open_):
        assert all(
            MONEY.match(st[f])
            for f in CONTRACT_FIELDS
            if f not in ("manager_id", "period", "grade", "k0", "status")
        ), st
        assert list(st["k0"]) == ["loan", "deposit", "fee", "settlement", "other"]
        assert all(RATIO.match(v) for v in st["k0"].values()), st["k0"]
    # January as issued: fee 2,000 stock at 370 days: k0 = 1 − 0.05 × 370/365 = 0.949315;
    # WP 1,898.630137; PP 34.175342; prepay round(23.922740) = 23.92; total 6,523.92.
    jan_issued = {
        "manager_id": "M1",
        "period": "2026-01",
        "grade": "junior",
        "base_salary": "5000.00",
        "post_salary": "1500.00",
        "responsibility_profit": "2000.00",
        "weighted_profit": "1898.63",
        "k0": {
            "loan": "1.000000",
            "deposit": "1.000000",
            "fee": "0.949315",
            "settlement": "1.000000",
            "other": "1.000000",
        },
        "performance_earned": "34.18",
        "prepayment": "23.92",
        "settlement": "0.00",
        "compliance": "0.00",
        "corrections": "0.00",
        "prior_true_up": "0.00",
        "performance_due": "23.92",
        "performance_paid": "23.92",
        "clawback_carried": "0.00",
        "awards": "0.00",
        "total": "6523.92",
        "status": "issued",
        "issued_at_position": jan,
    }
    assert issued == jan_issued
    # Restated with the late 1,000: k0 0.949087, WP 2,847.26, PP 51.25, prepay 35.88.
    assert restated == {
        **jan_issued,
        "responsibility_profit": "3000.00",
        "weighted_profit": "2847.26",
        "k0": {**jan_issued["k0"], "fee": "0.949087"},
        "performance_earned": "51.25",
        "prepayment": "35.88",
        "performance_due": "35.88",
        "performance_paid": "35.88",
        "total": "6535.88",
        "restated": True,
    }
    assert open_ == {
        "manager_id": "M1",
        "period": "2026-03",
        "grade": "junior",
        "base_salary": "5000.00",
        "post_salary": "1500.00",
        "responsibility_profit": "9600.00",
        "weighted_profit": "9370.41",
        "k0": {**jan_issued["k0"], "loan": "0.942603", "fee": "1.000000"},
        "performance_earned": "168.67",
        "prepayment": "118.07",
        "settlement": "0.00",
        "compliance": "0.00",
        "corrections": "0.00",
        "prior_true_up": "11.96",
        "performance_due": "130.03",
        "performance_paid": "130.03",
        "clawback_carried": "0.00",
        "awards": "0.00",
        "total": "6630.03",
        "status": "open",
    }


def test_displayed_rounding_is_half_up_everywhere() -> None:
    # Ties: half-even would give 2.66 / 0.942602 / 0.800000 / -0.04.
    assert _q(D("2.665")) == "2.67" and _q(D("-0.045")) == "-0.05"
    assert _q(D("0.9426025"), 6) == "0.942603"
    assert rounded(D("0.8000005"), 6) == D("0.800001")
    st: dict[str, Any] = {
        f: D("0")
        for f in (
            "base_salary",
            "post_salary",
            "responsibility_profit",
            "weighted_profit",
            "performance_earned",
            "prepayment",
            "settlement",
            "compliance",
            "corrections",
            "prior_true_up",
            "performance_due",
            "performance_paid",
            "clawback_carried",
            "awards",
            "total",
        )
    }
    st["k0"] = {"fee": D("0.9426025")}
    st["weighted_profit"] = D("1898.625")
    out = to_json(st)
    assert (out["k0"], out["weighted_profit"]) == ({"fee": "0.942603"}, "1898.63")


# docs/rules.md R10 example A, as a manager reads it: every line signed with its share
# and weight, each class's n and k0 written out, money to 2 places with thousands
# separators, and the four figures of the example: WP 8,479.32, PP 152.63, prepayment
# 106.84, total 6,606.84.
EXAMPLE_A_TEXT = """\
Statement of M1 for 2026-03, worked out on today's data

Lines credited (income +, costs and loss charges −; weight 1 for new business, k0 of the class for stock):
loan (k0 0.942603):
  2026-03-05  posting A1  client C1  loan_interest  primary
      stock, age 1.147945 years: 10,000.00 × share 1 = 10,000.00; × weight 0.942603 = 9,426.03
  2026-03-31  posting A3  client C1  asset_cost  primary
      stock, age 1.219178 years: −3,000.00 × share 1 = −3,000.00; × weight 0.942603 = −2,827.81
fee (k0 0.940548):
  2026-03-20  posting A2  client C1  fee_income  primary
      stock, age 1.189041 years: 2,000.00 × share 1 = 2,000.00; × weight 0.940548 = 1,881.10

Arithmetic:
  loan:
    n = Σ(stock income × age) / Σ stock income = 11,479.45 / 10,000.00 = 1.147945 years
    k0 = max(0.8, 1 − 0.05 × n) = max(0.8, 1 − 0.05 × 1.147945) = 0.942603
    P0 = stock income − cost − loss charge = 10,000.00 − 3,000.00 − 0.00 = 7,000.00
    P1 = new income − cost − loss charge = 0.00 − 0.00 − 0.00 = 0.00
    k0 × P0 + P1 = 0.942603 × 7,000.00 + 0.00 = 6,598.22
  fee:
    n = Σ(stock income × age) / Σ stock income = 2,378.08 / 2,000.00 = 1.189041 years
    k0 = max(0.8, 1 − 0.05 × n) = max(0.8, 1 − 0.05 × 1.189041) = 0.940548
    P0 = stock income − cost − loss charge = 2,000.00 − 0.00 − 0.00 = 2,000.00
    P1 = new income − cost − loss charge = 0.00 − 0.00 − 0.00 = 0.00
    k0 × P0 + P1 = 0.940548 × 2,000.00 + 0.00 = 1,881.10
  responsibility profit = 9,000.00
  WP = Σ over the classes (k0 × P0 + P1) = 8,479.32
  plan default, grade junior on 2026-03-31: commission 180.00 per 10,000, coefficient 1.000000
  prepayment ratio 0.700000 (plan default on 2026-03-31)
  PP = WP × 180.00 / 10,000 × 1.000000 = 152.627671 (shown 152.63)
  prepayment = round(0.700000 × max(0, PP)) = 106.84
  compliance = 0.00
  entitlement E = prepayment + settlement + compliance = 106.84 + 0.00 + 0.00 = 106.84
  prior true-up = Σ earlier E − Σ earlier paid, month by month (E restated, paid as issued):
    (14 other month(s) since the hire month: E = 0.00, paid 0.00)
    Σ E = 0.00; Σ paid = 0.00; prior true-up = 0.00 − 0.00 = 0.00
  due = E + prior true-up = 106.84 + 0.00 = 106.84; paid = max(0, due) = 106.84
  salary: base 5,000.00 × 31/31 = 5,000.00; post 1,500.00 × 31/31 = 1,500.00
  awards = 0.00
  total = base + post + paid performance + awards = 5,000.00 + 1,500.00 + 106.84 + 0.00 = 6,606.84
"""


def test_worked_example_a_reads_as_the_rules_write_it(tmp_path: Path) -> None:
    data = ingested(tmp_path, "example_a")
    assert (
        rmledger(data, "pay", "explain", "--manager", "M1", "--period", "2026-03") == EXAMPLE_A_TEXT
    )
    result = json.loads(
        rmledger(data, "pay", "explain", "--manager", "M1", "--period", "2026-03", "--json")
    )
    # The fields other code reads are still there, beside the new ones.
    assert list(result) == [
        "manager_id",
        "period",
        "statement",
        "restated",
        "lines",
        "classes",
        "true_up",
        "adjustments",
        "disputes",
        "steps",
    ]
    a1 = result["lines"][0]
    assert {
        k: a1[k]
        for k in (
            "ref",
            "share",
            "age_years",
            "weight",
            "amount",
            "posting_amount",
            "credited",
            "weighted",
        )
    } == {
        "ref": "A1",
        "share": "1.000000",
        "age_years": "1.147945",
        "weight": "0.942603",
        "amount": "10000.00",
        "posting_amount": "10000.00",
        "credited": "10000.00",
        "weighted": "9426.03",
    }
    assert result["classes"]["loan"]["stock_income_age_years"] == "11479.45"  # 10,000 × 419/365


def test_a_backups_line_shows_the_posting_and_the_share(tmp_path: Path) -> None:
    # backup_share 0.2: M2, backup of C1, is credited 0.2 of the 10,000.00 fee, stock at
    # 64/365 = 0.175342 years: k0 = 1 − 0.05 × 0.175342 = 0.991233.
    data = ingested(tmp_path, "backup_share")
    text = rmledger(data, "pay", "explain", "--manager", "M2", "--period", "2026-03").splitlines()
    i = text.index("  2026-03-10  posting P1  client C1  fee_income  backup")
    assert text[i + 1] == (
        "      stock, age 0.175342 years: 10,000.00 × share 0.2 = 2,000.00; "
        "× weight 0.991233 = 1,982.47"
    )


def test_compliance_and_awards_are_shown_with_their_reasons(tmp_path: Path) -> None:
    data = ingested(tmp_path, "compliance_awards")
    text = rmledger(data, "pay", "explain", "--manager", "M1", "--period", "2026-01").splitlines()
    i = text.index("  compliance = 50.00 − 20.00 = 30.00")
    assert text[i + 1 : i + 3] == [
        "    50.00: KPI targets met (ADJ-JAN-C)",
        "    −20.00: late finding: KYC file incomplete (ADJ-JAN-C2)",
    ]
    i = text.index("  awards = 1,000.00")
    assert text[i + 1] == "    1,000.00: outstanding contribution (ADJ-JAN-A)"
    assert max(len(line) for line in text) <= 120
    result = json.loads(
        rmledger(data, "pay", "explain", "--manager", "M1", "--period", "2026-01", "--json")
    )
    assert result["adjustments"] == [  # in the order they were recorded
        {
            "kind": "compliance",
            "amount": "50.00",
            "reason": "KPI targets met",
            "message_id": "ADJ-JAN-C",
        },
        {
            "kind": "award",
            "amount": "1000.00",
            "reason": "outstanding contribution",
            "message_id": "ADJ-JAN-A",
        },
        {
            "kind": "compliance",
            "amount": "-20.00",
            "reason": "late finding: KYC file incomplete",
            "message_id": "ADJ-JAN-C2",
        },
    ]


def test_sums_are_written_with_a_minus_sign_never_plus_minus() -> None:
    assert terms([D("288.00"), D("-126.00")]) == "288.00 − 126.00"
    assert terms([D("-24352.641206"), D("600")]) == "−24,352.64 + 600.00"
    assert amount(D("-0.004")) == "0.00" and amount(D("1234567.005")) == "1,234,567.01"
    assert difference(D("5000"), D("0"), D("-500")) == "5,000.00 − 0.00 + 500.00"

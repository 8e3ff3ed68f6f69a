"""End to end: messages ingested through the command line, the read model loaded by the
real loader and pay projection, the audits read through ``rmledger audit``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from domain.ledger import Ledger
from domain.store import ledger_env
from projections.pay import statements as pay
from projections.readmodel.loader import ReadModel
from scripts.cli.main import cli
from tests import builders as b
from tests.paths import SCENARIOS

pytest.importorskip("projections.pay.statements")


def departure_messages() -> list[dict[str, Any]]:
    return [
        *b.bank(),
        b.assign("C1", "M1"),
        b.assign("C2", "M1"),
        b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
        b.close("2025-02", "2025-03-01"),
        b.book("P2", "C1", "5000.00", "fee_income", "2025-03-10"),
        b.close("2025-03", "2025-04-01"),
        b.reverse("P2"),  # after March was closed: March's pay is clawed back
        b.classify("L1", "C2", "normal", "100000.00", "2025-03-31"),
        b.classify("L1", "C2", "substandard", "100000.00", "2025-04-30"),
        b.request_departure("M1", "2025-09-01", "2025-09-30"),
        *[b.approve("M1", role, "2025-09-05") for role in ("department_head", "rm_office", "hr")],
        b.open_handover("H1", "M1", "M2", ["C1"], "2025-09-02"),
        b.witness("H1", "LEAD1", "sub_branch_lead", "2025-09-03"),
        b.witness("H1", "HEAD1", "wealth_centre_head", "2025-09-03"),
        b.sign("H1", "2025-09-04"),
        b.file_handover("H1", "2025-09-10"),
        b.open_handover("H2", "M1", "M3", ["C2"], "2025-09-02"),
        b.witness(
            "H2", "LEAD1", "sub_branch_lead", "2025-09-03"
        ),  # no wealth-centre head: unwitnessed
    ]


def run(tmp_path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    source = tmp_path / "bank.jsonl"
    source.write_text("".join(json.dumps(m) + "\n" for m in departure_messages()))
    run(tmp_path, "ingest", str(source))
    return tmp_path


# Figures worked out by hand (docs/rules.md R6-R7, default plan, as no plan is published):
# a junior is paid 180 per 10,000 of weighted profit at coefficient 1.0, so
# PP = WP x 0.018; prepayment ratio 0.70; salary 5,000.00 + 1,500.00 = 6,500.00 a full month.
MONTH_FIELDS = (
    "period",
    "income",
    "cost",
    "loss_charge",
    "profit",
    "new",
    "stock",
    "status",
    "performance_earned",
    "entitlement_restated",
    "entitlement_issued",
    "performance_paid",
    "performance_paid_restated",
    "responsibility_profit_issued",
    "responsibility_profit_restated",
    "clawback_carried_issued",
    "clawback_carried_restated",
    "total_issued",
    "total_restated",
)


def month_row(
    period: str,
    *,
    income: str = "0.00",
    cost: str = "0.00",
    loss_charge: str = "0.00",
    profit: str = "0.00",
    new: str = "0.00",
    stock: str = "0.00",
    earned: str = "0.00",
    entitled: str = "0.00",
    paid: str = "0.00",
    clawback: str = "0.00",
    total: str = "6500.00",
    issued: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One month of the audit as expected: business credited, the restated statement
    (``earned``, ``entitled``, ``paid``, ``clawback``, ``total``) and, for a closed
    month, its issued statement (``entitlement``, ``paid``, ``profit``, ``clawback``,
    ``total``). ``performance_paid`` is the issued figure when there is one."""
    return {
        "period": period,
        "income": income,
        "cost": cost,
        "loss_charge": loss_charge,
        "profit": profit,
        "new": new,
        "stock": stock,
        "status": "issued" if issued else "open",
        "performance_earned": earned,
        "entitlement_restated": entitled,
        "entitlement_issued": issued and issued["entitlement"],
        "performance_paid": issued["paid"] if issued else paid,
        "performance_paid_restated": paid,
        "responsibility_profit_issued": issued and issued["profit"],
        "responsibility_profit_restated": profit,
        "clawback_carried_issued": issued and issued["clawback"],
        "clawback_carried_restated": clawback,
        "total_issued": issued and issued["total"],
        "total_restated": total,
    }


def audit_months(audit: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: m[k] for k in MONTH_FIELDS} for m in audit["months"]]


def test_departure_audit_through_the_command_line_agrees_with_the_pay_statements(
    data_dir: Path,
) -> None:
    audit = json.loads(run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json"))
    # M1 (junior, hired 2025-01-01) serves C1 and C2 as primary, acquired, from 2025-01-10
    # (first_served_on); everything below is within 365 days of that: all new business, k0
    # never applies, WP = profit. No departed event: the audit date is the last day
    # 2025-09-30, the months run 2025-01..2025-09 and every month has a full salary.
    #
    # Business credited to M1, by month:
    #   02: P1 fee_income 20,000.00 (2025-02-10, 31 days after first service: new).
    #   03: P2 fee_income 5,000.00 was reversed after March closed: as if never booked (§6.1),
    #       so March restated is 0; L1's first classification (normal, rate 0) has charge 0.
    #   04: L1 substandard 100,000.00 as of 2025-04-30: required 100,000 x 0.30 = 30,000,
    #       previous required 0, charge 30,000.00 (loan class, C2 acquired 110 days before:
    #       new), profit -30,000.00.
    # Performance pay, restated (§7.3):
    #   02: PP = 20,000 x 0.018 = 360.00; prepay = round(0.70 x 360) = 252.00 = E_02.
    #   03: PP 0, E 0 (issued at close with P2: PP = 5,000 x 0.018 = 90.00, prepay 63.00).
    #   04: PP = -30,000 x 0.018 = -540.00; prepay = round(0.70 x max(0, -540)) = 0.
    #   06: settlement of H1 (from the hire month): sum PP = 0 + 360 + 0 - 540 + 0 + 0 = -180,
    #       round(max(0, -180)) - sum prepay 252 = -252.00 = E_06.
    #   09: no departed event, so no departure-month settlement (and H2 has PP 0 anyway).
    # The true-up due_m = sum_{k<=m} E_k - sum_{k<m} paid_k, paid = max(0, due):
    #   01: 0 - 0 = 0.           02 (issued at close, as restated): 252 - 0 = 252.00 paid.
    #   03 issued: E 63 + (252 - 252) = 63.00 paid; restated: 252 + 0 - 252 = 0.00.
    #   04: 252 + 0 + 0 - (0 + 252 + 63) = -63 -> paid 0, clawback 63.00.    05: the same.
    #   06: 252 - 252 - 315 = -315 -> clawback 315.00; 07, 08, 09: -315 -> clawback 315.00.
    # Issued totals: 02 6,500 + 252 = 6,752.00; 03 6,500 + 63 = 6,563.00.
    assert audit_months(audit) == [
        month_row("2025-01"),
        month_row(
            "2025-02",
            income="20000.00",
            profit="20000.00",
            new="20000.00",
            earned="360.00",
            entitled="252.00",
            paid="252.00",
            total="6752.00",
            issued={
                "entitlement": "252.00",
                "paid": "252.00",
                "profit": "20000.00",
                "clawback": "0.00",
                "total": "6752.00",
            },
        ),
        month_row(
            "2025-03",
            issued={
                "entitlement": "63.00",
                "paid": "63.00",
                "profit": "5000.00",
                "clawback": "0.00",
                "total": "6563.00",
            },
        ),
        month_row(
            "2025-04",
            loss_charge="30000.00",
            profit="-30000.00",
            new="-30000.00",
            earned="-540.00",
            clawback="63.00",
        ),
        month_row("2025-05", clawback="63.00"),
        month_row("2025-06", entitled="-252.00", clawback="315.00"),
        month_row("2025-07", clawback="315.00"),
        month_row("2025-08", clawback="315.00"),
        month_row("2025-09", clawback="315.00"),
    ]
    # Paid: 252 (Feb, issued) + 63 (Mar, issued) = 315.00; restated entitlement
    # 252 - 252 = 0.00; owed back max(0, 315 - 0) = 315.00, what September carries.
    assert audit["pay"] == {
        "restated_available": True,
        "performance_paid_total": "315.00",
        "entitlement_restated_total": "0.00",
        "clawback_owed": "315.00",
        "statement_clawback_carried": "315.00",
        "last_statement_period": "2025-09",
        # September is open: its restated due is -315.00 and it pays 0.00, so after it
        # 315.00 is owed by the leaver: the clawback carried, which no later statement recovers.
        "owed_after_last_statement": {
            "period": "2025-09",
            "status": "open",
            "issued_at_position": None,
            "performance_due_restated": "-315.00",
            "performance_paid": "0.00",
            "paid_after_departure": "0.00",
            "balance": "-315.00",
            "owed_to_leaver": "0.00",
            "owed_by_leaver": "315.00",
        },
    }
    with ReadModel(data_dir / "read_model.duckdb") as model:
        [september] = pay.statements(model, "2025-09", "M1", restated=True)
        [march_issued] = pay.statements(model, "2025-03", "M1")
    assert f"{september['clawback_carried']:.2f}" == "315.00"
    assert f"{march_issued['performance_paid']:.2f}" == "63.00"
    kinds = {f["kind"] for f in audit["findings"]}
    assert {"handover_unwitnessed", "handover_unfiled", "reversal_after_close"} <= kinds
    [unwitnessed] = [f for f in audit["findings"] if f["kind"] == "handover_unwitnessed"]
    assert unwitnessed["subject"] == "H2" and unwitnessed["missing"] == ["wealth_centre_head"]
    # L1 (C2's only loan, the book's only loan): substandard 100,000.00 at departure, so
    # non-performing 100,000 / total 100,000 = 1.000000; downgraded normal -> substandard.
    loans = audit["loans"]
    assert (
        loans["total_balance"],
        loans["non_performing_balance"],
        loans["non_performing_ratio"],
    ) == ("100000.00", "100000.00", "1.000000")
    [l1] = loans["loans"]
    assert [(g["from"], g["to"], g["as_of"]) for g in l1["downgrades"]] == [
        ("normal", "substandard", "2025-04-30")
    ]


STOCK_SCENARIO = SCENARIOS / "audit_departure_stock.jsonl"


@pytest.fixture
def stock_dir(tmp_path: Path) -> Path:
    run(tmp_path, "ingest", str(STOCK_SCENARIO))
    return tmp_path


def test_departure_audit_of_stock_business_a_late_posting_and_a_mid_month_departure(
    stock_dir: Path,
) -> None:
    """tests/scenarios/audit_departure_stock.jsonl: stock business weighted by k0, a
    posting booked after its month closed, a loss charge that turns the half negative,
    and a departure on 2025-05-20 after a complete handover."""
    audit = json.loads(run(stock_dir, "audit", "departure", "--manager", "M1", "--format", "json"))
    # M1 junior hired 2025-01-01; C1 primary, acquired, from 2025-01-10 (new business);
    # C2 was M2's from 2023-01-01 (first_served_on), released 2025-01-31 and assigned to
    # M1 from 2025-02-01 as inherited: stock at any age, a = (d - 2023-01-01) / 365.
    # H1 moves both to M2 on its filing date 2025-05-15; M1 departs 2025-05-20.
    #
    # 01: S1 fee 10,000 new. WP 10,000; PP = 10,000 x 0.018 = 180.00; prepay = 126.00;
    #     issued at close, paid 126.00; total 6,626.00.
    # 02: S2 loan_interest 20,000 on 02-15, stock, age 365 + 366 + 45 = 776 days;
    #     S3 asset_cost 5,000 stock; S4 fee 1,000 new; S5 fee 2,000 new, booked after close.
    #     loan: P0 = 20,000 - 5,000 = 15,000, n = 776/365, k0 = 1 - 0.05 x 776/365
    #     = 1 - 38.8/365 = 0.893698630..., k0 x P0 = 13,405.479452...
    #     restated: WP = 13,405.479452 + 3,000 = 16,405.479452; PP = 295.298630 (295.30);
    #       prepay = round(0.70 x 295.298630 = 206.709041) = 206.71; paid = 206.71 + (126 - 126).
    #     issued: WP = 13,405.479452 + 1,000 = 14,405.479452; PP = 259.298630;
    #       prepay = round(181.509041) = 181.51 paid; profit 20,000 + 1,000 - 5,000 = 16,000;
    #       total 6,681.51 (restated 6,706.71). Restated profit 18,000 = 3,000 new + 15,000 stock.
    # 03: S6 loan_interest 3,000 on 03-10, stock, age 731 + 68 = 799 days:
    #     k0 = 1 - 39.95/365 = 0.890547945; L1 doubtful 100,000: charge 0.50 x 100,000 = 50,000
    #     (first classification, C1 acquired, new); L2 normal: charge 0.
    #     WP = 0.890547945 x 3,000 - 50,000 = -47,328.356164; PP = -851.910411 (-851.91);
    #     prepay 0 = E. Issued after S5, as restated: due = 0 + (126 + 206.71) - (126 + 181.51)
    #     = 25.20 paid (the true-up of the late posting); total 6,525.20.
    #     Profit 3,000 - 50,000 = -47,000: stock 3,000, new -50,000.
    # 04 (open): S7 deposit_interest_income 4,000 on 04-15, stock, age 731 + 104 = 835 days:
    #     k0 = 1 - 41.75/365 = 0.885616438; WP = 3,542.465753; PP = 63.764384 (63.76);
    #     prepay = round(44.635068) = 44.64; due = 44.64 + (332.71 - 332.71) = 44.64 paid.
    # 05 (departure month, open): S8 fee 500 on 05-12 (before the filing), new: PP 9.00,
    #     prepay 6.30; S9 on 05-16 is M2's. Settlement of the part of H1 worked:
    #     sum PP = 180 + 295.298630 - 851.910411 + 63.764384 + 9 = -303.847397 -> 0;
    #     sum prepay = 126 + 206.71 + 0 + 44.64 + 6.30 = 383.65; settle = -383.65;
    #     E = 6.30 - 383.65 = -377.35; due = -377.35 + 0 -> paid 0, clawback 377.35.
    #     Salary for 20 of 31 days: 5,000 x 20/31 = 3,225.81, 1,500 x 20/31 = 967.74;
    #     total 4,193.55.
    assert audit_months(audit) == [
        month_row(
            "2025-01",
            income="10000.00",
            profit="10000.00",
            new="10000.00",
            earned="180.00",
            entitled="126.00",
            paid="126.00",
            total="6626.00",
            issued={
                "entitlement": "126.00",
                "paid": "126.00",
                "profit": "10000.00",
                "clawback": "0.00",
                "total": "6626.00",
            },
        ),
        month_row(
            "2025-02",
            income="23000.00",
            cost="5000.00",
            profit="18000.00",
            new="3000.00",
            stock="15000.00",
            earned="295.30",
            entitled="206.71",
            paid="206.71",
            total="6706.71",
            issued={
                "entitlement": "181.51",
                "paid": "181.51",
                "profit": "16000.00",
                "clawback": "0.00",
                "total": "6681.51",
            },
        ),
        month_row(
            "2025-03",
            income="3000.00",
            loss_charge="50000.00",
            profit="-47000.00",
            new="-50000.00",
            stock="3000.00",
            earned="-851.91",
            paid="25.20",
            total="6525.20",
            issued={
                "entitlement": "0.00",
                "paid": "25.20",
                "profit": "-47000.00",
                "clawback": "0.00",
                "total": "6525.20",
            },
        ),
        month_row(
            "2025-04",
            income="4000.00",
            profit="4000.00",
            stock="4000.00",
            earned="63.76",
            entitled="44.64",
            paid="44.64",
            total="6544.64",
        ),
        month_row(
            "2025-05",
            income="500.00",
            profit="500.00",
            new="500.00",
            earned="9.00",
            entitled="-377.35",
            clawback="377.35",
            total="4193.55",
        ),
    ]
    # Paid 126 + 181.51 + 25.20 + 44.64 + 0 = 377.35; restated entitlement
    # 126 + 206.71 + 0 + 44.64 - 377.35 = 0.00 (the half's PP is negative: nothing is due);
    # owed back 377.35 - 0 = 377.35, what the open final statement carries.
    assert audit["pay"] == {
        "restated_available": True,
        "performance_paid_total": "377.35",
        "entitlement_restated_total": "0.00",
        "clawback_owed": "377.35",
        "statement_clawback_carried": "377.35",
        "last_statement_period": "2025-05",
        # The open final statement (May) has a restated due of -377.35 and pays nothing:
        # 377.35 is owed by the leaver after it (the same figure as its clawback carried).
        "owed_after_last_statement": {
            "period": "2025-05",
            "status": "open",
            "issued_at_position": None,
            "performance_due_restated": "-377.35",
            "performance_paid": "0.00",
            "paid_after_departure": "0.00",
            "balance": "-377.35",
            "owed_to_leaver": "0.00",
            "owed_by_leaver": "377.35",
        },
    }
    md = run(stock_dir, "audit", "departure", "--manager", "M1").splitlines()
    assert md[md.index("## Money still owed after the last statement") + 2] == (
        "Last statement 2025-05 (open, paying 0.00 now); restated performance due -377.35. After it, owed to the "
        "leaver 0.00, owed by the leaver 377.35 (restated due − paid; settled off-cycle by HR/payroll, never "
        "from salary)."
    )
    assert "Total balance 400000.00; non-performing 100000.00; non-performing ratio 25.00%." in md
    with ReadModel(stock_dir / "read_model.duckdb") as model:
        [may] = pay.statements(model, "2025-05", "M1", restated=True)
        [february_issued] = pay.statements(model, "2025-02", "M1")
    assert (f"{may['clawback_carried']:.2f}", f"{may['total']:.2f}") == ("377.35", "4193.55")
    assert f"{february_issued['performance_paid']:.2f}" == "181.51"
    d = audit["departure"]
    assert (d["status"], d["departed_on"], d["audit_date"]) == (
        "departed",
        "2025-05-20",
        "2025-05-20",
    )
    assert audit["approvals"]["complete"] and audit["approvals"]["in_order"]
    assert [
        (x["client_id"], x["origin"], x["since"], x["left"]["how"], x["left"]["on"])
        for x in audit["book"]
    ] == [
        ("C1", "acquired", "2025-01-10", "handover", "2025-05-15"),
        ("C2", "inherited", "2025-02-01", "handover", "2025-05-15"),
    ]
    # L1 doubtful 100,000 (non-performing) and L2 normal 300,000: 100,000 / 400,000 = 0.25
    loans = audit["loans"]
    assert (
        loans["total_balance"],
        loans["non_performing_balance"],
        loans["non_performing_ratio"],
    ) == ("400000.00", "100000.00", "0.250000")
    # a witnessed, signed and filed handover; no reversal, no quick move, no unattributed day;
    # only the clawback the final statement leaves owed by the leaver, and the five months
    # of the plan M1 never acknowledged (docs/rules.md R7.7)
    assert audit["finding_counts"] == {
        "money_owed_after_last_statement": 1,
        "unacknowledged_plan": 5,
    }
    [owed] = [f for f in audit["findings"] if f["kind"] == "money_owed_after_last_statement"]
    assert (owed["subject"], owed["amount"], owed["direction"]) == (
        "2025-05",
        "377.35",
        "by_leaver",
    )


def test_the_report_hash_is_stable_across_runs_rebuilds_and_later_events(data_dir: Path) -> None:
    first = run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json")
    assert run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json") == first
    report = json.loads(first)
    ledger = Ledger(ledger_env(data_dir))
    with ReadModel(data_dir / "read_model.duckdb") as model:
        model.rebuild(ledger)
    assert run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json") == first
    later = data_dir / "later.jsonl"
    later.write_text(
        json.dumps(b.witness("H2", "HEAD1", "wealth_centre_head", "2025-09-11")) + "\n"
    )
    run(data_dir, "ingest", str(later))
    now = json.loads(run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json"))
    assert now["sha256"] != report["sha256"] and now["position"] > report["position"]
    again = run(
        data_dir,
        "audit",
        "departure",
        "--manager",
        "M1",
        "--format",
        "json",
        "--at-position",
        str(report["position"]),
    )
    assert again == first


def test_markdown_and_html_reports_are_written_to_a_file(data_dir: Path) -> None:
    out = data_dir / "audit.html"
    run(data_dir, "audit", "departure", "--manager", "M1", "--format", "html", "--out", str(out))
    page = out.read_text()
    assert "<svg" in page and "Manager M1" in page
    md = run(data_dir, "audit", "departure", "--manager", "M1")
    assert md.startswith("# Departure audit: Manager M1 (M1)") and "sha256" not in md.split("\n")[0]


def test_history_through_the_command_line(data_dir: Path) -> None:
    now = json.loads(
        run(
            data_dir,
            "audit",
            "history",
            "--manager",
            "M1",
            "--effective-on",
            "2026-01-01",
            "--json",
        )
    )
    assert [c["source_id"] for c in now["credits"] if c["kind"] == "posting"] == ["P1", "P2"]
    assert [
        c["reversed_at_position"] is not None for c in now["credits"] if c["kind"] == "posting"
    ] == [False, True]
    before = json.loads(
        run(
            data_dir,
            "audit",
            "history",
            "--manager",
            "M1",
            "--effective-on",
            "2025-09-09",
            "--json",
        )
    )
    assert sorted(x["client_id"] for x in before["book_on"]) == ["C1", "C2"]
    m2 = json.loads(
        run(
            data_dir,
            "audit",
            "history",
            "--manager",
            "M2",
            "--effective-on",
            "2025-09-09",
            "--json",
        )
    )
    assert m2["book_on"] == []
    text = run(data_dir, "audit", "history", "--manager", "M1")
    assert "History of Manager M1 (M1)" in text and "110101199003071234" not in text


def test_a_write_through_rmledger_sql_is_refused(data_dir: Path) -> None:
    run(data_dir, "audit", "history", "--manager", "M1")  # catches up and creates the audit views
    for query in (
        "DELETE FROM postings",
        "DROP TABLE events",
        "INSERT INTO periods_closed SELECT * FROM periods_closed",
    ):
        result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "sql", query])
        assert result.exit_code != 0, query
        assert "refused" in result.output or "read-only" in result.output.lower(), result.output
    counted = run(data_dir, "sql", "--json", "SELECT count(*) AS n FROM postings")
    assert json.loads(counted) == [{"n": 2}]
    status = json.loads(
        run(
            data_dir,
            "sql",
            "--json",
            "SELECT handover_id, status, missing FROM handover_status ORDER BY handover_id",
        )
    )
    assert [(s["handover_id"], s["status"]) for s in status] == [("H1", "filed"), ("H2", "open")]

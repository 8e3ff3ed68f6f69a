"""``--format csv|xlsx`` and ``--out`` on ``rmledger pay``, ``tiers`` and ``audit history``;
an open month said so; no statement before the first paid month; "no such client".

The workbooks are read back with openpyxl (layout, text, dates) and, for numbers, from
the sheet's XML itself: openpyxl reads a number as a float, the file holds its text.

The month (as in tests/cli/test_pay_table.py, with cents): M1 (junior: 180 per 10,000,
coefficient 1.0, prepayment 70%, salary 5,000 + 1,500) brought C1 in January; a fee of
20,000.47 in February is new business, so WP = 20,000.47, PP = 20,000.47 × 180 / 10,000
= 360.00846 → 360.01, prepaid 0.70 × 360.01 = 252.007 → 252.01 and M1's total
5,000 + 1,500 + 252.01 = 6,752.01; M2 and M3 earn 6,500.00 each; the month 19,752.01.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from click.testing import CliRunner, Result

from scripts.cli.main import cli
from tests import builders as b
from tests.cli_runs import ingest, run

pytestmark = pytest.mark.usefixtures("clean_environ")

MONTH = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.assign("C2", "M1"),
    b.book("P1", "C1", "20000.47", "fee_income", "2025-02-10"),
    b.close("2025-02", "2025-03-01"),
]
MARCH = [b.book("P2", "C1", "5000.00", "fee_income", "2025-03-10")]
SHEET_XML = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PAY_HEADINGS = [
    "manager",
    "name",
    "branch",
    "period",
    "grade",
    "base salary",
    "post salary",
    "responsibility profit",
    "weighted profit",
    "performance earned",
    "prepayment",
    "settlement",
    "compliance",
    "corrections",
    "prior true up",
    "performance due",
    "performance paid",
    "clawback carried",
    "awards",
    "total",
    "status",
    "issued at position",
]
D = Decimal


def rmledger(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def read_xlsx(path: Path) -> dict[str, list[list[Any]]]:
    """Each sheet's cells by row; a number as the exact Decimal of the file's text."""
    book = openpyxl.load_workbook(path)
    sheets = {}
    with zipfile.ZipFile(path) as z:
        for i, ws in enumerate(book.worksheets, start=1):
            xml = ElementTree.fromstring(z.read(f"xl/worksheets/sheet{i}.xml"))
            text = {c.get("r"): c.findtext(f"{SHEET_XML}v") for c in xml.iter(f"{SHEET_XML}c")}
            sheets[ws.title] = [
                [D(text[c.coordinate]) if type(c.value) in (int, float) else c.value for c in row]
                for row in ws.iter_rows()
            ]
    return sheets


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "var").mkdir()
    ingest(tmp_path / "var", MONTH)
    return tmp_path / "var"


def money(*texts: str) -> list[Decimal]:
    return [D(t) for t in texts]


# -- pay ---------------------------------------------------------------------------------------


def test_pay_as_xlsx_has_every_field_exact_money_a_totals_row_and_a_frozen_header(
    data_dir: Path,
) -> None:
    target = data_dir.parent / "pay.xlsx"
    result = rmledger(
        data_dir, "pay", "--period", "2025-02", "--format", "xlsx", "--out", str(target)
    )
    assert result.exit_code == 0 and result.output == f"wrote 3 statement(s) to {target}\n"
    assert read_xlsx(target) == {
        "Pay 2025-02": [
            PAY_HEADINGS,
            [
                "M1",
                "Manager M1",
                "BR01",
                "2025-02",
                "junior",
                *money(
                    "5000.00",
                    "1500.00",
                    "20000.47",
                    "20000.47",
                    "360.01",
                    "252.01",
                    "0",
                    "0",
                    "0",
                    "0",
                    "252.01",
                    "252.01",
                    "0",
                    "0",
                    "6752.01",
                ),
                "issued",
                D(20),
            ],
            [
                "M2",
                "Manager M2",
                "BR01",
                "2025-02",
                "junior",
                *money("5000.00", "1500.00"),
                *[D(0)] * 12,
                D("6500.00"),
                "issued",
                D(20),
            ],
            [
                "M3",
                "Manager M3",
                "BR01",
                "2025-02",
                "junior",
                *money("5000.00", "1500.00"),
                *[D(0)] * 12,
                D("6500.00"),
                "issued",
                D(20),
            ],
            [
                "3 statements",
                None,
                None,
                None,
                None,
                *money(
                    "15000.00",
                    "4500.00",
                    "20000.47",
                    "20000.47",
                    "360.01",
                    "252.01",
                    "0",
                    "0",
                    "0",
                    "0",
                    "252.01",
                    "252.01",
                    "0",
                    "0",
                    "19752.01",
                ),
                None,
                None,
            ],
        ]
    }
    ws = openpyxl.load_workbook(target)["Pay 2025-02"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b and ws["A5"].font.b and not ws["A2"].font.b
    assert {ws.cell(row=r, column=c).number_format for r in range(2, 6) for c in range(6, 21)} == {
        "#,##0.00"
    }
    assert ws["F2"].data_type == "n" and ws["A2"].data_type == "s"
    # every column at least as wide as its heading; "responsibility profit" is the widest
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, 23)]
    assert all(w >= len(h) for w, h in zip(widths, PAY_HEADINGS, strict=True))
    assert widths[7] == len("responsibility profit") + 2


def test_pay_csv_and_json_to_a_file_match_what_is_printed(data_dir: Path) -> None:
    for fmt, name in (("csv", "pay.csv"), ("json", "pay.json")):
        printed = run(data_dir, "pay", "--period", "2025-02", "--format", fmt)
        target = data_dir.parent / name
        run(data_dir, "pay", "--period", "2025-02", "--format", fmt, "--out", str(target))
        assert target.read_text(encoding="utf-8") == printed
    assert run(data_dir, "pay", "--period", "2025-02", "--json") == run(
        data_dir, "pay", "--period", "2025-02", "--format", "json"
    )
    first = run(data_dir, "pay", "--period", "2025-02", "--format", "csv").splitlines()[1]
    assert first == (
        "M1,Manager M1,BR01,2025-02,junior,5000.00,1500.00,20000.47,20000.47,360.01,252.01,0.00,0.00,"
        "0.00,0.00,252.01,252.01,0.00,0.00,6752.01,issued,20"
    )


def test_xlsx_without_out_is_refused_with_one_sentence(data_dir: Path) -> None:
    for command in (
        ["pay", "--period", "2025-02"],
        ["tiers", "--as-of", "2025-03-31"],
        ["audit", "history", "--manager", "M1"],
    ):
        result = rmledger(data_dir, *command, "--format", "xlsx")
        assert result.exit_code == 2, command
        assert result.output.endswith(
            "Error: --format xlsx writes an Excel file: give --out FILE.xlsx\n"
        )


def test_xlsx_replaces_a_file_only_with_force_and_never_the_store(data_dir: Path) -> None:
    target = data_dir.parent / "pay.xlsx"
    target.write_bytes(b"mine")
    result = rmledger(
        data_dir, "pay", "--period", "2025-02", "--format", "xlsx", "--out", str(target)
    )
    assert result.exit_code == 2 and "exists: give --force to replace it" in result.output
    assert target.read_bytes() == b"mine"
    run(data_dir, "pay", "--period", "2025-02", "--format", "xlsx", "--out", str(target), "--force")
    assert read_xlsx(target)["Pay 2025-02"][0] == PAY_HEADINGS
    refused = rmledger(
        data_dir,
        "tiers",
        "--as-of",
        "2025-03-31",
        "--format",
        "xlsx",
        "--out",
        str(data_dir / "events.sqlite"),
        "--force",
    )
    assert refused.exit_code == 2 and "one of the data directory's own files" in refused.output


def test_text_that_looks_like_a_formula_stays_text_in_the_workbook(tmp_path: Path) -> None:
    ingest(tmp_path, [b.hire("M1", name='=HYPERLINK("http://x","y")')])
    target = tmp_path / "pay.xlsx"
    run(tmp_path, "pay", "--period", "2025-01", "--format", "xlsx", "--out", str(target))
    ws = openpyxl.load_workbook(target).active
    assert ws["B2"].value == '=HYPERLINK("http://x","y")' and ws["B2"].data_type == "s"


def test_an_open_month_is_said_to_be_open(data_dir: Path) -> None:
    ingest(data_dir, MARCH)
    assert (
        run(data_dir, "pay", "--period", "2025-03", "--manager", "M1")
        == """\
Pay statements 2025-03 (event-log position 24)
2025-03 is open: not closed; figures may change
manager      name        branch  grade    profit  earned   paid  clawback  awards    total  status
-----------  ----------  ------  ------  -------  ------  -----  --------  ------  -------  ------
M1           Manager M1  BR01    junior  5000.00   90.00  63.00      0.00    0.00  6563.00  open
-----------  ----------  ------  ------  -------  ------  -----  --------  ------  -------  ------
1 statement                              5000.00   90.00  63.00      0.00    0.00  6563.00
profit: responsibility profit; earned: performance pay earned (PP); paid: performance pay paid this
month after the true-up; clawback: overpaid performance pay carried to later months; total: base +
post + paid + awards. --wide shows every field.
"""
    )
    assert "is open" not in run(data_dir, "pay", "--period", "2025-02")
    target = data_dir.parent / "march.xlsx"
    run(data_dir, "pay", "--period", "2025-03", "--format", "xlsx", "--out", str(target))
    assert [row[20] for row in read_xlsx(target)["Pay 2025-03"]] == [
        "status",
        "open",
        "open",
        "open",
        None,
    ]


def test_no_statement_before_the_first_paid_month(tmp_path: Path) -> None:
    # hired in March 2019; the default plan is in force from 2020-01-01
    ingest(tmp_path, [b.hire("M1", hired_on="2019-03-10")])
    result = rmledger(tmp_path, "pay", "--period", "2019-12", "--manager", "M1", "--json")
    assert result.exit_code == 1
    assert result.stdout == "[]\n"
    assert result.stderr == (
        "no statement for manager M1 in 2019-12: not employed that month, "
        "or before the first month a plan covers\n"
    )
    assert json.loads(run(tmp_path, "pay", "--period", "2019-12", "--json")) == []
    [january] = json.loads(run(tmp_path, "pay", "--period", "2020-01", "--json"))
    assert (january["manager_id"], january["status"], january["total"]) == ("M1", "open", "6500.00")


def test_no_such_manager_for_pay(data_dir: Path) -> None:
    result = rmledger(data_dir, "pay", "--period", "2025-02", "--manager", "M9999", "--json")
    assert result.exit_code == 1 and result.stderr == "no such manager: M9999\n"


# -- tiers -------------------------------------------------------------------------------------

TIER_MESSAGES = [
    b.register("C1", registered_on="2024-01-01"),
    b.register("C2", registered_on="2024-01-01"),
    b.register("C3", registered_on="2026-04-01"),
    b.report_balance("C1", "deposit", "600000.00", "2025-01-01"),
    b.report_balance("C1", "wealth", "500000.37", "2026-03-01"),
    b.report_balance("C2", "loan_credit", "40000.00", "2026-03-01"),
]
TIERS_CSV = """\
client_id,as_of,tier,maintenance_level,aum,avg_deposit_182d,criteria_met,near_criteria
C1,2026-03-31,vip,sub_branch,1100000.37,600000.00,avg_deposit,
C2,2026-03-31,potential,manager,0.00,0.00,,credit_loan
"""


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    (tmp_path / "var").mkdir()
    ingest(tmp_path / "var", TIER_MESSAGES)
    return tmp_path / "var"


def test_tiers_as_csv_and_xlsx(clients: Path) -> None:
    assert run(clients, "tiers", "--as-of", "2026-03-31", "--format", "csv") == TIERS_CSV
    target = clients.parent / "tiers.xlsx"
    result = rmledger(
        clients, "tiers", "--as-of", "2026-03-31", "--format", "xlsx", "--out", str(target)
    )
    assert result.exit_code == 0 and result.output == f"wrote 2 clients to {target}\n"
    assert read_xlsx(target) == {
        "Tiers 2026-03-31": [
            [
                "client",
                "as of",
                "tier",
                "maintenance",
                "AUM",
                "avg deposit 182d",
                "criteria met",
                "near (≥ 80%)",
            ],
            [
                "C1",
                datetime(2026, 3, 31),
                "vip",
                "sub_branch",
                D("1100000.37"),
                D("600000.00"),
                "avg_deposit",
                None,
            ],
            [
                "C2",
                datetime(2026, 3, 31),
                "potential",
                "manager",
                D("0"),
                D("0"),
                None,
                "credit_loan",
            ],
        ]
    }
    ws = openpyxl.load_workbook(target).active
    assert (ws["B2"].number_format, ws["E2"].number_format, ws.freeze_panes) == (
        "yyyy-mm-dd",
        "#,##0.00",
        "A2",
    )


def test_tiers_json_and_table_to_a_file(clients: Path) -> None:
    printed = run(clients, "tiers", "--as-of", "2026-03-31", "--json")
    assert printed == run(clients, "tiers", "--as-of", "2026-03-31", "--format", "json")
    assert json.loads(printed)[0]["aum"] == "1100000.37"
    target = clients.parent / "tiers.txt"
    run(clients, "tiers", "--as-of", "2026-03-31", "--out", str(target))
    position = json.loads(run(clients, "sql", "--json", "SELECT max(position) AS p FROM events"))[
        0
    ]["p"]
    assert (
        target.read_text(encoding="utf-8")
        == f"""\
Tiers on 2026-03-31 (event-log position {position})
client  tier       maintenance         AUM  avg deposit 182d  criteria met  near (≥ 80%)
------  ---------  -----------  ----------  ----------------  ------------  ------------
C1      vip        sub_branch   1100000.37         600000.00  avg_deposit   -
C2      potential  manager            0.00              0.00  -             credit_loan
2 clients: mass 0, potential 1, vip 1; maintenance: manager 1, sub_branch 1, branch 0
"""
    )


def test_no_such_client(clients: Path) -> None:
    for fmt in ("table", "json", "csv"):
        result = rmledger(
            clients, "tiers", "--as-of", "2026-03-31", "--client", "C9999", "--format", fmt
        )
        assert (result.exit_code, result.stdout, result.stderr) == (
            1,
            "",
            "no such client: C9999\n",
        ), fmt
    later = rmledger(clients, "tiers", "--as-of", "2026-03-31", "--client", "C3")
    assert (later.exit_code, later.stdout) == (1, "")
    assert later.stderr == "client C3 is registered on 2026-04-01, after 2026-03-31: no tier yet\n"
    assert (
        json.loads(run(clients, "tiers", "--as-of", "2026-04-01", "--client", "C3", "--json"))[0][
            "tier"
        ]
        == "mass"
    )


# -- audit history -----------------------------------------------------------------------------

HISTORY_CSV = """\
manager_id,name,branch_id,known_at_position,period,as,grade,responsibility_profit,weighted_profit,\
performance_earned,prepayment,settlement,compliance,corrections,prior_true_up,performance_due,\
performance_paid,clawback_carried,awards,total,status,issued_at_position
M1,Manager M1,BR01,24,2025-01,restated,junior,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,6500.00,\
open,
M1,Manager M1,BR01,24,2025-02,issued,junior,20000.47,20000.47,360.01,252.01,0.00,0.00,0.00,0.00,252.01,252.01,\
0.00,0.00,6752.01,issued,20
M1,Manager M1,BR01,24,2025-02,restated,junior,20000.47,20000.47,360.01,252.01,0.00,0.00,0.00,0.00,252.01,252.01,\
0.00,0.00,6752.01,issued,20
M1,Manager M1,BR01,24,2025-03,restated,junior,5000.00,5000.00,90.00,63.00,0.00,0.00,0.00,0.00,63.00,63.00,0.00,\
0.00,6563.00,open,
"""


def test_audit_history_as_csv_is_the_statements_issued_and_restated(data_dir: Path) -> None:
    ingest(data_dir, MARCH)
    assert (
        run(
            data_dir,
            "audit",
            "history",
            "--manager",
            "M1",
            "--effective-on",
            "2025-03-31",
            "--format",
            "csv",
        )
        == HISTORY_CSV
    )


def test_audit_history_as_xlsx_has_a_sheet_for_each_part(data_dir: Path) -> None:
    ingest(data_dir, MARCH)
    target = data_dir.parent / "history.xlsx"
    result = rmledger(
        data_dir,
        "audit",
        "history",
        "--manager",
        "M1",
        "--effective-on",
        "2025-03-31",
        "--format",
        "xlsx",
        "--out",
        str(target),
    )
    assert result.exit_code == 0 and result.output == f"wrote the history of M1 to {target}\n"
    sheets = read_xlsx(target)
    assert list(sheets) == [
        "Statements",
        "Credits by month",
        "Credits",
        "Facts",
        "Book on 2025-03-31",
        "Handovers",
    ]
    assert sheets["Statements"][2] == [
        "M1",
        "Manager M1",
        "BR01",
        D(24),
        "2025-02",
        "issued",
        "junior",
        *money(
            "20000.47",
            "20000.47",
            "360.01",
            "252.01",
            "0",
            "0",
            "0",
            "0",
            "252.01",
            "252.01",
            "0",
            "0",
            "6752.01",
        ),
        "issued",
        D(20),
    ]
    assert sheets["Credits by month"] == [
        ["period", "income", "cost", "loss charge", "profit", "new", "stock"],
        ["2025-02", D("20000.47"), D(0), D(0), D("20000.47"), D("20000.47"), D(0)],
        ["2025-03", D("5000.00"), D(0), D(0), D("5000.00"), D("5000.00"), D(0)],
    ]
    assert [(row[0], row[2], row[7], row[9]) for row in sheets["Credits"][1:]] == [
        (datetime(2025, 2, 10), "P1", D("20000.47"), D("20000.47")),
        (datetime(2025, 3, 10), "P2", D("5000.00"), D("5000.00")),
    ]
    assert sheets["Facts"][1] == [
        datetime(2025, 1, 1),
        D(1),
        "hired",
        "grade=junior, branch_id=BR01",
    ]
    assert [row[:2] + row[5:6] for row in sheets["Book on 2025-03-31"][1:]] == [
        ["C1", "Client C1", datetime(2025, 1, 10)],
        ["C2", "Client C2", datetime(2025, 1, 10)],
    ]
    assert sheets["Handovers"] == [
        [
            "handover",
            "direction",
            "from",
            "to",
            "reason",
            "opened on",
            "clients",
            "status",
            "filed on",
        ]
    ]


def test_audit_history_json_and_text_to_a_file_match_what_is_printed(data_dir: Path) -> None:
    args = ("audit", "history", "--manager", "M1", "--effective-on", "2025-03-31")
    assert run(data_dir, *args, "--json") == run(data_dir, *args, "--format", "json")
    for fmt, name in (("json", "history.json"), ("table", "history.txt")):
        target = data_dir.parent / name
        run(data_dir, *args, "--format", fmt, "--out", str(target))
        assert target.read_text(encoding="utf-8") == run(data_dir, *args, "--format", fmt)
    both = rmledger(data_dir, *args, "--json", "--format", "csv")
    assert both.exit_code == 2 and both.output.endswith(
        "Error: --json is --format json: not with --format csv\n"
    )

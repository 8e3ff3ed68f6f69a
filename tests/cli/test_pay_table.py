"""`rmledger pay` for people: names and branch, a totals line and a legend within 120
columns (every field with --wide), CSV for a spreadsheet, --out with --force.

The month: M1 (junior) brought C1 to the bank in January; a fee of 20,000.00 in
February is new business, so WP = 20,000.00, PP = 20,000 × 180 / 10,000 × 1.0 =
360.00, prepayment 0.70 × 360 = 252.00 and M1's total 5,000 + 1,500 + 252 = 6,752.00;
M2 and M3 earn their salaries, 6,500.00 each; the month 19,752.00."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scripts.cli.main import cli
from tests import builders as b
from tests.cli_runs import ingest, run

pytestmark = pytest.mark.usefixtures("clean_environ")

MONTH = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.assign("C2", "M1"),
    b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
    b.close("2025-02", "2025-03-01"),
]

TABLE = """\
Pay statements 2025-02 (event-log position 23)
manager       name        branch  grade     profit  earned    paid  clawback  awards     total  status
------------  ----------  ------  ------  --------  ------  ------  --------  ------  --------  ---------
M1            Manager M1  BR01    junior  20000.00  360.00  252.00      0.00    0.00   6752.00  issued@20
M2            Manager M2  BR01    junior      0.00    0.00    0.00      0.00    0.00   6500.00  issued@20
M3            Manager M3  BR01    junior      0.00    0.00    0.00      0.00    0.00   6500.00  issued@20
------------  ----------  ------  ------  --------  ------  ------  --------  ------  --------  ---------
3 statements                              20000.00  360.00  252.00      0.00    0.00  19752.00
profit: responsibility profit; earned: performance pay earned (PP); paid: performance pay paid this
month after the true-up; clawback: overpaid performance pay carried to later months; total: base +
post + paid + awards. --wide shows every field.
"""

CSV = """\
manager_id,name,branch_id,period,grade,base_salary,post_salary,responsibility_profit,weighted_profit,\
performance_earned,prepayment,settlement,compliance,corrections,prior_true_up,performance_due,performance_paid,\
clawback_carried,awards,total,status,issued_at_position
M1,Manager M1,BR01,2025-02,junior,5000.00,1500.00,20000.00,20000.00,360.00,252.00,0.00,0.00,0.00,0.00,252.00,\
252.00,0.00,0.00,6752.00,issued,20
M2,Manager M2,BR01,2025-02,junior,5000.00,1500.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,\
6500.00,issued,20
M3,Manager M3,BR01,2025-02,junior,5000.00,1500.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,\
6500.00,issued,20
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    ingest(tmp_path, MONTH)
    return tmp_path


def test_the_table_has_names_branch_totals_and_a_legend_within_120_columns(data_dir: Path) -> None:
    out = run(data_dir, "pay", "--period", "2025-02")
    assert out == TABLE
    assert max(len(line) for line in out.splitlines()) <= 120


def test_wide_shows_every_field(data_dir: Path) -> None:
    lines = run(data_dir, "pay", "--period", "2025-02", "--wide").splitlines()
    assert lines[1].split() == [
        "manager",
        "name",
        "branch",
        "grade",
        "base",
        "post",
        "profit",
        "weighted",
        "earned",
        "prepay",
        "settle",
        "compl.",
        "corr.",
        "prior",
        "due",
        "paid",
        "clawback",
        "awards",
        "total",
        "status",
    ]
    assert lines[3].split()[:6] == ["M1", "Manager", "M1", "BR01", "junior", "5000.00"]
    assert lines[7].split() == [
        "3",
        "statements",
        "15000.00",
        "4500.00",
        "20000.00",
        "20000.00",
        "360.00",
        "252.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "252.00",
        "252.00",
        "0.00",
        "0.00",
        "19752.00",
    ]


def test_csv_has_every_field_of_every_statement(data_dir: Path) -> None:
    assert run(data_dir, "pay", "--period", "2025-02", "--format", "csv") == CSV


def test_out_writes_the_file_and_replaces_one_only_with_force(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = tmp_path_factory.mktemp("out") / "pay.csv"
    run(data_dir, "pay", "--period", "2025-02", "--format", "csv", "--out", str(target))
    assert target.read_text(encoding="utf-8") == CSV
    again = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(data_dir),
            "pay",
            "--period",
            "2025-02",
            "--format",
            "csv",
            "--out",
            str(target),
        ],
    )
    assert again.exit_code == 2 and "--force" in again.output
    run(data_dir, "pay", "--period", "2025-02", "--out", str(target), "--force")
    assert target.read_text(encoding="utf-8") == TABLE
    refused = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(data_dir),
            "pay",
            "--period",
            "2025-02",
            "--out",
            str(data_dir / "events.sqlite"),
            "--force",
        ],
    )
    assert refused.exit_code == 2


def test_json_and_another_format_together_is_a_usage_error(data_dir: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data_dir), "pay", "--period", "2025-02", "--json", "--format", "csv"],
    )
    assert result.exit_code == 2
    assert result.output.endswith("Error: --json is --format json: not with --format csv\n")


# Two branches: M2 was hired into BR02 (docs/pay.md, "Totals by branch").
TWO_BRANCHES = [
    b.hire("M1"),
    b.hire("M2", branch_id="BR02"),
    b.hire("M3"),
    b.register("C1"),
    b.assign("C1", "M1"),
    b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
    b.close("2025-02", "2025-03-01"),
]


def test_with_two_branches_the_table_totals_each_branch_then_the_month(tmp_path: Path) -> None:
    # Given M1 and M3 in BR01 (M1 paid 252.00 of performance pay) and M2 in BR02
    ingest(tmp_path, TWO_BRANCHES)
    # When the month's statements are listed
    lines = run(tmp_path, "pay", "--period", "2025-02").splitlines()
    # Then a totals line per branch, in branch order, comes before the month's
    assert [line.split() for line in lines[6:10]] == [
        [
            "-" * 18,
            "-" * 10,
            "-" * 6,
            "-" * 6,
            "-" * 8,
            "-" * 6,
            "-" * 6,
            "-" * 8,
            "-" * 6,
            "-" * 8,
            "-" * 9,
        ],
        ["BR01:", "2", "statements", "20000.00", "360.00", "252.00", "0.00", "0.00", "13252.00"],
        ["BR02:", "1", "statement", "0.00", "0.00", "0.00", "0.00", "0.00", "6500.00"],
        ["3", "statements", "20000.00", "360.00", "252.00", "0.00", "0.00", "19752.00"],
    ]


def test_with_two_branches_the_workbook_has_a_totals_row_per_branch(tmp_path: Path) -> None:
    # Given two branches
    ingest(tmp_path, TWO_BRANCHES)
    target = tmp_path / "pay.xlsx"
    # When the month is written as a workbook and as CSV
    run(tmp_path, "pay", "--period", "2025-02", "--format", "xlsx", "--out", str(target))
    csv_lines = run(tmp_path, "pay", "--period", "2025-02", "--format", "csv").splitlines()
    # Then the workbook ends with BR01's totals, BR02's, and the month's, in bold
    ws = openpyxl.load_workbook(target)["Pay 2025-02"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    # (label, base salary, total, status)
    assert [(r[0], r[5], r[-3], r[-2]) for r in rows] == [
        ("BR01: 2 statements", 10000, 13252, None),
        ("BR02: 1 statement", 5000, 6500, None),
        ("3 statements", 15000, 19752, None),
    ]
    assert all(ws.cell(row=r, column=1).font.b for r in (5, 6, 7))
    # and the CSV stays one line per statement, for programs (no totals lines)
    assert len(csv_lines) == 4

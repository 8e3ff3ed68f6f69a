"""``rmledger periods``: the closed months, who closed them, where in the log, the
statements issued and what they paid; and ``rmledger --version``.

M1, M2, M3 (junior: salary 5,000 + 1,500, 180 per 10,000 of weighted profit,
prepayment 70%) are employed all year. February: M1 earns a 20,000 fee (new business):
performance 360.00, prepaid 252.00, so M1's statement is 6,752.00 and the month pays
6,752.00 + 2 × 6,500.00 = 19,752.00. March: a 5,000 fee, prepaid 63.00: 19,563.00.
"""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from projections.readmodel.loader import ReadModel
from scripts.cli.main import cli
from tests import builders as b
from tests.cli_runs import ingest, run
from tests.paths import ROOT

pytestmark = pytest.mark.usefixtures("clean_environ")

TWO_MONTHS = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.assign("C2", "M1"),
    b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
    b.close("2025-02", "2025-03-01"),
    b.book("P2", "C1", "5000.00", "fee_income", "2025-03-10"),
    b.close("2025-03", "2025-04-02", approved_by="CFO2"),
]


def test_the_closed_months_oldest_first_with_who_closed_them_and_what_they_paid(
    tmp_path: Path,
) -> None:
    ingest(tmp_path, TWO_MONTHS)
    # the seal after the first close (two events: the seal log started, then sealed)
    # moves the second close from 23 to 25
    assert run(tmp_path, "periods") == (
        "period   closed on   closed by  log position  statements  total paid  signed off by\n"
        "-------  ----------  ---------  ------------  ----------  ----------  -------------\n"
        "2025-02  2025-03-01  CFO1                 20           3    19752.00  -\n"
        "2025-03  2025-04-02  CFO2                 25           3    19563.00  -\n"
        "2 months closed\n"
    )


def test_the_closed_months_as_json_with_money_as_strings(tmp_path: Path) -> None:
    ingest(tmp_path, TWO_MONTHS)
    assert json.loads(run(tmp_path, "periods", "--json")) == [
        {
            "period": "2025-02",
            "closed_on": "2025-03-01",
            "approved_by": "CFO1",
            "position": 20,
            "statements": 3,
            "total_paid": "19752.00",
            "sign_offs": [],
        },
        {
            "period": "2025-03",
            "closed_on": "2025-04-02",
            "approved_by": "CFO2",
            "position": 25,
            "statements": 3,
            "total_paid": "19563.00",
            "sign_offs": [],
        },
    ]


SIGNED_OFF = [
    b.plan("2025", "2025-01-01", close_approvals=["branch_head", "finance"]),
    *b.bank(),
    b.sign_off("2025-01", "branch_head", "BH1", "2025-01-31"),
    b.sign_off("2025-01", "finance", "FIN1", "2025-02-01"),
    b.close("2025-01", "2025-02-01"),
]


def test_the_sign_offs_of_a_month_in_the_order_given(tmp_path: Path) -> None:
    # three salaries of 6,500.00; the first sign-off starts the month's record (15)
    ingest(tmp_path, SIGNED_OFF)
    assert run(tmp_path, "periods") == (
        "period   closed on   closed by  log position  statements  total paid  signed off by\n"
        "-------  ----------  ---------  ------------  ----------  ----------  -----------------------------\n"
        "2025-01  2025-02-01  CFO1                 20           3    19500.00  branch_head BH1, finance FIN1\n"
        "1 month closed\n"
    )
    [month] = json.loads(run(tmp_path, "periods", "--json"))
    assert month["sign_offs"] == [
        {"role": "branch_head", "approver_id": "BH1", "approved_on": "2025-01-31", "position": 16},
        {"role": "finance", "approver_id": "FIN1", "approved_on": "2025-02-01", "position": 18},
    ]


def test_the_total_is_the_sum_of_the_statements_as_issued(tmp_path: Path) -> None:
    ingest(tmp_path, TWO_MONTHS)
    run(tmp_path, "periods")  # brings the read model up to date
    with ReadModel(tmp_path / "read_model.duckdb") as model:
        totals = model.conn.execute(
            "SELECT manager_id, total FROM statements_issued WHERE period = '2025-02' ORDER BY 1"
        ).fetchall()
    assert totals == [
        ("M1", Decimal("6752.00")),
        ("M2", Decimal("6500.00")),
        ("M3", Decimal("6500.00")),
    ]


def test_one_closed_month(tmp_path: Path) -> None:
    ingest(tmp_path, TWO_MONTHS[:-2])
    assert run(tmp_path, "periods").splitlines()[-1] == "1 month closed"


def test_a_ledger_with_no_closed_month_says_so(tmp_path: Path) -> None:
    ingest(tmp_path, TWO_MONTHS[:-3])
    assert run(tmp_path, "periods") == "no month closed yet\n"
    assert json.loads(run(tmp_path, "periods", "--json")) == []


def test_version_from_the_installed_package() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == "rmledger 0.1.0\n"
    # the installed metadata is the source's own, not a stale install
    source = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert version("rmledger") == source["project"]["version"] == "0.1.0"

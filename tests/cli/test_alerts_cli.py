"""``rmledger alerts``: large deposit outflows once per episode, and grade-fit
mismatches of the managers still employed, as text and as JSON.

The bank: M1, M2 (junior), M3, M4 (assistant: serves up to potential clients at the
manager's level). C1 is M1's until 2025-04-01, then M2's; C2 is M3's; C3 is M4's,
released on 2025-05-20 although M4 departed on 2025-04-10 (the release was recorded
first, so the book was empty); C5 has no manager.

- C1's deposits: 1,000,000 on 2025-03-01, then 400,000, 400,000 and 350,000 on
  03-10, 03-11 and 03-12: three alerts, one episode (started 03-10). A rise to
  1,200,000 on 04-20 ends it; 500,000 on 04-25 is a second episode (M2's).
- C5's deposits: 2,000,000 on 01-20, 1,000,000 on 01-21 (an alert), 400,000 on 03-05
  (an alert again, from the 1,000,000 held in the 30 days before): two episodes, the
  43 days between them having taken the 2,000,000 out of the window.
- C2 and C3 hold 600,000 in funds from 2025-03-31: VIP, maintained at the manager's
  level, beyond an assistant. M3 becomes junior on 2025-05-10.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from projections.readmodel.loader import ReadModel
from projections.tiers import classify as tier_rules
from scripts.cli.main import cli
from tests import builders as b
from tests.cli_runs import ingest, run

pytestmark = pytest.mark.usefixtures("clean_environ")

SCENARIO = [
    b.hire("M1"),
    b.hire("M2"),
    b.hire("M3", "assistant"),
    b.hire("M4", "assistant"),
    b.register("C1"),
    b.register("C2"),
    b.register("C3"),
    b.register("C5"),
    b.assign("C1", "M1"),
    b.assign("C2", "M3"),
    b.assign("C3", "M4"),
    b.report_balance("C1", "deposit", "1000000.00", "2025-03-01"),
    b.report_balance("C1", "deposit", "400000.00", "2025-03-10"),
    b.report_balance("C1", "deposit", "400000.00", "2025-03-11"),
    b.report_balance("C1", "deposit", "350000.00", "2025-03-12"),
    b.release("C1", "M1", effective_on="2025-04-01"),
    b.assign("C1", "M2", effective_on="2025-04-01"),
    b.report_balance("C1", "deposit", "1200000.00", "2025-04-20"),
    b.report_balance("C1", "deposit", "500000.00", "2025-04-25"),
    b.report_balance("C5", "deposit", "2000000.00", "2025-01-20"),
    b.report_balance("C5", "deposit", "1000000.00", "2025-01-21"),
    b.report_balance("C5", "deposit", "400000.00", "2025-03-05"),
    b.report_balance("C2", "fund", "600000.00", "2025-03-31"),
    b.report_balance("C3", "fund", "600000.00", "2025-03-31"),
    b.grade_change("M3", "junior", "2025-05-10"),
    *b.departure_approved("M4", "2025-04-01"),
    b.release("C3", "M4", effective_on="2025-05-20"),
    b.depart("M4", "2025-04-10"),
]

OUTFLOW_HEADINGS = (
    "client  manager  started         before       after        drop  ratio  highest on  last alert  alerts\n"
    "------  -------  ----------  ----------  ----------  ----------  -----  ----------  ----------  ------\n"
)
FIT_HEADINGS = (
    "manager  grade      client  tier  maintenance        AUM  grade serves up to\n"
    "-------  ---------  ------  ----  -----------  ---------  --------------------------\n"
)
M3_C2 = "M3       assistant  C2      vip   manager      600000.00  potential at manager level\n"
FIT_TITLE = "Grade-fit mismatches of current staff (primary clients beyond what the grade serves)\n"


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario's data directory, made once for the module (the tests only read it)."""
    data_dir = tmp_path_factory.mktemp("alerts")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("RMLEDGER_DATA_DIR", raising=False)
        ingest(data_dir, SCENARIO)
    return data_dir


def test_the_rule_alone_raises_an_alert_per_report(bank: Path) -> None:
    # What the episodes are for: C1's one fall raises an alert on each of three reports.
    run(bank, "alerts")
    with ReadModel(bank / "read_model.duckdb") as model:
        days = [
            (a["client_id"], a["to_date"].isoformat())
            for a in tier_rules.large_outflows(model.conn)
        ]
    assert days == [
        ("C1", "2025-03-10"),
        ("C1", "2025-03-11"),
        ("C1", "2025-03-12"),
        ("C1", "2025-04-25"),
        ("C5", "2025-01-21"),
        ("C5", "2025-03-05"),
    ]


def test_an_outflow_over_several_days_is_one_alert_with_its_primary_manager_on_the_day(
    bank: Path,
) -> None:
    assert run(bank, "alerts", "--as-of", "2025-05-01", "--since", "2025-01-01") == (
        "Alerts on 2025-05-01 (event-log position 57)\n"
        "\n"
        "Large deposit outflows, once per episode, started 2025-01-01 to 2025-05-01\n"
        + OUTFLOW_HEADINGS
        + "C5      -        2025-01-21  2000000.00  1000000.00  1000000.00  50.0%  2025-01-20  2025-01-21       1\n"
        "C5      -        2025-03-05  1000000.00   400000.00   600000.00  60.0%  2025-03-04  2025-03-05       1\n"
        "C1      M1       2025-03-10  1000000.00   400000.00   600000.00  60.0%  2025-03-09  2025-03-12       3\n"
        "C1      M2       2025-04-25  1200000.00   500000.00   700000.00  58.3%  2025-04-24  2025-04-25       1\n"
        "\n" + FIT_TITLE + FIT_HEADINGS + M3_C2 + "\n"
        "Overdue disputes (open past the days the plan in force at their opening allows)\nnone\n\n"
        "4 outflow episodes, 1 grade-fit mismatch, 0 overdue disputes\n"
    )


def test_a_departed_managers_mismatch_is_not_listed(bank: Path) -> None:
    # On 2025-05-01 M4 (departed 04-10) is still C3's primary until 05-20, and C3 is
    # VIP: not listed. Before the departure, the same mismatch is.
    assert FIT_TITLE + FIT_HEADINGS + M3_C2 + "\n" in run(bank, "alerts", "--as-of", "2025-05-01")
    assert run(bank, "alerts", "--as-of", "2025-04-05") == (
        "Alerts on 2025-04-05 (event-log position 57)\n"
        "\n"
        "Large deposit outflows, once per episode, started 2025-03-07 to 2025-04-05\n"
        "client  manager  started         before      after       drop  ratio  highest on  last alert  alerts\n"
        "------  -------  ----------  ----------  ---------  ---------  -----  ----------  ----------  ------\n"
        "C1      M1       2025-03-10  1000000.00  400000.00  600000.00  60.0%  2025-03-09  2025-03-12       3\n"
        "\n"
        + FIT_TITLE
        + FIT_HEADINGS
        + M3_C2
        + "M4       assistant  C3      vip   manager      600000.00  potential at manager level\n"
        "\n"
        "Overdue disputes (open past the days the plan in force at their opening allows)\nnone\n\n"
        "1 outflow episode, 2 grade-fit mismatches, 0 overdue disputes\n"
    )


def test_by_default_the_latest_business_date_and_the_30_days_before_it(bank: Path) -> None:
    # The latest date of any fact is C3's release on 2025-05-20; by then M3 is junior (a
    # VIP at the manager's level fits) and C3 has no manager. Only the episode started
    # from 2025-04-21 is listed.
    assert run(bank, "alerts") == (
        "Alerts on 2025-05-20 (event-log position 57)\n"
        "\n"
        "Large deposit outflows, once per episode, started 2025-04-21 to 2025-05-20\n"
        "client  manager  started         before      after       drop  ratio  highest on  last alert  alerts\n"
        "------  -------  ----------  ----------  ---------  ---------  -----  ----------  ----------  ------\n"
        "C1      M2       2025-04-25  1200000.00  500000.00  700000.00  58.3%  2025-04-24  2025-04-25       1\n"
        "\n" + FIT_TITLE + "none\n"
        "\n"
        "Overdue disputes (open past the days the plan in force at their opening allows)\nnone\n\n"
        "1 outflow episode, 0 grade-fit mismatches, 0 overdue disputes\n"
    )


def test_alerts_as_json(bank: Path) -> None:
    assert json.loads(run(bank, "alerts", "--as-of", "2025-04-05", "--json")) == [
        {
            "kind": "large_outflow",
            "client_id": "C1",
            "manager_id": "M1",
            "started_on": "2025-03-10",
            "from_date": "2025-03-09",
            "from_balance": "1000000.00",
            "to_balance": "400000.00",
            "drop": "600000.00",
            "drop_ratio": "0.600000",
            "last_alert_on": "2025-03-12",
            "latest_balance": "350000.00",
            "alerts": 3,
            "message_id": "bal:C1:deposit:2025-03-10",
            "position": 27,
        },
        {
            "kind": "grade_fit_mismatch",
            "client_id": "C2",
            "manager_id": "M3",
            "as_of": "2025-04-05",
            "grade": "assistant",
            "tier": "vip",
            "maintenance_level": "manager",
            "aum": "600000.00",
            "serves_up_to_tier": "potential",
            "serves_up_to_level": "manager",
        },
        {
            "kind": "grade_fit_mismatch",
            "client_id": "C3",
            "manager_id": "M4",
            "as_of": "2025-04-05",
            "grade": "assistant",
            "tier": "vip",
            "maintenance_level": "manager",
            "aum": "600000.00",
            "serves_up_to_tier": "potential",
            "serves_up_to_level": "manager",
        },
    ]
    [second] = [
        a for a in json.loads(run(bank, "alerts", "--json")) if a["kind"] == "large_outflow"
    ]
    assert (
        second["client_id"],
        second["manager_id"],
        second["started_on"],
        second["drop_ratio"],
    ) == ("C1", "M2", "2025-04-25", "0.583333")


def test_an_as_of_before_any_fall_lists_nothing(bank: Path) -> None:
    assert run(bank, "alerts", "--as-of", "2025-01-15") == (
        "Alerts on 2025-01-15 (event-log position 57)\n"
        "\n"
        "Large deposit outflows, once per episode, started 2024-12-17 to 2025-01-15\n"
        "none\n"
        "\n" + FIT_TITLE + "none\n"
        "\n"
        "Overdue disputes (open past the days the plan in force at their opening allows)\nnone\n\n"
        "0 outflow episodes, 0 grade-fit mismatches, 0 overdue disputes\n"
    )
    assert json.loads(run(bank, "alerts", "--as-of", "2025-01-15", "--json")) == []


def test_a_ledger_with_no_business_date_has_no_alerts(tmp_path: Path) -> None:
    ingest(tmp_path, [b.plan()])  # a plan is published ahead: not a fact of a day
    assert run(tmp_path, "alerts") == "no alerts: the read model holds no business date yet\n"
    assert json.loads(run(tmp_path, "alerts", "--json")) == []


def test_a_date_not_written_as_yyyy_mm_dd_is_refused(bank: Path) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(bank), "alerts", "--as-of", "2025-5-1"])
    assert result.exit_code == 2
    assert "Invalid value for '--as-of': '2025-5-1' is not a date like 2026-03-31" in result.output

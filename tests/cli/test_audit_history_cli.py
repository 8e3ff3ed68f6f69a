"""``rmledger audit history`` and ``rmledger sql`` through the command line: statements
issued and restated, loss charges, approvals, and ``--known-at``, with exact figures.

M1 (junior: 180 per 10,000 of weighted profit, coefficient 1.0, prepayment 70%,
salary 5,000 + 1,500) acquires C1 and C2 on 2025-01-10. February: a 20,000 fee (new
business): PP 360.00, prepaid 252.00, issued. March: a 5,000 fee: PP 90.00, prepaid
63.00, issued. Then (recorded later) the March fee is reversed and C2's loan L1 of
100,000 is downgraded to substandard on 2025-04-30: a 30,000 loss charge in April.
Restated now: March earns nothing, April PP −540.00, and June's settlement
round(max(0, 360 − 540)) − 252 = −252.00 leaves a clawback of 315.00 (the 252 + 63
paid) carried to September. As known before the reversal: June settles
round(360 + 90) − 315 = 135.00.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scripts.cli.main import cli
from tests import builders as b

pytest.importorskip("projections.pay.statements")

BEFORE_REVERSAL = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.assign("C2", "M1"),
    b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
    b.close("2025-02", "2025-03-01"),
    b.book("P2", "C1", "5000.00", "fee_income", "2025-03-10"),
    b.close("2025-03", "2025-04-01"),
]
AFTER = [
    b.reverse("P2"),
    b.classify("L1", "C2", "normal", "100000.00", "2025-03-31"),
    b.classify("L1", "C2", "substandard", "100000.00", "2025-04-30"),
    b.request_departure("M1", "2025-09-01", "2025-09-30"),
    *[b.approve("M1", role, "2025-09-05") for role in ("department_head", "rm_office", "hr")],
]
FIGURES = (
    "responsibility_profit",
    "performance_earned",
    "prepayment",
    "settlement",
    "performance_due",
    "performance_paid",
    "clawback_carried",
    "total",
)


def run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def ingest(data_dir: Path, name: str, messages: list[dict[str, Any]]) -> None:
    source = data_dir / f"{name}.jsonl"
    source.write_text("".join(json.dumps(m) + "\n" for m in messages))
    run(data_dir, "ingest", str(source))


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The data directory, and a --known-at between the two ingests."""
    data_dir = tmp_path_factory.mktemp("history")
    ingest(data_dir, "before", BEFORE_REVERSAL)
    [row] = json.loads(run(data_dir, "sql", "--json", "SELECT max(recorded_at) AS t FROM events"))
    known_at = datetime.fromisoformat(row["t"]).isoformat()
    time.sleep(0.05)  # the later events are recorded strictly after known_at
    ingest(data_dir, "after", AFTER)
    return data_dir, known_at


def history(data_dir: Path, *args: str) -> dict[str, Any]:
    return json.loads(
        run(
            data_dir,
            "audit",
            "history",
            "--manager",
            "M1",
            "--effective-on",
            "2025-09-30",
            "--json",
            *args,
        )
    )


def figures(statements: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    return {s["period"]: tuple(s[f] for f in FIGURES) for s in statements}


def test_history_shows_statements_issued_and_restated(bank: tuple[Path, str]) -> None:
    h = history(bank[0])
    issued = figures(h["statements"]["issued"])
    assert issued == {
        "2025-02": ("20000.00", "360.00", "252.00", "0.00", "252.00", "252.00", "0.00", "6752.00"),
        "2025-03": ("5000.00", "90.00", "63.00", "0.00", "63.00", "63.00", "0.00", "6563.00"),
    }
    assert [s["issued_at_position"] > 0 for s in h["statements"]["issued"]] == [True, True]
    restated = figures(h["statements"]["restated"])
    assert list(restated) == [f"2025-{m:02d}" for m in range(1, 10)]
    assert restated["2025-01"] == (
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "6500.00",
    )
    assert restated["2025-02"] == issued["2025-02"]
    assert restated["2025-03"] == (
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "6500.00",
    )
    assert restated["2025-04"] == (
        "-30000.00",
        "-540.00",
        "0.00",
        "0.00",
        "-63.00",
        "0.00",
        "63.00",
        "6500.00",
    )
    assert restated["2025-06"] == (
        "0.00",
        "0.00",
        "0.00",
        "-252.00",
        "-315.00",
        "0.00",
        "315.00",
        "6500.00",
    )
    assert restated["2025-09"] == (
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "-315.00",
        "0.00",
        "315.00",
        "6500.00",
    )


def test_history_shows_the_loss_charge_and_the_reversal(bank: tuple[Path, str]) -> None:
    h = history(bank[0])
    charges = [
        (c["on"], c["amount"], c["credited"], c["category"])
        for c in h["credits"]
        if c["kind"] == "charge"
    ]
    assert charges == [
        ("2025-03-31", "0.00", "0.00", "normal"),
        ("2025-04-30", "30000.00", "-30000.00", "substandard"),
    ]
    months = {
        m["period"]: (m["income"], m["loss_charge"], m["profit"], m["new"])
        for m in h["credit_months"]
    }
    assert months == {
        "2025-02": ("20000.00", "0.00", "20000.00", "20000.00"),
        "2025-03": ("0.00", "0.00", "0.00", "0.00"),
        "2025-04": ("0.00", "30000.00", "-30000.00", "-30000.00"),
    }
    [p2] = [c for c in h["credits"] if c["source_id"] == "P2"]
    assert (p2["amount"], p2["credited"]) == ("5000.00", "0.00") and p2[
        "reversed_at_position"
    ] > p2["position"]


def test_history_shows_the_departure_request_and_the_approvals_in_order(
    bank: tuple[Path, str],
) -> None:
    h = history(bank[0])
    leaving = [
        (f["kind"], f["on"], f.get("role"), f.get("approver_id"))
        for f in h["facts"]
        if f["kind"].startswith("departure")
    ]
    assert leaving == [
        ("departure_requested", "2025-09-01", None, None),
        ("departure_approved", "2025-09-05", "department_head", "DEPARTMENT_HEAD-1"),
        ("departure_approved", "2025-09-05", "rm_office", "RM_OFFICE-1"),
        ("departure_approved", "2025-09-05", "hr", "HR-1"),
    ]
    assert h["status_on"] == "departure_requested"
    # on the approval day's eve, only the request is in force
    earlier = json.loads(
        run(
            bank[0], "audit", "history", "--manager", "M1", "--effective-on", "2025-09-04", "--json"
        )
    )
    assert [f["kind"] for f in earlier["facts"] if f["kind"].startswith("departure")] == [
        "departure_requested"
    ]


def test_known_at_through_the_command_line_shows_the_log_as_it_was(bank: tuple[Path, str]) -> None:
    data_dir, known_at = bank
    h = history(data_dir, "--known-at", known_at)
    assert h["known_at"] == known_at
    [(position,)] = [
        tuple(r.values())
        for r in json.loads(
            run(
                data_dir,
                "sql",
                "--json",
                f"SELECT max(position) AS p FROM events WHERE recorded_at <= '{known_at}'",
            )
        )
    ]
    head = json.loads(run(data_dir, "sql", "--json", "SELECT max(position) AS p FROM events"))[0][
        "p"
    ]
    assert h["position"] == position < head
    # the reversal, the loss charge and the departure were recorded later: not known
    assert [c["source_id"] for c in h["credits"]] == ["P1", "P2"]
    assert all(c["reversed_at_position"] is None for c in h["credits"])
    assert not [f for f in h["facts"] if f["kind"].startswith("departure")]
    assert list(figures(h["statements"]["issued"])) == ["2025-02", "2025-03"]
    restated = figures(h["statements"]["restated"])
    assert restated["2025-03"] == (
        "5000.00",
        "90.00",
        "63.00",
        "0.00",
        "63.00",
        "63.00",
        "0.00",
        "6563.00",
    )
    assert restated["2025-04"] == (
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "6500.00",
    )
    assert restated["2025-06"] == (
        "0.00",
        "0.00",
        "0.00",
        "135.00",
        "135.00",
        "135.00",
        "0.00",
        "6635.00",
    )
    # a time without a zone is refused, naming the option
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(data_dir),
            "audit",
            "history",
            "--manager",
            "M1",
            "--known-at",
            "2025-09-30T12:00:00",
        ],
    )
    assert result.exit_code == 2
    assert (
        "Error: Invalid value for '--known-at': '2025-09-30T12:00:00' has no time zone: give one, "
        "e.g. 2026-03-31T18:00:00+08:00"
    ) in result.output


def test_statements_restated_in_sql_are_what_pay_restated_prints(bank: tuple[Path, str]) -> None:
    data_dir = bank[0]
    columns = ", ".join(
        [
            "manager_id",
            "period",
            "grade",
            "status",
            "issued_at_position",
            "base_salary",
            "post_salary",
            "weighted_profit",
            "prior_true_up",
            "awards",
            "compliance",
            *FIGURES,
            *[f"k0['{c}'] AS k0_{c}" for c in ("loan", "deposit", "fee", "settlement", "other")],
        ]
    )
    for period in ("2025-02", "2025-03", "2025-06", "2025-09"):
        rows = json.loads(
            run(
                data_dir,
                "sql",
                "--json",
                f"SELECT {columns} FROM statements_restated WHERE period = '{period}' "
                "ORDER BY manager_id",
            )
        )
        printed = json.loads(run(data_dir, "pay", "--period", period, "--restated", "--json"))
        assert len(rows) == len(printed) == 3, period  # M1, M2, M3
        for row, st in zip(rows, printed, strict=True):
            assert row["status"] == st["status"] and row["issued_at_position"] == st.get(
                "issued_at_position"
            )
            for key, value in row.items():
                if key.startswith("k0_"):
                    assert value == st["k0"][key[3:]], (period, key)
                elif key not in ("status", "issued_at_position"):
                    assert value == st[key], (period, key)
    [m1_march] = json.loads(
        run(
            data_dir,
            "sql",
            "--json",
            "SELECT s.performance_paid AS issued, "
            "r.performance_paid AS restated FROM statements_issued s JOIN statements_restated r "
            "USING (manager_id, period) WHERE manager_id = 'M1' AND period = '2025-03'",
        )
    )
    assert m1_march == {"issued": "63.00", "restated": "0.00"}


def test_at_position_shows_the_log_as_it_was_at_that_position_like_known_at(
    bank: tuple[Path, str],
) -> None:
    """--at-position N is --known-at at the moment event N was recorded: the same
    history, without the reversal recorded later; with both given, a usage error."""
    data_dir, known_at = bank
    [row] = json.loads(
        run(
            data_dir,
            "sql",
            "--json",
            f"SELECT max(position) AS p FROM events WHERE recorded_at <= TIMESTAMPTZ '{known_at}'",
        )
    )
    by_time = history(data_dir, "--known-at", known_at)
    by_position = history(data_dir, "--at-position", str(row["p"]))
    assert by_time.pop("known_at") == known_at and by_position.pop("known_at") is None
    assert by_position == by_time
    assert by_position != {k: v for k, v in history(data_dir).items() if k != "known_at"}
    both = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(data_dir),
            "audit",
            "history",
            "--manager",
            "M1",
            "--known-at",
            known_at,
            "--at-position",
            str(row["p"]),
        ],
    )
    assert both.exit_code == 2
    assert both.output.endswith("Error: give --known-at or --at-position, not both\n")

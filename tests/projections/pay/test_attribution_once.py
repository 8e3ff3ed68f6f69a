"""Pay and the audit read one attribution (``projections.pay.attribution.attribution_sql``).

At the head of the log the audit's ``credits`` (cut at a position) credit each
manager exactly the lines pay counts (``credit_lines_sql``): the same amounts, dates,
roles and stock/new, once reversed postings (credited 0) and nil charges (listed
by the audit only) are set aside.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from projections.audit.common import head_position, query
from projections.audit.views import AT, credits_sql
from projections.pay.attribution import credit_lines_sql
from tests.scenarios.helpers import apply, caught_up, new_ledger, scenario

ROLES = {"primary": "primary", "backup": "backup", "unattributed": None, "recorder": None}


def pay_lines(conn: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (
            r["kind"],
            r["ref"],
            r["manager_id"],
            ROLES[r["role"]],
            r["value_date"],
            r["is_new"],
            Decimal(r["amount"]),
        )
        for r in query(conn, f"SELECT * FROM ({credit_lines_sql()})")
    )


def audit_lines(conn: Any, position: int) -> list[tuple[Any, ...]]:
    rows = query(conn, f"SELECT * FROM ({credits_sql(AT)})", {"pos": position})
    return sorted(
        (
            r["kind"],
            r["source_id"],
            r["manager_id"],
            r["role"],
            r["on_date"],
            r["is_new"],
            Decimal(r["credited"]) if r["sign"] == "income" else -Decimal(r["credited"]),
        )
        for r in rows
        if r["reversed_position"] is None
        and not (r["kind"] == "charge" and r["amount"] == 0)
        and r["manager_id"] is not None
    )


@pytest.mark.parametrize(
    "name",
    [
        "backup_share",
        "late_posting_reversal",
        "loan_same_day_backdated",
        "handover_mid_month",
        "activities_plan_change",
    ],
)
def test_the_audit_at_the_head_credits_what_pay_counts(name: str, tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario(name))
    with caught_up(ledger, tmp_path) as model:
        conn = model.conn
        paid = [line for line in pay_lines(conn) if line[2] is not None]
        assert paid, "the scenario credits someone"
        assert audit_lines(conn, head_position(conn)) == paid


def test_unattributed_lines_are_the_same_for_pay_and_audit(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario("handover_mid_month"))
    with caught_up(ledger, tmp_path) as model:
        conn = model.conn
        pay = sorted(
            (r["ref"], r["value_date"], Decimal(r["amount"]))
            for r in query(
                conn, f"SELECT * FROM ({credit_lines_sql()}) WHERE role = 'unattributed'"
            )
        )
        audit = sorted(
            (r["source_id"], r["on_date"], Decimal(r["amount"]))
            for r in query(
                conn,
                f"SELECT * FROM ({credits_sql(AT)}) WHERE manager_id IS NULL",
                {"pos": head_position(conn)},
            )
        )
        assert pay and audit == pay

"""The closed months: who closed each, where in the log, and what was paid for it.

A month is closed once (``period.closed``); closing it issues one frozen statement per
manager employed in the month (``statements_issued``). This module reads both tables
of the read model and says, per closed month, how many statements were issued and
their total, and who signed it off before the close (``period_approvals``, docs/rules.md
R7.5), in the order they signed.
"""

from __future__ import annotations

from typing import Any

import duckdb

from projections.audit.common import money_text, query

_SQL = """
SELECT c.period, c.closed_on, c.approved_by, c.position,
       count(s.manager_id) AS statements,
       coalesce(sum(s.total), 0)::DECIMAL(38,2) AS total_paid
FROM periods_closed AS c
LEFT JOIN statements_issued AS s ON s.period = c.period
GROUP BY c.period, c.closed_on, c.approved_by, c.position
ORDER BY c.period
"""

_SIGN_OFFS = """
SELECT period, role, approver_id, approved_on, position FROM period_approvals ORDER BY period, position
"""


def closed_periods(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every closed month, oldest first.

    Each dict has ``period`` (YYYY-MM), ``closed_on`` (date), ``approved_by`` (who
    closed it), ``position`` (the event-log position of the close), ``statements``
    (the number of statements issued for the month), ``total_paid`` (the sum of
    their totals, a Decimal) and ``sign_offs`` (each ``role``, ``approver_id``,
    ``approved_on`` and ``position``, in the order given; empty when the plan asked none).
    """
    signatures: dict[str, list[dict[str, Any]]] = {}
    for row in query(conn, _SIGN_OFFS):
        signatures.setdefault(row.pop("period"), []).append(row)
    return [{**row, "sign_offs": signatures.get(row["period"], [])} for row in query(conn, _SQL)]


def period_json(row: dict[str, Any]) -> dict[str, Any]:
    """A closed month as JSON: dates ISO, money as a 2-decimal string."""
    return {
        "period": row["period"],
        "closed_on": row["closed_on"].isoformat(),
        "approved_by": row["approved_by"],
        "position": row["position"],
        "statements": row["statements"],
        "total_paid": money_text(row["total_paid"]),
        "sign_offs": [
            {
                "role": signed["role"],
                "approver_id": signed["approver_id"],
                "approved_on": signed["approved_on"].isoformat(),
                "position": signed["position"],
            }
            for signed in row["sign_offs"]
        ],
    }

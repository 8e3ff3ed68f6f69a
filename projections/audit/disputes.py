"""Disputes of issued statements on a day (docs/rules.md R7.6): how each stands, and
which open ones are overdue.

A dispute is overdue on a day when it is still open and more than ``dispute_days``
have passed since it was opened, ``dispute_days`` being that of the plan in force on
the last day of the disputed month (the plan that issued the statement, the same plan
R7.5 asks for its sign-offs). Read from the read model's ``disputes`` and
``plan_settings`` tables.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

# The plan in force on the disputed month's last day: the latest effective_from not
# after it, a tie going to the plan published later (domain/plans_in_force.py); the
# default plan's row (position 0) covers every day from its own effective_from.
_DISPUTES = """
SELECT d.dispute_id, d.manager_id, d.period, d.opened_on, d.outcome, d.amount, d.resolved_on,
       (SELECT s.dispute_days FROM plan_settings s
         WHERE s.effective_from <= last_day(CAST(d.period || '-01' AS DATE))
         ORDER BY s.effective_from DESC, s.position DESC LIMIT 1) AS dispute_days
FROM disputes d
WHERE d.opened_on <= ?
ORDER BY d.opened_on, d.dispute_id
"""


def disputes_on(conn: Any, day: date) -> list[dict[str, Any]]:
    """Every dispute opened by ``day``, oldest first: its ids, month, outcome on that
    day (``upheld``, ``rejected`` or ``open``), amount if upheld, its plan's
    ``dispute_days``, and ``overdue`` (open past them on ``day``)."""
    out = []
    for (
        dispute_id,
        manager_id,
        period,
        opened_on,
        outcome,
        amount,
        resolved_on,
        days,
    ) in conn.execute(_DISPUTES, [day]).fetchall():
        decided = outcome is not None and resolved_on <= day
        days = int(days)
        out.append(
            {
                "dispute_id": dispute_id,
                "manager_id": manager_id,
                "period": period,
                "opened_on": opened_on,
                "outcome": outcome if decided else "open",
                "amount": Decimal(amount) if decided and amount is not None else None,
                "dispute_days": days,
                "overdue": not decided and (day - opened_on).days > days,
            }
        )
    return out

"""The audit's view of pay: statements restated on the log as it stood at a position.

The pay rules live in ``projections.pay``; this adapter runs them unchanged on the
read model cut at a position: for the duration of the call, every read-model table
is shadowed by a TEMP view of its rows at or before the position (DuckDB resolves
temp objects first), so the restated figures are those the ledger gave at that
point and recomputing an audit there gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from projections.audit_common import head_position

PAY_FIELDS = ("base_salary", "post_salary", "responsibility_profit", "weighted_profit",
              "performance_earned", "prepayment", "settlement", "compliance", "prior_true_up",
              "performance_due", "performance_paid", "clawback_carried", "awards", "total")


@contextmanager
def log_cut(conn: duckdb.DuckDBPyConnection, position: int) -> Iterator[None]:
    """Shadow every read-model table with its rows at or before ``position``."""
    if position >= head_position(conn):
        yield
        return
    from projections.schema import TABLES

    database = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    shadowed = [name for name in TABLES if name != "projection_state"]
    try:
        for name in shadowed:
            conn.execute(f'CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "{database}".main.{name} '
                         f"WHERE position <= {int(position)}")
        yield
    finally:
        for name in shadowed:
            conn.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


def restated_statements(conn: duckdb.DuckDBPyConnection, manager_id: str, position: int,
                        up_to: str | None = None) -> list[dict[str, Any]] | None:
    """The manager's statements from the hire month to ``up_to`` (or departure),
    restated on the log up to ``position``: CONTRACTS.md §2 objects with money as
    2-decimal strings. None when the pay projection is not available."""
    try:
        from projections import pay
    except ImportError:
        return None
    with log_cut(conn, position):
        through = up_to or _last_month(conn, manager_id)
        if through is None:
            return []
        data = pay.load_pay_data(conn, through, manager_id)
        info = data.managers.get(manager_id)
        if info is None:
            return []
        months = pay.manager_months(data, info, through)
    return [pay.to_json(m.statement()) for m in months]


def _last_month(conn: duckdb.DuckDBPyConnection, manager_id: str) -> str | None:
    row = conn.execute(
        """SELECT strftime(coalesce(
               (SELECT max(departed_on) FROM departures WHERE manager_id = $m),
               (SELECT max(last_day) FROM departure_requests WHERE manager_id = $m),
               (SELECT max(hired_on) FROM managers WHERE manager_id = $m)), '%Y-%m')""",
        {"m": manager_id}).fetchone()
    return None if row is None else row[0]

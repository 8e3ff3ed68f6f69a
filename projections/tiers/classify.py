"""Client tiers (docs/rules.md R8) and large-outflow alerts, computed in DuckDB.

Everything is computed in bulk in SQL over the read model's ``balances`` and ``clients``
tables (docs/read-model.md), through table macros that this module installs on the
connection (see docs/tiers.md):

- ``tier_balance_intervals(client, at_position)``: each reported balance as the span of
  days it holds;
- ``tier_history(client, start, end, at_position := NULL)``: the tier of a client (or of
  every client when ``client`` is NULL) on every day of ``start..end``;
- ``tier_changes(client, start, end, at_position := NULL)``: only the days where the
  tier or the maintenance level changes, with the span each state holds;
- ``large_outflows(client, start, end, at_position := NULL)``: large-outflow alerts.

Money stays DECIMAL from end to end, never DOUBLE. The half-year average deposit is
decided on the exact sum of balance × days (``deposit_day_sum``; the average is that
sum / 182) and printed rounded to 0.01 with ROUND_HALF_UP, by integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

WINDOW_DAYS = 182
"""Days in the half-year average, ending on the as-of date inclusive."""

OUTFLOW_DAYS = 30
"""An outflow is measured against balances in force in the 30 days before the fall."""
OUTFLOW_MIN_DROP = Decimal("500000.00")
OUTFLOW_MIN_RATIO = Decimal("0.30")

NEAR_RATIO = Decimal("0.8")
"""Potential: some criterion at ≥ 80% of its VIP threshold."""

MANAGER_BELOW = Decimal("1000000.00")
"""AUM below this: maintained by the manager."""
SUB_BRANCH_UP_TO = Decimal("5000000.00")
"""AUM from MANAGER_BELOW up to this, inclusive: the sub-branch; above it: the branch."""

PRODUCTS = (
    "deposit",
    "fund",
    "wealth",
    "loan_credit",
    "loan_pledged",
    "loan_secured",
    "loan_housing",
)
TIERS = ("mass", "potential", "vip")
MAINTENANCE_LEVELS = ("manager", "sub_branch", "branch")


@dataclass(frozen=True)
class Criterion:
    """One VIP criterion: ``value op threshold``, with ``op`` ``>=`` (inclusive) or ``>``."""

    name: str
    product: str
    op: str
    threshold: Decimal
    description: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "avg_deposit",
        "deposit",
        ">=",
        Decimal("500000.00"),
        "half-year average daily deposit ≥ 500,000",
    ),
    Criterion(
        "credit_loan", "loan_credit", ">", Decimal("50000.00"), "credit loan balance > 50,000"
    ),
    Criterion(
        "pledged_loan",
        "loan_pledged",
        ">",
        Decimal("300000.00"),
        "pledged consumer loan balance > 300,000",
    ),
    Criterion(
        "secured_loan",
        "loan_secured",
        ">",
        Decimal("500000.00"),
        "mortgage/guaranteed consumer loan balance > 500,000",
    ),
    Criterion("fund", "fund", ">=", Decimal("500000.00"), "fund holdings ≥ 500,000"),
    Criterion(
        "housing_loan",
        "loan_housing",
        ">=",
        Decimal("3000000.00"),
        "housing loan balance ≥ 3,000,000",
    ),
)
"""The VIP criteria, in the order ``criteria_met`` and ``near_criteria`` list them."""


def _criterion_sql(c: Criterion) -> tuple[str, str]:
    """SQL conditions (met, near) for a criterion, exact in DECIMAL.

    The average deposit is compared as its exact sum over the window: avg ≥ T is
    Σ(balance × days) ≥ T × 182, so no division (and no rounding) is ever needed.
    """
    if c.name == "avg_deposit":
        value = "deposit_day_sum"
        bound = f"{c.threshold}::DECIMAL(18,2) * {WINDOW_DAYS}"
    else:
        value = c.product
        bound = f"{c.threshold}::DECIMAL(18,2)"
    met = f"{value} {c.op} {bound}"
    near = f"{value} >= {NEAR_RATIO}::DECIMAL(2,1) * {bound} AND NOT ({met})"
    return met, near


def _criteria_list(which: int) -> str:
    items = ", ".join(f"CASE WHEN {_criterion_sql(c)[which]} THEN '{c.name}' END" for c in CRITERIA)
    return f"list_filter([{items}], lambda x: x IS NOT NULL)"


_HELD = ",\n        ".join(
    f"coalesce(any_value(iv.balance) FILTER (WHERE iv.product = '{p}'), 0)::DECIMAL(18,2) AS {p}"
    for p in PRODUCTS
)
_HELD_COLUMNS = ", ".join(f"coalesce(h.{p}, 0)::DECIMAL(18,2) AS {p}" for p in PRODUCTS)
_PRODUCT_COLUMNS = ", ".join(PRODUCTS)
_REPORT_KEY = "(CAST(as_of - DATE '1970-01-01' AS HUGEINT) * 18446744073709551616 + position)"


def _macros_sql(kind: str) -> list[str]:
    """The CREATE statements; ``kind`` is ``TEMP`` or empty (persistent, in the file)."""
    return [
        # Each winning report of a (client, product, as_of) as the span of days it holds:
        # from its as_of to the day before the next report of the same product (open
        # ended, 9999-12-31, when there is none up to p_to). Several reports for the
        # same date: the latest position wins. Only the spans that hold on some day
        # from p_deposit_from (deposit) or p_other_from (other products) to p_to are
        # returned (a NULL bound: no limit; p_deposit_only: deposit spans only); the
        # bounds only make the scan cheaper.
        f"""
CREATE OR REPLACE {kind} MACRO tier_balance_intervals(
    p_client, p_deposit_from, p_other_from, p_to, p_position, p_deposit_only := false) AS TABLE
WITH scoped AS (
    SELECT client_id, product, as_of, balance, position,
           CASE WHEN product = 'deposit' THEN CAST(p_deposit_from AS DATE)
                ELSE CAST(p_other_from AS DATE) END AS from_day
    FROM balances
    WHERE (p_client IS NULL OR client_id = p_client)
      AND (p_position IS NULL OR position <= p_position)
      AND (p_to IS NULL OR as_of <= CAST(p_to AS DATE))
      AND (NOT p_deposit_only OR product = 'deposit')
), opening AS (  -- the report in force on from_day, if any
    SELECT client_id, product, max(as_of) AS as_of,
           -- (as_of, position) packed into one exact HUGEINT sort key
           arg_max(balance, {_REPORT_KEY}) AS balance,
           arg_max(position, {_REPORT_KEY}) AS position
    FROM scoped
    WHERE as_of <= from_day
    GROUP BY client_id, product
), later AS (  -- the reports after from_day, one per date
    SELECT client_id, product, as_of,
           arg_max(balance, position) AS balance,
           max(position) AS position
    FROM scoped
    WHERE from_day IS NULL OR as_of > from_day
    GROUP BY client_id, product, as_of
), reports AS (
    SELECT * FROM opening UNION ALL SELECT * FROM later
)
SELECT client_id, product, as_of AS valid_from,
       coalesce(lead(as_of) OVER (PARTITION BY client_id, product ORDER BY as_of) - 1,
                DATE '9999-12-31') AS valid_to,
       balance, position
FROM reports
""",
        f"""
CREATE OR REPLACE {kind} MACRO tier_history(p_client, p_start, p_end, at_position := NULL) AS TABLE
WITH days AS (
    SELECT CAST(ts AS DATE) AS as_of
    FROM generate_series(CAST(CAST(p_start AS DATE) AS TIMESTAMP),
                         CAST(CAST(p_end AS DATE) AS TIMESTAMP), INTERVAL 1 DAY) AS g(ts)
), cd AS (
    SELECT c.client_id, d.as_of
    FROM clients AS c JOIN days AS d ON d.as_of >= c.registered_on
    WHERE (p_client IS NULL OR c.client_id = p_client)
      AND (at_position IS NULL OR c.position <= at_position)
), iv AS (
    SELECT client_id, product, valid_from, valid_to, balance
    FROM tier_balance_intervals(p_client, CAST(p_start AS DATE) - {WINDOW_DAYS - 1},
                                CAST(p_start AS DATE), p_end, at_position)
), held AS (
    SELECT cd.client_id, cd.as_of,
        {_HELD}
    FROM cd JOIN iv ON iv.client_id = cd.client_id
        AND cd.as_of BETWEEN iv.valid_from AND iv.valid_to
    GROUP BY cd.client_id, cd.as_of
), dep AS (
    SELECT cd.client_id, cd.as_of,
        sum(iv.balance * (least(iv.valid_to, cd.as_of)
                          - greatest(iv.valid_from, cd.as_of - {WINDOW_DAYS - 1}) + 1))
            AS deposit_day_sum
    FROM cd JOIN iv ON iv.client_id = cd.client_id AND iv.product = 'deposit'
        AND iv.valid_from <= cd.as_of AND iv.valid_to >= cd.as_of - {WINDOW_DAYS - 1}
    GROUP BY cd.client_id, cd.as_of
), facts AS (
    SELECT cd.client_id, cd.as_of, {_HELD_COLUMNS},
           coalesce(dep.deposit_day_sum, 0)::DECIMAL(38,2) AS deposit_day_sum
    FROM cd
    LEFT JOIN held AS h ON h.client_id = cd.client_id AND h.as_of = cd.as_of
    LEFT JOIN dep ON dep.client_id = cd.client_id AND dep.as_of = cd.as_of
), judged AS (
    SELECT *,
        (deposit + fund + wealth)::DECIMAL(20,2) AS aum,
        {_criteria_list(0)} AS criteria_met,
        {_criteria_list(1)} AS near_criteria,
        -- avg rounded half up to the fen: floor(n / 182 + 1/2) fen, n = the sum in fen
        (CAST((2 * CAST(deposit_day_sum * 100 AS HUGEINT) + {WINDOW_DAYS})
              // {2 * WINDOW_DAYS} AS DECIMAL(20,0)) * 0.01)::DECIMAL(18,2) AS avg_deposit_182d
    FROM facts
)
SELECT client_id, as_of,
    CASE WHEN len(criteria_met) > 0 THEN 'vip'
         WHEN len(near_criteria) > 0 THEN 'potential'
         ELSE 'mass' END AS tier,
    CASE WHEN aum < {MANAGER_BELOW} THEN 'manager'
         WHEN aum <= {SUB_BRANCH_UP_TO} THEN 'sub_branch'
         ELSE 'branch' END AS maintenance_level,
    aum, avg_deposit_182d, criteria_met, near_criteria,
    {_PRODUCT_COLUMNS}, deposit_day_sum
FROM judged
ORDER BY client_id, as_of
""",
        f"""
CREATE OR REPLACE {kind} MACRO tier_changes(p_client, p_start, p_end, at_position := NULL) AS TABLE
WITH h AS (
    SELECT *,
        lag(tier) OVER w AS previous_tier,
        lag(maintenance_level) OVER w AS previous_maintenance_level,
        lag(as_of) OVER w AS previous_day
    FROM tier_history(p_client, p_start, p_end, at_position := at_position)
    WINDOW w AS (PARTITION BY client_id ORDER BY as_of)
), c AS (
    SELECT * FROM h
    WHERE previous_day IS NULL
       OR tier IS DISTINCT FROM previous_tier
       OR maintenance_level IS DISTINCT FROM previous_maintenance_level
)
SELECT client_id, as_of,
    coalesce(lead(as_of) OVER (PARTITION BY client_id ORDER BY as_of) - 1,
             CAST(p_end AS DATE)) AS valid_until,
    tier, maintenance_level, previous_tier, previous_maintenance_level,
    aum, avg_deposit_182d, criteria_met, near_criteria
FROM c
ORDER BY client_id, as_of
""",
        f"""
CREATE OR REPLACE {kind} MACRO large_outflows(p_client, p_start, p_end, at_position := NULL) AS TABLE
WITH dep AS (
    SELECT client_id, valid_from, valid_to, balance, position
    FROM tier_balance_intervals(p_client, CAST(p_start AS DATE) - {OUTFLOW_DAYS},
                                NULL, p_end, at_position, p_deposit_only := true)
    WHERE product = 'deposit'
), cand AS (
    SELECT t.client_id, t.valid_from AS to_date, t.balance AS to_balance, t.position,
           f.balance AS from_balance,
           least(f.valid_to, t.valid_from - 1) AS from_date
    FROM dep AS t JOIN dep AS f ON f.client_id = t.client_id
        AND f.valid_from < t.valid_from
        AND f.valid_to >= t.valid_from - {OUTFLOW_DAYS}
    WHERE (p_start IS NULL OR t.valid_from >= CAST(p_start AS DATE))
      AND (p_end IS NULL OR t.valid_from <= CAST(p_end AS DATE))
    QUALIFY row_number() OVER (PARTITION BY t.client_id, t.valid_from
                               ORDER BY f.balance DESC, from_date DESC) = 1
), alerts AS (
    SELECT *, (from_balance - to_balance)::DECIMAL(18,2) AS "drop"
    FROM cand
    WHERE from_balance - to_balance >= {OUTFLOW_MIN_DROP}
      AND from_balance - to_balance >= {OUTFLOW_MIN_RATIO}::DECIMAL(3,2) * from_balance
)
SELECT a.client_id, a.from_balance, a.to_balance, a."drop",
    -- drop / from rounded half up to 6 places, by integer arithmetic
    (CAST((2 * CAST(a."drop" * 100 AS HUGEINT) * 1000000 + CAST(a.from_balance * 100 AS HUGEINT))
          // (2 * CAST(a.from_balance * 100 AS HUGEINT)) AS DECIMAL(20,0))
        * 0.000001)::DECIMAL(18,6) AS drop_ratio,
    a.from_date, a.to_date, a.to_date AS as_of, b.message_id, a.position
FROM alerts AS a JOIN balances AS b ON b.position = a.position
ORDER BY a.client_id, a.to_date
""",
    ]


def install(conn: duckdb.DuckDBPyConnection, *, persistent: bool = False) -> None:
    """Create the tier macros on ``conn``.

    By default they are TEMP macros (this connection only; allowed on a read-only
    connection). ``persistent=True`` stores them in the database file, so that any
    later connection (``rmledger sql``) can call them; they only reference
    ``balances`` and ``clients`` by name, so they survive a reload of those tables.
    """
    for statement in _macros_sql("" if persistent else "TEMP"):
        conn.execute(statement)


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    install(conn)
    cursor = conn.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def tier_history(
    conn: duckdb.DuckDBPyConnection,
    client_id: str | None,
    start: date,
    end: date,
    *,
    at_position: int | None = None,
) -> list[dict[str, Any]]:
    """The tier of ``client_id`` (every client when None) on each day of ``start..end``.

    Each dict has ``client_id``, ``as_of``, ``tier``, ``maintenance_level``, ``aum``,
    ``avg_deposit_182d`` (rounded to 0.01), ``criteria_met``, ``near_criteria``, the
    balance of each product held that day, and ``deposit_day_sum`` (the exact sum of
    deposit balance × days over the 182-day window). A client appears from its
    registration date. ``at_position`` limits the read to events at or before that
    event-log position.
    """
    return _rows(
        conn,
        "SELECT * FROM tier_history(?, ?, ?, at_position := ?)",
        [client_id, start, end, at_position],
    )


def tiers(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    client_id: str | None = None,
    *,
    at_position: int | None = None,
) -> list[dict[str, Any]]:
    """The tier of every client registered on or before ``as_of`` (or of one client)."""
    return tier_history(conn, client_id, as_of, as_of, at_position=at_position)


def tier_of(
    conn: duckdb.DuckDBPyConnection, client_id: str, as_of: date, *, at_position: int | None = None
) -> dict[str, Any] | None:
    """The tier of one client on ``as_of``; None if it is unknown or not yet registered."""
    rows = tiers(conn, as_of, client_id, at_position=at_position)
    return rows[0] if rows else None


def tier_changes(
    conn: duckdb.DuckDBPyConnection,
    client_id: str | None,
    start: date,
    end: date,
    *,
    at_position: int | None = None,
) -> list[dict[str, Any]]:
    """The days in ``start..end`` where a client's tier or maintenance level changes.

    The first day of the range (or the registration date) is always a row; each row
    holds until ``valid_until``.
    """
    return _rows(
        conn,
        "SELECT * FROM tier_changes(?, ?, ?, at_position := ?)",
        [client_id, start, end, at_position],
    )


def large_outflows(
    conn: duckdb.DuckDBPyConnection,
    start: date | None = None,
    end: date | None = None,
    client_id: str | None = None,
    *,
    at_position: int | None = None,
) -> list[dict[str, Any]]:
    """Large-outflow alerts whose deposit report is dated in ``start..end`` (inclusive).

    For each deposit report (the winning one of its date) on day ``t``, the balance it
    sets is compared with the highest deposit balance in force on any day of
    ``t-30 .. t-1``. It is an alert when the fall is ≥ 500,000 and ≥ 30% of that
    balance. Each dict has ``client_id``, ``from_balance``, ``to_balance``, ``drop``,
    ``drop_ratio`` (6 places, half up), ``from_date`` (the latest day in the window
    the highest balance was in force), ``to_date`` (= ``as_of``, the report's date),
    ``as_of``, ``message_id`` and ``position`` of the report.
    """
    return _rows(
        conn,
        "SELECT * FROM large_outflows(?, ?, ?, at_position := ?)",
        [client_id, start, end, at_position],
    )


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def tier_json(row: dict[str, Any]) -> dict[str, Any]:
    """A tier as docs/contract.md C2.4 prints it: money as strings with 2 decimals."""
    return {
        "client_id": row["client_id"],
        "as_of": row["as_of"].isoformat(),
        "tier": row["tier"],
        "maintenance_level": row["maintenance_level"],
        "aum": _money(row["aum"]),
        "avg_deposit_182d": _money(row["avg_deposit_182d"]),
        "criteria_met": list(row["criteria_met"]),
        "near_criteria": list(row["near_criteria"]),
    }


def outflow_json(row: dict[str, Any]) -> dict[str, Any]:
    """A large-outflow alert as JSON: money as strings with 2 decimals, the ratio with 6."""
    return {
        "client_id": row["client_id"],
        "from_balance": _money(row["from_balance"]),
        "to_balance": _money(row["to_balance"]),
        "drop": _money(row["drop"]),
        "drop_ratio": f"{row['drop_ratio']:.6f}",
        "from_date": row["from_date"].isoformat(),
        "to_date": row["to_date"].isoformat(),
        "as_of": row["as_of"].isoformat(),
        "message_id": row["message_id"],
        "position": row["position"],
    }

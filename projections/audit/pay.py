"""The audit's view of pay: statements restated on the log as it stood at a position.

The pay rules live in ``projections.pay.statements``; this adapter feeds them unchanged.

- ``restated_statements`` (history, departure audit): one manager's months, from the
  hire month to a given month, restated on the log up to a position. The credited
  amounts come from the ``credits`` rows the report has already attributed for that
  manager (``projections.audit.views.credits_sql``, cut at the position): they are
  summed per month, class and stock/new into the figures ``projections.pay.statements`` would
  read, and the other inputs (hire, grades, plans, adjustments, closes, issued
  statements) are read with the same position cut. So a history does not attribute
  the bank, nor that manager's clients, a second time.
- ``statements_restated_rows`` (``rmledger sql``): every manager's months restated by
  the pay projection itself (``pay.load_pay_data`` / ``pay.manager_months``), the rows
  of the ``statements_restated`` TEMP table (docs/audit.md).
- ``log_cut`` shadows every read-model table by a TEMP view of its rows at or before a
  position, for callers that must run code reading the tables by name at a cut.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from domain.values import PROFIT_CLASSES, month_bounds, month_of
from projections.audit.common import head_position, query, sql_in
from projections.audit.views import AT, credits_sql
from projections.pay.statements import MONEY_FIELDS


@contextmanager
def log_cut(conn: duckdb.DuckDBPyConnection, position: int) -> Iterator[None]:
    """Shadow every read-model table with its rows at or before ``position``."""
    if position >= head_position(conn):
        yield
        return
    from projections.readmodel.schema import TABLES, disputes_at

    database = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    shadowed = [name for name in TABLES if name != "projection_state"]
    try:
        for name in shadowed:
            source = f'"{database}".main.{name}'
            rows = (
                disputes_at(source, str(int(position)))
                if name == "disputes"  # its resolution is written into the row later
                else f"SELECT * FROM {source} WHERE position <= {int(position)}"
            )
            conn.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {rows}")
        yield
    finally:
        for name in shadowed:
            conn.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


def restated_statements(
    conn: duckdb.DuckDBPyConnection,
    manager_id: str,
    position: int,
    up_to: str | None = None,
    credit_rows: Iterable[dict[str, Any]] | None = None,
) -> list[dict[str, Any]] | None:
    """The manager's statements from the hire month to ``up_to`` (or departure),
    restated on the log up to ``position``: docs/contract.md C2.2 objects with money as
    2-decimal strings. None when the pay projection is not available.

    ``credit_rows``: the manager's ``credits`` rows at ``position`` (every value date
    up to the end of ``up_to`` at least, other managers' and unattributed rows are
    ignored), when the caller has them; otherwise they are read here, for that
    manager's clients only."""
    try:
        from projections.pay import statements as pay
    except ImportError:
        return None
    p = {"pos": int(position), "m": manager_id}
    info = _manager_info(conn, pay, p)
    if info is None:
        return []
    through = up_to or _last_month(conn, p, info)
    if through < month_of(info.hired_on):
        return []
    _, until = month_bounds(through)
    if credit_rows is None:
        credit_rows = _credit_rows(conn, p, until)
    data = pay.PayData(
        managers={manager_id: info},
        plans=[],
        plan_terms={},
        figures=_figures(credit_rows, manager_id, until),
        adjustments={
            (manager_id, r["period"], r["kind"]): r["amount"]
            for r in query(
                conn,
                f"SELECT period, kind, sum(amount) AS amount FROM adjustments WHERE {AT} AND manager_id = $m "
                "GROUP BY ALL",
                p,
            )
        },
        closed={
            r["period"]: r["position"]
            for r in query(conn, f"SELECT period, position FROM periods_closed WHERE {AT}", p)
        },
        corrections={
            (manager_id, r["period"]): r["amount"]
            for r in query(
                conn,
                "SELECT strftime(resolved_on, '%Y-%m') AS period, sum(amount) AS amount FROM disputes "
                "WHERE resolved_position <= $pos AND manager_id = $m AND outcome = 'upheld' GROUP BY ALL",
                p,
            )
        },
        issued_paid={
            (manager_id, r["period"]): r["performance_paid"]
            for r in query(
                conn,
                f"SELECT period, performance_paid FROM statements_issued WHERE {AT} AND manager_id = $m",
                p,
            )
        },
    )
    _plans(conn, p, data)
    months = pay.manager_months(data, info, through)
    return [pay.to_json(m.statement()) for m in months]


def _manager_info(conn: duckdb.DuckDBPyConnection, pay: Any, p: dict[str, Any]) -> Any:
    """The manager as ``pay.load_pay_data`` reads it (hire, departure, grade changes), cut."""
    rows = query(
        conn,
        f"""
        SELECT m.hired_on, m.grade, d.departed_on
        FROM (SELECT * FROM managers WHERE {AT} AND manager_id = $m) m
        LEFT JOIN (SELECT * FROM departures WHERE {AT} AND manager_id = $m) d USING (manager_id)
        ORDER BY m.position, d.position""",
        p,
    )
    if not rows:
        return None
    last = rows[-1]  # load_pay_data keeps the last row it reads for a manager
    info = pay.ManagerInfo(p["m"], last["hired_on"], last["grade"], last["departed_on"])
    info.grades = [
        (r["effective_on"], r["position"], r["grade"])
        for r in query(
            conn,
            f"SELECT grade, effective_on, position FROM grade_changes WHERE {AT} AND manager_id = $m",
            p,
        )
    ]
    return info


def _plans(conn: duckdb.DuckDBPyConnection, p: dict[str, Any], data: Any) -> None:
    """Plans and their grade terms at the cut (the default plan's rows are position 0)."""
    versions: dict[str, tuple[date, int, str]] = {}
    for r in query(
        conn,
        f"""SELECT version, effective_from, position, grade, base_salary, post_salary,
                                    commission_per_10k, coefficient, prepay_ratio FROM plans
                             WHERE {AT} ORDER BY position""",
        p,
    ):
        versions[r["version"]] = (r["effective_from"], r["position"], r["version"])
        data.plan_terms[(r["version"], r["grade"])] = (
            r["base_salary"],
            r["post_salary"],
            r["commission_per_10k"],
            r["coefficient"],
            r["prepay_ratio"],
        )
    data.plans = sorted(versions.values())


def _credit_rows(
    conn: duckdb.DuckDBPyConnection, p: dict[str, Any], until: date
) -> list[dict[str, Any]]:
    clients = {
        r["client_id"]
        for r in query(
            conn,
            f"SELECT DISTINCT client_id FROM assignment_changes WHERE {AT} AND manager_id = $m",
            p,
        )
    }
    return query(
        conn,
        f"""
        SELECT * FROM ({credits_sql(AT, f"client_id IN {sql_in(clients)}", "manager_id = $m")})
        WHERE manager_id = $m AND on_date <= $until""",
        {**p, "until": until},
    )


def _figures(
    credit_rows: Iterable[dict[str, Any]], manager_id: str, until: date
) -> dict[tuple[str, str], Any]:
    """Per (manager, month) and class, the figures of ``projections.pay.attribution.monthly_aggregates_sql``:
    income, cost (postings), loss charge, and Σ amount × age in days of stock income;
    reversed postings count for nothing, each line at the manager's share."""
    from projections.pay.rules import ClassFigures

    figures: dict[tuple[str, str], dict[str, ClassFigures]] = defaultdict(
        lambda: {c: ClassFigures() for c in PROFIT_CLASSES}
    )
    zero = Decimal(0)
    for r in credit_rows:
        if (
            r["manager_id"] != manager_id
            or r["reversed_position"] is not None
            or r["on_date"] > until
        ):
            continue
        credited = Decimal(r["credited"])  # signed: + income, − cost, − charge
        income = credited if r["sign"] == "income" else zero
        cost = -credited if r["sign"] == "cost" else zero
        charge = -credited if r["sign"] == "charge" else zero
        age = zero
        if r["sign"] == "income" and not r["is_new"] and r["first_served_on"] is not None:
            age = credited * (r["on_date"] - r["first_served_on"]).days
        figures[(manager_id, f"{r['on_date']:%Y-%m}")][r["class"]].add(
            bool(r["is_new"]), income, cost, charge, age
        )
    return figures


def _last_month(conn: duckdb.DuckDBPyConnection, p: dict[str, Any], info: Any) -> str:
    """The departure month, else the month of the last day requested, else the hire
    month (statements need a bound)."""
    if info.departed_on is not None:
        return month_of(info.departed_on)
    rows = query(
        conn,
        f"SELECT max(last_day) AS last_day FROM departure_requests WHERE {AT} AND manager_id = $m",
        p,
    )
    return month_of(rows[0]["last_day"] or info.hired_on)


# -- the statements_restated table of rmledger sql ---------------------------------------

RESTATED_TABLE = "statements_restated"
RESTATED_COLUMNS = (
    "position",
    "manager_id",
    "period",
    "grade",
    *MONEY_FIELDS[:4],
    "k0",
    *MONEY_FIELDS[4:],
    "status",
    "issued_at_position",
)


def restated_through(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The last month ``statements_restated`` covers: the latest of the last closed
    period and the months of the latest posting, activity, loan classification, hire,
    departure and last day requested (the months the ledger has business in); None
    when there is none."""
    row = conn.execute("""
        SELECT greatest((SELECT max(period) FROM periods_closed),
                        (SELECT strftime(max(value_date), '%Y-%m') FROM postings),
                        (SELECT strftime(max(value_date), '%Y-%m') FROM activities),
                        (SELECT strftime(max(as_of), '%Y-%m') FROM loan_classifications),
                        (SELECT strftime(max(hired_on), '%Y-%m') FROM managers WHERE position > 0),
                        (SELECT strftime(max(departed_on), '%Y-%m') FROM departures),
                        (SELECT strftime(max(last_day), '%Y-%m') FROM departure_requests))""").fetchone()
    return None if row is None else row[0]


def statements_restated_rows(conn: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every statement ``rmledger pay --restated`` gives for each month from the first
    hire month to ``restated_through``: the pay projection's own
    ``pay.statements(conn, period, restated=True)``, month by month (through
    ``pay.restated_by_month``, which computes each manager's months once), so the table
    can never disagree with the command (issued months restated, other months open)."""
    from projections.pay import statements as pay

    position = head_position(conn)
    through = restated_through(conn)
    # No statement is earlier than the first planned month (docs/rules.md R3.5).
    first: Any = conn.execute(
        "SELECT strftime(greatest(min(hired_on), (SELECT min(effective_from) FROM plans)), '%Y-%m') "
        "FROM managers WHERE position > 0"
    ).fetchone()
    columns: dict[str, list[Any]] = {c: [] for c in RESTATED_COLUMNS}
    months = (
        pay.restated_by_month(conn, first[0], through)
        if first and first[0] and through
        else iter(())
    )
    for _, month in months:
        for st in month:
            st = {**st, "position": position, "issued_at_position": st.get("issued_at_position")}
            for c in RESTATED_COLUMNS:
                columns[c].append(st[c] if c != "k0" else list(st["k0"].items()))
    money = pa.decimal128(38, 2)  # schema.WIDE_MONEY
    types = {
        "position": pa.int64(),
        "manager_id": pa.string(),
        "period": pa.string(),
        "grade": pa.string(),
        "k0": pa.map_(pa.string(), pa.decimal128(18, 6)),
        "status": pa.string(),
        "issued_at_position": pa.int64(),
    }
    return pa.table({c: pa.array(columns[c], types.get(c, money)) for c in RESTATED_COLUMNS})


def materialise_statements_restated(conn: duckdb.DuckDBPyConnection) -> int:
    """(Re)create the TEMP table ``statements_restated`` on ``conn`` (allowed on a
    read-only connection: TEMP objects live in memory); returns its row count."""
    table = statements_restated_rows(conn)
    conn.register("statements_restated_page", table)
    try:
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {RESTATED_TABLE} AS SELECT * FROM statements_restated_page"
        )
    finally:
        conn.unregister("statements_restated_page")
    return table.num_rows


__all__ = [
    "log_cut",
    "restated_statements",
    "statements_restated_rows",
    "materialise_statements_restated",
    "restated_through",
]

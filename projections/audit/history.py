"""Bitemporal history of one manager (docs/rules.md R9.1).

Two independent axes:

- recorded time (``known_at``): only events recorded at or before it count, i.e. the
  log is cut at the last position recorded by then (``position_known_at``);
- business time (``effective_on``): only facts whose business date (hired_on,
  effective_on, value_date, as_of, ...) is on or before it are in force, and the book
  is the set of roles held on that date.

Both default to now. Everything is read from the DuckDB read model with SQL; the
result is plain JSON-ready data (money as 2-decimal strings).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from domain.values import month_bounds
from projections.audit.common import (
    head_position,
    mask_id,
    money_text,
    month_text,
    position_known_at,
    query,
    sql_in,
)
from projections.audit.views import AT, assignment_intervals_sql, credits_sql, handover_status_sql
from projections.pay.statements import MONEY_FIELDS

BANK_TZ = ZoneInfo("Asia/Shanghai")


def bank_today() -> date:
    """Today in the bank's time zone (the default of --effective-on)."""
    return datetime.now(BANK_TZ).date()


class UnknownManager(LookupError):
    """No such manager is known at the requested position."""


def manager_history(
    conn: duckdb.DuckDBPyConnection,
    manager_id: str,
    known_at: datetime | None = None,
    effective_on: date | None = None,
    restated: bool = True,
    at_position: int | None = None,
) -> dict[str, Any]:
    """Every fact about the manager as known at ``known_at`` (or at the event-log
    position ``at_position``, capped at the read model's) and in force on ``effective_on``.

    ``restated=False`` leaves out the restated statements (``statements.restated`` is
    None): they are recomputed by the pay rules, the slowest part on a large log."""
    if at_position is not None and known_at is not None:
        raise ValueError("give known_at or at_position, not both")
    pos = (
        position_known_at(conn, known_at)
        if at_position is None
        else min(int(at_position), head_position(conn))
    )
    on = effective_on or bank_today()
    p = {"pos": pos, "m": manager_id, "on": on}
    hired = query(
        conn,
        "SELECT manager_id, name, branch_id, grade, hired_on, position, recorded_at "
        f"FROM managers WHERE {AT} AND manager_id = $m ORDER BY position LIMIT 1",
        p,
    )
    if not hired:
        raise UnknownManager(f"no manager {manager_id!r} is known at position {pos}")
    hire = hired[0]
    facts: list[dict[str, Any]] = []

    def fact(kind: str, day: date, row: dict[str, Any], **detail: Any) -> None:
        facts.append(
            {
                "kind": kind,
                "on": day,
                "position": row["position"],
                "recorded_at": row["recorded_at"],
                **detail,
            }
        )

    if hire["hired_on"] <= on:
        fact("hired", hire["hired_on"], hire, grade=hire["grade"], branch_id=hire["branch_id"])
    grade_on = hire["grade"] if hire["hired_on"] <= on else None
    for r in query(
        conn,
        f"SELECT * FROM grade_changes WHERE {AT} AND manager_id = $m AND effective_on <= $on "
        "ORDER BY effective_on, position",
        p,
    ):
        fact("grade_changed", r["effective_on"], r, grade=r["grade"], reason=r["reason"])
        grade_on = r["grade"]
    status = "employed" if hire["hired_on"] <= on else "not_yet_hired"
    for r in query(
        conn,
        f"SELECT * FROM departure_requests WHERE {AT} AND manager_id = $m "
        "AND requested_on <= $on ORDER BY position",
        p,
    ):
        fact(
            "departure_requested",
            r["requested_on"],
            r,
            departure_kind=r["kind"],
            last_day=r["last_day"],
        )
        status = "departure_requested"
    for r in query(
        conn,
        f"SELECT * FROM departure_approvals WHERE {AT} AND manager_id = $m "
        "AND approved_on <= $on ORDER BY position",
        p,
    ):
        fact(
            "departure_approved", r["approved_on"], r, role=r["role"], approver_id=r["approver_id"]
        )
    for r in query(
        conn,
        f"SELECT * FROM departures WHERE {AT} AND manager_id = $m "
        "AND departed_on <= $on ORDER BY position",
        p,
    ):
        fact("departed", r["departed_on"], r)
        status = "departed"

    # Clients gained and lost, from this manager's assignment changes.
    changes = query(
        conn,
        f"""
        SELECT a.*, c.name AS client_name, c.id_last4
        FROM (SELECT * FROM assignment_changes WHERE {AT} AND manager_id = $m AND effective_on <= $on) a
        LEFT JOIN (SELECT client_id, any_value(name) AS name, any_value(id_last4) AS id_last4
                   FROM clients WHERE {AT} GROUP BY client_id) c USING (client_id)
        ORDER BY a.effective_on, a.position, a.change""",
        p,
    )
    for r in changes:
        gained = r["change"] in ("assigned", "handover_in")
        fact(
            "client_gained" if gained else "client_lost",
            r["effective_on"],
            r,
            client_id=r["client_id"],
            client_name=r["client_name"],
            id_number=mask_id(r["id_last4"]),
            role=r["role"],
            origin=r["origin"],
            change=r["change"],
            handover_id=r["handover_id"],
        )
    client_ids = {
        r["client_id"]
        for r in query(
            conn,
            f"SELECT DISTINCT client_id FROM assignment_changes WHERE {AT} AND manager_id = $m",
            p,
        )
    }

    # The book in force on the date.
    book = query(
        conn,
        f"""
        SELECT i.client_id, i.role, i.origin, i.valid_from AS since, i.start_position AS position,
               c.name AS client_name, c.id_last4
        FROM ({assignment_intervals_sql(AT)}) i
        LEFT JOIN (SELECT client_id, any_value(name) AS name, any_value(id_last4) AS id_last4
                   FROM clients WHERE {AT} GROUP BY client_id) c USING (client_id)
        WHERE i.manager_id = $m AND i.valid_from <= $on AND (i.valid_to IS NULL OR i.valid_to > $on)
          AND i.client_id IN {sql_in(client_ids)}
        ORDER BY i.client_id, i.role""",
        p,
    )

    # Handovers this manager was party to, with their progress as known and in force.
    handovers = []
    for h in query(
        conn,
        f"SELECT * FROM ({handover_status_sql(AT)}) "
        "WHERE (from_manager_id = $m OR to_manager_id = $m) AND opened_on <= $on "
        "ORDER BY opened_on, opened_position",
        p,
    ):
        handovers.append(_handover_on(h, on, manager_id))

    # Postings, loss charges and activities credited to the manager: read once, up to
    # the end of the month of --effective-on, because the restated statement of that
    # month is computed from the same rows (audit_pay.restated_statements); the
    # history itself shows those on or before the date.
    _, month_end = month_bounds(month_text(on))
    month_rows = query(
        conn,
        f"""
        SELECT * FROM ({credits_sql(AT, f"client_id IN {sql_in(client_ids)}", "manager_id = $m")})
        WHERE manager_id = $m AND on_date <= $month_end
        ORDER BY on_date, position, kind, source_id""",
        {**p, "month_end": month_end},
    )
    credit_rows = [r for r in month_rows if r["on_date"] <= on]
    credits = [_credit(r) for r in credit_rows]
    months: dict[str, dict[str, Decimal]] = {}
    for r in credit_rows:
        month = f"{r['on_date']:%Y-%m}"
        m = months.setdefault(
            month,
            {
                "income": Decimal(0),
                "cost": Decimal(0),
                "loss_charge": Decimal(0),
                "profit": Decimal(0),
                "new": Decimal(0),
                "stock": Decimal(0),
            },
        )
        amount = Decimal(r["credited"])
        bucket = {"income": "income", "cost": "cost", "charge": "loss_charge"}[r["sign"]]
        m[bucket] += amount if bucket == "income" else -amount
        m["profit"] += amount
        m["new" if r["is_new"] else "stock"] += amount
    credit_months = [
        {"period": k, **{f: money_text(v) for f, v in m.items()}} for k, m in sorted(months.items())
    ]

    for r in query(
        conn,
        f"SELECT * FROM adjustments WHERE {AT} AND manager_id = $m ORDER BY period, position",
        p,
    ):
        if r["period"] + "-01" <= on.isoformat():
            fact(
                "adjustment",
                date.fromisoformat(r["period"] + "-01"),
                r,
                period=r["period"],
                adjustment_kind=r["kind"],
                amount=money_text(r["amount"]),
                reason=r["reason"],
            )

    statements = _statements(conn, manager_id, pos, on, month_rows if restated else None)
    facts.sort(key=lambda f: (f["on"], f["position"], f["kind"]))
    return {
        "manager_id": manager_id,
        "name": hire["name"],
        "branch_id": hire["branch_id"],
        "known_at": known_at.isoformat() if known_at else None,
        "effective_on": on.isoformat(),
        "position": pos,
        "status_on": status,
        "grade_on": grade_on,
        "facts": facts,
        "book_on": [
            {
                "client_id": b["client_id"],
                "client_name": b["client_name"],
                "id_number": mask_id(b["id_last4"]),
                "role": b["role"],
                "origin": b["origin"],
                "since": b["since"],
                "position": b["position"],
            }
            for b in book
        ],
        "handovers": handovers,
        "credits": credits,
        "credit_months": credit_months,
        "statements": statements,
    }


def _handover_on(h: dict[str, Any], on: date, manager_id: str) -> dict[str, Any]:
    """A handover's progress as in force on ``on`` (steps dated later are not yet done)."""

    def by(day: date | None) -> bool:
        return day is not None and day <= on

    sbl = h["sub_branch_lead_id"] if by(h["sub_branch_lead_on"]) else None
    wch = h["wealth_centre_head_id"] if by(h["wealth_centre_head_on"]) else None
    record = h["record_ref"] if by(h["signed_on"]) else None
    filed = h["filed_on"] if by(h["filed_on"]) else None
    return {
        "handover_id": h["handover_id"],
        "direction": "out" if h["from_manager_id"] == manager_id else "in",
        "from_manager_id": h["from_manager_id"],
        "to_manager_id": h["to_manager_id"],
        "reason": h["reason"],
        "opened_on": h["opened_on"],
        "client_ids": list(h["client_ids"] or []),
        "sub_branch_lead": sbl,
        "sub_branch_lead_on": h["sub_branch_lead_on"] if sbl else None,
        "wealth_centre_head": wch,
        "wealth_centre_head_on": h["wealth_centre_head_on"] if wch else None,
        "record_ref": record,
        "signed_on": h["signed_on"] if record else None,
        "filed_on": filed,
        "status": "filed" if filed else "open",
        "positions": [h["opened_position"], *h["progress_positions"]],
    }


def _credit(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": r["kind"],
        "source_id": r["source_id"],
        "client_id": r["client_id"],
        "category": r["category"],
        "class": r["class"],
        "sign": r["sign"],
        "amount": money_text(r["amount"]),
        "share": str(r["share"]),
        "credited": money_text(r["credited"]),
        "on": r["on_date"],
        "business": "new" if r["is_new"] else "stock",
        "role": r["role"],
        "origin": r["origin"],
        "position": r["position"],
        "recorded_at": r["recorded_at"],
        "reversed_at_position": r["reversed_position"],
    }


# An issued statement's money fields but the salaries (fixed by grade, not by the history).
STATEMENT_FIELDS = tuple(f for f in MONEY_FIELDS if f not in ("base_salary", "post_salary"))


def _statements(
    conn: duckdb.DuckDBPyConnection,
    manager_id: str,
    pos: int,
    on: date,
    credit_rows: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """Statements issued at or before the cut for months up to that of ``on``, and
    (unless ``credit_rows`` is None) those months restated from the manager's credits."""
    issued = query(
        conn,
        f"SELECT * FROM statements_issued WHERE {AT} AND manager_id = $m "
        "AND period <= $month ORDER BY period",
        {"pos": pos, "m": manager_id, "month": f"{on:%Y-%m}"},
    )
    out_issued = [
        {
            "period": s["period"],
            "grade": s["grade"],
            "issued_at_position": s["position"],
            **{f: money_text(s[f]) for f in STATEMENT_FIELDS},
        }
        for s in issued
    ]
    from projections.audit.pay import restated_statements

    again = (
        None
        if credit_rows is None
        else restated_statements(
            conn, manager_id, pos, up_to=month_text(on), credit_rows=credit_rows
        )
    )
    return {"issued": out_issued, "restated": again}


def fact_detail(fact: dict[str, Any], sep: str = ", ") -> str:
    """What a history's fact says beyond its kind, date and position, as ``key=value``
    pairs joined by ``sep`` (the CLI's workbook and the web page's audit table)."""
    return sep.join(
        f"{k}={v}"
        for k, v in fact.items()
        if k not in ("kind", "on", "position", "recorded_at") and v is not None
    )

"""Overdue disputes and months paid under an unacknowledged plan (docs/rules.md R7.6,
R7.7; docs/audit.md): the rows behind ``rmledger alerts`` and the manager's audits.

A dispute is overdue from the day ``dispute_days`` after its opening (the days of the
plan in force on the day it was opened) while it is not resolved: on day ``d`` it is
overdue when ``d ≥ opened_on + dispute_days`` and it was not resolved on or before
``d``. A dispute resolved after its deadline was overdue, and stays a finding.

A month is paid under the plan in force on its reference day (its last day, or the
departure day if earlier; docs/rules.md R7.3.1). It is a finding when the manager had
not acknowledged that version by the month's last day (docs/audit.md says why).

Everything is read at a log position ``$pos`` (a dispute's resolution only once it is
at or below it), so an audit recomputed at its position gives the same rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from domain.values import DEFAULT_DISPUTE_DAYS, month_bounds
from projections.audit.common import query
from projections.readmodel.schema import disputes_at

# The version in force on a day: the latest effective_from on or before it, then the
# one published last (docs/rules.md R3.2), among the plans known at $pos.
_PLAN_ON = """(SELECT version FROM plan_settings s WHERE s.position <= $pos AND s.effective_from <= {day}
               ORDER BY s.effective_from DESC, s.position DESC LIMIT 1)"""

_DEADLINES = f"""
    SELECT d.*, coalesce(s.dispute_days, {DEFAULT_DISPUTE_DAYS}) AS dispute_days,
           s.version AS plan_version,
           CAST(d.opened_on + coalesce(s.dispute_days, {DEFAULT_DISPUTE_DAYS}) AS DATE) AS overdue_on
    FROM ({disputes_at("disputes", "$pos")}) d
    LEFT JOIN plan_settings s ON s.position <= $pos AND s.version = {_PLAN_ON.format(day="d.opened_on")}
"""


def overdue_disputes(
    conn: duckdb.DuckDBPyConnection, on: date, position: int, manager_id: str | None = None
) -> list[dict[str, Any]]:
    """The disputes overdue on day ``on`` (open then, past their deadline), by manager,
    opening and id: every ``disputes`` column, ``dispute_days``, ``plan_version`` and
    ``overdue_on`` (the first day overdue)."""
    return query(
        conn,
        f"""SELECT * FROM ({_DEADLINES}) WHERE overdue_on <= $on
            AND (resolved_on IS NULL OR resolved_on > $on)
            AND ($m IS NULL OR manager_id = $m)
            ORDER BY manager_id, opened_on, dispute_id""",
        {"pos": position, "on": on, "m": manager_id},
    )


def overdue_findings(
    conn: duckdb.DuckDBPyConnection, manager_id: str, on: date, position: int
) -> list[dict[str, Any]]:
    """A finding for each dispute of the manager that was overdue at some day up to
    ``on``: still open past its deadline, or resolved after it."""
    rows = query(
        conn,
        f"""SELECT * FROM ({_DEADLINES}) WHERE manager_id = $m AND overdue_on <= $on
            AND (resolved_on IS NULL OR resolved_on > $on OR resolved_on >= overdue_on)
            ORDER BY opened_on, dispute_id""",
        {"pos": position, "on": on, "m": manager_id},
    )
    out = []
    for r in rows:
        opened = (
            f"dispute {r['dispute_id']} of {r['period']}, opened on {r['opened_on']}, "
            f"{r['dispute_days']} days allowed (plan {r['plan_version']})"
        )
        resolved_by_then = r["resolved_on"] is not None and r["resolved_on"] <= on
        if resolved_by_then:
            late = (r["resolved_on"] - r["overdue_on"]).days + 1
            detail = f"{opened}, resolved on {r['resolved_on']}: {late} day(s) overdue"
        else:
            detail = f"{opened}, still open on {on}: overdue since {r['overdue_on']}"
        positions = [r["opened_position"]] + ([r["resolved_position"]] if resolved_by_then else [])
        out.append(
            {
                "kind": "overdue_dispute",
                "subject": r["dispute_id"],
                "detail": detail,
                "positions": sorted(positions),
                "overdue_on": r["overdue_on"],
            }
        )
    return out


def unacknowledged_months(
    conn: duckdb.DuckDBPyConnection,
    manager_id: str,
    months: list[str],
    position: int,
    departed_on: date | None = None,
) -> list[dict[str, Any]]:
    """A finding for each of ``months`` paid under a plan version the manager had not
    acknowledged by the month's last day (at ``position``)."""
    out = []
    for period in months:
        _, last = month_bounds(period)
        ref = min(last, departed_on) if departed_on else last
        row = query(
            conn,
            f"""SELECT {_PLAN_ON.format(day="$ref")} AS version,
                (SELECT min(position) FROM plan_settings WHERE position <= $pos
                 AND version = {_PLAN_ON.format(day="$ref")}) AS plan_position,
                (SELECT min(acknowledged_on) FROM plan_acknowledgements WHERE position <= $pos
                 AND manager_id = $m AND version = {_PLAN_ON.format(day="$ref")}) AS acknowledged_on""",
            {"pos": position, "ref": ref, "m": manager_id},
        )[0]
        if row["version"] is None:
            continue
        acknowledged = row["acknowledged_on"]
        if acknowledged is not None and acknowledged <= last:
            continue
        when = "never" if acknowledged is None else f"only on {acknowledged}"
        out.append(
            {
                "kind": "unacknowledged_plan",
                "subject": period,
                "detail": f"{period} was paid under plan {row['version']}, which the manager "
                f"acknowledged {when}, not by {last}",
                "positions": [row["plan_position"]],
                "version": row["version"],
            }
        )
    return out


def disputes_on(conn: duckdb.DuckDBPyConnection, day: date) -> list[dict[str, Any]]:
    """Every dispute opened by ``day``, oldest first, as it stands on ``day`` (the whole
    log read): ``outcome`` (``upheld``, ``rejected``, or ``open`` until its resolution
    day), ``amount`` when upheld, its ``dispute_days`` and ``overdue`` (by the one rule
    above, that of ``overdue_disputes``)."""
    rows = query(
        conn,
        f"""SELECT * FROM ({_DEADLINES}) WHERE opened_on <= $on ORDER BY opened_on, dispute_id""",
        {"pos": _HEAD, "on": day},
    )
    out = []
    for r in rows:
        decided = r["outcome"] is not None and r["resolved_on"] <= day
        out.append(
            {
                "dispute_id": r["dispute_id"],
                "manager_id": r["manager_id"],
                "period": r["period"],
                "opened_on": r["opened_on"],
                "outcome": r["outcome"] if decided else "open",
                "amount": r["amount"] if decided and r["amount"] is not None else None,
                "dispute_days": int(r["dispute_days"]),
                "overdue": not decided and day >= r["overdue_on"],
            }
        )
    return out


_HEAD = 2**62  # "the whole log": above any position a store can reach

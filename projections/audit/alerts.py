"""Alerts for people: large deposit outflows once per episode, and grade-fit mismatches
of the managers still employed.

Neither rule is written here. A large outflow is what ``projections.tiers.classify``'s
``large_outflows`` says (a deposit report that brings the balance down by ≥ 30% and
≥ 500,000 from the highest balance of the 30 days before it); what a grade may serve
is ``projections.audit.tiers.grade_fit_mismatch``. This module groups the outflow
alerts into episodes, finds who served the client, and picks the current staff.

An episode: the alerts that consecutive deposit reports of the same client raise.
It ends at the client's first deposit report that raises none, or when 30 days
pass between two alerts (the later one is then a new fall measured from the already
fallen balance, the earlier high having left the 30-day window). Each episode is
reported once, as its first alert: the day it started, the balance before and after,
the drop, and the client's primary manager that day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import duckdb

from domain.values import GRADE_FIT
from projections.audit.common import money_text, query
from projections.audit.tiers import grade_fit_mismatch
from projections.audit.views import assignment_intervals_sql
from projections.tiers import classify as tiers

BUSINESS_DATES = (
    ("balances", "as_of"),
    ("postings", "value_date"),
    ("activities", "value_date"),
    ("loan_classifications", "as_of"),
    ("assignment_changes", "effective_on"),
    ("stage_changes", "changed_on"),
    ("clients", "registered_on"),
    ("managers", "hired_on"),
    ("grade_changes", "effective_on"),
    ("departures", "departed_on"),
    ("periods_closed", "closed_on"),
)
"""The dates of the facts the ledger has been told about. Plans (published ahead of
their effective date) and the last day of a requested departure (a plan too) are not
facts yet, so they are left out."""


def latest_business_date(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The latest date of any fact in the read model; None when it holds none."""
    parts = " UNION ALL ".join(
        f"SELECT max({column}) AS d FROM {table}" for table, column in BUSINESS_DATES
    )
    row = conn.execute(f"SELECT max(d) FROM ({parts})").fetchone()
    return row[0] if row else None


def _primary_on(
    conn: duckdb.DuckDBPyConnection, pairs: list[tuple[str, date]]
) -> dict[tuple[str, date], str]:
    """The primary manager of each (client, day), where there is one."""
    if not pairs:
        return {}
    found = conn.execute(
        f"""
        WITH d AS (SELECT unnest(?) AS client_id, unnest(?) AS day)
        SELECT d.client_id, d.day, iv.manager_id
        FROM d JOIN ({assignment_intervals_sql()}) AS iv
          ON iv.client_id = d.client_id AND iv.role = 'primary'
         AND iv.valid_from <= d.day AND (iv.valid_to IS NULL OR iv.valid_to > d.day)
    """,
        [[c for c, _ in pairs], [d for _, d in pairs]],
    ).fetchall()
    return {(c, d): m for c, d, m in found}


def _episodes(
    alerts: list[dict[str, Any]], next_report: dict[tuple[str, date], date]
) -> Iterator[dict[str, Any]]:
    """The alerts (ordered by client and date) grouped into episodes, each as its first
    alert plus ``last_alert_on``, ``latest_balance`` and ``alerts``."""
    episode: dict[str, Any] | None = None
    for alert in alerts:
        if (
            episode is not None
            and episode["client_id"] == alert["client_id"]
            and next_report.get((alert["client_id"], episode["last_alert_on"])) == alert["to_date"]
            and alert["to_date"] - episode["last_alert_on"] <= timedelta(days=tiers.OUTFLOW_DAYS)
        ):
            episode.update(
                last_alert_on=alert["to_date"],
                latest_balance=alert["to_balance"],
                alerts=episode["alerts"] + 1,
            )
            continue
        if episode is not None:
            yield episode
        episode = {
            **alert,
            "started_on": alert["to_date"],
            "last_alert_on": alert["to_date"],
            "latest_balance": alert["to_balance"],
            "alerts": 1,
        }
    if episode is not None:
        yield episode


def outflow_episodes(
    conn: duckdb.DuckDBPyConnection, as_of: date, since: date | None = None
) -> list[dict[str, Any]]:
    """The large-outflow episodes started from ``since`` (None: any day) to ``as_of``,
    on the deposit reports dated up to ``as_of``, by start date and client.

    Each dict has the first alert's fields (``client_id``, ``from_balance``,
    ``from_date``, ``to_balance``, ``drop``, ``drop_ratio``, ``message_id``,
    ``position``; see ``projections.tiers.classify.large_outflows``) and ``started_on``,
    ``last_alert_on``, ``latest_balance`` (the balance the episode's last alerting
    report set), ``alerts`` (how many reports raised one) and ``manager_id`` (the
    client's primary manager on ``started_on``, None when it had none).
    """
    # Every alert up to as_of: an episode that started before ``since`` must be seen
    # whole, so that its later alerts are not taken for episodes of their own.
    alerts = tiers.large_outflows(conn, None, as_of)  # installs the tier macros used below
    clients = sorted({a["client_id"] for a in alerts})
    next_report: dict[tuple[str, date], date] = {}
    if clients:
        # The day after each alerting report's span is the client's next deposit report.
        for row in query(
            conn,
            """
                SELECT client_id, valid_from, valid_to + 1 AS next_report
                FROM tier_balance_intervals(NULL, NULL, NULL, ?, NULL, p_deposit_only := true)
                WHERE list_contains(?, client_id) AND valid_to < DATE '9999-12-31'
                """,
            [as_of, clients],
        ):
            next_report[(row["client_id"], row["valid_from"])] = row["next_report"]
    found = [e for e in _episodes(alerts, next_report) if since is None or e["started_on"] >= since]
    managers = _primary_on(conn, [(e["client_id"], e["started_on"]) for e in found])
    for episode in found:
        episode["manager_id"] = managers.get((episode["client_id"], episode["started_on"]))
    return sorted(found, key=lambda e: (e["started_on"], e["client_id"]))


_CURRENT_STAFF = """
WITH staff AS (
    SELECT m.manager_id, m.name,
           coalesce((SELECT g.grade FROM grade_changes AS g
                     WHERE g.manager_id = m.manager_id AND g.effective_on <= $as_of
                     ORDER BY g.effective_on DESC, g.position DESC LIMIT 1), m.grade) AS grade
    FROM managers AS m
    WHERE m.hired_on <= $as_of
      AND NOT EXISTS (SELECT 1 FROM departures AS d
                      WHERE d.manager_id = m.manager_id AND d.departed_on <= $as_of)
)
SELECT s.manager_id, s.name, s.grade, iv.client_id
FROM staff AS s JOIN ({intervals}) AS iv
  ON iv.manager_id = s.manager_id AND iv.role = 'primary'
 AND iv.valid_from <= $as_of AND (iv.valid_to IS NULL OR iv.valid_to > $as_of)
ORDER BY s.manager_id, iv.client_id
"""


def grade_fit_alerts(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[dict[str, Any]]:
    """The primary clients of the managers employed on ``as_of`` (hired by then, not
    departed on or before it) whose tier or maintenance level that day is beyond what
    the manager's grade that day serves; by manager and client.

    Each dict has ``manager_id``, ``name``, ``grade``, ``client_id``, ``as_of``,
    ``tier``, ``maintenance_level``, ``aum`` and what the grade serves up to
    (``serves_up_to_tier``, ``serves_up_to_level``).
    """
    book = query(
        conn, _CURRENT_STAFF.format(intervals=assignment_intervals_sql()), {"as_of": as_of}
    )
    if not book:
        return []
    in_force = {r["client_id"]: r for r in tiers.tiers(conn, as_of)}
    found = []
    for held in book:
        tier = in_force.get(held["client_id"])
        if tier is None or not grade_fit_mismatch(
            held["grade"], tier["tier"], tier["maintenance_level"]
        ):
            continue
        top_tier, top_level = GRADE_FIT[held["grade"]]
        found.append(
            {
                **held,
                "as_of": as_of,
                "tier": tier["tier"],
                "maintenance_level": tier["maintenance_level"],
                "aum": tier["aum"],
                "serves_up_to_tier": top_tier,
                "serves_up_to_level": top_level,
            }
        )
    return found


def outflow_json(row: dict[str, Any]) -> dict[str, Any]:
    """An outflow episode as JSON: dates ISO, money as 2-decimal strings, the ratio with 6."""
    return {
        "kind": "large_outflow",
        "client_id": row["client_id"],
        "manager_id": row["manager_id"],
        "started_on": row["started_on"].isoformat(),
        "from_date": row["from_date"].isoformat(),
        "from_balance": money_text(row["from_balance"]),
        "to_balance": money_text(row["to_balance"]),
        "drop": money_text(row["drop"]),
        "drop_ratio": f"{row['drop_ratio']:.6f}",
        "last_alert_on": row["last_alert_on"].isoformat(),
        "latest_balance": money_text(row["latest_balance"]),
        "alerts": row["alerts"],
        "message_id": row["message_id"],
        "position": row["position"],
    }


def grade_fit_json(row: dict[str, Any]) -> dict[str, Any]:
    """A grade-fit mismatch as JSON: the date ISO, AUM as a 2-decimal string."""
    return {
        "kind": "grade_fit_mismatch",
        "client_id": row["client_id"],
        "manager_id": row["manager_id"],
        "as_of": row["as_of"].isoformat(),
        "grade": row["grade"],
        "tier": row["tier"],
        "maintenance_level": row["maintenance_level"],
        "aum": money_text(row["aum"]),
        "serves_up_to_tier": row["serves_up_to_tier"],
        "serves_up_to_level": row["serves_up_to_level"],
    }

"""Reading accounts, role grants and the access log from the read model (docs/rules.md
R11): who holds which role now, who could see what on a given day, and what was asked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import duckdb

from projections.audit.common import query


def account_rows(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every account, by username, with ``disabled`` true or false."""
    return query(
        conn,
        """
        SELECT username, role, manager_id, branch_id, added_by, added_at, disabled_at IS NOT NULL AS disabled
        FROM accounts ORDER BY username""",
    )


def grants_on(
    conn: duckdb.DuckDBPyConnection, day: date, zone: tzinfo = UTC
) -> list[dict[str, Any]]:
    """Every role grant in force at some moment of ``day`` (midnight to midnight in
    ``zone``), by username and then grant: who could see what that day. A grant ended
    that day is listed, and so is the one that replaced it."""
    start = datetime.combine(day, time(), zone)
    return query(
        conn,
        """
        SELECT username, role, manager_id, branch_id, granted_by, position, recorded_at AS granted_at,
          to_recorded_at AS ended_at, ended_how
        FROM role_grants
        WHERE recorded_at < $end AND (to_recorded_at IS NULL OR to_recorded_at > $start)
        ORDER BY username, position""",
        {"start": start, "end": start + timedelta(days=1)},
    )


def access_log_rows(
    conn: duckdb.DuckDBPyConnection, user: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """The access log, newest first; only ``user``'s entries, and only those decided
    at or after ``since``, when given."""
    return query(
        conn,
        """
        SELECT position, decided_at, username, action, target, outcome, reason FROM access_log
        WHERE ($user IS NULL OR username = $user) AND ($since IS NULL OR decided_at >= $since)
        ORDER BY position DESC""",
        {"user": user, "since": since},
    )

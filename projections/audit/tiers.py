"""The audit's use of tiers (docs/rules.md R5.10, R8.5): grade-fit mismatches and large outflows.

The tier rules live in ``projections.tiers.classify`` (another module's); this adapter asks it
for the tier and maintenance level of the book's clients and for large outflows, and
turns the answers into findings. When the tier projection is not available the
checks are reported as ``not_checked`` rather than silently passing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import attrs
import duckdb

from domain.values import GRADE_FIT
from projections.audit.common import money_text, ratio_text, sql_in, with_article

TIER_RANK = {"mass": 0, "potential": 1, "vip": 2}
LEVEL_RANK = {"manager": 0, "sub_branch": 1, "branch": 2}


@attrs.define
class TierChecks:
    findings: list[dict[str, Any]] = attrs.Factory(list)
    grade_fit_status: str = "not_checked"
    outflow_status: str = "not_checked"


def grade_fit_mismatch(grade: str, tier: str, level: str) -> bool:
    """Whether a client of ``tier`` at maintenance ``level`` is beyond what ``grade`` serves."""
    top_tier, top_level = GRADE_FIT[grade]
    return TIER_RANK[tier] > TIER_RANK[top_tier] or LEVEL_RANK[level] > LEVEL_RANK[top_level]


def tier_findings(
    conn: duckdb.DuckDBPyConnection,
    position: int,
    primary_book: list[dict[str, Any]],
    grade: str,
    as_of: date,
    outflow_from: date,
    outflow_to: date,
) -> TierChecks:
    """Grade-fit mismatches of the primary book on ``as_of`` and the book's large
    outflows dated ``outflow_from..outflow_to``, read at ``position``."""
    checks = TierChecks()
    try:
        from projections.tiers import classify as tiers
    except ImportError:
        return checks
    positions = {b["client_id"]: b["positions"][:1] for b in primary_book}
    with only_clients(conn, sorted(positions), position):
        _check(conn, tiers, checks, positions, position, grade, as_of, outflow_from, outflow_to)
    return checks


@contextmanager
def only_clients(
    conn: duckdb.DuckDBPyConnection, client_ids: list[str], position: int
) -> Iterator[None]:
    """Shadow ``balances`` and ``clients`` with TEMP views of the given clients' rows at or
    before ``position``, so the tier macros (which read those tables by name) work on
    the book only instead of the whole bank."""
    database = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    try:
        for name in ("balances", "clients"):
            conn.execute(
                f'CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "{database}".main.{name} '
                f"WHERE position <= {int(position)} AND client_id IN {sql_in(client_ids)}"
            )
        yield
    finally:
        for name in ("balances", "clients"):
            conn.execute(f"DROP VIEW IF EXISTS temp.main.{name}")


def _check(
    conn: duckdb.DuckDBPyConnection,
    tiers: Any,
    checks: TierChecks,
    positions: dict[str, list[int]],
    position: int,
    grade: str,
    as_of: date,
    outflow_from: date,
    outflow_to: date,
) -> None:
    in_force = (
        {
            r["client_id"]: r
            for r in tiers.tiers(conn, as_of, at_position=position)
            if r["client_id"] in positions
        }
        if positions
        else {}
    )
    for client in sorted(in_force):
        row = in_force[client]
        tier, level = row["tier"], row["maintenance_level"]
        if grade_fit_mismatch(grade, tier, level):
            top_tier, top_level = GRADE_FIT[grade]
            checks.findings.append(
                {
                    "kind": "grade_fit_mismatch",
                    "subject": client,
                    "detail": f"client {client} is {tier} at {level} maintenance level on {as_of} (AUM "
                    f"{money_text(row['aum'])}); {with_article(grade)} serves up to {top_tier} at "
                    f"{top_level} level",
                    "positions": positions[client],
                    "tier": tier,
                    "maintenance_level": level,
                }
            )
    checks.grade_fit_status = "checked"
    for row in tiers.large_outflows(conn, outflow_from, outflow_to, None, at_position=position):
        client = row["client_id"]
        if client not in positions:
            continue
        checks.findings.append(
            {
                "kind": "large_outflow",
                "subject": client,
                "detail": f"client {client}: deposits fell from {money_text(row['from_balance'])} "
                f"({row['from_date']}) to {money_text(row['to_balance'])} ({row['to_date']}), "
                f"a drop of {money_text(row['drop'])} ({ratio_text(row['drop_ratio'])})",
                "positions": [int(row["position"])],
                "drop": money_text(row["drop"]),
                "as_of": row["as_of"],
            }
        )
    checks.outflow_status = "checked"

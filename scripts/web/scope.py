"""The facts the access policy needs, looked up in the read model: whose branch a
manager or client is in, which branches a branch head's branch reaches, which clients
a manager holds on a day, whether a manager has asked to leave."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb

from domain.access_policy import STATEMENT, TIER, Facts, decide
from domain.principal import BRANCH_HEAD, MANAGER, Principal
from projections.audit.views import assignment_intervals_sql

# The branches registered below a branch (``branch.registered`` with a parent, the read
# model's ``branches`` table; docs/rules.md R7.7.1), at any depth. A branch named by a
# hire or a registration but never registered reaches only itself.
_HIERARCHY = """
    WITH RECURSIVE below(branch_id) AS (
        SELECT CAST(? AS VARCHAR)
        UNION
        SELECT b.branch_id FROM branches b JOIN below ON b.parent_branch_id = below.branch_id
    )
    SELECT branch_id FROM below"""


def branches_reached(conn: duckdb.DuckDBPyConnection, branch_id: str) -> frozenset[str]:
    """``branch_id`` and every branch registered below it, at any depth."""
    return frozenset(r[0] for r in conn.execute(_HIERARCHY, [branch_id]).fetchall())


def _reached(conn: duckdb.DuckDBPyConnection, principal: Principal) -> frozenset[str]:
    if principal.role != BRANCH_HEAD or not principal.branch_id:
        return frozenset()
    return branches_reached(conn, principal.branch_id)


def manager_branches(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every manager's branch, as hired."""
    return {
        m: b
        for m, b in conn.execute(
            "SELECT manager_id, arg_min(branch_id, position) FROM managers GROUP BY manager_id"
        ).fetchall()
    }


def client_branches(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every client's branch, as registered."""
    return {
        c: b
        for c, b in conn.execute(
            "SELECT client_id, arg_min(branch_id, position) FROM clients GROUP BY client_id"
        ).fetchall()
    }


def held_clients(conn: duckdb.DuckDBPyConnection, manager_id: str, on: date) -> frozenset[str]:
    """The clients ``manager_id`` holds on ``on``, as primary or backup."""
    return frozenset(
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT client_id FROM ({assignment_intervals_sql()}) WHERE manager_id = ? "
            "AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)",
            [manager_id, on, on],
        ).fetchall()
    )


def manager_facts(conn: duckdb.DuckDBPyConnection, principal: Principal, manager_id: str) -> Facts:
    """What the policy needs to decide on ``manager_id``'s data."""
    branch = conn.execute(
        "SELECT branch_id FROM managers WHERE manager_id = ? ORDER BY position LIMIT 1",
        [manager_id],
    ).fetchone()
    requested = conn.execute(
        "SELECT 1 FROM departure_requests WHERE manager_id = ? LIMIT 1", [manager_id]
    ).fetchone()
    return Facts(
        manager_id=manager_id,
        branch_id=branch[0] if branch else None,
        reached=_reached(conn, principal),
        departure_requested=requested is not None,
    )


def client_facts(
    conn: duckdb.DuckDBPyConnection, principal: Principal, client_id: str, on: date
) -> Facts:
    """What the policy needs to decide on ``client_id``'s data as of ``on``."""
    branch = conn.execute(
        "SELECT branch_id FROM clients WHERE client_id = ? ORDER BY position LIMIT 1", [client_id]
    ).fetchone()
    own = (
        principal.role == MANAGER
        and principal.manager_id is not None
        and client_id in held_clients(conn, principal.manager_id, on)
    )
    return Facts(
        client_id=client_id,
        branch_id=branch[0] if branch else None,
        reached=_reached(conn, principal),
        own_client=own,
    )


def statement_filter(
    conn: duckdb.DuckDBPyConnection, principal: Principal
) -> Callable[[str], bool]:
    """Whether the caller may see a manager's statements, for every manager at once."""
    branches, reached = manager_branches(conn), _reached(conn, principal)
    return lambda manager_id: (
        decide(
            principal,
            STATEMENT,
            Facts(manager_id=manager_id, branch_id=branches.get(manager_id), reached=reached),
        ).allowed
    )


def tier_filter(
    conn: duckdb.DuckDBPyConnection, principal: Principal, on: date
) -> Callable[[str], bool]:
    """Whether the caller may see a client's tier on ``on``, for every client at once."""
    branches, reached = client_branches(conn), _reached(conn, principal)
    held = (
        held_clients(conn, principal.manager_id, on)
        if principal.role == MANAGER and principal.manager_id
        else frozenset()
    )
    return lambda client_id: (
        decide(
            principal,
            TIER,
            Facts(
                client_id=client_id,
                branch_id=branches.get(client_id),
                reached=reached,
                own_client=client_id in held,
            ),
        ).allowed
    )

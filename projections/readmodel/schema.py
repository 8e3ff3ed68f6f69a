"""The DuckDB read-model schema (docs/read-model.md): raw log, typed tables, pay tables.

Every table has ``position`` (notification id) and ``recorded_at`` (UTC). Money as it
arrives is DECIMAL(18,2) (an accepted amount is below 10^13, domain/limits.py), ratios
DECIMAL(18,6), business dates DATE. What is computed from many amounts (a statement's
figures) is DECIMAL(38,2), and every sum or product is taken in DECIMAL(38,x), so no
accepted history overflows (docs/limits.md).
"""

from __future__ import annotations

from decimal import Decimal

from domain.values import (
    DEFAULT_ACTIVITY_VALUES,
    DEFAULT_BACKUP_SHARE,
    DEFAULT_DISPUTE_DAYS,
    DEFAULT_GRADE_TERMS,
    DEFAULT_PLAN_EFFECTIVE_FROM,
    DEFAULT_PLAN_VERSION,
    DEFAULT_PREPAY_RATIO,
)

MONEY = "DECIMAL(18,2)"
# A statement's figures: sums over any number of accepted amounts.
WIDE_MONEY = "DECIMAL(38,2)"
RATIO = "DECIMAL(18,6)"
_COMMON = "position BIGINT NOT NULL, recorded_at TIMESTAMPTZ"

TABLES: dict[str, str] = {
    # The event's JSON is most of the read model's bytes: ZSTD instead of DuckDB's own
    # choice (DICT_FSST). why: docs/decisions.md#zstd-state
    "events": "position BIGINT NOT NULL, originator_id VARCHAR, originator_version INTEGER, "
    "topic VARCHAR, recorded_at TIMESTAMPTZ, state VARCHAR USING COMPRESSION zstd",
    "projection_state": "name VARCHAR PRIMARY KEY, position BIGINT",
    # originator id -> the business key of its aggregate (client_id, posting source id,
    # loan_id, manager_id, handover_id), from each aggregate's creation event; lets
    # later events, which carry only the originator id, be joined to their key
    # (client_id: the client of a loan, or the client itself).
    "aggregate_keys": "originator_id VARCHAR, kind VARCHAR, key VARCHAR, client_id VARCHAR, "
    "position BIGINT",
    "plans": f"{_COMMON}, version VARCHAR, effective_from DATE, grade VARCHAR, base_salary {MONEY}, "
    f"post_salary {MONEY}, commission_per_10k {MONEY}, coefficient {RATIO}, "
    f"prepay_ratio {RATIO}, backup_share {RATIO}",
    "plan_activity_values": f"{_COMMON}, version VARCHAR, effective_from DATE, kind VARCHAR, value {MONEY}",
    # A plan's version-2 settings (docs/rules.md R3.4), one row per version: the roles that
    # sign a month off, in order (empty: none), and the days a dispute may stay open. A
    # plan published before version 2 has the defaults. (Beside ``plans``, one row per
    # grade, so that the tables other code inserts into by position keep their columns.)
    "plan_settings": f"{_COMMON}, version VARCHAR, effective_from DATE, close_approvals VARCHAR[], "
    "dispute_days INTEGER",
    # Contract version 2 (docs/rules.md R7.5-R7.7, R11).
    "branches": f"{_COMMON}, branch_id VARCHAR, name VARCHAR, parent_branch_id VARCHAR, registered_on DATE, "
    "message_id VARCHAR",
    "period_approvals": f"{_COMMON}, period VARCHAR, role VARCHAR, approver_id VARCHAR, approved_on DATE, "
    "message_id VARCHAR",
    "plan_acknowledgements": f"{_COMMON}, manager_id VARCHAR, version VARCHAR, acknowledged_on DATE, "
    "message_id VARCHAR",
    # One row per dispute, from its opening (``position`` = ``opened_position``); the
    # resolution fills the rest (NULL while open). ``amount``: upheld only.
    "disputes": f"{_COMMON}, dispute_id VARCHAR, manager_id VARCHAR, period VARCHAR, posting_id VARCHAR, "
    f"claim VARCHAR, opened_on DATE, outcome VARCHAR, amount {MONEY}, reason VARCHAR, "
    "resolved_by VARCHAR, resolved_on DATE, opened_position BIGINT, resolved_position BIGINT",
    "managers": f"{_COMMON}, manager_id VARCHAR, name VARCHAR, branch_id VARCHAR, grade VARCHAR, "
    "hired_on DATE",
    "grade_changes": f"{_COMMON}, manager_id VARCHAR, grade VARCHAR, effective_on DATE, reason VARCHAR, "
    "message_id VARCHAR",
    "departure_requests": f"{_COMMON}, manager_id VARCHAR, kind VARCHAR, requested_on DATE, "
    "last_day DATE, message_id VARCHAR",
    "departure_approvals": f"{_COMMON}, manager_id VARCHAR, approver_id VARCHAR, role VARCHAR, "
    "approved_on DATE, message_id VARCHAR",
    "departures": f"{_COMMON}, manager_id VARCHAR, departed_on DATE, message_id VARCHAR",
    "clients": f"{_COMMON}, client_id VARCHAR, kind VARCHAR, branch_id VARCHAR, registered_on DATE, "
    "name VARCHAR, id_last4 VARCHAR",
    "stage_changes": f"{_COMMON}, client_id VARCHAR, stage VARCHAR, changed_on DATE, message_id VARCHAR",
    "assignment_changes": f"{_COMMON}, client_id VARCHAR, manager_id VARCHAR, role VARCHAR, "
    "origin VARCHAR, effective_on DATE, change VARCHAR, handover_id VARCHAR, "
    "message_id VARCHAR",
    "handovers": f"{_COMMON}, handover_id VARCHAR, from_manager_id VARCHAR, to_manager_id VARCHAR, "
    "reason VARCHAR, opened_on DATE, message_id VARCHAR",
    "handover_clients": f"{_COMMON}, handover_id VARCHAR, client_id VARCHAR",
    "handover_witnesses": f"{_COMMON}, handover_id VARCHAR, witness_id VARCHAR, witness_role VARCHAR, "
    "witnessed_on DATE, message_id VARCHAR",
    "handover_records": f"{_COMMON}, handover_id VARCHAR, record_ref VARCHAR, signed_on DATE, "
    "message_id VARCHAR",
    "handover_filings": f"{_COMMON}, handover_id VARCHAR, filed_on DATE, message_id VARCHAR",
    "postings": f"{_COMMON}, posting_id VARCHAR, client_id VARCHAR, category VARCHAR, class VARCHAR, "
    f"sign VARCHAR, amount {MONEY}, value_date DATE",
    "reversals": f"{_COMMON}, posting_id VARCHAR, reason VARCHAR, message_id VARCHAR",
    "balances": f"{_COMMON}, message_id VARCHAR, client_id VARCHAR, product VARCHAR, balance {MONEY}, "
    "as_of DATE",
    "activities": f"{_COMMON}, message_id VARCHAR, manager_id VARCHAR, kind VARCHAR, count INTEGER, "
    "value_date DATE",
    "adjustments": f"{_COMMON}, message_id VARCHAR, manager_id VARCHAR, period VARCHAR, kind VARCHAR, "
    f"amount {MONEY}, reason VARCHAR",
    "loan_classifications": f"{_COMMON}, loan_id VARCHAR, client_id VARCHAR, category VARCHAR, "
    f"balance {MONEY}, as_of DATE, message_id VARCHAR",
    "periods_closed": f"{_COMMON}, period VARCHAR, closed_on DATE, approved_by VARCHAR, message_id VARCHAR",
    # Accounts as they stand now (docs/rules.md R11.1): one row per account, updated by
    # role changes and disabling; never a password hash. ``position``/``recorded_at``:
    # when the account was added.
    "accounts": f"{_COMMON}, username VARCHAR, role VARCHAR, manager_id VARCHAR, branch_id VARCHAR, "
    "added_by VARCHAR, added_at TIMESTAMPTZ, changed_position BIGINT, changed_at TIMESTAMPTZ, "
    "changed_by VARCHAR, disabled_at TIMESTAMPTZ, disabled_by VARCHAR",
    # Every grant of a role, from the event that granted it (``position``/``recorded_at``)
    # to the one that ended it (a role change or disabling; NULL while it holds): who
    # could see what on any day.
    "role_grants": f"{_COMMON}, username VARCHAR, role VARCHAR, manager_id VARCHAR, branch_id VARCHAR, "
    "granted_by VARCHAR, to_position BIGINT, to_recorded_at TIMESTAMPTZ, ended_by VARCHAR, "
    "ended_how VARCHAR",
    # The access log (docs/rules.md R11.3): one row per decision, in log order.
    "access_log": f"{_COMMON}, record_id VARCHAR, username VARCHAR, action VARCHAR, target VARCHAR, "
    "outcome VARCHAR, reason VARCHAR, decided_at TIMESTAMPTZ",
    # Pay statements issued when a month was closed: frozen, one per manager employed
    # in the month, computed from the log prefix up to and including the closing event.
    # ``statement`` is the docs/contract.md C2.2 JSON object (money as 2-decimal strings).
    "statements_issued": f"{_COMMON}, period VARCHAR, manager_id VARCHAR, grade VARCHAR, "
    f"base_salary {WIDE_MONEY}, post_salary {WIDE_MONEY}, responsibility_profit {WIDE_MONEY}, "
    f"weighted_profit {WIDE_MONEY}, performance_earned {WIDE_MONEY}, prepayment {WIDE_MONEY}, "
    f"settlement {WIDE_MONEY}, compliance {WIDE_MONEY}, corrections {WIDE_MONEY}, "
    f"prior_true_up {WIDE_MONEY}, performance_due {WIDE_MONEY}, performance_paid {WIDE_MONEY}, "
    f"clawback_carried {WIDE_MONEY}, awards {WIDE_MONEY}, total {WIDE_MONEY}, statement JSON",
}

# Tables the pay projection derives (not one row per event).
DERIVED = ("statements_issued",)


# The columns of ``disputes`` that its resolution writes, later than the row's own
# ``position`` (the opening's).
DISPUTE_RESOLUTION = (
    "outcome",
    "amount",
    "reason",
    "resolved_by",
    "resolved_on",
    "resolved_position",
)


def disputes_at(table: str, position: str) -> str:
    """A SELECT of ``table`` (``disputes`` or a qualified name of it) as it stood at the
    log ``position`` (an SQL expression): the disputes opened by then, each without its
    resolution if that came later. A view at a position must use it, as every other
    table's rows are cut by ``position`` alone."""
    cut = ", ".join(
        f"CASE WHEN resolved_position <= {position} THEN {c} END AS {c}" for c in DISPUTE_RESOLUTION
    )
    return f"SELECT * REPLACE ({cut}) FROM {table} WHERE position <= {position}"


def create_all(conn: object) -> None:
    """Create every table (if missing) and the default plan's rows (position 0)."""
    execute = conn.execute  # type: ignore[attr-defined]
    for name, columns in TABLES.items():
        execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
    if execute("SELECT count(*) FROM plans WHERE position = 0").fetchone()[0]:
        return
    for grade, terms in DEFAULT_GRADE_TERMS.items():
        execute(
            "INSERT INTO plans VALUES (0, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                DEFAULT_PLAN_VERSION,
                DEFAULT_PLAN_EFFECTIVE_FROM,
                grade,
                terms.base_salary,
                terms.post_salary,
                terms.commission_per_10k,
                terms.coefficient,
                DEFAULT_PREPAY_RATIO,
                DEFAULT_BACKUP_SHARE,
            ],
        )
    execute(
        "INSERT INTO plan_settings VALUES (0, NULL, ?, ?, []::VARCHAR[], ?)",
        [DEFAULT_PLAN_VERSION, DEFAULT_PLAN_EFFECTIVE_FROM, DEFAULT_DISPUTE_DAYS],
    )
    for kind, value in DEFAULT_ACTIVITY_VALUES.items():
        execute(
            "INSERT INTO plan_activity_values VALUES (0, NULL, ?, ?, ?, ?)",
            [DEFAULT_PLAN_VERSION, DEFAULT_PLAN_EFFECTIVE_FROM, kind, Decimal(value)],
        )


def drop_all(conn: object) -> None:
    """Drop every read-model table this module owns."""
    for name in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {name}")  # type: ignore[attr-defined]

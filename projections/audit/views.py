"""The auditor's SQL: assignments as intervals, handover status, credits with attribution.

Each derived relation is written once as SQL with a ``{cut}`` predicate on
``position``: the views (``create_audit_views``) use no cut, the audit reports cut the
log at a position (``position <= $pos``) so that they show the ledger as it was known
there. All money stays DECIMAL.
"""

from __future__ import annotations

import duckdb

from projections.pay.attribution import ALL, START_CHANGES, attribution_sql, first_served_sql

__all__ = [
    "ALL",
    "AT",
    "assignment_intervals_sql",
    "first_served_sql",
    "handover_status_sql",
    "credits_sql",
    "create_audit_views",
]

AT = "position <= $pos"


def assignment_intervals_sql(cut: str = ALL) -> str:
    """One row per holding of a role: ``[valid_from, valid_to)``; valid_to NULL = open."""
    return f"""
    SELECT client_id, role, manager_id, origin, valid_from, valid_to,
           start_change, start_position, start_recorded_at, start_handover_id,
           end_change, end_position, end_recorded_at, end_handover_id
    FROM (
        SELECT client_id, role, manager_id, origin,
               effective_on AS valid_from,
               LEAD(effective_on) OVER w AS valid_to,
               change AS start_change, position AS start_position, recorded_at AS start_recorded_at,
               handover_id AS start_handover_id,
               LEAD(change) OVER w AS end_change, LEAD(position) OVER w AS end_position,
               LEAD(recorded_at) OVER w AS end_recorded_at, LEAD(handover_id) OVER w AS end_handover_id,
               change IN {START_CHANGES} AS is_start
        FROM assignment_changes
        WHERE {cut}
        WINDOW w AS (PARTITION BY client_id, role
                     ORDER BY effective_on, position, (change IN {START_CHANGES}))
    )
    WHERE is_start
    """


def handover_status_sql(cut: str = ALL) -> str:
    """One row per handover with its witnesses by role, record, filing and what is missing."""
    return f"""
    WITH h AS (SELECT * FROM handovers WHERE {cut}),
    w AS (SELECT * FROM handover_witnesses WHERE {cut}),
    r AS (SELECT handover_id, arg_min(record_ref, position) AS record_ref, min(signed_on) AS signed_on,
                 min(position) AS position
          FROM handover_records WHERE {cut} GROUP BY handover_id),
    f AS (SELECT handover_id, min(filed_on) AS filed_on, min(position) AS position
          FROM handover_filings WHERE {cut} GROUP BY handover_id),
    c AS (SELECT handover_id, count(*) AS client_count, list(client_id ORDER BY client_id) AS client_ids
          FROM handover_clients WHERE {cut} GROUP BY handover_id)
    SELECT h.handover_id, h.from_manager_id, h.to_manager_id, h.reason, h.opened_on,
           coalesce(c.client_count, 0) AS client_count, c.client_ids,
           wl.witness_id AS sub_branch_lead_id, wl.witnessed_on AS sub_branch_lead_on,
           wc.witness_id AS wealth_centre_head_id, wc.witnessed_on AS wealth_centre_head_on,
           r.record_ref, r.signed_on, f.filed_on,
           CASE WHEN f.filed_on IS NOT NULL THEN 'filed' ELSE 'open' END AS status,
           list_filter([
               CASE WHEN wl.witness_id IS NULL THEN 'witness sub_branch_lead' END,
               CASE WHEN wc.witness_id IS NULL THEN 'witness wealth_centre_head' END,
               CASE WHEN r.record_ref IS NULL THEN 'signed record' END,
               CASE WHEN f.filed_on IS NULL THEN 'filing' END], lambda x: x IS NOT NULL) AS missing,
           h.position AS opened_position,
           list_filter([wl.position, wc.position, r.position, f.position], lambda x: x IS NOT NULL)
               AS progress_positions
    FROM h
    LEFT JOIN c USING (handover_id)
    LEFT JOIN w AS wl ON wl.handover_id = h.handover_id AND wl.witness_role = 'sub_branch_lead'
    LEFT JOIN w AS wc ON wc.handover_id = h.handover_id AND wc.witness_role = 'wealth_centre_head'
    LEFT JOIN r ON r.handover_id = h.handover_id
    LEFT JOIN f ON f.handover_id = h.handover_id
    """


def credits_sql(cut: str = ALL, client_filter: str = ALL, manager_filter: str = ALL) -> str:
    """Every amount credited to a manager: postings, loan-loss charges and activities,
    as ``projections.pay.attribution.attribution_sql`` attributes them on the log cut at ``cut``.

    Columns: ``kind`` (posting/charge/activity), ``source_id``, ``client_id``,
    ``manager_id`` (NULL: unattributed), ``role``, ``origin``, ``category``, ``class``,
    ``sign`` (income/cost/charge), ``amount`` (as booked; a charge may be negative),
    ``share``, ``credited`` (signed contribution to responsibility profit: 0 when
    unattributed or reversed), ``on_date``, ``first_served_on``, ``is_new``,
    ``position``, ``recorded_at``, ``reversed_position`` (NULL unless reversed).
    ``client_filter`` and ``manager_filter`` are SQL predicates on the unqualified
    ``client_id`` / ``manager_id`` that narrow the work early.
    """
    return f"""
    SELECT kind, source_id, client_id, manager_id, role, origin, category, class, sign, amount, share,
           CASE WHEN manager_id IS NULL OR reversed_position IS NOT NULL THEN 0
                WHEN sign = 'income' THEN credited_amount ELSE -credited_amount END AS credited,
           on_date, first_served_on, is_new, position, recorded_at, reversed_position
    FROM ({attribution_sql(cut, client_filter=client_filter, activity_filter=manager_filter)})
    -- a primary's share is 0 under a backup share of 1: not listed
    WHERE (manager_id IS NULL OR share > 0) AND (({manager_filter}) OR manager_id IS NULL)
    """


VIEWS: dict[str, str] = {
    "assignment_intervals": assignment_intervals_sql(),
    "client_first_served": first_served_sql(),
    "handover_status": handover_status_sql(),
    "credits": credits_sql(),
}


def create_audit_views(conn: duckdb.DuckDBPyConnection) -> None:
    """CREATE OR REPLACE the auditor's views; call after each catch-up (idempotent)."""
    for name, sql in VIEWS.items():
        conn.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
    conn.execute(
        """
        CREATE OR REPLACE VIEW posting_attribution AS
        SELECT p.posting_id, p.client_id, p.category, p.class, p.sign, p.amount, p.value_date,
               c.manager_id, c.role, c.origin, c.share, c.credited, c.first_served_on, c.is_new,
               c.manager_id IS NULL AS unattributed, c.reversed_position IS NOT NULL AS reversed,
               c.reversed_position, p.position, p.recorded_at
        FROM postings p JOIN credits c ON c.kind = 'posting' AND c.source_id = p.posting_id
        """
    )

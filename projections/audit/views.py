"""The auditor's SQL: assignments as intervals, handover status, credits with attribution.

Each derived relation is written once as SQL with a ``{cut}`` predicate on
``position``: the views (``create_audit_views``) use no cut, the audit reports cut the
log at a position (``position <= $pos``) so that they show the ledger as it was known
there. All money stays DECIMAL; nothing here is rounded.
"""

from __future__ import annotations

import duckdb

ALL = "TRUE"
AT = "position <= $pos"

START_CHANGES = "('assigned', 'handover_in')"


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


def first_served_sql(cut: str = ALL) -> str:
    return f"""
    SELECT client_id, min(effective_on) AS first_served_on
    FROM assignment_changes
    WHERE {cut} AND role = 'primary' AND change IN {START_CHANGES}
    GROUP BY client_id
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


def plan_shares_sql(cut: str = ALL) -> str:
    """The backup share in force from each effective date (the latest published version
    for a date wins)."""
    return f"""
    SELECT effective_from, arg_max(backup_share, position) AS backup_share
    FROM plans WHERE ({cut}) OR position = 0 GROUP BY effective_from
    """


def credits_sql(cut: str = ALL, client_filter: str = ALL, manager_filter: str = ALL) -> str:
    """Every amount credited to a manager: postings, loan-loss charges and activities.

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
    WITH iv AS (SELECT * FROM ({assignment_intervals_sql(cut)}) WHERE {client_filter}),
    fs AS ({first_served_sql(cut)}),
    plan AS ({plan_shares_sql(cut)}),
    rv AS (SELECT posting_id, min(position) AS reversed_position
           FROM reversals WHERE {cut} GROUP BY posting_id),
    lc AS (
        SELECT loan_id, client_id, category, balance, as_of, position, recorded_at,
               balance * CASE category WHEN 'substandard' THEN 0.30 WHEN 'doubtful' THEN 0.50
                                       WHEN 'loss' THEN 1.00 ELSE 0 END AS required
        FROM loan_classifications WHERE ({cut}) AND ({client_filter})
    ),
    items AS (
        SELECT 'posting' AS kind, posting_id AS source_id, client_id, category, class, sign, amount,
               CASE WHEN sign = 'income' THEN amount ELSE -amount END AS signed,
               value_date AS on_date, position, recorded_at, reversed_position
        FROM (SELECT * FROM postings WHERE ({cut}) AND ({client_filter})) LEFT JOIN rv USING (posting_id)
        UNION ALL
        SELECT 'charge', loan_id || '@' || CAST(as_of AS VARCHAR) || '#' || CAST(position AS VARCHAR),
               client_id, category, 'loan', 'charge', charge, -charge, as_of, position, recorded_at, NULL
        FROM (SELECT *, required - coalesce(LAG(required) OVER (PARTITION BY loan_id
                                                                 ORDER BY as_of, position), 0) AS charge
              FROM lc)
    ),
    dated AS (
        SELECT items.*, plan.backup_share
        FROM items ASOF LEFT JOIN plan ON items.on_date >= plan.effective_from
    ),
    -- docs/rules.md R5.5, R5.6: the primary in force is credited; with a plan's backup share s > 0
    -- and a backup also in force, the backup gets s and the primary 1 - s. Without a
    -- primary nobody is credited (the line is unattributed), not even a backup.
    withp AS (
        SELECT d.*, pr.manager_id AS primary_id, pr.origin AS primary_origin
        FROM dated d
        LEFT JOIN iv AS pr ON pr.role = 'primary' AND pr.client_id = d.client_id AND d.on_date >= pr.valid_from
                           AND (pr.valid_to IS NULL OR d.on_date < pr.valid_to)
    ),
    withb AS (
        SELECT w.*, bk.manager_id AS backup_id, bk.origin AS backup_origin
        FROM withp w
        LEFT JOIN iv AS bk ON bk.role = 'backup' AND w.primary_id IS NOT NULL AND w.backup_share > 0
                           AND bk.client_id = w.client_id AND w.on_date >= bk.valid_from
                           AND (bk.valid_to IS NULL OR w.on_date < bk.valid_to)
    ),
    attributed AS (
        SELECT withb.*, primary_id AS manager_id, CASE WHEN primary_id IS NOT NULL THEN 'primary' END AS role,
               primary_origin AS origin,
               CASE WHEN backup_id IS NOT NULL THEN 1 - backup_share ELSE CAST(1 AS DECIMAL(18,6)) END AS share
        FROM withb
        UNION ALL
        SELECT withb.*, backup_id, 'backup', backup_origin, backup_share
        FROM withb WHERE backup_id IS NOT NULL
    ),
    activity_values AS (
        SELECT kind, effective_from, arg_max(value, position) AS value
        FROM plan_activity_values WHERE ({cut}) OR position = 0 GROUP BY kind, effective_from
    ),
    activity AS (
        SELECT a.message_id AS source_id, a.manager_id, a.kind AS category,
               CAST(a.count AS DECIMAL(38,2)) * coalesce(v.value, 0) AS amount, a.value_date AS on_date, a.position, a.recorded_at
        FROM (SELECT * FROM activities WHERE ({cut}) AND ({manager_filter})) a
        ASOF LEFT JOIN activity_values v ON a.kind = v.kind AND a.value_date >= v.effective_from
    )
    SELECT kind, source_id, client_id, manager_id, role, origin, category, class, sign, amount, share,
           CASE WHEN manager_id IS NULL OR reversed_position IS NOT NULL THEN 0
                ELSE signed * share END AS credited,
           on_date, fs.first_served_on,
           coalesce(origin = 'acquired' AND on_date - fs.first_served_on < 365, FALSE) AS is_new,
           position, recorded_at, reversed_position
    FROM attributed LEFT JOIN fs USING (client_id)
    WHERE (manager_id IS NULL OR share > 0) AND (({manager_filter}) OR manager_id IS NULL)
    UNION ALL
    SELECT 'activity', source_id, NULL, manager_id, NULL, NULL, category, 'other', 'income', amount,
           1, amount, on_date, NULL, TRUE, position, recorded_at, NULL
    FROM activity
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

"""Credit attribution in SQL: every posting, loan-loss charge and activity as the
lines credited to managers (docs/rules.md R5, R6, R7.1), and their monthly aggregates.

A line is credited through the assignment in force on its date (the primary; with a
plan's backup share ``s`` > 0 and a backup in force, the backup gets ``s`` and the
primary ``1 − s``). Lines on a date with no primary are unattributed
(``manager_id`` NULL, ``role`` 'unattributed'): listed, never paid.
"""

from __future__ import annotations

from datetime import date
from typing import Any

# Plan values in force on a date: latest effective_from on or before it; for the same
# effective_from, the version published last.
_PLAN_SHARES = """
    SELECT effective_from, any_value(backup_share) AS backup_share FROM (
      SELECT * FROM plans QUALIFY rank() OVER (PARTITION BY effective_from ORDER BY position DESC) = 1)
    GROUP BY effective_from"""

_TIMELINE = """
    SELECT client_id, role, effective_on,
      CASE WHEN change IN ('assigned', 'handover_in') THEN manager_id END AS holder,
      CASE WHEN change IN ('assigned', 'handover_in') THEN origin END AS origin
    FROM assignment_changes WHERE change <> 'handover_out'
    QUALIFY row_number() OVER (PARTITION BY client_id, role, effective_on ORDER BY position DESC) = 1"""

_RATE = ("CASE category WHEN 'substandard' THEN 0.30 WHEN 'doubtful' THEN 0.50 "
         "WHEN 'loss' THEN 1.00 ELSE 0 END")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# A count (up to 10^6) times a plan value (below 10^13) can pass 10^18, which DuckDB's
# DECIMAL(18) product cannot hold: the count is widened first (docs/limits.md).
def credit_lines_sql(until: date | None = None, since: date | None = None, manager_id: str | None = None) -> str:
    """SQL for every credited line with value date in [since, until]; parameters: none.

    With ``manager_id`` only the lines of clients that manager ever held (and the
    manager's own activities) are attributed: the lines credited to that manager are
    the same, found without attributing the whole bank (a manager's history and
    audit ask for one manager; callers still filter on ``manager_id``).

    Columns: kind ('posting'/'charge'/'activity'), ref, client_id, category, class,
    sign, value_date, month, manager_id, role, origin, first_served_on, age_days,
    is_new, share, amount (credited, DECIMAL(38,8); a charge may be negative).
    """
    lo = f"DATE '{since.isoformat()}'" if since else "DATE '0001-01-01'"
    hi = f"DATE '{until.isoformat()}'" if until else "DATE '9999-12-31'"
    if manager_id is None:
        posting_scope = charge_scope = activity_scope = "true"
    else:
        clients = f"(SELECT client_id FROM assignment_changes WHERE manager_id = {_quoted(manager_id)})"
        posting_scope = f"p.client_id IN {clients}"
        charge_scope = f"client_id IN {clients}"
        activity_scope = f"a.manager_id = {_quoted(manager_id)}"
    return f"""
    WITH
    timeline AS ({_TIMELINE}),
    prim AS (SELECT * FROM timeline WHERE role = 'primary'),
    back AS (SELECT * FROM timeline WHERE role = 'backup'),
    shares AS ({_PLAN_SHARES}),
    fso AS (
      SELECT client_id, min(effective_on) AS first_served_on FROM assignment_changes
      WHERE role = 'primary' AND change IN ('assigned', 'handover_in') GROUP BY client_id),
    provisions AS (
      SELECT loan_id, client_id, as_of, position,
        CAST(balance * {_RATE} AS DECIMAL(38,8)) AS required
      FROM loan_classifications),
    charges AS (
      SELECT loan_id, client_id, as_of, position,
        required - coalesce(lag(required) OVER (PARTITION BY loan_id ORDER BY as_of, position), 0)
          AS charge
      FROM provisions),
    raw AS (
      SELECT 'posting' AS kind, p.posting_id AS ref, p.client_id, p.category, p.class, p.sign,
        p.value_date, CAST(p.amount AS DECIMAL(38,8)) AS amount
      FROM postings p ANTI JOIN reversals r ON r.posting_id = p.posting_id
      WHERE p.value_date BETWEEN {lo} AND {hi} AND {posting_scope}
      UNION ALL
      SELECT 'charge', loan_id || '@' || CAST(as_of AS VARCHAR) || '#' || CAST(position AS VARCHAR),
        client_id, 'loan_loss_charge', 'loan', 'cost', as_of, CAST(charge AS DECIMAL(38,8))
      FROM charges WHERE charge <> 0 AND as_of BETWEEN {lo} AND {hi} AND {charge_scope}),
    withp AS (
      SELECT raw.*, prim.holder AS primary_id, prim.origin AS primary_origin
      FROM raw ASOF LEFT JOIN prim ON raw.client_id = prim.client_id AND raw.value_date >= prim.effective_on),
    withb AS (
      SELECT withp.*, back.holder AS backup_id, back.origin AS backup_origin
      FROM withp ASOF LEFT JOIN back ON withp.client_id = back.client_id AND withp.value_date >= back.effective_on),
    withs AS (
      SELECT withb.*, coalesce(shares.backup_share, 0) AS s, fso.first_served_on
      FROM withb ASOF LEFT JOIN shares ON withb.value_date >= shares.effective_from
      LEFT JOIN fso ON fso.client_id = withb.client_id),
    split AS (
      SELECT *, primary_id AS manager_id,
        CASE WHEN primary_id IS NULL THEN 'unattributed' ELSE 'primary' END AS role,
        primary_origin AS origin,
        CASE WHEN primary_id IS NOT NULL AND backup_id IS NOT NULL AND s > 0 THEN 1 - s
             ELSE CAST(1 AS DECIMAL(18,6)) END AS share
      FROM withs
      UNION ALL
      SELECT *, backup_id, 'backup', backup_origin, s
      FROM withs WHERE primary_id IS NOT NULL AND backup_id IS NOT NULL AND s > 0),
    acts AS (
      SELECT a.*, v.value FROM activities a ASOF LEFT JOIN (
        SELECT kind, effective_from, any_value(value) AS value FROM (
          SELECT * FROM plan_activity_values
          QUALIFY rank() OVER (PARTITION BY kind, effective_from ORDER BY position DESC) = 1)
        GROUP BY kind, effective_from) v
      ON a.kind = v.kind AND a.value_date >= v.effective_from
      WHERE a.value_date BETWEEN {lo} AND {hi} AND {activity_scope})
    SELECT kind, ref, client_id, category, class, sign, value_date, strftime(value_date, '%Y-%m') AS month,
      manager_id, role, origin, first_served_on,
      CASE WHEN first_served_on IS NOT NULL THEN value_date - first_served_on END AS age_days,
      coalesce(origin = 'acquired' AND value_date - first_served_on < 365, false) AS is_new,
      CAST(share AS DECIMAL(18,6)) AS share,
      CAST(amount * share AS DECIMAL(38,8)) AS amount
    FROM split
    UNION ALL
    SELECT 'activity', message_id, NULL, kind, 'other', 'income', value_date, strftime(value_date, '%Y-%m'),
      manager_id, 'recorder', NULL, NULL, NULL, true, CAST(1 AS DECIMAL(18,6)),
      CAST(CAST(count AS DECIMAL(20,0)) * coalesce(value, 0) AS DECIMAL(38,8))
    FROM acts"""


def monthly_aggregates_sql(until: date, manager_id: str | None = None,
                           since: date | None = None) -> tuple[str, list[Any]]:
    """Per manager, month, class and stock/new: income, cost (postings), charge, and
    Σ amount × age_days of stock income, for value dates up to ``until`` (and from
    ``since``: the first day of a month, or a month's figures come out partial)."""
    where = "manager_id IS NOT NULL"
    params: list[Any] = []
    if manager_id is not None:
        where += " AND manager_id = ?"
        params.append(manager_id)
    sql = f"""
    SELECT manager_id, month, class, is_new,
      sum(CASE WHEN sign = 'income' THEN amount ELSE 0 END) AS income,
      sum(CASE WHEN sign = 'cost' AND kind <> 'charge' THEN amount ELSE 0 END) AS cost,
      sum(CASE WHEN kind = 'charge' THEN amount ELSE 0 END) AS charge,
      sum(CASE WHEN sign = 'income' AND NOT is_new THEN CAST(amount * age_days AS DECIMAL(38,8))
          ELSE 0 END) AS income_age_days
    FROM ({credit_lines_sql(until, since, manager_id=manager_id)}) WHERE {where}
    GROUP BY ALL ORDER BY ALL"""
    return sql, params

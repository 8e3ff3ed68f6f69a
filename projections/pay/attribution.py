"""Credit attribution in SQL: every posting, loan-loss charge and activity as the
lines credited to managers (docs/rules.md R5, R6, R7.1), and their monthly aggregates.

A line is credited through the assignment in force on its date (the primary; with a
plan's backup share ``s`` > 0 and a backup in force, the backup gets ``s`` and the
primary ``1 − s``). Lines on a date with no primary are unattributed
(``manager_id`` NULL): listed, never paid.

``attribution_sql`` is the one statement of these rules. Pay reads it through
``credit_lines_sql`` (the log as it is, reversed postings and nil charges left out);
the audit through ``projections.audit.views.credits_sql`` (the log cut at a position,
everything listed).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.values import DAYS_PER_YEAR, PROVISION_RATES

# The cut predicate that keeps the whole log (the audit's is ``position <= $pos``).
ALL = "TRUE"

START_CHANGES = "('assigned', 'handover_in')"


def first_served_sql(cut: str = ALL, client_filter: str = ALL) -> str:
    """Each client's ``first_served_on`` (docs/rules.md R5.4): the earliest date a
    primary took effect, handovers included."""
    return f"""
    SELECT client_id, min(effective_on) AS first_served_on FROM assignment_changes
    WHERE ({cut}) AND ({client_filter}) AND role = 'primary' AND change IN {START_CHANGES}
    GROUP BY client_id"""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# The required provision rate of a classification's category (docs/rules.md R6.4), as
# the domain states it; every category has one, so there is no ELSE.
_RATE = (
    "CASE category "
    + " ".join(
        f"WHEN {_quoted(category)} THEN {rate}" for category, rate in PROVISION_RATES.items()
    )
    + " END"
)


# A count (up to 10^6) times a plan value (below 10^13) can pass 10^18, which DuckDB's
# DECIMAL(18) product cannot hold: the count is widened first (docs/limits.md).
def attribution_sql(
    cut: str = ALL,
    since: date | None = None,
    until: date | None = None,
    client_filter: str = ALL,
    activity_filter: str = ALL,
) -> str:
    """SQL for every line credited, with value date in [since, until], on the log as
    known where ``cut`` (a predicate on ``position``) holds.

    ``client_filter`` (a predicate on an unqualified ``client_id``) narrows the clients
    whose postings and charges are attributed, ``activity_filter`` (on ``manager_id``)
    the activities; neither changes the lines of the clients and managers kept. The
    date bounds filter the lines, never the assignments or the classifications before
    them (a charge is the change from the previous classification).

    Columns: kind ('posting'/'charge'/'activity'), source_id, client_id (NULL for an
    activity), category (a charge: the loan's new category), class, sign
    ('income'/'cost'/'charge'), amount (as booked, DECIMAL(38,8); a charge may be
    negative), on_date, position, recorded_at, reversed_position (a posting reversed at
    the cut; NULL otherwise), manager_id (NULL: unattributed; an activity: its
    recorder), role ('primary'/'backup'; NULL when unattributed and for an activity),
    origin, share (DECIMAL(18,6)), credited_amount (amount × share, DECIMAL(38,8)),
    first_served_on, age_days (NULL for an activity), is_new.
    """
    lo = f"DATE '{since.isoformat()}'" if since else "DATE '0001-01-01'"
    hi = f"DATE '{until.isoformat()}'" if until else "DATE '9999-12-31'"
    return f"""
    WITH
    -- docs/rules.md R5.5: who holds a role from each date on (NULL: nobody); of several
    -- changes the same day the one recorded last. A handover's handover_out shares its
    -- position with the handover_in it makes way for, so it is left out.
    timeline AS (
      SELECT client_id, role, effective_on,
        CASE WHEN change IN {START_CHANGES} THEN manager_id END AS holder,
        CASE WHEN change IN {START_CHANGES} THEN origin END AS origin
      FROM assignment_changes WHERE ({cut}) AND ({client_filter}) AND change <> 'handover_out'
      QUALIFY row_number() OVER (PARTITION BY client_id, role, effective_on ORDER BY position DESC) = 1),
    prim AS (SELECT * FROM timeline WHERE role = 'primary'),
    back AS (SELECT * FROM timeline WHERE role = 'backup'),
    -- Plan values in force on a date: latest effective_from on or before it; for the
    -- same effective_from, the version published last.
    shares AS (
      SELECT effective_from, arg_max(backup_share, position) AS backup_share
      FROM plans WHERE {cut} GROUP BY effective_from),
    activity_values AS (
      SELECT kind, effective_from, arg_max(value, position) AS value
      FROM plan_activity_values WHERE {cut} GROUP BY kind, effective_from),
    fso AS ({first_served_sql(cut, client_filter)}),
    rv AS (SELECT posting_id, min(position) AS reversed_position FROM reversals WHERE {cut} GROUP BY posting_id),
    -- docs/rules.md R6.4, R6.5
    provisions AS (
      SELECT loan_id, client_id, category, as_of, position, recorded_at,
        CAST(balance * {_RATE} AS DECIMAL(38,8)) AS required
      FROM loan_classifications WHERE ({cut}) AND ({client_filter})),
    charges AS (
      SELECT *, required - coalesce(lag(required) OVER (PARTITION BY loan_id ORDER BY as_of, position), 0)
          AS charge
      FROM provisions),
    raw AS (
      SELECT 'posting' AS kind, p.posting_id AS source_id, p.client_id, p.category, p.class, p.sign,
        CAST(p.amount AS DECIMAL(38,8)) AS amount, p.value_date AS on_date, p.position, p.recorded_at,
        rv.reversed_position
      FROM postings p LEFT JOIN rv USING (posting_id)
      WHERE ({cut}) AND ({client_filter}) AND p.value_date BETWEEN {lo} AND {hi}
      UNION ALL
      SELECT 'charge', loan_id || '@' || CAST(as_of AS VARCHAR) || '#' || CAST(position AS VARCHAR),
        client_id, category, 'loan', 'charge', CAST(charge AS DECIMAL(38,8)), as_of, position, recorded_at, NULL
      FROM charges WHERE as_of BETWEEN {lo} AND {hi}),
    withp AS (
      SELECT raw.*, prim.holder AS primary_id, prim.origin AS primary_origin
      FROM raw ASOF LEFT JOIN prim ON raw.client_id = prim.client_id AND raw.on_date >= prim.effective_on),
    withb AS (
      SELECT withp.*, back.holder AS backup_id, back.origin AS backup_origin
      FROM withp ASOF LEFT JOIN back ON withp.client_id = back.client_id AND withp.on_date >= back.effective_on),
    withs AS (
      SELECT withb.*, coalesce(shares.backup_share, 0) AS s, fso.first_served_on
      FROM withb ASOF LEFT JOIN shares ON withb.on_date >= shares.effective_from
      LEFT JOIN fso ON fso.client_id = withb.client_id),
    -- docs/rules.md R5.5, R5.6: the primary in force is credited; with a plan's backup
    -- share s > 0 and a backup also in force, the backup gets s and the primary 1 - s.
    -- Without a primary nobody is credited (the line is unattributed), not even a backup.
    split AS (
      SELECT *, primary_id AS manager_id,
        CASE WHEN primary_id IS NOT NULL THEN 'primary' END AS role,
        primary_origin AS origin,
        CASE WHEN primary_id IS NOT NULL AND backup_id IS NOT NULL AND s > 0 THEN 1 - s
             ELSE CAST(1 AS DECIMAL(18,6)) END AS share
      FROM withs
      UNION ALL
      SELECT *, backup_id, 'backup', backup_origin, s
      FROM withs WHERE primary_id IS NOT NULL AND backup_id IS NOT NULL AND s > 0),
    -- docs/rules.md R6.6
    acts AS (
      SELECT a.*, v.value FROM (
        SELECT * FROM activities WHERE ({cut}) AND ({activity_filter}) AND value_date BETWEEN {lo} AND {hi}) a
      ASOF LEFT JOIN activity_values v ON a.kind = v.kind AND a.value_date >= v.effective_from)
    -- docs/rules.md R7.1
    SELECT kind, source_id, client_id, category, class, sign, amount, on_date, position, recorded_at,
      reversed_position, manager_id, role, origin, CAST(share AS DECIMAL(18,6)) AS share,
      CAST(amount * share AS DECIMAL(38,8)) AS credited_amount, first_served_on,
      CASE WHEN first_served_on IS NOT NULL THEN on_date - first_served_on END AS age_days,
      coalesce(origin = 'acquired' AND on_date - first_served_on < {DAYS_PER_YEAR}, false) AS is_new
    FROM split
    UNION ALL
    SELECT 'activity', message_id, NULL, kind, 'other', 'income', amount, value_date, position, recorded_at,
      NULL, manager_id, NULL, NULL, CAST(1 AS DECIMAL(18,6)), amount, NULL, NULL, true
    FROM (SELECT *, CAST(CAST(count AS DECIMAL(20,0)) * coalesce(value, 0) AS DECIMAL(38,8)) AS amount FROM acts)"""


def credit_lines_sql(
    until: date | None = None, since: date | None = None, manager_id: str | None = None
) -> str:
    """SQL for the lines pay counts, value date in [since, until]; parameters: none.

    The rows of ``attribution_sql`` on the whole log but reversed postings and nil
    charges, named for pay: a charge is category 'loan_loss_charge', sign 'cost'; the
    role of an unattributed line is 'unattributed', of an activity 'recorder'.

    With ``manager_id`` only the lines of clients that manager ever held (and the
    manager's own activities) are attributed: the lines credited to that manager are
    the same, found without attributing the whole bank (a manager's history and
    audit ask for one manager; callers still filter on ``manager_id``).

    Columns: kind ('posting'/'charge'/'activity'), ref, client_id, category, class,
    sign, value_date, month, manager_id, role, origin, first_served_on, age_days,
    is_new, share, amount (credited, DECIMAL(38,8); a charge may be negative).
    """
    client_filter = activity_filter = ALL
    if manager_id is not None:
        client_filter = f"client_id IN (SELECT client_id FROM assignment_changes WHERE manager_id = {_quoted(manager_id)})"
        activity_filter = f"manager_id = {_quoted(manager_id)}"
    return f"""
    SELECT kind, source_id AS ref, client_id,
      CASE WHEN kind = 'charge' THEN 'loan_loss_charge' ELSE category END AS category, class,
      CASE WHEN kind = 'charge' THEN 'cost' ELSE sign END AS sign,
      on_date AS value_date, strftime(on_date, '%Y-%m') AS month, manager_id,
      CASE WHEN kind = 'activity' THEN 'recorder' ELSE coalesce(role, 'unattributed') END AS role,
      origin, first_served_on, age_days, is_new, share, credited_amount AS amount
    FROM ({attribution_sql(ALL, since, until, client_filter, activity_filter)})
    WHERE reversed_position IS NULL AND NOT (kind = 'charge' AND amount = 0)"""


def monthly_aggregates_sql(
    until: date, manager_id: str | None = None, since: date | None = None
) -> tuple[str, list[Any]]:
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

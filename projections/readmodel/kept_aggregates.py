"""Monthly aggregates kept from one close to the next while the loader follows the log.

At each ``Period.Closed`` the loader issues the month's statements, and the true-up
needs every month of every manager since hire: ``monthly_aggregates_sql`` attributes
the whole history again at every close (why keep them:
docs/decisions.md#kept-aggregates). Most of it cannot have changed since the close before: a month's
aggregates change only through a row loaded since then that reaches back to it
(``projections/pay/attribution.py`` is the reference for what each row reaches):

- a posting or an activity: its own value date;
- a reversal: the value date of the posting it reverses;
- a loan classification: its own as-of date (it also changes the charge of the loan's
  next classification, whose as-of date is never earlier);
- an assignment change: every date from its effective date on (the timeline in force
  from then; the client's first-served date, and so every age, can only move to it);
- a plan or an activity value: every date from its effective date on.

So the months before the earliest such date are kept, and only the months from it on
are attributed again (``credit_lines_sql`` filters the lines, never the timeline, the
charges or the plans). Whatever is kept was computed inside the loader's own
transactions; the loader forgets it on a rollback or a rebuild, and every other reader
(``rmledger pay``, explain, audit) computes the whole history as before.

What this rests on: the rows at or below a position are the same every time they are
loaded, because the event log they come from is never changed (``rmledger verify``
checks that). So another ``ReadModel`` on the same file may rebuild or catch up in the
meantime: what it loads at or below the kept position is what was kept, and what it
loads above is looked at like any other new row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from domain.values import month_of
from projections.pay.attribution import monthly_aggregates_sql

# One row of ``monthly_aggregates_sql``: manager_id, month ('YYYY-MM'), class, is_new,
# income, cost, charge, income_age_days.
AggregateRow = tuple[Any, ...]

EARLIEST_CHANGE_SQL = """
    SELECT min(d) FROM (
      SELECT min(value_date) AS d FROM postings WHERE position > $after
      UNION ALL
      SELECT min(p.value_date) FROM reversals r JOIN postings p USING (posting_id) WHERE r.position > $after
      UNION ALL
      SELECT min(as_of) FROM loan_classifications WHERE position > $after
      UNION ALL
      SELECT min(value_date) FROM activities WHERE position > $after
      UNION ALL
      SELECT min(effective_on) FROM assignment_changes WHERE position > $after
      UNION ALL
      SELECT min(effective_from) FROM plans WHERE position > $after
      UNION ALL
      SELECT min(effective_from) FROM plan_activity_values WHERE position > $after)"""


@dataclass(frozen=True)
class KeptAggregates:
    """The monthly aggregates of every value date up to ``until``, as the read model
    stood at ``position``."""

    position: int
    until: date
    rows: list[AggregateRow]
    # The first month ('YYYY-MM') attributed again rather than kept; None when the
    # whole history was attributed.
    recomputed_from: str | None = None


def earliest_change(conn: duckdb.DuckDBPyConnection, after_position: int) -> date | None:
    """The earliest date whose aggregates a row loaded after ``after_position`` can
    change (see the module docstring); ``None`` when no such row was loaded."""
    row = conn.execute(EARLIEST_CHANGE_SQL, {"after": after_position}).fetchone()
    return row[0] if row else None


def monthly_aggregates(
    conn: duckdb.DuckDBPyConnection, until: date, position: int, kept: KeptAggregates | None = None
) -> KeptAggregates:
    """The rows of ``monthly_aggregates_sql(until)`` with the read model at ``position``:
    from ``kept`` for the months no row loaded since can change, from SQL for the rest."""
    if kept is None or position < kept.position:
        sql, params = monthly_aggregates_sql(until)
        return KeptAggregates(position, until, conn.execute(sql, params).fetchall())
    change = earliest_change(conn, kept.position)
    # Lines dated after kept.until were left out of what was kept: from there on
    # everything is attributed now, and from earlier if a new row reaches back.
    start = kept.until + timedelta(days=1)
    if change is not None and change < start:
        start = change
    first_recomputed = month_of(start)
    rows = [row for row in kept.rows if row[1] < first_recomputed and row[1] <= month_of(until)]
    since = start.replace(day=1)
    if since <= until:
        sql, params = monthly_aggregates_sql(until, since=since)
        rows.extend(conn.execute(sql, params).fetchall())
    # In the order of the SQL's ORDER BY ALL (a row's first four values are its group).
    rows.sort(key=lambda row: (row[0], row[1], row[2] or "", row[3]))
    return KeptAggregates(position, until, rows, first_recomputed)

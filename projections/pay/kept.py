"""The pay rules' running state kept from one close to the next while the loader
follows the log.

At each close the loader issues the month's statements, and a month's figures rest on
every month before it since the hire: the running true-up (§7.3) and the half's
earned PP and prepayments. Computed from each hire at every close, that is most of
the Python a rebuild runs (why keep it: docs/decisions.md#kept-pay-state).

A month's pay changes only through what ``load_pay_data`` reads: its monthly
aggregates (``projections/readmodel/kept_aggregates.py`` says which months were attributed
again), the grade and the plan in force, the departure, the hire, the month's
adjustments, and whether the month was closed and what its statement paid. So the
loader keeps, for every manager of the last close, the running state at the start of
each month (``RunningState``), and at the next close starts again from the earliest
month any of those can have changed (``resume_at_close``; the months before it are
neither computed again nor given their aggregates). Whatever starts there computes to
exactly the figures a computation from the hire gives: the tests compare the two, the
statements and every running state, at every close.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from domain.values import month_of
from projections.pay.rules import RunningState
from projections.readmodel.kept_aggregates import KeptAggregates

# The earliest date whose pay a row loaded after $after can change, from the tables
# ``load_pay_data`` reads whose rows may reach back into a kept month: a grade change
# from its effective date, a compliance adjustment its month (an award for a closed
# month is refused), an upheld dispute the month it was resolved in (docs/rules.md R7.6;
# resolved_position, as a resolution is written into its dispute's row). The others cannot, or are looked at elsewhere: plans, by the
# monthly aggregates (``earliest_change``), which start again from a plan's effective
# date; managers, as a manager not seen at the last close has nothing kept; departures,
# which only end the months of a manager still employed in the month being closed;
# periods_closed and statements_issued, which change only at a close (see
# ``resume_at_close``). ``tests/projections/readmodel/test_kept_aggregates.py`` holds this list to the SQL.
EARLIEST_PAY_CHANGE_SQL = """
    SELECT min(d) FROM (
      SELECT min(effective_on) AS d FROM grade_changes WHERE position > $after
      UNION ALL
      SELECT min(CAST(period || '-01' AS DATE)) FROM adjustments WHERE position > $after
      UNION ALL
      SELECT min(resolved_on) FROM disputes WHERE resolved_position > $after AND outcome = 'upheld')"""


@dataclass(frozen=True)
class KeptClose:
    """What the loader keeps from a close for the next: the monthly aggregates, the
    month closed and, for every manager whose statement was computed then, the
    running state at the start of each of their months up to it."""

    aggregates: KeptAggregates
    period: str
    starts: dict[str, dict[str, RunningState]]


@dataclass
class Resume:
    """Where each manager's months are computed from at a close, and the running
    states this close leaves (``starts``), for the next."""

    month: str | None  # None: every manager from the hire month
    kept: dict[str, dict[str, RunningState]] = field(default_factory=dict)
    starts: dict[str, dict[str, RunningState]] = field(default_factory=dict)

    def resumed_managers(self) -> set[str]:
        """The managers whose months start at ``month`` from a kept state."""
        return {mid for mid, kept in self.kept.items() if self.month in kept}

    def start_of(self, manager_id: str) -> tuple[str, RunningState] | None:
        """The month to start at and its kept state; ``None``: from the hire month
        (nothing kept for the manager at that month, or nothing kept at all)."""
        kept = self.kept.get(manager_id, {})
        if self.month is None or self.month not in kept:
            return None
        return self.month, kept[self.month]

    def starts_of(self, manager_id: str) -> dict[str, RunningState]:
        """The manager's running states for the next close: those kept from before
        the month started at, the rest filled in by ``manager_months``."""
        start = self.start_of(manager_id)
        kept = self.kept.get(manager_id, {})
        self.starts[manager_id] = (
            {} if start is None else {p: s for p, s in kept.items() if p < start[0]}
        )
        return self.starts[manager_id]


def resume_at_close(
    conn: duckdb.DuckDBPyConnection, kept: KeptClose | None, period: str, aggregates: KeptAggregates
) -> Resume:
    """Where the close of ``period`` (its aggregates just computed) starts each
    manager's months: the earliest of the month closed last (its statements were
    issued after its months were computed), this month (months may be closed out of
    order), the first month whose aggregates were attributed again, and the first
    month a row loaded since can change."""
    if kept is None or aggregates.recomputed_from is None:
        return Resume(None)
    months = [kept.period, period, aggregates.recomputed_from]
    row = conn.execute(EARLIEST_PAY_CHANGE_SQL, {"after": kept.aggregates.position}).fetchone()
    if row and row[0] is not None:
        months.append(month_of(row[0]))
    return Resume(min(months), kept.starts)

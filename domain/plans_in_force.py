"""Whether a compensation plan is in force on a day (docs/rules.md R3.2), for the rules that
need one: a month close, and a compliance adjustment or award of a month.

The plan in force on a day is the published version with the latest ``effective_from``
on or before it; the default plan is in force from 2020-01-01 without being published.
So a day from 2020-01-01 on always has a plan, and only an earlier day makes the
ledger look for published plans: in this batch, then in the log. The earliest day
found is kept on the ledger: plans are never withdrawn, so a day on or after it has a
plan for good, and the log is read again only before rejecting a message (another
process may have published an earlier plan since).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.utils import get_topic

from domain.errors import DomainRuleBroken
from domain.registry import Plan
from domain.values import DEFAULT_PLAN_EFFECTIVE_FROM, month_bounds

PLAN_PUBLISHED_TOPIC = get_topic(Plan.Published)  # type: ignore[attr-defined]
_PAGE = 1000


def earliest_plan_day(ledger: Any, batch: Any = None) -> date:
    """The first day any plan is in force: the default plan's, or the earliest
    ``effective_from`` of a plan published in the store or in ``batch`` (a unit of work)."""
    earliest = DEFAULT_PLAN_EFFECTIVE_FROM
    if batch is not None:
        for aggregate in batch.aggregates.values():
            if isinstance(aggregate, Plan):
                earliest = min(earliest, aggregate.effective_from)
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start, _PAGE, topics=[PLAN_PUBLISHED_TOPIC])
        for notification in page:
            earliest = min(earliest, ledger.mapper.to_domain_event(notification).effective_from)
        if len(page) < _PAGE:
            return earliest
        start = page[-1].id + 1


_KEPT = "_earliest_plan_day_seen"


def require_plan_for_month(ledger: Any, batch: Any, period: str, field: str = "period") -> None:
    """Reject (``no_plan_in_force``) a message about month ``period`` when no plan is in
    force on its last day: no statement of that month exists, so nothing can pay it."""
    _, last_day = month_bounds(period)
    if last_day >= getattr(ledger, _KEPT, DEFAULT_PLAN_EFFECTIVE_FROM):
        return
    earliest = earliest_plan_day(ledger, batch)
    if batch is None or not any(isinstance(a, Plan) for a in batch.aggregates.values()):
        setattr(ledger, _KEPT, earliest)  # from the log alone: true whatever this batch does
    if last_day < earliest:
        raise DomainRuleBroken(
            field, "no_plan_in_force",
            f"no compensation plan is in force on {last_day}, the last day of {period} "
            f"(the first plan is in force from {earliest}): the month has no statement",
            period,
        )

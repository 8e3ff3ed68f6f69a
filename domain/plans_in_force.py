"""Whether a compensation plan is in force on a day (docs/rules.md R3.2), for the rules that
need one: a month close, and a compliance adjustment or award of a month; and which
plan it is (``plan_in_force``), for the sign-off of a month (R7.5).

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

import attrs
from eventsourcing.utils import get_topic

from domain.errors import DomainRuleBroken
from domain.registry import Plan
from domain.values import (
    DEFAULT_DISPUTE_DAYS,
    DEFAULT_PLAN_EFFECTIVE_FROM,
    DEFAULT_PLAN_VERSION,
    month_bounds,
)

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
            field,
            "no_plan_in_force",
            f"no compensation plan is in force on {last_day}, the last day of {period} "
            f"(the first plan is in force from {earliest}): the month has no statement",
            period,
        )


@attrs.frozen
class PlanSettings:
    """What the sign-off and dispute rules need of the plan in force on a day."""

    version: str
    effective_from: date
    close_approvals: tuple[str, ...]
    dispute_days: int


DEFAULT_SETTINGS = PlanSettings(
    DEFAULT_PLAN_VERSION, DEFAULT_PLAN_EFFECTIVE_FROM, (), DEFAULT_DISPUTE_DAYS
)
_SEEN = "_published_plans_seen"


def _published(ledger: Any) -> dict[str, tuple[int, PlanSettings]]:
    """Every plan in the store, by version, with the log position that published it.
    Kept on the ledger and extended from the last position read: plans are few and
    never withdrawn, and a close or sign-off then reads only what was published since."""
    after, plans = getattr(ledger, _SEEN, (0, {}))
    while True:
        page = ledger.recorder.select_notifications(after + 1, _PAGE, topics=[PLAN_PUBLISHED_TOPIC])
        for notification in page:
            published = ledger.mapper.to_domain_event(notification)
            # a plan stored before version 2 has neither setting: the defaults
            approvals = getattr(published, "close_approvals", None)
            days = getattr(published, "dispute_days", None)
            plans = {
                **plans,
                published.version: (
                    notification.id,
                    PlanSettings(
                        published.version,
                        published.effective_from,
                        tuple(approvals or ()),
                        DEFAULT_DISPUTE_DAYS if days is None else days,
                    ),
                ),
            }
        if page:
            after = page[-1].id
        if len(page) < _PAGE:
            setattr(ledger, _SEEN, (after, plans))
            return plans


def plan_in_force(ledger: Any, batch: Any, day: date) -> PlanSettings:
    """The plan in force on ``day`` (docs/rules.md R3.2): of the plans published in the
    store or in ``batch`` (a unit of work) and the default plan, the one with the latest
    ``effective_from`` not after ``day``, a tie going to the one published later. The
    default plan before any plan covers ``day``: it names no sign-off."""
    stored = _published(ledger)
    candidates = [(DEFAULT_SETTINGS.effective_from, 0, DEFAULT_SETTINGS)]
    candidates += [
        (settings.effective_from, position, settings) for position, settings in stored.values()
    ]
    if batch is not None:
        later = max((position for position, _ in stored.values()), default=0)
        for aggregate in batch.aggregates.values():
            if isinstance(aggregate, Plan) and aggregate.plan_version not in stored:
                later += 1  # published in this batch: after everything stored
                candidates.append(
                    (
                        aggregate.effective_from,
                        later,
                        PlanSettings(
                            aggregate.plan_version,
                            aggregate.effective_from,
                            aggregate.close_approvals,
                            aggregate.dispute_days,
                        ),
                    )
                )
    in_force = [c for c in candidates if c[0] <= day]
    return max(in_force, key=lambda c: (c[0], c[1]))[2] if in_force else DEFAULT_SETTINGS

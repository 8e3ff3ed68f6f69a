"""The ledger's commands of contract version 2 (docs/rules.md R7.5-R7.7, R11): signing
off a month, branches, plan acknowledgements and disputes.

Each handler checks every rule before it triggers any event, like those of
``domain/ledger.py``, which registers them; ``require_signed_off`` is the close's
sign-off rule, called by ``Ledger._period_closed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain import messages as m
from domain.branch import Branch
from domain.dispute import Dispute, check_outcome
from domain.errors import DependencyMissing, DomainRuleBroken
from domain.facts import MESSAGE_KIND, Posting
from domain.manager import Manager
from domain.plans_in_force import plan_in_force
from domain.registry import Period, Plan
from domain.sign_off import MonthSignOff, check_signature, first_missing
from domain.values import DEFAULT_PLAN_VERSION, month_bounds

if TYPE_CHECKING:  # the ledger imports this module
    from domain.ledger import Ledger
    from domain.unit_of_work import UnitOfWork


# -- signing off a month (R7.5) ------------------------------------------------------------


def close_approved(
    ledger: Ledger, uow: UnitOfWork, msg: m.PeriodCloseApproved, digest: str
) -> None:
    """``period.close_approved``: one role signs the month off."""
    require_not_closed(uow, msg.period, ": nobody signs it off any more")
    plan = plan_in_force(ledger, uow, month_bounds(msg.period)[1])
    sign_off = uow.get(MonthSignOff, "sign_off", msg.period)
    # Every rule is checked before the month's sign-off record is started.
    check_signature(
        msg.period,
        sign_off.signatures if sign_off else (),
        msg.role,
        msg.approver_id,
        msg.approved_on,
        plan.close_approvals,
        plan.version,
    )
    if sign_off is None:
        sign_off = MonthSignOff(msg.period)
        uow.add(sign_off)
    sign_off.sign(
        msg.role, msg.approver_id, msg.approved_on, plan.close_approvals, plan.version, msg.id
    )


def require_not_closed(uow: UnitOfWork, period: str, then: str = "") -> None:
    """A month is closed once: neither closed nor signed off again after (``then`` ends
    the refusal's sentence)."""
    closed = uow.get(Period, "period", period)
    if closed is not None:
        raise DomainRuleBroken(
            "period",
            "period_already_closed",
            f"{period} was already closed on {closed.closed_on}{then}",
            period,
        )


def require_signed_off(ledger: Ledger, uow: UnitOfWork, period: str) -> None:
    """A month is closed only when every role its plan names has signed it off; the
    error names the first role missing."""
    plan = plan_in_force(ledger, uow, month_bounds(period)[1])
    if not plan.close_approvals:
        return
    sign_off = uow.get(MonthSignOff, "sign_off", period)
    missing = first_missing(sign_off.signatures if sign_off else (), plan.close_approvals)
    if missing is not None:
        # The sign-off may still be on its way: from Kafka the close waits for it.
        raise DependencyMissing(
            "period",
            "close_not_signed_off",
            f"{period} cannot be closed before {missing} signs it off "
            f"(plan {plan.version} asks, in order: {', '.join(plan.close_approvals)})",
            missing,
        )


# -- branches ----------------------------------------------------------------------------------


def branch_registered(
    ledger: Ledger, uow: UnitOfWork, msg: m.BranchRegistered, digest: str
) -> None:
    """``branch.registered``: once, under a parent already registered."""
    uow.require_new(Branch, "branch", msg.branch_id, "registered")
    if msg.parent_branch_id is not None and uow.get(Branch, "branch", msg.parent_branch_id) is None:
        raise DependencyMissing(
            "parent_branch_id",
            "parent_branch_unknown",
            f"no branch {msg.parent_branch_id!r} is registered to be the parent of {msg.branch_id}",
            msg.parent_branch_id,
        )
    uow.add(Branch(msg.branch_id, msg.name, msg.parent_branch_id, msg.registered_on, msg.id))


# -- acknowledging a plan (R7.7) -----------------------------------------------------------------


def plan_acknowledged(
    ledger: Ledger, uow: UnitOfWork, msg: m.PlanAcknowledged, digest: str
) -> None:
    """``plan.acknowledged``: a manager acknowledges a published version (or the default), once."""
    manager = uow.require(Manager, "manager", msg.manager_id, "manager_id")
    if msg.version != DEFAULT_PLAN_VERSION and uow.get(Plan, "plan", msg.version) is None:
        raise DependencyMissing(
            "version", "unknown_plan_version", f"no plan {msg.version!r} is published", msg.version
        )
    manager.acknowledge_plan(msg.version, msg.acknowledged_on, msg.id)


# -- disputes (R7.6) -------------------------------------------------------------------------------


def _require_issued_statement(uow: UnitOfWork, manager: Manager, period: str) -> None:
    """The manager has an issued statement of ``period``: the month is closed, and the
    manager was employed in it and known to the ledger when it was closed (a close
    issues the statements of the managers employed in the month, as the log then stood)."""
    closed = uow.get(Period, "period", period)
    first, last = month_bounds(period)
    why = None
    if closed is None:
        why = f"{period} is not closed"
    elif manager.hired_on > last or (
        manager.departed_on is not None and manager.departed_on < first
    ):
        why = f"manager {manager.manager_id} was not employed in {period}"
    elif manager.created_on > closed.created_on:
        why = f"manager {manager.manager_id} was recorded after {period} was closed"
    if why is not None:
        # The close may still be on its way: from Kafka the dispute waits for it.
        raise DependencyMissing(
            "period",
            "statement_not_issued",
            f"manager {manager.manager_id} has no issued statement of {period} to dispute ({why})",
            period,
        )


def dispute_opened(ledger: Ledger, uow: UnitOfWork, msg: m.DisputeOpened, digest: str) -> None:
    """``dispute.opened``: a manager disputes an issued statement, whole or one posting."""
    uow.require_new(Dispute, "dispute", msg.dispute_id, "open")
    manager = uow.require(Manager, "manager", msg.manager_id, "manager_id")
    _require_issued_statement(uow, manager, msg.period)
    if msg.posting_id is not None:
        uow.require(Posting, MESSAGE_KIND, msg.posting_id, "posting_id", what="posting")
    uow.add(
        Dispute(
            msg.dispute_id,
            msg.manager_id,
            msg.period,
            msg.posting_id,
            msg.claim,
            msg.opened_on,
            msg.id,
        )
    )


def dispute_resolved(ledger: Ledger, uow: UnitOfWork, msg: m.DisputeResolved, digest: str) -> None:
    """``dispute.resolved``: the performance office decides a dispute, once."""
    check_outcome(msg.outcome, msg.amount)  # the message alone: before any look-up
    dispute = uow.require(Dispute, "dispute", msg.dispute_id, "dispute_id")
    dispute.resolve(msg.outcome, msg.amount, msg.reason, msg.resolved_by, msg.resolved_on, msg.id)

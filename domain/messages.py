"""The incoming messages of docs/contract.md C1 as typed, immutable commands.

Each class names its wire ``type`` and describes each field's kind in the field's
metadata; ``consumers.decoder`` reads those kinds to validate JSON, so the contract
is written down once, here. Every kind is bounded (``domain/limits.py``, docs/limits.md):
``id`` 1-64 printable characters without spaces, ``text`` (names, reasons) at most 200
characters without control characters (``claim`` 2,000), ``id_number`` 8-32 letters and
digits, ``date`` and ``month`` within 1970-01-01..2099-12-31, money below 10^13.

Version 2 of the contract adds the last five types and two optional fields of a plan.
An optional field left out is ``None`` here and is not part of the content hash
(``domain/content_hash.py``), so every version-1 message keeps its meaning and hash.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from domain import values as v
from domain.values import GradeTerms


def _f(kind: str, *, choices: tuple[str, ...] = (), optional: bool = False) -> Any:
    metadata = {"kind": kind, "choices": choices, "optional": optional}
    if optional:  # left out: None, and not hashed
        return attrs.field(default=None, metadata=metadata)
    return attrs.field(metadata=metadata)


@attrs.frozen
class Message:
    """Every message carries its source system's unique ``id``."""

    TYPE: ClassVar[str] = ""
    id: str = _f("id")


@attrs.frozen
class PlanPublished(Message):
    TYPE: ClassVar[str] = "plan.published"
    version: str = _f("id")
    effective_from: date = _f("date")
    grades: dict[str, GradeTerms] = _f("grades")
    prepay_ratio: Decimal = _f("ratio")
    backup_share: Decimal = _f("ratio")
    activity_values: dict[str, Decimal] = _f("activity_values")
    # version 2: the roles that sign off a month, in order (None: no sign-off), and
    # the days a dispute may stay open (None: DEFAULT_DISPUTE_DAYS)
    close_approvals: tuple[str, ...] | None = _f(
        "role_list", choices=v.SIGN_OFF_ROLES, optional=True
    )
    dispute_days: int | None = _f("days", optional=True)


@attrs.frozen
class ManagerHired(Message):
    TYPE: ClassVar[str] = "manager.hired"
    manager_id: str = _f("id")
    name: str = _f("text")
    branch_id: str = _f("id")
    grade: str = _f("choice", choices=v.GRADES)
    hired_on: date = _f("date")


@attrs.frozen
class ManagerGradeChanged(Message):
    TYPE: ClassVar[str] = "manager.grade_changed"
    manager_id: str = _f("id")
    grade: str = _f("choice", choices=v.GRADES)
    effective_on: date = _f("date")
    reason: str = _f("text")


@attrs.frozen
class DepartureRequested(Message):
    TYPE: ClassVar[str] = "manager.departure_requested"
    manager_id: str = _f("id")
    kind: str = _f("choice", choices=v.DEPARTURE_KINDS)
    requested_on: date = _f("date")
    last_day: date = _f("date")


@attrs.frozen
class DepartureApproved(Message):
    TYPE: ClassVar[str] = "manager.departure_approved"
    manager_id: str = _f("id")
    approver_id: str = _f("id")
    role: str = _f("choice", choices=v.APPROVAL_ROLES)
    approved_on: date = _f("date")


@attrs.frozen
class ManagerDeparted(Message):
    TYPE: ClassVar[str] = "manager.departed"
    manager_id: str = _f("id")
    departed_on: date = _f("date")


@attrs.frozen
class ClientRegistered(Message):
    TYPE: ClassVar[str] = "client.registered"
    client_id: str = _f("id")
    kind: str = _f("choice", choices=v.CLIENT_KINDS)
    branch_id: str = _f("id")
    registered_on: date = _f("date")
    name: str = _f("text")
    id_number: str = _f("id_number")


@attrs.frozen
class ClientStageChanged(Message):
    TYPE: ClassVar[str] = "client.stage_changed"
    client_id: str = _f("id")
    stage: str = _f("choice", choices=v.STAGES)
    changed_on: date = _f("date")


@attrs.frozen
class Assigned(Message):
    TYPE: ClassVar[str] = "assignment.assigned"
    client_id: str = _f("id")
    manager_id: str = _f("id")
    role: str = _f("choice", choices=v.ROLES)
    origin: str = _f("choice", choices=v.ORIGINS)
    effective_on: date = _f("date")


@attrs.frozen
class Released(Message):
    TYPE: ClassVar[str] = "assignment.released"
    client_id: str = _f("id")
    manager_id: str = _f("id")
    role: str = _f("choice", choices=v.ROLES)
    effective_on: date = _f("date")


@attrs.frozen
class HandoverOpened(Message):
    TYPE: ClassVar[str] = "handover.opened"
    handover_id: str = _f("id")
    from_manager_id: str = _f("id")
    to_manager_id: str = _f("id")
    client_ids: tuple[str, ...] = _f("id_list")
    reason: str = _f("text")
    opened_on: date = _f("date")


@attrs.frozen
class HandoverWitnessed(Message):
    TYPE: ClassVar[str] = "handover.witnessed"
    handover_id: str = _f("id")
    witness_id: str = _f("id")
    witness_role: str = _f("choice", choices=v.WITNESS_ROLES)
    witnessed_on: date = _f("date")


@attrs.frozen
class HandoverRecordSigned(Message):
    TYPE: ClassVar[str] = "handover.record_signed"
    handover_id: str = _f("id")
    record_ref: str = _f("id")
    signed_on: date = _f("date")


@attrs.frozen
class HandoverFiled(Message):
    TYPE: ClassVar[str] = "handover.filed"
    handover_id: str = _f("id")
    filed_on: date = _f("date")


@attrs.frozen
class PostingBooked(Message):
    TYPE: ClassVar[str] = "posting.booked"
    client_id: str = _f("id")
    category: str = _f("choice", choices=tuple(v.CATEGORIES))
    amount: Decimal = _f("money_positive")
    value_date: date = _f("date")


@attrs.frozen
class PostingReversed(Message):
    TYPE: ClassVar[str] = "posting.reversed"
    posting_id: str = _f("id")
    reason: str = _f("text")


@attrs.frozen
class ActivityRecorded(Message):
    TYPE: ClassVar[str] = "activity.recorded"
    manager_id: str = _f("id")
    kind: str = _f("choice", choices=v.ACTIVITY_KINDS)
    count: int = _f("count")
    value_date: date = _f("date")


@attrs.frozen
class LoanClassified(Message):
    TYPE: ClassVar[str] = "loan.classified"
    loan_id: str = _f("id")
    client_id: str = _f("id")
    category: str = _f("choice", choices=v.LOAN_CATEGORIES)
    balance: Decimal = _f("money_nonnegative")
    as_of: date = _f("date")


@attrs.frozen
class BalanceReported(Message):
    TYPE: ClassVar[str] = "balance.reported"
    client_id: str = _f("id")
    product: str = _f("choice", choices=v.PRODUCTS)
    balance: Decimal = _f("money_nonnegative")
    as_of: date = _f("date")


@attrs.frozen
class AdjustmentRecorded(Message):
    TYPE: ClassVar[str] = "adjustment.recorded"
    manager_id: str = _f("id")
    period: str = _f("month")
    kind: str = _f("choice", choices=v.ADJUSTMENT_KINDS)
    amount: Decimal = _f("money_signed")
    reason: str = _f("text")


@attrs.frozen
class PeriodClosed(Message):
    TYPE: ClassVar[str] = "period.closed"
    period: str = _f("month")
    closed_on: date = _f("date")
    approved_by: str = _f("id")


@attrs.frozen
class PeriodCloseApproved(Message):
    TYPE: ClassVar[str] = "period.close_approved"
    period: str = _f("month")
    approver_id: str = _f("id")
    role: str = _f("choice", choices=v.SIGN_OFF_ROLES)
    approved_on: date = _f("date")


@attrs.frozen
class BranchRegistered(Message):
    TYPE: ClassVar[str] = "branch.registered"
    branch_id: str = _f("id")
    name: str = _f("text")
    registered_on: date = _f("date")
    parent_branch_id: str | None = _f("id", optional=True)


@attrs.frozen
class PlanAcknowledged(Message):
    TYPE: ClassVar[str] = "plan.acknowledged"
    manager_id: str = _f("id")
    version: str = _f("id")
    acknowledged_on: date = _f("date")


@attrs.frozen
class DisputeOpened(Message):
    TYPE: ClassVar[str] = "dispute.opened"
    dispute_id: str = _f("id")
    manager_id: str = _f("id")
    period: str = _f("month")
    claim: str = _f("claim")
    opened_on: date = _f("date")
    posting_id: str | None = _f("id", optional=True)


@attrs.frozen
class DisputeResolved(Message):
    TYPE: ClassVar[str] = "dispute.resolved"
    dispute_id: str = _f("id")
    outcome: str = _f("choice", choices=v.DISPUTE_OUTCOMES)
    reason: str = _f("text")
    resolved_by: str = _f("id")
    resolved_on: date = _f("date")
    # required when upheld, absent when rejected: a rule of the domain (R7.6)
    amount: Decimal | None = _f("money_signed", optional=True)


MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.TYPE: cls
    for cls in (
        PlanPublished,
        ManagerHired,
        ManagerGradeChanged,
        DepartureRequested,
        DepartureApproved,
        ManagerDeparted,
        ClientRegistered,
        ClientStageChanged,
        Assigned,
        Released,
        HandoverOpened,
        HandoverWitnessed,
        HandoverRecordSigned,
        HandoverFiled,
        PostingBooked,
        PostingReversed,
        ActivityRecorded,
        LoanClassified,
        BalanceReported,
        AdjustmentRecorded,
        PeriodClosed,
        PeriodCloseApproved,
        BranchRegistered,
        PlanAcknowledged,
        DisputeOpened,
        DisputeResolved,
    )
}


def family_of(message_type: str) -> str:
    """The Kafka topic family of a message type: ``posting.booked`` -> ``postings``,
    ``activity.recorded`` -> ``activities``, ``branch.registered`` -> ``branches``."""
    family = message_type.split(".", 1)[0]
    if family.endswith("y"):
        return family[:-1] + "ies"
    return family + ("es" if family.endswith(("ch", "sh", "s", "x")) else "s")

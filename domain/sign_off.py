"""Signing off a month before its close (docs/rules.md R7.5).

The plan in force on the month's last day names, in order, the roles that sign the
month off (``close_approvals``). Each role signs once, in that order, each by a
different person; the close waits until every one of them has signed. The month's
signatures live in one aggregate per month, started by its first signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DependencyMissing, DomainRuleBroken
from domain.ids import aggregate_id

Signature = tuple[str, str, date]  # (role, approver_id, approved_on)


def first_missing(signatures: Sequence[Signature], required: Sequence[str]) -> str | None:
    """The first role of ``required`` that has not signed, or None when all have."""
    signed = {role for role, _, _ in signatures}
    return next((role for role in required if role not in signed), None)


def check_signature(
    period: str,
    signatures: Sequence[Signature],
    role: str,
    approver_id: str,
    approved_on: date,
    required: Sequence[str],
    plan_version: str,
) -> None:
    """Whether ``approver_id`` may sign ``period`` off as ``role`` now; raises the rule
    broken. ``signatures``: the month's so far; ``required``: the plan's roles, in order."""
    for signed_role, approver, on in signatures:
        if signed_role == role:
            raise DomainRuleBroken(
                "role",
                "already_signed",
                f"{role} already signed {period} off ({approver}, {on})",
                role,
            )
    if role not in required:
        named = ", ".join(required) if required else "no role"
        raise DomainRuleBroken(
            "role",
            "role_not_required",
            f"plan {plan_version}, in force on the last day of {period}, asks no sign-off of {role} "
            f"(it names {named})",
            role,
        )
    missing = first_missing(signatures, required[: required.index(role)])
    if missing is not None:
        # The earlier role's signature may still be on its way: from Kafka this waits.
        raise DependencyMissing(
            "role",
            "sign_off_out_of_order",
            f"{missing} must sign {period} off before {role} (order: {', '.join(required)})",
            missing,
        )
    for signed_role, approver, _ in signatures:
        if approver == approver_id:
            raise DomainRuleBroken(
                "approver_id",
                "same_approver",
                f"{approver_id} already signed {period} off as {signed_role}; each role signs by a "
                "different person",
                approver_id,
            )
    if signatures and approved_on < signatures[-1][2]:
        raise DomainRuleBroken(
            "approved_on",
            "not_forward_in_time",
            f"{approved_on} is before the previous sign-off of {period} on {signatures[-1][2]}",
            approved_on.isoformat(),
        )


class MonthSignOff(Aggregate):
    """The sign-offs of one month, in the order they were given."""

    @staticmethod
    def create_id(period: str) -> UUID:
        return aggregate_id("sign_off", period)

    @event("Started")
    def __init__(self, period: str) -> None:
        self.period = period
        self.signatures: list[Signature] = []

    def sign(
        self,
        role: str,
        approver_id: str,
        approved_on: date,
        required: Sequence[str],
        plan_version: str,
        message_id: str,
    ) -> None:
        """Record one role's sign-off, after ``check_signature``."""
        check_signature(
            self.period, self.signatures, role, approver_id, approved_on, required, plan_version
        )
        self._signed(self.period, role, approver_id, approved_on, message_id)

    @event("Signed")
    def _signed(
        self, period: str, role: str, approver_id: str, approved_on: date, message_id: str
    ) -> None:
        self.signatures.append((role, approver_id, approved_on))

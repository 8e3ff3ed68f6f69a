"""A dispute (申诉) of an issued statement (docs/rules.md R7.6): opened by the manager,
resolved once by the performance office, rejected or upheld with an amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainRuleBroken
from domain.ids import aggregate_id


def check_outcome(outcome: str, amount: Decimal | None) -> None:
    """An upheld dispute names an amount (either sign); a rejected one names none.
    Decided by the message alone (domain/retry_policy.py: final)."""
    if outcome == "upheld" and amount is None:
        raise DomainRuleBroken(
            "amount",
            "amount_required_when_upheld",
            "an upheld dispute needs the amount of performance pay it corrects",
            None,
        )
    if outcome == "rejected" and amount is not None:
        raise DomainRuleBroken(
            "amount",
            "amount_not_allowed_when_rejected",
            f"a rejected dispute corrects nothing, yet names the amount {amount}",
            str(amount),
        )


class Dispute(Aggregate):
    """One dispute of manager ``manager_id``'s statement of ``period``, whole or for one posting."""

    @staticmethod
    def create_id(dispute_id: str) -> UUID:
        return aggregate_id("dispute", dispute_id)

    @event("Opened")
    def __init__(
        self,
        dispute_id: str,
        manager_id: str,
        period: str,
        posting_id: str | None,
        claim: str,
        opened_on: date,
        message_id: str,
    ) -> None:
        self.dispute_id = dispute_id
        self.manager_id = manager_id
        self.period = period
        self.opened_on = opened_on
        self.outcome: str | None = None
        self.resolved_on: date | None = None

    def resolve(
        self,
        outcome: str,
        amount: Decimal | None,
        reason: str,
        resolved_by: str,
        resolved_on: date,
        message_id: str,
    ) -> None:
        """Decide the dispute, once, never before it was opened."""
        check_outcome(outcome, amount)
        if self.outcome is not None:
            raise DomainRuleBroken(
                "dispute_id",
                "already_resolved",
                f"dispute {self.dispute_id} was already resolved ({self.outcome}) on {self.resolved_on}",
                self.dispute_id,
            )
        if resolved_on < self.opened_on:
            raise DomainRuleBroken(
                "resolved_on",
                "resolved_before_opened",
                f"{resolved_on} is before dispute {self.dispute_id} was opened on {self.opened_on}",
                resolved_on.isoformat(),
            )
        self._resolved(outcome, amount, reason, resolved_by, resolved_on, message_id)

    @event("Resolved")
    def _resolved(
        self,
        outcome: str,
        amount: Decimal | None,
        reason: str,
        resolved_by: str,
        resolved_on: date,
        message_id: str,
    ) -> None:
        self.outcome = outcome
        self.resolved_on = resolved_on

"""Small aggregates: compensation plans, closed periods and message receipts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.facts import fact_id
from domain.ids import aggregate_id
from domain.values import DEFAULT_DISPUTE_DAYS, GradeTerms


class Plan(Aggregate):
    """A published compensation plan version; in force from ``effective_from``."""

    @staticmethod
    def create_id(version: str) -> UUID:
        return aggregate_id("plan", version)

    @event("Published")
    def __init__(
        self,
        version: str,
        effective_from: date,
        grades: dict[str, GradeTerms],
        prepay_ratio: Decimal,
        backup_share: Decimal,
        activity_values: dict[str, Decimal],
        message_id: str,
        close_approvals: list[str] | None = None,
        dispute_days: int | None = None,
    ) -> None:
        # not ``self.version``: that is the aggregate's own event version
        self.plan_version = version
        self.effective_from = effective_from
        # Version 2 (docs/rules.md R3.4): stored as sent, None when left out; a plan
        # published before version 2 has neither, and reads with the same defaults.
        self.close_approvals: tuple[str, ...] = tuple(close_approvals or ())
        self.dispute_days: int = DEFAULT_DISPUTE_DAYS if dispute_days is None else dispute_days


class Period(Aggregate):
    """A closed month: its statements are issued and frozen at the closing event."""

    @staticmethod
    def create_id(period: str) -> UUID:
        return aggregate_id("period", period)

    @event("Closed")
    def __init__(self, period: str, closed_on: date, approved_by: str, message_id: str) -> None:
        self.period = period
        self.closed_on = closed_on


class Receipt(Aggregate):
    """That a message id was applied, with the hash of its content, so a repeat is
    recognised as a duplicate and a different message under the same id as a conflict."""

    @staticmethod
    def create_id(message_id: str) -> UUID:
        # The fact namespace: a message id names one aggregate, a fact or a receipt.
        return fact_id(message_id)

    @event("Applied")
    def __init__(self, message_id: str, message_type: str, content_hash: str) -> None:
        self.message_id = message_id
        self.message_type = message_type
        self.content_hash = content_hash


class DeadLetter(Aggregate):
    """A consumed message that could not be applied: malformed, or still breaking a
    rule when its retry time was up. Stored with the consumer's position, so each is
    dead-lettered exactly once in the store; published to ``<topic>.dlq`` from here."""

    @staticmethod
    def create_id(source_topic: str, partition: int, offset: int) -> UUID:
        return aggregate_id("dead_letter", f"{source_topic}:{partition}:{offset}")

    @event("Recorded")
    def __init__(
        self,
        source_topic: str,
        partition: int,
        offset: int,
        key_b64: str,
        value_b64: str,
        message_id: str,
        field: str,
        rule: str,
        error: str,
    ) -> None:
        self.source_topic = source_topic
        self.partition = partition
        self.offset = offset

"""Facts booked by the message: postings, balances, activities, adjustments.

Each is an aggregate whose id derives from its message id, so it is created
without loading anything, many per transaction, and a repeated message collides
with the stored one instead of creating a second.

The ledger writes facts as bare created events (``UnitOfWork.add_fact``) under
``message:<message id>``, the one namespace that receipts share, so that a message id
is unique across all message types. ``create_id`` gives that same id, so a fact
built through its class (``Posting(...)``) lands where the ledger looks for it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainRuleBroken
from domain.ids import aggregate_id

# The namespace of message ids, shared by facts and by every other message's receipt
# (the ledger and its unit of work look message ids up under it).
MESSAGE_KIND = "message"


def fact_id(message_id: str) -> UUID:
    """The aggregate id of the fact booked by message ``message_id``."""
    return aggregate_id(MESSAGE_KIND, message_id)


class Posting(Aggregate):
    """An income or cost amount booked for a client (入账), and its reversal (冲正)."""

    @staticmethod
    def create_id(source_id: str) -> UUID:
        """The posting's id: that of its message (a posting's source id is its message id)."""
        return fact_id(source_id)

    @event("Booked")
    def __init__(
        self,
        source_id: str,
        client_id: str,
        category: str,
        amount: Decimal,
        value_date: date,
        content_hash: str,
    ) -> None:
        self.source_id = source_id
        self.client_id = client_id
        self.category = category
        self.amount = amount
        self.value_date = value_date
        self.content_hash = content_hash
        self.reversed_by: str | None = None

    def reverse(self, reason: str, message_id: str) -> None:
        """Cancel the posting as if never booked (in the month of its value date)."""
        if self.reversed_by is not None:
            raise DomainRuleBroken(
                "posting_id",
                "already_reversed",
                f"posting {self.source_id} was already reversed by message {self.reversed_by}",
                self.source_id,
            )
        self._reversed(reason, message_id)

    @event("Reversed")
    def _reversed(self, reason: str, message_id: str) -> None:
        self.reversed_by = message_id


class BalanceReport(Aggregate):
    """A reported balance of one product for a client, holding until the next report."""

    @staticmethod
    def create_id(message_id: str) -> UUID:
        """The fact's id: that of its message."""
        return fact_id(message_id)

    @event("Reported")
    def __init__(
        self,
        message_id: str,
        client_id: str,
        product: str,
        balance: Decimal,
        as_of: date,
        content_hash: str,
    ) -> None:
        self.content_hash = content_hash


class Activity(Aggregate):
    """Business without its own money flow, converted at the plan's standard values."""

    @staticmethod
    def create_id(message_id: str) -> UUID:
        """The fact's id: that of its message."""
        return fact_id(message_id)

    @event("Recorded")
    def __init__(
        self,
        message_id: str,
        manager_id: str,
        kind: str,
        count: int,
        value_date: date,
        content_hash: str,
    ) -> None:
        self.content_hash = content_hash


class Adjustment(Aggregate):
    """A compliance adjustment (± performance pay) or an award for a month."""

    @staticmethod
    def create_id(message_id: str) -> UUID:
        """The fact's id: that of its message."""
        return fact_id(message_id)

    @event("Recorded")
    def __init__(
        self,
        message_id: str,
        manager_id: str,
        period: str,
        kind: str,
        amount: Decimal,
        reason: str,
        content_hash: str,
    ) -> None:
        self.content_hash = content_hash

"""A loan and its five-category classifications (五级分类)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainRuleBroken
from domain.ids import aggregate_id


class Loan(Aggregate):
    """A loan belongs to one client for life; its classifications drive loss charges."""

    @staticmethod
    def create_id(loan_id: str) -> UUID:
        return aggregate_id("loan", loan_id)

    @event("Registered")
    def __init__(self, loan_id: str, client_id: str) -> None:
        self.loan_id = loan_id
        self.client_id = client_id

    def classify(
        self, client_id: str, category: str, balance: Decimal, as_of: date, message_id: str
    ) -> None:
        """Record a classification of the client's loan: a loan belongs to one client
        for life. The charge is derived by the read model from the classification with
        the latest earlier as-of date."""
        if client_id != self.client_id:
            raise DomainRuleBroken(
                "client_id",
                "loan_client_mismatch",
                f"loan {self.loan_id} belongs to client {self.client_id}, not {client_id}",
                client_id,
            )
        self._classified(category, balance, as_of, message_id)

    @event("Classified")
    def _classified(self, category: str, balance: Decimal, as_of: date, message_id: str) -> None:
        """The event is the record: the loan keeps no state of its classifications."""

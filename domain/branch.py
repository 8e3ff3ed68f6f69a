"""A branch of the bank (docs/rules.md R1, R11): registered once, under a parent
branch already registered (or none, for the head of the hierarchy)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import aggregate_id


class Branch(Aggregate):
    """A branch or sub-branch (支行); ``parent_branch_id`` is the branch above it."""

    @staticmethod
    def create_id(branch_id: str) -> UUID:
        return aggregate_id("branch", branch_id)

    @event("Registered")
    def __init__(
        self,
        branch_id: str,
        name: str,
        parent_branch_id: str | None,
        registered_on: date,
        message_id: str,
    ) -> None:
        self.branch_id = branch_id
        self.name = name
        self.parent_branch_id = parent_branch_id
        self.registered_on = registered_on

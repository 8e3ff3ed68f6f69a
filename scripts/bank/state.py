"""The bank's state as the simulation knows it: managers, clients, loans and open
handovers. Balances are integer fen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

Message = dict[str, Any]
Steps = Iterator[Message]


class Manager:
    """A manager as the simulation knows them."""

    __slots__ = (
        "id",
        "branch",
        "unit",
        "grade",
        "hired_on",
        "grade_on",
        "state",
        "busy",
        "book",
        "backups",
    )

    def __init__(self, manager_id: str, branch: str, unit: str, grade: str, hired_on: date) -> None:
        self.id = manager_id
        self.branch = branch  # the branch (BR01)
        self.unit = unit  # where they sit: the branch itself or one of its sub-branches
        self.grade = grade
        self.hired_on = hired_on
        self.grade_on = hired_on
        self.state = "active"  # active -> departing -> departed
        self.busy = 0  # open handovers this manager is a party to
        # Client ids held, as dicts used as ordered sets (a set's order is not stable).
        self.book: dict[str, None] = {}
        self.backups: dict[str, None] = {}


class Loan:
    """One loan of a client; its id stays with that client for life."""

    __slots__ = ("id", "product", "balance", "category", "risky", "rate")

    def __init__(self, loan_id: str, product: str, balance: int, rate: int, risky: bool) -> None:
        self.id = loan_id
        self.product = product
        self.balance = balance  # fen
        self.category = "normal"
        self.risky = risky
        self.rate = rate  # per 100,000 a year


class Client:
    """A client as the simulation knows them. Balances are integer fen."""

    __slots__ = (
        "id",
        "kind",
        "branch",
        "unit",
        "registered_on",
        "primary",
        "since",
        "backup",
        "stage",
        "deposit",
        "usual",
        "fund",
        "wealth",
        "loan",
        "locked",
        "trade",
    )

    def __init__(
        self, client_id: str, kind: str, branch: str, unit: str, registered_on: date
    ) -> None:
        self.id = client_id
        self.kind = kind
        self.branch = branch
        self.unit = unit
        self.registered_on = registered_on
        self.primary: str | None = None
        # Since when the client has had a primary without a gap: postings are only
        # dated from then on, so none of them is unattributed.
        self.since: date | None = None
        self.backup: str | None = None
        self.stage = "target"
        self.deposit = 0
        self.usual = 0  # the deposit level the balance drifts back to
        self.fund = 0
        self.wealth = 0
        self.loan: Loan | None = None
        self.locked = False  # in an open handover: its primary must not change
        self.trade = False  # a corporate with international settlement business


@dataclass
class Handover:
    """An open handover: who, whom, and whether it is a departure's."""

    id: str
    source: Manager
    target: Manager
    client_ids: list[str]
    departure: bool


@dataclass(frozen=True)
class PlanVersion:
    """A published plan as the simulation needs it: from when, who signs a month off,
    and how many days a dispute may stay open."""

    version: str
    effective_from: date
    close_approvals: tuple[str, ...]
    dispute_days: int

"""The simulation's plumbing: the run's state, message ids, and the agenda of
future steps. The parts of the simulation (people, accounts, months, staff) are
mixins on this base; ``scripts.bank.simulation.Bank`` puts them together."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from datetime import date
from typing import Any

from scripts.bank.sizes import SizeSpec
from scripts.bank.state import Client, Manager, Message, PlanVersion, Steps
from scripts.bank.units import DAY, add_months


class BankBase:
    """The state of one run, its message ids and its agenda.

    Future steps (the later stages of a handover, an approval, a period close, a
    reversal) wait on an agenda ordered by (day, insertion number), so steps due on
    the same day run in the order they were planned.
    """

    def __init__(self, rng: random.Random, spec: SizeSpec) -> None:
        self.rng = rng
        self.spec = spec
        self.end = add_months(spec.start, spec.months) - DAY
        self.message_numbers = itertools.count(1)
        self.manager_numbers = itertools.count(1)
        self.client_numbers = itertools.count(1)
        self.loan_numbers = itertools.count(1)
        self.handover_numbers = itertools.count(1)
        self.managers: dict[str, Manager] = {}
        self.available: list[Manager] = []  # may be given clients: active, not departing
        self.clients: list[Client] = []
        self.client_by_id: dict[str, Client] = {}
        self.agenda: list[tuple[int, int, Callable[[], Steps]]] = []
        self.agenda_numbers = itertools.count()
        self.units = {
            f"BR{b:02d}": [f"BR{b:02d}-SB{s:02d}" for s in range(1, spec.sub_branches + 1)]
            for b in range(1, spec.branches + 1)
        }
        # This month's postings seen so far and a uniform sample of them to reverse
        # (reservoir sampling keeps the memory constant).
        self.postings_seen = 0
        self.to_reverse: list[str] = []
        self.current_day = spec.start  # the day of the agenda step being run
        # Contract version 2: the plans published so far, the last posting booked for
        # each manager's clients this month (what a dispute may name), and disputes.
        self.plan_versions: list[PlanVersion] = []
        self.month_postings: dict[str, str] = {}
        self.dispute_numbers = itertools.count(1)
        self.disputed_months = 0

    def message(self, message_type: str, /, **fields: Any) -> Message:
        """A contract message with the next id; dates become ISO strings."""
        body: Message = {"type": message_type, "id": f"gen-{next(self.message_numbers):09d}"}
        for name, value in fields.items():
            body[name] = value.isoformat() if isinstance(value, date) else value
        return body

    def plan(self, day: date, step: Callable[[], Steps]) -> None:
        """Put ``step`` on the agenda for ``day``."""
        heapq.heappush(self.agenda, (day.toordinal(), next(self.agenda_numbers), step))

    def due(self, day: date | None) -> Steps:
        """Run the agenda up to and including ``day`` (all of it when ``None``)."""
        limit = day.toordinal() if day is not None else None
        while self.agenda and (limit is None or self.agenda[0][0] <= limit):
            ordinal, _, step = heapq.heappop(self.agenda)
            self.current_day = date.fromordinal(ordinal)
            yield from step()

    def chance(self, per_1000: int) -> bool:
        """True with probability ``per_1000`` / 1000."""
        return self.rng.randrange(1000) < per_1000

    def today(self) -> date:
        """The day of the agenda step being run."""
        return self.current_day

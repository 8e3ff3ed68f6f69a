"""The whole simulation: the bank before the window, then the window day by day."""

from __future__ import annotations

from datetime import date, timedelta

from scripts.bank.business import GRADES, RANK
from scripts.bank.draws import between, weighted
from scripts.bank.months import Months
from scripts.bank.staff import Staff
from scripts.bank.state import Client, Steps
from scripts.bank.units import DAY, add_months, month_end


class Bank(Months, Staff):
    """Simulates the bank day by day and yields the messages as they happen."""

    # -- the whole run -----------------------------------------------------------------

    def run(self) -> Steps:
        """The bank before the window, every day of the window, then what follows it."""
        yield from self.opening()
        day = self.spec.start
        while day <= self.end:
            yield from self.one_day(day)
            day += DAY
        # After the window only planned steps remain: the last close, late postings,
        # reversals and the tail of handovers and departures.
        yield from self.due(None)

    def one_day(self, day: date) -> Steps:
        """Everything that happens on ``day``, in a fixed order."""
        if day.day == 1:
            self.plan_month(day)
        yield from self.due(day)
        yield from self.deposits(day)
        if day == month_end(day):
            yield from self.close_books(day)

    # -- before the window -------------------------------------------------------------

    def opening(self) -> Steps:
        """The bank as it stands when the ledger starts: branches, the plan in force,
        staff, clients, books."""
        spec = self.spec
        yield from self.register_branches()
        yield self.publish_opening_plan()
        for index in range(spec.managers):
            # The first five cover every grade; the rest are a typical pyramid.
            grade = (
                GRADES[::-1][index]
                if index < len(GRADES)
                else weighted(
                    self.rng,
                    (
                        ("assistant", 20),
                        ("junior", 30),
                        ("intermediate", 25),
                        ("senior", 15),
                        ("principal", 10),
                    ),
                )
            )
            years_back = 1 + RANK[grade]  # seniors have been here longer
            hired_on = spec.start - timedelta(days=60 + self.rng.randrange(years_back * 300))
            branch = f"BR{index % spec.branches + 1:02d}"
            hired = self.hire(branch, grade, hired_on)
            yield hired
            self.plan_acknowledgements(self.managers[hired["manager_id"]], hired_on)
        for _ in range(spec.clients):
            yield from self.opening_client()
        self.plan_window()

    def opening_client(self) -> Steps:
        """One client registered in the past, with a history of stages and a book."""
        spec = self.spec
        registered_on = spec.start - timedelta(days=1 + self.rng.randrange(8 * 365))
        client, manager = self.new_client(registered_on)
        yield self.register(client)
        effective_on = max(registered_on, manager.hired_on)
        origin = "acquired" if registered_on >= manager.hired_on else "inherited"
        yield self.assign(client, manager, "primary", origin, effective_on)
        yield from self.stage_history(client)
        # The opening snapshot is dated half a year back so that the half-year
        # average deposit is meaningful from the first day of the window.
        as_of = max(registered_on, spec.start - timedelta(days=183))
        yield from self.open_accounts(client, as_of)
        if self.chance(500 if client.deposit >= 100_000_000 else 150):
            partner = self.pick_manager(client, exclude=manager)
            if partner is not None:
                on = max(effective_on, partner.hired_on)
                yield self.assign(client, partner, "backup", "inherited", on)

    def stage_history(self, client: Client) -> Steps:
        """target -> potential -> active (-> dormant) before the window, as far as it got."""
        day = client.registered_on
        last = self.spec.start - DAY
        path = ["potential", "active"] + (["dormant"] if self.chance(100) else [])
        for stage in path:
            day += timedelta(days=5 + self.rng.randrange(120 if stage != "dormant" else 700))
            if day > last:
                return
            client.stage = stage
            yield self.message(
                "client.stage_changed", client_id=client.id, stage=stage, changed_on=day
            )

    def plan_window(self) -> None:
        """Spread the window's one-off events (hires, departures, ...) over its days."""
        spec, rng = self.spec, self.rng
        start, end = spec.start, self.end
        latest = max(start, end - timedelta(days=45))  # departures finish in the window
        for _ in range(spec.hires):
            self.plan(
                between(rng, start + DAY, max(start + DAY, end - timedelta(days=30))),
                self.hire_step,
            )
        for _ in range(spec.departures):
            self.plan(between(rng, start + timedelta(days=5), latest), self.departure_step)
        for _ in range(spec.grade_changes):
            self.plan(between(rng, start, end), self.grade_step)
        for _ in range(spec.rebalances):
            first = min(start + timedelta(days=20), latest)
            self.plan(
                between(rng, first, max(first, end - timedelta(days=15))), self.rebalance_step
            )
        middle = add_months(start, spec.months // 2)
        self.plan(max(start, middle - timedelta(days=15)), lambda: self.publish_plan(middle))

"""The monthly cycle: new clients and activities planned at the start of a month;
products, postings, stage reviews and adjustments at its end; then the close, the
sign-offs, the reversals and the late postings that follow it, and the disputes of
the statements it issued. Also the mid-window plan revision."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from scripts.bank.accounts import Accounts
from scripts.bank.business import (
    ACTIVITY_KINDS,
    AWARD_REASONS,
    COMPLIANCE_REASONS,
    MID_PLAN_ACTIVITY,
    MID_PLAN_APPROVALS,
    MID_PLAN_DISPUTE_DAYS,
    MID_PLAN_GRADES,
    REVERSAL_REASONS,
    STAGE_MOVES,
)
from scripts.bank.draws import between, weighted
from scripts.bank.state import Client, Manager, Message, PlanVersion, Steps
from scripts.bank.units import month_end, month_key, yuan
from scripts.bank.workflows import Workflows


class Months(Workflows, Accounts):
    """What happens every month, and the agenda steps it plans."""

    def plan_month(self, first: date) -> None:
        """Put the month's new clients and managers' activities on the agenda."""
        last = month_end(first)
        for _ in range(self.spec.new_clients_per_month):
            self.plan(between(self.rng, first, last), self.acquisition_step)
        for manager in list(self.managers.values()):
            if manager.state == "departed":
                continue
            for _ in range(1 + self.rng.randrange(6)):
                day = between(self.rng, max(first, manager.hired_on), last)
                self.plan(day, partial(self.activity_step, manager, day))

    def close_books(self, day: date) -> Steps:
        """Month end: products, loans, postings, stage reviews, adjustments; then plan
        the close, the reversals and the late postings of this month."""
        self.month_postings = {}
        for client in self.clients:
            if client.primary is None:
                yield from self.win_back(client, day)
                continue
            yield from self.products(client, day)
            yield from self.postings(client, day)
            yield from self.stage_review(client, day)
        yield from self.backup_changes(day)
        yield from self.adjustments(day)
        self.plan_after_month(day)

    def stage_review(self, client: Client, day: date) -> Steps:
        """Move a served client along its lifecycle; a lost client may leave the bank."""
        stage = weighted(self.rng, STAGE_MOVES[client.stage])
        if stage == client.stage:
            return
        client.stage = stage
        yield self.message("client.stage_changed", client_id=client.id, stage=stage, changed_on=day)
        if stage == "lost" and client.loan is None and not client.locked and self.chance(700):
            # The relationship ends: balances go to 0 and no one serves the client.
            if client.backup is not None:
                yield self.release(client, "backup", day)
            yield self.release(client, "primary", day)
            for product in ("deposit", "fund", "wealth"):
                if getattr(client, product):
                    setattr(client, product, 0)
                    yield self.balance(client, product, 0, day)

    def win_back(self, client: Client, day: date) -> Steps:
        """A lost client that left may come back: to target, with a new primary."""
        if not self.chance(STAGE_MOVES["lost"][0][1]):
            return
        manager = self.pick_manager(client, exclude=None)
        if manager is None:
            return
        client.stage = "target"
        yield self.message(
            "client.stage_changed", client_id=client.id, stage="target", changed_on=day
        )
        yield self.assign(client, manager, "primary", "acquired", day)
        client.deposit = client.usual // 4
        yield self.balance(client, "deposit", client.deposit, day)

    def backup_changes(self, day: date) -> Steps:
        """A few backups are named and a few end, among clients not in a handover."""
        rng = self.rng
        moves = max(1, len(self.clients) // 300)
        for _ in range(moves):
            client = rng.choice(self.clients)
            if client.primary is None or client.locked:
                continue
            if client.backup is None:
                partner = self.pick_manager(client, exclude=self.managers[client.primary])
                if partner is not None:
                    yield self.assign(client, partner, "backup", "inherited", day)
            elif self.chance(500):
                yield self.release(client, "backup", day)

    def adjustments(self, day: date) -> Steps:
        """Compliance pluses and minuses, and awards, recorded before the month closes."""
        period = month_key(day)
        staff = [m for m in self.managers.values() if m.state != "departed"]
        compliance = [m for m in staff if self.chance(80)] or [self.rng.choice(staff)]
        awards = [m for m in staff if self.chance(30)] or [self.rng.choice(staff)]
        for manager in compliance:
            yield self.compliance(manager, period)
        for manager in awards:
            yield self.message(
                "adjustment.recorded",
                manager_id=manager.id,
                period=period,
                kind="award",
                amount=yuan(self.rng.randrange(1_000, 20_001) * 100),
                reason=self.rng.choice(AWARD_REASONS),
            )

    def compliance(self, manager: Manager, period: str) -> Message:
        """A compliance adjustment: a deduction or a credit, never 0."""
        reason, sign = self.rng.choice(COMPLIANCE_REASONS)
        return self.message(
            "adjustment.recorded",
            manager_id=manager.id,
            period=period,
            kind="compliance",
            amount=yuan(sign * self.rng.randrange(1, 21) * 10_000),
            reason=reason,
        )

    def plan_after_month(self, day: date) -> None:
        """The close a few days after month end, the month's reversals (most before
        the close, some after it: those are audit findings), late postings and the
        odd late compliance adjustment after it."""
        rng = self.rng
        closed_on = day + timedelta(days=1 + rng.randrange(5))
        period = month_key(day)
        for posting_id in self.to_reverse:
            # Planned before the close, so one due on the closing day still comes first.
            reversed_on = (
                day + timedelta(days=rng.randrange(2))
                if self.chance(750)
                else (closed_on + timedelta(days=1 + rng.randrange(10)))
            )
            self.plan(reversed_on, partial(self.reverse_step, posting_id))
        self.to_reverse, self.postings_seen = [], 0
        self.plan(closed_on, lambda: self.close_step(period, closed_on))
        for _ in range(self.spec.late_postings_per_month):
            self.plan(
                closed_on + timedelta(days=1 + rng.randrange(10)),
                lambda: self.late_posting_step(day),
            )
        if self.chance(400):
            self.plan(
                closed_on + timedelta(days=1 + rng.randrange(10)),
                lambda: self.late_compliance_step(period),
            )

    # -- agenda steps ------------------------------------------------------------------

    def acquisition_step(self) -> Steps:
        """A new client today, brought in by a manager (origin acquired)."""
        day = self.today()
        if not self.available:
            return
        client, manager = self.new_client(day)
        yield self.register(client)
        yield self.assign(client, manager, "primary", "acquired", day)
        yield from self.open_accounts(client, day)
        if self.chance(30):
            partner = self.pick_manager(client, exclude=manager)
            if partner is not None:
                yield self.assign(client, partner, "backup", "inherited", day)

    def activity_step(self, manager: Manager, day: date) -> Steps:
        """Business without a money flow of its own: cards, merchants, agency, leads."""
        if manager.state == "departed":
            return
        kind = weighted(self.rng, ACTIVITY_KINDS)
        count = 1 + self.rng.randrange(10 if kind == "credit_card" else 3)
        yield self.message(
            "activity.recorded", manager_id=manager.id, kind=kind, count=count, value_date=day
        )

    def publish_plan(self, effective_from: date) -> Steps:
        """The one plan change of the window, published ahead of its effective date;
        those staying acknowledge it in the weeks that follow."""
        grades = {
            grade: {
                "base_salary": base,
                "post_salary": post,
                "commission_per_10k": commission,
                "coefficient": k,
            }
            for grade, (base, post, commission, k) in MID_PLAN_GRADES.items()
        }
        plan = PlanVersion(
            f"{month_key(effective_from)}-revision",
            effective_from,
            MID_PLAN_APPROVALS,
            MID_PLAN_DISPUTE_DAYS,
        )
        yield self.publish(
            plan,
            {
                "grades": grades,
                "prepay_ratio": "0.75",
                "backup_share": "0.10",
                "activity_values": dict(MID_PLAN_ACTIVITY),
            },
        )
        self.revision_acknowledgements(plan)

    def close_step(self, period: str, day: date) -> Steps:
        """The month's sign-offs, its close, and the disputes of its statements to come."""
        yield from self.sign_offs(period, day)
        yield self.message("period.closed", period=period, closed_on=day, approved_by="FIN-HQ-01")
        self.plan_disputes(period, day)

    def reverse_step(self, posting_id: str) -> Steps:
        yield self.message(
            "posting.reversed", posting_id=posting_id, reason=self.rng.choice(REVERSAL_REASONS)
        )

    def late_posting_step(self, month_last: date) -> Steps:
        """A posting booked after its month was closed, dated inside that month."""
        first = month_last.replace(day=1)
        for _ in range(20):  # a few tries to find a client served throughout
            client = self.rng.choice(self.clients)
            if client.since is not None and client.since <= month_last:
                value_date = between(self.rng, max(first, client.since), month_last)
                category = self.rng.choice(
                    ("fee_income", "other_income", "other_cost", "asset_cost")
                )
                yield from self.book(
                    client, category, self.rng.randrange(1_000, 200_000), value_date
                )
                return

    def late_compliance_step(self, period: str) -> Steps:
        staff = [m for m in self.managers.values() if m.state != "departed"]
        yield self.compliance(self.rng.choice(staff), period)

"""The workflows of contract version 2 (docs/rules.md R7.5-R7.7, R11): the branch
hierarchy, plan versions with their sign-off roles and dispute days, the managers'
acknowledgements of the versions that pay them, the sign-offs before every close,
and a few disputes of issued statements (upheld, rejected, and some left open)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from domain.values import (
    DEFAULT_ACTIVITY_VALUES,
    DEFAULT_BACKUP_SHARE,
    DEFAULT_GRADE_TERMS,
    DEFAULT_PREPAY_RATIO,
)
from scripts.bank.business import (
    DISPUTE_CLAIMS,
    DISPUTE_REJECTIONS,
    DISPUTE_UPHOLDINGS,
    OPENING_PLAN_APPROVALS,
    OPENING_PLAN_DISPUTE_DAYS,
    SIGN_OFF_STAFF,
)
from scripts.bank.people import People
from scripts.bank.state import Manager, Message, PlanVersion, Steps
from scripts.bank.units import DAY, month_end, yuan

# The day the bank's branches were registered: before any hire or client of the
# opening book (hires go back at most ~4 years, clients 8).
BRANCHES_REGISTERED_ON = date(2015, 1, 1)


class Workflows(People):
    """Branches, plan versions and acknowledgements, sign-offs and disputes."""

    # -- branches ------------------------------------------------------------------------

    def register_branches(self) -> Steps:
        """Every branch, then its sub-branches under it: the ids managers and clients name."""
        for number, (branch, units) in enumerate(self.units.items(), 1):
            yield self.message(
                "branch.registered",
                branch_id=branch,
                name=f"Branch {number:02d}",
                registered_on=BRANCHES_REGISTERED_ON,
            )
            for sub, unit in enumerate(units, 1):
                yield self.message(
                    "branch.registered",
                    branch_id=unit,
                    name=f"Branch {number:02d} sub-branch {sub:02d}",
                    parent_branch_id=branch,
                    registered_on=BRANCHES_REGISTERED_ON,
                )

    # -- plans -----------------------------------------------------------------------------

    def publish(self, plan: PlanVersion, terms: dict[str, Any]) -> Message:
        """A plan.published of ``terms`` (grades, ratios, activity values) with the
        version-2 settings of ``plan``; the simulation remembers it."""
        self.plan_versions.append(plan)
        return self.message(
            "plan.published",
            version=plan.version,
            effective_from=plan.effective_from,
            **terms,
            close_approvals=list(plan.close_approvals),
            dispute_days=plan.dispute_days,
        )

    def publish_opening_plan(self) -> Message:
        """The plan in force when the ledger starts: the default plan's figures
        (docs/rules.md R3.2), so pay is what it would be without it, plus who signs a
        month off and how long a dispute may stay open."""
        start = self.spec.start
        plan = PlanVersion(
            f"{start.year:04d}-{start.month:02d}",
            start,
            OPENING_PLAN_APPROVALS,
            OPENING_PLAN_DISPUTE_DAYS,
        )
        grades = {
            grade: {
                "base_salary": str(terms.base_salary),
                "post_salary": str(terms.post_salary),
                "commission_per_10k": str(terms.commission_per_10k),
                "coefficient": str(terms.coefficient),
            }
            for grade, terms in DEFAULT_GRADE_TERMS.items()
        }
        terms = {
            "grades": grades,
            "prepay_ratio": str(DEFAULT_PREPAY_RATIO),
            "backup_share": str(DEFAULT_BACKUP_SHARE),
            "activity_values": {k: str(v) for k, v in DEFAULT_ACTIVITY_VALUES.items()},
        }
        return self.publish(plan, terms)

    def plan_for(self, day: date) -> PlanVersion | None:
        """The published plan in force on ``day`` (the latest effective on or before it)."""
        found = None
        for plan in self.plan_versions:
            if plan.effective_from <= day and (
                found is None or plan.effective_from >= found.effective_from
            ):
                found = plan
        return found

    def plan_acknowledgements(self, manager: Manager, hired_on: date) -> None:
        """Put on the agenda the manager's acknowledgement of each published version
        that pays them from ``hired_on`` on (about one in ten is never given: the audit
        of R7.7 has something to find)."""
        later = sorted(self.plan_versions, key=lambda p: p.effective_from)
        for plan, following in zip(later, [*later[1:], None], strict=True):
            if following is not None and following.effective_from <= hired_on:
                continue  # replaced before they started: it never pays them
            if self.chance(900):
                on = max(hired_on, self.spec.start) + timedelta(days=1 + self.rng.randrange(14))
                self.plan(on, partial(self.acknowledge_step, manager, plan.version, on))

    def revision_acknowledgements(self, plan: PlanVersion) -> None:
        """Everyone staying acknowledges a new version within three weeks of its publication."""
        for manager in list(self.managers.values()):
            if manager.state == "active" and self.chance(900):
                on = self.today() + timedelta(days=1 + self.rng.randrange(21))
                self.plan(on, partial(self.acknowledge_step, manager, plan.version, on))

    def acknowledge_step(self, manager: Manager, version: str, day: date) -> Steps:
        if manager.state == "departed":
            return
        yield self.message(
            "plan.acknowledged", manager_id=manager.id, version=version, acknowledged_on=day
        )

    # -- sign-off and close -------------------------------------------------------------------

    def sign_offs(self, period: str, closed_on: date) -> Steps:
        """The roles the plan in force on the month's last day names, in order, each by
        a different person, dated from the day after the month to the close."""
        last = month_end(date(int(period[:4]), int(period[5:]), 1))
        plan = self.plan_for(last)
        day = last + DAY
        for role in plan.close_approvals if plan else ():
            day = min(closed_on, day + timedelta(days=self.rng.randrange(2)))
            people = SIGN_OFF_STAFF[role]
            yield self.message(
                "period.close_approved",
                period=period,
                approver_id=people[self.rng.randrange(len(people))],
                role=role,
                approved_on=day,
            )

    # -- disputes -------------------------------------------------------------------------------

    def plan_disputes(self, period: str, closed_on: date) -> None:
        """A few managers dispute the statement just issued. The first closed month
        always has three: one upheld, one rejected and one left open (overdue by the
        end of the window); later months have at most one, mostly decided."""
        last = month_end(date(int(period[:4]), int(period[5:]), 1))
        # Employed in the month and known before its close: they have an issued statement.
        paid = [m for m in self.managers.values() if m.state != "departed" and m.hired_on <= last]
        first = not self.disputed_months
        self.disputed_months += 1
        count = min(len(paid), 3 if first else self.rng.randrange(2))
        outcomes = ["upheld", "rejected", None] if first else []
        for manager in self.rng.sample(paid, count):
            outcome = (
                outcomes.pop(0)
                if outcomes
                else self.rng.choice(("upheld", "upheld", "rejected", "rejected", None))
            )
            days = 1 if outcome is None else 1 + self.rng.randrange(5)
            opened_on = closed_on + timedelta(days=days)
            # Half name one posting credited to them that month (booked by now).
            posting = self.month_postings.get(manager.id) if self.chance(500) else None
            self.plan(
                opened_on,
                partial(self.dispute_step, manager, period, posting, opened_on, outcome),
            )

    def dispute_step(
        self,
        manager: Manager,
        period: str,
        posting: str | None,
        opened_on: date,
        outcome: str | None,
    ) -> Steps:
        """The opening (of one posting, or of the whole statement); the decision, if
        any, is planned a few days later."""
        dispute_id = f"DSP{next(self.dispute_numbers):05d}"
        fields: dict[str, Any] = {} if posting is None else {"posting_id": posting}
        yield self.message(
            "dispute.opened",
            dispute_id=dispute_id,
            manager_id=manager.id,
            period=period,
            **fields,
            claim=self.rng.choice(DISPUTE_CLAIMS),
            opened_on=opened_on,
        )
        if outcome is not None:
            resolved_on = opened_on + timedelta(days=2 + self.rng.randrange(10))
            self.plan(resolved_on, partial(self.resolve_step, dispute_id, outcome, resolved_on))

    def resolve_step(self, dispute_id: str, outcome: str, day: date) -> Steps:
        """The performance office decides: upheld with an amount of performance pay, or rejected."""
        fields: dict[str, Any] = {}
        if outcome == "upheld":
            fields["amount"] = yuan(self.rng.randrange(50, 3_001) * 100)
            reason = self.rng.choice(DISPUTE_UPHOLDINGS)
        else:
            reason = self.rng.choice(DISPUTE_REJECTIONS)
        people = SIGN_OFF_STAFF["performance_office"]
        yield self.message(
            "dispute.resolved",
            dispute_id=dispute_id,
            outcome=outcome,
            **fields,
            reason=reason,
            resolved_by=people[self.rng.randrange(len(people))],
            resolved_on=day,
        )

"""Staff changes: hires and grade changes, departures with their approvals, and
the handovers of clients (a departure's whole book, or a rebalancing)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from scripts.bank.business import DEPARTURE_KINDS, GRADES, RANK
from scripts.bank.draws import weighted
from scripts.bank.state import Handover, Manager, Steps
from scripts.bank.workflows import Workflows


class Staff(Workflows):
    """Agenda steps that change the staff and move clients between managers."""

    def hire_step(self) -> Steps:
        """A new manager: the first hire an assistant, later ones mostly juniors."""
        day = self.today()
        first_hire = len(self.managers) == self.spec.managers
        grade = (
            "assistant"
            if first_hire
            else weighted(self.rng, (("assistant", 50), ("junior", 35), ("intermediate", 15)))
        )
        hired = self.hire(self.rng.choice(list(self.units)), grade, day)
        yield hired
        self.plan_acknowledgements(self.managers[hired["manager_id"]], day)

    def grade_step(self) -> Steps:
        """A promotion (mostly) or a demotion after assessment, effective today."""
        day = self.today()
        candidates = [m for m in self.available if m.grade_on < day]
        if not candidates:
            return
        manager = self.rng.choice(candidates)
        rank = RANK[manager.grade]
        up = rank == 0 or (rank < len(GRADES) - 1 and not self.chance(150))
        manager.grade = GRADES[rank + 1 if up else rank - 1]
        manager.grade_on = day
        reason = "annual assessment: promoted" if up else "annual assessment: demoted"
        yield self.message(
            "manager.grade_changed",
            manager_id=manager.id,
            grade=manager.grade,
            effective_on=day,
            reason=reason,
        )

    def departure_step(self) -> Steps:
        """A manager asks to leave: the handover of the whole book comes first, then
        the release of their backups, the three approvals, and the last day."""
        day = self.today()
        candidates = [
            m
            for m in self.available
            if m.busy == 0
            and m.hired_on < day - timedelta(days=30)
            and sum(1 for o in self.available if o.branch == m.branch) > 2
        ]
        if not candidates:
            return
        rng = self.rng
        # Leavers who hold backups are a little more likely: they are the experienced
        # staff other banks hire away, and their releases are worth seeing.
        manager = weighted(rng, tuple((m, 3 if m.backups else 1) for m in candidates))
        manager.state = "departing"
        self.available.remove(manager)  # no new clients, backups or handovers to them
        last_day = day + timedelta(days=25 + rng.randrange(15))
        kind = weighted(rng, DEPARTURE_KINDS)
        yield self.message(
            "manager.departure_requested",
            manager_id=manager.id,
            kind=kind,
            requested_on=day,
            last_day=last_day,
        )
        opened_on = day + timedelta(days=1 + rng.randrange(3))
        self.plan(opened_on, lambda: self.departure_handover_step(manager))
        self.plan(last_day, lambda: self.departed_step(manager, last_day))

    def plan_approvals(self, manager: Manager, day: date) -> None:
        """Once the book is handed over: department head, RM office, HR, in order.
        (Handover by day 13 after the request, approvals within 9 more days: all
        before the last day, which is at least 25 days after the request.)"""
        approved_on = day
        for role, approver in (
            ("department_head", f"DH-{manager.branch}"),
            ("rm_office", f"RMO-{manager.branch}"),
            ("hr", "HR-HQ-01"),
        ):
            approved_on += timedelta(days=self.rng.randrange(4))
            self.plan(
                approved_on, partial(self.approval_step, manager, role, approver, approved_on)
            )

    def approval_step(self, manager: Manager, role: str, approver: str, day: date) -> Steps:
        """One of the three approvals, in order."""
        yield self.message(
            "manager.departure_approved",
            manager_id=manager.id,
            approver_id=approver,
            role=role,
            approved_on=day,
        )

    def departure_handover_step(self, manager: Manager) -> Steps:
        """Hand the leaver's whole book to a colleague; with no book, just drop backups."""
        day = self.today()
        if not manager.book:
            yield from self.release_backups(manager, day)
            self.plan_approvals(manager, day)
            return
        same_unit = [m for m in self.available if m.unit == manager.unit]
        same_branch = [m for m in self.available if m.branch == manager.branch]
        target = self.rng.choice(same_unit or same_branch or self.available)
        reason = "departure: the whole book goes to a colleague"
        yield from self.open_handover(manager, target, sorted(manager.book), reason, departure=True)

    def rebalance_step(self) -> Steps:
        """Move part of a large book to the colleague with the smallest one."""
        day = self.today()
        sources = [m for m in self.available if m.busy == 0 and len(m.book) >= 4]
        if not sources:
            return
        source = max(sources, key=lambda m: (len(m.book), m.id))
        targets = [m for m in self.available if m is not source and m.branch == source.branch]
        if not targets:
            return
        target = min(
            targets, key=lambda m: (len(m.book), m.hired_on < day - timedelta(days=365), m.id)
        )
        movable = [cid for cid in source.book if not self.client_by_id[cid].locked]
        chosen = sorted(self.rng.sample(movable, min(40, max(1, len(movable) // 5))))
        yield from self.open_handover(
            source, target, chosen, "portfolio rebalancing", departure=False
        )

    def open_handover(
        self, source: Manager, target: Manager, client_ids: list[str], reason: str, departure: bool
    ) -> Steps:
        """Open a handover and plan its witnesses, signed record and filing."""
        rng, day = self.rng, self.today()
        handover = Handover(
            f"HO{next(self.handover_numbers):05d}", source, target, client_ids, departure
        )
        for client_id in client_ids:
            self.client_by_id[client_id].locked = True
        source.busy += 1
        target.busy += 1
        yield self.message(
            "handover.opened",
            handover_id=handover.id,
            from_manager_id=source.id,
            to_manager_id=target.id,
            client_ids=client_ids,
            reason=reason,
            opened_on=day,
        )
        # Witnesses are the sub-branch's RM lead and the branch's wealth-centre head:
        # staff ids, never managers, so never a party to the handover.
        lead = (
            f"LEAD-{source.unit}" if source.unit != source.branch else f"LEAD-{source.branch}-SB01"
        )
        witnessed = []
        for role, witness in (
            ("sub_branch_lead", lead),
            ("wealth_centre_head", f"WCH-{source.branch}"),
        ):
            on = day + timedelta(days=rng.randrange(3))
            witnessed.append(on)
            self.plan(on, partial(self.witness_step, handover, role, witness, on))
        signed_on = max(witnessed) + timedelta(days=rng.randrange(3))
        self.plan(signed_on, lambda: self.signed_step(handover, signed_on))
        filed_on = signed_on + timedelta(days=1 + rng.randrange(3))
        self.plan(filed_on, lambda: self.filed_step(handover, filed_on))

    def witness_step(self, handover: Handover, role: str, witness: str, day: date) -> Steps:
        yield self.message(
            "handover.witnessed",
            handover_id=handover.id,
            witness_id=witness,
            witness_role=role,
            witnessed_on=day,
        )

    def signed_step(self, handover: Handover, day: date) -> Steps:
        yield self.message(
            "handover.record_signed",
            handover_id=handover.id,
            record_ref=f"DOC-{handover.id}",
            signed_on=day,
        )

    def filed_step(self, handover: Handover, day: date) -> Steps:
        """Filing moves every client; a leaver then gives up the backups they hold."""
        source, target = handover.source, handover.target
        for client_id in handover.client_ids:
            client = self.client_by_id[client_id]
            del source.book[client_id]
            target.book[client_id] = None
            client.primary = target.id
            client.locked = False
            if client.backup == target.id:
                # The ledger ends this backup itself on filing: no message.
                client.backup = None
                del target.backups[client_id]
        source.busy -= 1
        target.busy -= 1
        yield self.message("handover.filed", handover_id=handover.id, filed_on=day)
        if handover.departure:
            yield from self.release_backups(source, day)
            self.plan_approvals(source, day)

    def release_backups(self, manager: Manager, day: date) -> Steps:
        """A leaver's backup roles end."""
        for client_id in list(manager.backups):
            yield self.release(self.client_by_id[client_id], "backup", day)

    def departed_step(self, manager: Manager, day: date) -> Steps:
        """The last working day: by now the book is empty and all three have approved."""
        assert not manager.book and not manager.backups, f"{manager.id} still holds clients"
        manager.state = "departed"
        yield self.message("manager.departed", manager_id=manager.id, departed_on=day)

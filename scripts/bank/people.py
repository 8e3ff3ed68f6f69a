"""Building blocks for people: hiring managers, drawing clients, choosing who serves
them, and the assignment messages that give and end a role."""

from __future__ import annotations

from datetime import date

from scripts.bank.agenda import BankBase
from scripts.bank.business import RANK
from scripts.bank.draws import company_name, credit_code, person_name, resident_id, wealth_fen
from scripts.bank.state import Client, Manager, Message


class People(BankBase):
    """Managers and clients enter the bank; roles are given and ended."""

    def hire(self, branch: str, grade: str, hired_on: date) -> Message:
        """A new manager: principals sit at the branch, others in a sub-branch."""
        unit = branch if grade == "principal" else self.rng.choice(self.units[branch])
        manager = Manager(f"M{next(self.manager_numbers):04d}", branch, unit, grade, hired_on)
        self.managers[manager.id] = manager
        self.available.append(manager)
        return self.message(
            "manager.hired",
            manager_id=manager.id,
            name=person_name(self.rng),
            branch_id=unit,
            grade=grade,
            hired_on=hired_on,
        )

    def new_client(self, registered_on: date) -> tuple[Client, Manager]:
        """Draw a client's kind and wealth, and the manager who serves them."""
        kind = "corporate" if self.chance(150) else "personal"
        wealth = wealth_fen(self.rng) * (10 if kind == "corporate" else 1)
        probe = Client("", kind, "", "", registered_on)
        probe.deposit = wealth
        manager = self.pick_manager(probe, exclude=None)
        assert manager is not None, "the bank always has a manager to serve a client"
        unit = (
            manager.unit
            if manager.unit != manager.branch
            else self.rng.choice(self.units[manager.branch])
        )
        client = Client(
            f"C{next(self.client_numbers):06d}", kind, manager.branch, unit, registered_on
        )
        client.usual = wealth
        client.trade = kind == "corporate" and self.chance(500)
        self.clients.append(client)
        self.client_by_id[client.id] = client
        return client, manager

    def pick_manager(self, client: Client, exclude: Manager | None) -> Manager | None:
        """A manager for a client, usually of a grade fit for its assets (a few
        mismatches are left in on purpose: the audit should find them)."""
        pool = [m for m in self.available if m is not exclude and m.id != client.primary]
        if client.branch:
            same_branch = [m for m in pool if m.branch == client.branch]
            pool = same_branch or pool
        if not pool:
            return None
        assets = max(client.deposit, client.usual)
        need = (
            3
            if assets > 500_000_000
            else 2
            if assets > 100_000_000
            else 1
            if assets > 50_000_000
            else 0
        )
        fit = [m for m in pool if RANK[m.grade] >= need]
        if fit and not self.chance(50):
            pool = fit
        return self.rng.choice(pool)

    def register(self, client: Client) -> Message:
        """The client.registered message, with a made-up name and identity number."""
        personal = client.kind == "personal"
        return self.message(
            "client.registered",
            client_id=client.id,
            kind=client.kind,
            branch_id=client.unit,
            registered_on=client.registered_on,
            name=person_name(self.rng) if personal else company_name(self.rng),
            id_number=resident_id(self.rng) if personal else credit_code(self.rng),
        )

    def assign(self, client: Client, manager: Manager, role: str, origin: str, on: date) -> Message:
        """Give ``role`` for ``client`` to ``manager`` from ``on``."""
        if role == "primary":
            client.primary = manager.id
            client.since = on
            manager.book[client.id] = None
        else:
            client.backup = manager.id
            manager.backups[client.id] = None
        return self.message(
            "assignment.assigned",
            client_id=client.id,
            manager_id=manager.id,
            role=role,
            origin=origin,
            effective_on=on,
        )

    def release(self, client: Client, role: str, on: date) -> Message:
        """End ``role`` for ``client`` from ``on``."""
        if role == "primary":
            assert client.primary is not None
            manager = self.managers[client.primary]
            del manager.book[client.id]
            client.primary = None
            client.since = None
        else:
            assert client.backup is not None
            manager = self.managers[client.backup]
            del manager.backups[client.id]
            client.backup = None
        return self.message(
            "assignment.released",
            client_id=client.id,
            manager_id=manager.id,
            role=role,
            effective_on=on,
        )

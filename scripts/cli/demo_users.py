"""The demo's users: one account per role on the demo bank, each with a generated
password, so that ``rmledger serve`` on the demo's data can be tried as every role."""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from domain.ledger import Ledger
from domain.principal import ADMIN, AUDITOR, BRANCH_HEAD, MANAGER, PERFORMANCE_OFFICE
from scripts.cli.users import bound_to
from scripts.identity.passwords import generate_password, hash_password

ADDED_BY = "demo"


@attrs.frozen
class DemoUser:
    """An account the demo added, with its password (shown once)."""

    username: str
    role: str
    manager_id: str | None
    branch_id: str | None
    password: str

    @property
    def bound(self) -> str:
        return bound_to(self.role, self.manager_id, self.branch_id)


def first_manager(source: Path) -> tuple[str, str]:
    """The first manager hired in the demo's messages, and their branch (the users are
    added before the read model is read, so that the demo's audits and the commands
    run after it see the same log)."""
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            message = json.loads(line)
            if message.get("type") == "manager.hired":
                return str(message["manager_id"]), str(message["branch_id"])
    raise ValueError(f"{source} hires no manager")


def add_demo_users(ledger: Ledger, manager_id: str, branch_id: str) -> list[DemoUser]:
    """One account per role: the manager bound to ``manager_id``, the branch head to
    ``branch_id`` (that manager's branch), and the three unbound roles."""
    wanted = [
        ("demo-manager", MANAGER, manager_id, None),
        ("demo-branch-head", BRANCH_HEAD, None, branch_id),
        ("demo-office", PERFORMANCE_OFFICE, None, None),
        ("demo-auditor", AUDITOR, None, None),
        ("demo-admin", ADMIN, None, None),
    ]
    users = []
    for name, role, manager, branch in wanted:
        password = generate_password()
        ledger.add_account(name, role, manager, branch, hash_password(password), ADDED_BY)
        users.append(DemoUser(name, role, manager, branch, password))
    return users

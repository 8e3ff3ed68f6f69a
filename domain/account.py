"""A person's account: who they are, the one role they hold and what it is bound to.

Accounts live in the ledger's own event log, so the seals and ``rmledger verify`` cover
every grant, change and withdrawal of a role, and an audit can say who could see what on
any day (docs/rules.md R11.1). An account is never deleted: it is disabled, and a
disabled account takes no further change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DependencyMissing, DomainRuleBroken
from domain.ids import aggregate_id
from domain.principal import BRANCH_HEAD, MANAGER, ROLES, Principal

ACCOUNT_KIND = "account"
MIN_USERNAME_CHARS = 2
MAX_USERNAME_CHARS = 64
# Lower-case so that "Alice" and "alice" cannot be two people; "@" and "." so that an
# identity provider's e-mail claim can be a username as it is.
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]*")
USERNAME_SHAPE = (
    "lower-case letters, digits, '.', '_', '@' and '-', starting with a letter or digit"
)
SECRET_FIELDS = ("password_hash",)
"""Event fields that never leave the event store: not in the read model, not published."""


def account_id(username: str) -> UUID:
    """The aggregate id of ``username``'s account."""
    return aggregate_id(ACCOUNT_KIND, username)


def check_username(username: str) -> None:
    """A username is 2-64 characters of ``USERNAME_SHAPE``."""
    if not MIN_USERNAME_CHARS <= len(username) <= MAX_USERNAME_CHARS:
        raise DomainRuleBroken(
            "username",
            "username_length",
            f"a username has {MIN_USERNAME_CHARS} to {MAX_USERNAME_CHARS} characters, "
            f"this one has {len(username)}",
            username,
        )
    if not _USERNAME.fullmatch(username):
        raise DomainRuleBroken(
            "username",
            "username_pattern",
            f"a username is made of {USERNAME_SHAPE}: {username!r} is not",
            username,
        )


def check_role(
    role: str, manager_id: str | None, branch_id: str | None, manager_exists: Callable[[str], bool]
) -> None:
    """The role is one of ``ROLES`` with exactly the binding it needs: a ``manager`` an
    existing manager id and no branch, a ``branch_head`` a branch id and no manager id,
    every other role neither."""
    if role not in ROLES:
        raise DomainRuleBroken(
            "role", "unknown_role", f"{role!r} is not a role; roles: {', '.join(ROLES)}", role
        )
    if role == MANAGER:
        if not manager_id:
            raise DomainRuleBroken(
                "manager_id", "manager_id_required", "the manager role is bound to a manager id"
            )
        if not manager_exists(manager_id):
            raise DependencyMissing(
                "manager_id", "unknown_manager", f"no manager {manager_id!r} is known", manager_id
            )
    elif manager_id:
        raise DomainRuleBroken(
            "manager_id",
            "manager_id_not_allowed",
            f"the {role} role is bound to no manager id",
            manager_id,
        )
    if role == BRANCH_HEAD:
        if not branch_id:
            raise DomainRuleBroken(
                "branch_id", "branch_id_required", "the branch_head role is bound to a branch id"
            )
    elif branch_id:
        raise DomainRuleBroken(
            "branch_id",
            "branch_id_not_allowed",
            f"the {role} role is bound to no branch id",
            branch_id,
        )


class Account(Aggregate):
    """A person's account (username, argon2 password hash, role and binding)."""

    @staticmethod
    def create_id(username: str) -> UUID:
        return account_id(username)

    @event("Added")
    def __init__(
        self,
        username: str,
        role: str,
        manager_id: str | None,
        branch_id: str | None,
        password_hash: str,
        by: str,
        at: datetime,
    ) -> None:
        self.username = username
        self.role = role
        self.manager_id = manager_id
        self.branch_id = branch_id
        self.password_hash = password_hash
        self.disabled = False

    def principal(self) -> Principal:
        """The account as the access policy sees it."""
        return Principal(self.username, self.role, self.manager_id, self.branch_id)

    def check_enabled(self) -> None:
        """Nothing is done to a disabled account."""
        if self.disabled:
            raise DomainRuleBroken(
                "username", "user_disabled", f"user {self.username} is disabled", self.username
            )

    def change_role(
        self,
        role: str,
        manager_id: str | None,
        branch_id: str | None,
        by: str,
        manager_exists: Callable[[str], bool],
    ) -> None:
        """Grant another role (or the same role bound to something else)."""
        self.check_enabled()
        check_role(role, manager_id, branch_id, manager_exists)
        if (role, manager_id, branch_id) == (self.role, self.manager_id, self.branch_id):
            raise DomainRuleBroken(
                "role", "role_unchanged", f"user {self.username} already holds this role", role
            )
        self._role_changed(self.username, role, manager_id, branch_id, by)

    @event("RoleChanged")
    def _role_changed(
        self, username: str, role: str, manager_id: str | None, branch_id: str | None, by: str
    ) -> None:
        self.role = role
        self.manager_id = manager_id
        self.branch_id = branch_id

    def disable(self, by: str) -> None:
        """Withdraw the role for good: the account can no longer sign in or be changed."""
        self.check_enabled()
        self._disabled(self.username, by)

    @event("Disabled")
    def _disabled(self, username: str, by: str) -> None:
        self.disabled = True

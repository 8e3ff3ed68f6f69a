"""The ledger's commands on accounts and the access log (``Ledger.add_account`` and
its neighbours delegate here, so that ``domain/ledger.py`` stays about messages).

Accounts are changed one at a time by an administrator, never in the message batches:
each command loads the account, applies its rule and stores the new event in its own
transaction. Two administrators changing one account at once collide on its version;
the loser is run again on the account as the winner left it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.access_log import AccessEntry, access_record
from domain.account import Account, account_id, check_role, check_username
from domain.errors import DomainRuleBroken
from domain.ids import aggregate_id

if TYPE_CHECKING:
    from domain.ledger import Ledger

_ATTEMPTS = 3  # a version collision is retried on the reloaded account this many times


def find_account(ledger: Ledger, username: str) -> Account | None:
    """``username``'s account as stored now, or None (read from the event store, not
    the read model: a disabled account is refused from the very next request)."""
    try:
        found: Aggregate = ledger.repository.get(account_id(username))
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, Account) else None


def add_account(
    ledger: Ledger,
    username: str,
    role: str,
    manager_id: str | None,
    branch_id: str | None,
    password_hash: str,
    by: str,
    at: datetime | None = None,
) -> Account:
    """A new account; ``username_exists`` if the name is taken (disabled accounts too:
    a name is never given to a second person)."""
    check_username(username)
    check_role(role, manager_id, branch_id, _manager_exists(ledger))
    if ledger.has_aggregate(account_id(username)):
        raise _taken(username)
    account = Account(
        username, role, manager_id, branch_id, password_hash, by, at or datetime.now(UTC)
    )
    try:
        _store(ledger, account)
    except IntegrityError:
        raise _taken(username) from None  # added by someone else since the check
    return account


def change_role(
    ledger: Ledger, username: str, role: str, manager_id: str | None, branch_id: str | None, by: str
) -> Account:
    """Grant ``username`` another role, or the same role bound to something else."""
    exists = _manager_exists(ledger)
    return _change(
        ledger, username, lambda a: a.change_role(role, manager_id, branch_id, by, exists)
    )


def disable_account(ledger: Ledger, username: str, by: str) -> Account:
    """Disable ``username`` for good."""
    return _change(ledger, username, lambda a: a.disable(by))


def record_accesses(ledger: Ledger, entries: Sequence[AccessEntry]) -> list[UUID]:
    """Append one access-log record per entry, all in one transaction; their ids.
    Every entry is checked before any is stored."""
    records = [access_record(entry) for entry in entries]
    if records:
        _store(ledger, *records)
    return [record.id for record in records]


def require_account(ledger: Ledger, username: str) -> Account:
    """``username``'s enabled account, or ``unknown_user`` / ``user_disabled``."""
    account = find_account(ledger, username)
    if account is None:
        raise DomainRuleBroken(
            "username", "unknown_user", f"no user {username!r} is known", username
        )
    account.check_enabled()
    return account


def _change(ledger: Ledger, username: str, change: Callable[[Account], None]) -> Account:
    for attempt in range(_ATTEMPTS):
        account = require_account(ledger, username)
        change(account)
        try:
            _store(ledger, account)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        return account
    raise AssertionError("unreachable")


def _store(ledger: Ledger, *aggregates: Aggregate) -> None:
    # Straight to the recorder, as apply_batch does: the ledger keeps no cache and has
    # no followers to notify.
    events = [event for aggregate in aggregates for event in aggregate.collect_events()]
    ledger.recorder.insert_events([ledger.mapper.to_stored_event(event) for event in events])


def _manager_exists(ledger: Ledger) -> Callable[[str], bool]:
    return lambda manager_id: ledger.has_aggregate(aggregate_id("manager", manager_id))


def _taken(username: str) -> DomainRuleBroken:
    return DomainRuleBroken(
        "username", "username_exists", f"user {username} already exists", username
    )

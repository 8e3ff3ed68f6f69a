"""From a username, a password or a token to the ``Principal`` the access policy asks
about. Accounts are read from the event store at every call (``reader`` is the
``Ledger``, ``StoredAccounts``, or anything with their ``account(username)``): a role
change applies to the next request and a disabled user is refused from then on, with
every token they hold."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from domain.account import Account, account_id
from domain.principal import Principal
from scripts.identity.errors import DISABLED, UNKNOWN_USER, Unauthenticated
from scripts.identity.passwords import dummy_hash, verify_password
from scripts.identity.sso import ProviderKeys, SsoSettings, sso_username
from scripts.identity.tokens import token_username


class AccountReader(Protocol):
    """Where accounts are read from: ``domain.ledger.Ledger`` is one."""

    def account(self, username: str) -> Account | None: ...


class StoredAccounts:
    """The accounts of ``ledger`` as stored now, each rebuilt from its events only when
    its stored version has moved since the last call: every call still asks the store
    for the account's newest event (one indexed row), so a change or a disabling
    applies to the very next call, but the events are not read and decoded again for
    each request of a signed-in user."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self._kept: dict[str, Account] = {}
        self._lock = threading.Lock()

    def account(self, username: str) -> Account | None:
        """``username``'s account as stored now, or None."""
        newest = self.ledger.recorder.select_events(account_id(username), desc=True, limit=1)
        if not newest:
            return None
        with self._lock:
            kept = self._kept.get(username)
        if kept is not None and kept.version == newest[0].originator_version:
            return kept
        account: Account | None = self.ledger.account(username)
        if account is not None:
            with self._lock:
                self._kept[username] = account
        return account


def lookup(reader: AccountReader, username: str) -> Principal | None:
    """The user's principal, or None when the username is unknown or disabled."""
    account = reader.account(username)
    if account is None or account.disabled:
        return None
    return account.principal()


def authenticate(reader: AccountReader, username: str, password: str) -> Principal | None:
    """The principal when ``password`` is the user's and the account is enabled, else
    None. An unknown name costs one hash verification too, like a wrong password."""
    account = reader.account(username)
    if account is None:
        verify_password(dummy_hash(), password)
        return None
    if not verify_password(account.password_hash, password) or account.disabled:
        return None
    return account.principal()


def principal_from_token(
    reader: AccountReader, keys: bytes | Sequence[bytes], token: str, now: datetime
) -> Principal:
    """The principal of an rmledger bearer token; ``Unauthenticated`` when it is
    forged, malformed or expired (scripts/identity/tokens.py), or its user is unknown
    or disabled."""
    return _principal(reader, token_username(keys, token, now))


def principal_from_sso(
    reader: AccountReader, settings: SsoSettings, keys: ProviderKeys, token: str, now: datetime
) -> Principal:
    """The principal of the bank identity provider's JWT (scripts/identity/sso.py): the
    person must also have an enabled rmledger account, which holds their role."""
    return _principal(reader, sso_username(settings, keys, token, now))


def _principal(reader: AccountReader, username: str) -> Principal:
    account = reader.account(username)
    if account is None:
        raise Unauthenticated(UNKNOWN_USER, f"no user {username!r} is known")
    if account.disabled:
        raise Unauthenticated(DISABLED, f"user {username} is disabled")
    return account.principal()

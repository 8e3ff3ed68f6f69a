"""From a username, a password or a token to the ``Principal`` the access policy asks
about. Accounts are read from the event store at every call (``reader`` is the
``Ledger``, or anything with its ``account(username)``), never from a cache: a role
change applies to the next request and a disabled user is refused from then on, with
every token they hold."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.account import Account
from domain.principal import Principal
from scripts.identity.errors import DISABLED, UNKNOWN_USER, Unauthenticated
from scripts.identity.passwords import dummy_hash, verify_password
from scripts.identity.sso import ProviderKeys, SsoSettings, sso_username
from scripts.identity.tokens import token_username


class AccountReader(Protocol):
    """Where accounts are read from: ``domain.ledger.Ledger`` is one."""

    def account(self, username: str) -> Account | None: ...


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

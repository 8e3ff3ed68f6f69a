"""Passwords: argon2id hashes (argon2-cffi's defaults), generated passwords, and the
shortest password accepted."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 12
_HASHER = PasswordHasher()


class WeakPassword(ValueError):
    """A password shorter than ``MIN_PASSWORD_CHARS``."""


def check_password(password: str) -> None:
    """A password has at least ``MIN_PASSWORD_CHARS`` characters."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(
            f"a password has at least {MIN_PASSWORD_CHARS} characters, this one has {len(password)}"
        )


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted: two hashes of one password differ)."""
    check_password(password)
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password of 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)


@cache
def dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so that an unknown name
    takes as long to refuse as a wrong password (no probing for usernames)."""
    return _HASHER.hash(generate_password())

"""The HTTP API's own bearer tokens (``rmledger users token``, ``POST /api/v1/session``).

A token is ``rml1.<payload>.<signature>``: the payload is the base64url of
``{"sub": USERNAME, "exp": UNIX_SECONDS}``, the signature the base64url of its
HMAC-SHA256 under the token key. The key is kept outside the event store:
``RMLEDGER_TOKEN_KEY`` (64 hexadecimal characters), else the file named by
``RMLEDGER_TOKEN_KEY_FILE``, else ``token.key`` in the data directory, made (mode 0600)
when a token is first issued. Several keys (comma separated) are a rotation: the first
signs, every one verifies. A token says who and until when, nothing else: the role is
looked up at every use (scripts/identity/accounts.py), so a role change applies at
once and a disabled user's tokens die with the account.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from scripts.cli.seal_key import KeySetting, SealKeyProblem, load_keys
from scripts.identity.errors import BAD_SIGNATURE, EXPIRED, MALFORMED, Unauthenticated

TOKEN_KEY = KeySetting("RMLEDGER_TOKEN_KEY", "RMLEDGER_TOKEN_KEY_FILE", "token.key", "token key")
PREFIX = "rml1"
DEFAULT_TTL = timedelta(hours=8)
MAX_TTL = timedelta(days=7)
_TTL = re.compile(r"([1-9][0-9]{0,6})([smh])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def token_keys(
    data_dir: Path, environ: Mapping[str, str] | None = None, create: bool = True
) -> list[bytes]:
    """The token keys (the first signs): from the settings, else ``token.key`` in the
    data directory, made when ``create``. ``SealKeyProblem`` names a bad setting."""
    keys = load_keys(data_dir, os.environ if environ is None else environ, create, TOKEN_KEY)
    if not keys:
        raise SealKeyProblem(
            f"no token key: set {TOKEN_KEY.env} or {TOKEN_KEY.file_env}, or issue a token with "
            "`rmledger users token` to make one in the data directory"
        )
    return keys


def parse_ttl(text: str) -> timedelta:
    """``90s``, ``30m``, ``8h``: a positive whole number of seconds, minutes or hours,
    at most ``MAX_TTL``; ``ValueError`` with the reason otherwise."""
    match = _TTL.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration: a whole number and s, m or h, like 90s, 30m or 8h"
        )
    ttl = timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])
    if ttl > MAX_TTL:
        raise ValueError(f"{text} is longer than the longest token life, {MAX_TTL.days} days")
    return ttl


def issue_token(key: bytes, username: str, expires_at: datetime) -> str:
    """A token for ``username`` valid until ``expires_at`` (to the second)."""
    claims = {"sub": username, "exp": int(expires_at.timestamp())}
    body = f"{PREFIX}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{body}.{_b64(_sign(key, body))}"


def token_username(keys: bytes | Sequence[bytes], token: str, now: datetime) -> str:
    """The username a token was issued to, if it is signed by one of ``keys`` and not
    expired at ``now``; else ``Unauthenticated`` (``malformed``, ``bad_signature``,
    ``expired``)."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise Unauthenticated(MALFORMED, "the bearer token is not an rmledger token")
    body = f"{parts[0]}.{parts[1]}"
    try:
        signature = _unb64(parts[2])
        claims = json.loads(_unb64(parts[1]))
    except (binascii.Error, ValueError):
        raise Unauthenticated(MALFORMED, "the bearer token cannot be decoded") from None
    candidates = [keys] if isinstance(keys, bytes) else list(keys)
    if not any(hmac.compare_digest(_sign(key, body), signature) for key in candidates):
        raise Unauthenticated(BAD_SIGNATURE, "the bearer token's signature is not the ledger's")
    username, expires = (
        (claims.get("sub"), claims.get("exp")) if isinstance(claims, dict) else (None, None)
    )
    if not isinstance(username, str) or not isinstance(expires, int):
        raise Unauthenticated(MALFORMED, "the bearer token carries no username or expiry")
    if now.timestamp() >= expires:
        raise Unauthenticated(EXPIRED, "the bearer token has expired")
    return username


def _sign(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

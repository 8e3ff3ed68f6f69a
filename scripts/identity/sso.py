"""Single sign-on: a JWT from the bank's identity provider, verified with PyJWT.

The token must be signed by a key of the provider's JWKS (a file, or an ``https://``
URL read through PyJWT's cached client), name the configured issuer and audience, and be
inside its ``nbf``/``exp`` window at ``now`` (checked here against the caller's clock, so
that the check is the same in tests and in the server). One claim, by default
``preferred_username``, names the person: lower-cased, it is their rmledger username.
Settings (docs/operations.md): ``RMLEDGER_SSO_ISSUER``, ``RMLEDGER_SSO_AUDIENCE``,
``RMLEDGER_SSO_JWKS`` (path or URL), ``RMLEDGER_SSO_CLAIM``, ``RMLEDGER_SSO_ALGORITHMS``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import jwt

from scripts.identity.errors import (
    BAD_SIGNATURE,
    CLAIM_MISSING,
    EXPIRED,
    JWKS_UNAVAILABLE,
    MALFORMED,
    NOT_YET_VALID,
    UNKNOWN_KEY,
    WRONG_AUDIENCE,
    WRONG_ISSUER,
    Unauthenticated,
)

ENV_PREFIX = "RMLEDGER_SSO_"
DEFAULT_CLAIM = "preferred_username"
DEFAULT_ALGORITHMS = ("RS256",)


class SsoMisconfigured(Exception):
    """The single sign-on settings are incomplete or unusable (a server start-up error)."""


@attrs.frozen
class SsoSettings:
    """Where the provider's keys are and what its tokens must say."""

    issuer: str
    audience: str
    jwks: str  # a file path, or an http(s) URL
    claim: str = DEFAULT_CLAIM
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SsoSettings | None:
        """The settings from ``RMLEDGER_SSO_*``, or None when single sign-on is off
        (none of them set); ``SsoMisconfigured`` when some but not all are set."""
        source = os.environ if environ is None else environ
        values = {
            name: source.get(ENV_PREFIX + name.upper(), "").strip()
            for name in ("issuer", "audience", "jwks", "claim", "algorithms")
        }
        required = ("issuer", "audience", "jwks")
        if not any(values[name] for name in required):
            return None
        missing = [ENV_PREFIX + name.upper() for name in required if not values[name]]
        if missing:
            raise SsoMisconfigured(f"single sign-on needs {', '.join(missing)} too")
        algorithms = tuple(a.strip() for a in values["algorithms"].split(",") if a.strip())
        return cls(
            values["issuer"],
            values["audience"],
            values["jwks"],
            values["claim"] or DEFAULT_CLAIM,
            algorithms or DEFAULT_ALGORITHMS,
        )


class ProviderKeys:
    """The provider's public keys by key id, from the JWKS file (read again when it
    changes) or URL (PyJWT's client, which caches the set and refetches an unknown id)."""

    def __init__(self, jwks: str) -> None:
        self.jwks = jwks
        self._client = (
            jwt.PyJWKClient(jwks, timeout=10) if jwks.startswith(("https://", "http://")) else None
        )
        self._file: tuple[float, jwt.PyJWKSet] | None = None

    def key(self, token: str) -> jwt.PyJWK:
        """The key that signed ``token`` (by its ``kid``; the only key when it names none)."""
        try:
            if self._client is not None:
                return self._client.get_signing_key_from_jwt(token)
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWKClientConnectionError as error:
            raise Unauthenticated(
                JWKS_UNAVAILABLE, f"the identity provider's keys cannot be read: {error}"
            ) from None
        except jwt.PyJWKClientError:
            raise Unauthenticated(
                UNKNOWN_KEY, "the token is signed by a key the identity provider does not list"
            ) from None
        except jwt.DecodeError:
            raise Unauthenticated(MALFORMED, "the token is not a JWT") from None
        keys = self._file_keys()
        matching = [k for k in keys.keys if kid is None or k.key_id == kid]
        if kid is None and len(matching) > 1 or not matching:
            raise Unauthenticated(
                UNKNOWN_KEY, "the token is signed by a key the identity provider does not list"
            )
        return matching[0]

    def _file_keys(self) -> jwt.PyJWKSet:
        path = Path(self.jwks)
        try:
            changed = path.stat().st_mtime
            if self._file is None or self._file[0] != changed:
                self._file = (changed, jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8")))
        except (OSError, jwt.PyJWKSetError, ValueError) as error:
            raise Unauthenticated(
                JWKS_UNAVAILABLE,
                f"the identity provider's keys cannot be read from {path}: {error}",
            ) from None
        return self._file[1]


def sso_username(settings: SsoSettings, keys: ProviderKeys, token: str, now: datetime) -> str:
    """The username a provider's token names, once it is verified; else
    ``Unauthenticated`` with the reason (``wrong_issuer``, ``wrong_audience``,
    ``expired``, ``not_yet_valid``, ``bad_signature``, ``unknown_key``, ``malformed``,
    ``claim_missing``)."""
    key = keys.key(token)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(settings.algorithms),
            audience=settings.audience,
            issuer=settings.issuer,
            options={
                "require": ["exp", "iss", "aud"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidIssuerError:
        raise Unauthenticated(
            WRONG_ISSUER, f"the token was not issued by {settings.issuer}"
        ) from None
    except jwt.InvalidAudienceError:
        raise Unauthenticated(
            WRONG_AUDIENCE, f"the token is not meant for {settings.audience}"
        ) from None
    except jwt.InvalidSignatureError:
        raise Unauthenticated(BAD_SIGNATURE, "the token's signature does not verify") from None
    except jwt.MissingRequiredClaimError as error:
        raise Unauthenticated(MALFORMED, f"the token has no {error.claim!r} claim") from None
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(MALFORMED, f"the token cannot be read: {error}") from None
    moment = now.timestamp()
    if not isinstance(claims["exp"], (int, float)) or moment >= claims["exp"]:
        raise Unauthenticated(EXPIRED, "the token has expired")
    not_before = claims.get("nbf")
    if isinstance(not_before, (int, float)) and moment < not_before:
        raise Unauthenticated(NOT_YET_VALID, "the token is not valid yet")
    name = claims.get(settings.claim)
    if not isinstance(name, str) or not name.strip():
        raise Unauthenticated(
            CLAIM_MISSING, f"the token has no {settings.claim!r} claim to name the user"
        )
    return name.strip().lower()

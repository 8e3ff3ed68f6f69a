"""Signing in (docs/rules.md R11.2): passwords, the ledger's bearer tokens and the bank
identity provider's JWTs, each to a Principal or ``Unauthenticated`` with its reason.
Accounts are real events in an SQLite store; the provider's keys are an RSA key pair
made here and published in a JWKS file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.ledger import Ledger
from domain.principal import Principal
from scripts.identity.accounts import (
    StoredAccounts,
    authenticate,
    lookup,
    principal_from_sso,
    principal_from_token,
)
from scripts.identity.errors import Unauthenticated
from scripts.identity.passwords import hash_password
from scripts.identity.sso import ProviderKeys, SsoMisconfigured, SsoSettings
from scripts.identity.tokens import issue_token, parse_ttl
from tests.builders import given, hire

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = bytes.fromhex("11" * 32)
OLD_KEY = bytes.fromhex("22" * 32)
ISSUER = "https://idp.bank.example/realms/staff"
AUDIENCE = "rmledger"


@pytest.fixture
def ledger(tmp_path: Path, clean_environ: None) -> Ledger:
    opened = Ledger(
        {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "events.sqlite"),
        }
    )
    given(opened, hire("M1"))
    opened.add_account("mia", "manager", "M1", None, hash_password("correct horse battery"), "root")
    opened.add_account("aud", "auditor", None, None, hash_password("auditor password"), "root")
    return opened


def reason(action: object) -> str:
    with pytest.raises(Unauthenticated) as caught:
        action()  # type: ignore[operator]
    return caught.value.reason


def test_lookup_and_password_give_the_principal_only_for_an_enabled_account(ledger: Ledger) -> None:
    mia = Principal("mia", "manager", "M1", None)
    assert lookup(ledger, "mia") == mia
    assert lookup(ledger, "nobody") is None
    assert authenticate(ledger, "mia", "correct horse battery") == mia
    assert authenticate(ledger, "mia", "correct horse batterY") is None
    assert authenticate(ledger, "nobody", "correct horse battery") is None
    ledger.change_role("mia", "branch_head", None, "BR01", "root")
    assert lookup(ledger, "mia") == Principal("mia", "branch_head", None, "BR01")
    ledger.disable_account("mia", "root")
    assert lookup(ledger, "mia") is None
    assert authenticate(ledger, "mia", "correct horse battery") is None


def test_a_token_gives_its_user_until_it_expires_and_dies_with_the_account(ledger: Ledger) -> None:
    token = issue_token(KEY, "mia", NOW + timedelta(hours=8))
    assert principal_from_token(ledger, KEY, token, NOW) == Principal("mia", "manager", "M1", None)
    assert (
        principal_from_token(
            ledger, [OLD_KEY, KEY], token, NOW + timedelta(hours=7, seconds=59 * 60 + 59)
        ).username
        == "mia"
    )
    assert (
        reason(lambda: principal_from_token(ledger, KEY, token, NOW + timedelta(hours=8)))
        == "expired"
    )
    ledger.disable_account("mia", "root")
    assert reason(lambda: principal_from_token(ledger, KEY, token, NOW)) == "disabled"
    stranger = issue_token(KEY, "nobody", NOW + timedelta(hours=1))
    assert reason(lambda: principal_from_token(ledger, KEY, stranger, NOW)) == "unknown_user"


def test_stored_accounts_follow_every_change_and_reuse_an_unchanged_account(
    ledger: Ledger,
) -> None:
    accounts = StoredAccounts(ledger)
    first = accounts.account("mia")
    assert first is not None and first.principal() == Principal("mia", "manager", "M1", None)
    assert accounts.account("mia") is first  # not rebuilt: its stored version has not moved
    assert accounts.account("nobody") is None
    token = issue_token(KEY, "mia", NOW + timedelta(hours=8))
    ledger.change_role("mia", "branch_head", None, "BR01", "root")  # by another process, say
    assert principal_from_token(accounts, KEY, token, NOW) == Principal(
        "mia", "branch_head", None, "BR01"
    )
    ledger.disable_account("mia", "root")
    assert reason(lambda: principal_from_token(accounts, KEY, token, NOW)) == "disabled"
    assert lookup(accounts, "aud") == Principal("aud", "auditor", None, None)


def test_a_forged_or_altered_token_is_refused(ledger: Ledger) -> None:
    token = issue_token(KEY, "mia", NOW + timedelta(hours=1))
    forged = issue_token(OLD_KEY, "aud", NOW + timedelta(hours=1))
    assert reason(lambda: principal_from_token(ledger, KEY, forged, NOW)) == "bad_signature"
    prefix, _, signature = token.split(".")
    as_auditor = issue_token(OLD_KEY, "aud", NOW + timedelta(hours=1)).split(".")[1]
    assert (
        reason(lambda: principal_from_token(ledger, KEY, f"{prefix}.{as_auditor}.{signature}", NOW))
        == "bad_signature"
    )
    assert (
        reason(lambda: principal_from_token(ledger, KEY, f"{prefix}.e30.{signature}", NOW))
        == "bad_signature"
    )
    for garbage in ("", "rml1", "rml1.x.y", "Bearer abc", token + ".x", "rml1.é.x"):
        assert reason(lambda g=garbage: principal_from_token(ledger, KEY, g, NOW)) == "malformed", (
            garbage
        )


def test_token_lives_are_whole_seconds_minutes_or_hours_up_to_seven_days() -> None:
    assert [parse_ttl(t) for t in ("90s", "30m", "8h", "168h")] == [
        timedelta(seconds=90),
        timedelta(minutes=30),
        timedelta(hours=8),
        timedelta(days=7),
    ]
    for bad in ("", "0s", "8", "1d", "1.5h", "-1h", "169h"):
        with pytest.raises(ValueError):
            parse_ttl(bad)


# -- single sign-on ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sso(tmp_path: Path, provider_key: rsa.RSAPrivateKey) -> tuple[SsoSettings, ProviderKeys]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider_key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
    settings = SsoSettings.from_env(
        {
            "RMLEDGER_SSO_ISSUER": ISSUER,
            "RMLEDGER_SSO_AUDIENCE": AUDIENCE,
            "RMLEDGER_SSO_JWKS": str(jwks),
        }
    )
    assert settings is not None
    return settings, ProviderKeys(settings.jwks)


def provider_token(key: rsa.RSAPrivateKey, kid: str = "k1", **claims: object) -> str:
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "preferred_username": "Mia",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        **claims,
    }
    return jwt.encode(
        {k: v for k, v in body.items() if v is not None},
        key,
        algorithm="RS256",
        headers={"kid": kid},
    )


def test_a_provider_token_gives_the_principal_of_the_account_it_names(
    ledger: Ledger, sso: tuple[SsoSettings, ProviderKeys], provider_key: rsa.RSAPrivateKey
) -> None:
    settings, keys = sso
    assert principal_from_sso(
        ledger, settings, keys, provider_token(provider_key), NOW
    ) == Principal("mia", "manager", "M1", None)


def test_a_provider_token_is_refused_with_its_reason(
    ledger: Ledger, sso: tuple[SsoSettings, ProviderKeys], provider_key: rsa.RSAPrivateKey
) -> None:
    settings, keys = sso
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def refused(token: str, now: datetime = NOW) -> str:
        return reason(lambda: principal_from_sso(ledger, settings, keys, token, now))

    assert refused(provider_token(provider_key, iss="https://evil.example/")) == "wrong_issuer"
    assert refused(provider_token(provider_key, aud="another-app")) == "wrong_audience"
    assert refused(provider_token(provider_key), NOW + timedelta(minutes=5)) == "expired"
    assert (
        refused(provider_token(provider_key, nbf=int((NOW + timedelta(minutes=1)).timestamp())))
        == "not_yet_valid"
    )
    assert refused(provider_token(provider_key, preferred_username="nobody")) == "unknown_user"
    assert refused(provider_token(provider_key, preferred_username=None)) == "claim_missing"
    assert refused(provider_token(provider_key, exp=None)) == "malformed"
    assert refused(provider_token(other_key)) == "bad_signature"
    assert refused(provider_token(provider_key, kid="k2")) == "unknown_key"
    assert refused("not a jwt") == "malformed"
    ledger.disable_account("mia", "root")
    assert refused(provider_token(provider_key)) == "disabled"


def test_single_sign_on_is_off_without_settings_and_refuses_half_of_them() -> None:
    assert SsoSettings.from_env({}) is None
    with pytest.raises(SsoMisconfigured, match="single sign-on needs RMLEDGER_SSO_JWKS too"):
        SsoSettings.from_env({"RMLEDGER_SSO_ISSUER": ISSUER, "RMLEDGER_SSO_AUDIENCE": AUDIENCE})

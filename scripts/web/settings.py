"""What ``rmledger serve`` is configured with (docs/web.md, settings)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from scripts.identity.sso import SsoSettings
from scripts.identity.tokens import token_keys

FOLLOW_SETTING = "RMLEDGER_FOLLOW_INTERVAL"
DEFAULT_FOLLOW_INTERVAL = 0.5
LOGIN_DELAY_SETTING = "RMLEDGER_LOGIN_DELAY"
DEFAULT_LOGIN_DELAY = 0.25
LOGIN_DELAY_DOUBLINGS = 5  # the longest wait is 32 times the first


@attrs.frozen
class Settings:
    """The server's settings.

    ``data_dir``: the data directory (the SQLite store, or only the read model and keys
    when ``PERSISTENCE_MODULE`` names PostgreSQL); ``token_keys``: the keys of the
    ledger's bearer tokens, the first signing; ``sso``: the bank identity provider, or
    None; ``follow_interval``: seconds between two looks at the event log for the read
    model's follower; ``login_delay``: the first delay after a failed sign-in, doubled
    at each further failure of the same username or address, up to ``login_delay_max``;
    ``read_model_file``: the name, in the data directory, of the read model this server
    keeps open and follows (its own: ``rmledger serve`` names it after its port, so
    that several servers on one data directory each have theirs).
    """

    data_dir: Path
    token_keys: tuple[bytes, ...]
    sso: SsoSettings | None = None
    follow_interval: float = DEFAULT_FOLLOW_INTERVAL
    login_delay: float = DEFAULT_LOGIN_DELAY
    login_delay_max: float = DEFAULT_LOGIN_DELAY * 2**LOGIN_DELAY_DOUBLINGS
    read_model_file: str = "serve.duckdb"

    @classmethod
    def from_env(
        cls, data_dir: Path, environ: Mapping[str, str] | None = None, port: int | None = None
    ) -> Settings:
        """The settings from the environment: the token key (``RMLEDGER_TOKEN_KEY``,
        ``RMLEDGER_TOKEN_KEY_FILE`` or ``token.key`` in the data directory, made when
        missing), ``RMLEDGER_SSO_*``, ``RMLEDGER_FOLLOW_INTERVAL`` and ``RMLEDGER_LOGIN_DELAY``;
        the read model named after ``port`` when given."""
        source = os.environ if environ is None else environ
        interval = _seconds(source, FOLLOW_SETTING, DEFAULT_FOLLOW_INTERVAL)
        delay = _seconds(source, LOGIN_DELAY_SETTING, DEFAULT_LOGIN_DELAY)
        return cls(
            data_dir=data_dir,
            token_keys=tuple(token_keys(data_dir, source, create=True)),
            sso=SsoSettings.from_env(source),
            follow_interval=interval,
            login_delay=delay,
            login_delay_max=delay * 2**LOGIN_DELAY_DOUBLINGS,
            read_model_file="serve.duckdb" if port is None else f"serve-{port}.duckdb",
        )


def _seconds(source: Mapping[str, str], name: str, default: float) -> float:
    """A setting of seconds, more than 0 and at most 60; ``ValueError`` naming it."""
    text = source.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number of seconds") from None
    if not 0 < seconds <= 60:
        raise ValueError(f"{name}={text!r}: give a number of seconds above 0, at most 60")
    return seconds

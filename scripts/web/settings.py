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


@attrs.frozen
class Settings:
    """The server's settings.

    ``data_dir``: the data directory (the SQLite store, or only the read model and keys
    when ``PERSISTENCE_MODULE`` names PostgreSQL); ``token_keys``: the keys of the
    ledger's bearer tokens, the first signing; ``sso``: the bank identity provider, or
    None; ``follow_interval``: seconds between two looks at the event log for the read
    model's follower; ``login_delay``: the first delay after a failed sign-in, doubled
    at each further failure of the same username or address, up to ``login_delay_max``.
    """

    data_dir: Path
    token_keys: tuple[bytes, ...]
    sso: SsoSettings | None = None
    follow_interval: float = DEFAULT_FOLLOW_INTERVAL
    login_delay: float = 0.25
    login_delay_max: float = 8.0

    @classmethod
    def from_env(cls, data_dir: Path, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from the environment: the token key (``RMLEDGER_TOKEN_KEY``,
        ``RMLEDGER_TOKEN_KEY_FILE`` or ``token.key`` in the data directory, made when
        missing), ``RMLEDGER_SSO_*`` and ``RMLEDGER_FOLLOW_INTERVAL``."""
        source = os.environ if environ is None else environ
        interval_text = source.get(FOLLOW_SETTING, "").strip()
        try:
            interval = float(interval_text) if interval_text else DEFAULT_FOLLOW_INTERVAL
        except ValueError:
            raise ValueError(
                f"{FOLLOW_SETTING}={interval_text!r} is not a number of seconds"
            ) from None
        if not 0 < interval <= 60:
            raise ValueError(f"{FOLLOW_SETTING}={interval_text!r}: give 0 < seconds <= 60")
        return cls(
            data_dir=data_dir,
            token_keys=tuple(token_keys(data_dir, source, create=True)),
            sso=SsoSettings.from_env(source),
            follow_interval=interval,
        )

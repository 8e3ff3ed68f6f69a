"""Which event store the ledger uses: SQLite in a data directory by default,
PostgreSQL when eventsourcing's own environment settings say so."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = "./var"
EVENTS_FILE = "events.sqlite"


def data_dir(explicit: str | None = None) -> Path:
    """``--data-dir``, else ``RMLEDGER_DATA_DIR``, else ``./var``."""
    return Path(explicit or os.environ.get("RMLEDGER_DATA_DIR") or DEFAULT_DATA_DIR)


def ledger_env(directory: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for ``Ledger``: PostgreSQL if ``PERSISTENCE_MODULE`` says so,
    otherwise an SQLite file in ``directory``. ``CIPHER_KEY`` turns on encryption
    at rest with the library's AES cipher."""
    source = dict(os.environ if environ is None else environ)
    env: dict[str, str] = {}
    module = source.get("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    env["PERSISTENCE_MODULE"] = module
    if module == "eventsourcing.sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        env["SQLITE_DBNAME"] = str(directory / EVENTS_FILE)
        env["SQLITE_LOCK_TIMEOUT"] = source.get("SQLITE_LOCK_TIMEOUT", "30")
    if source.get("CIPHER_KEY") and not source.get("CIPHER_TOPIC"):
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
    return env

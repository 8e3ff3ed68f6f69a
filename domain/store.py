"""Which event store the ledger uses: SQLite in a data directory by default,
PostgreSQL when eventsourcing's own environment settings say so."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

DEFAULT_DATA_DIR = "./var"
EVENTS_FILE = "events.sqlite"
POSTGRES_MODULE = "eventsourcing.postgres"
EVENTS_TABLE = "rmledger_events"  # the library's table name: the application name + "_events"
KEY_SIZES = (16, 24, 32)  # what eventsourcing.cryptography.AESCipher accepts (bytes)
MAKE_KEY = (
    'python -c "from eventsourcing.cryptography import AESCipher; print(AESCipher.create_key(32))"'
)


class StoreProblem(Exception):
    """The store cannot be used as asked: a setting that does not match it, a bad key,
    or no store where a reading command expects one. The text is one sentence for
    people, naming the setting or the path; nothing was written."""


def data_dir(explicit: str | None = None) -> Path:
    """``--data-dir``, else ``RMLEDGER_DATA_DIR``, else ``./var``."""
    return Path(explicit or os.environ.get("RMLEDGER_DATA_DIR") or DEFAULT_DATA_DIR)


def setting(source: dict[str, str] | os._Environ[str], name: str) -> str | None:
    """A store setting as eventsourcing reads it: ``RMLEDGER_NAME`` before ``NAME``."""
    return source.get(f"RMLEDGER_{name}") or source.get(name) or None


def cipher_key_problem(key: str) -> str | None:
    """Why ``key`` is not an AES key eventsourcing can use, or None when it is: the
    standard base64 of 16, 24 or 32 random bytes (the library itself would decode
    anything, dropping stray characters, and fail with a binascii error)."""
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raw = None
    if raw is not None and len(raw) in KEY_SIZES:
        return None
    return (
        "CIPHER_KEY is not an AES key: it must be the base64 of 16, 24 or 32 random bytes "
        f"(44 characters for 32 bytes); make one with {MAKE_KEY}"
    )


def ledger_env(
    directory: Path, environ: dict[str, str] | None = None, create: bool = True
) -> dict[str, str]:
    """Environment for ``Ledger``: PostgreSQL if ``PERSISTENCE_MODULE`` says so,
    otherwise an SQLite file in ``directory`` (made when ``create``). ``CIPHER_KEY``
    turns on encryption at rest with the library's AES cipher; a key that is not one
    is refused here (``StoreProblem``), before the library sees it."""
    source = dict(os.environ if environ is None else environ)
    env: dict[str, str] = {}
    module = source.get("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    env["PERSISTENCE_MODULE"] = module
    if module == "eventsourcing.sqlite":
        if create:
            directory.mkdir(parents=True, exist_ok=True)
        env["SQLITE_DBNAME"] = str(directory / EVENTS_FILE)
        env["SQLITE_LOCK_TIMEOUT"] = source.get("SQLITE_LOCK_TIMEOUT", "30")
    key = setting(source, "CIPHER_KEY")
    if key:
        problem = cipher_key_problem(key)
        if problem:
            raise StoreProblem(problem)
    if source.get("CIPHER_KEY") and not source.get("CIPHER_TOPIC"):
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
    return env

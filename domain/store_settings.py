"""The store records whether it is encrypted, so clear and encrypted events never mix.

A small table beside the library's own, ``rmledger_store_settings`` (one row,
``name = 'encryption'``), holds ``{"encrypted": false}`` or ``{"encrypted": true,
"check": BASE64}``, where the check value is a known text encrypted under the key.
It is written by the first command that writes (``ingest``, ``consume``), in the
same store as the events, and read by every command before anything is written:

- a key given to a plain store, no key for an encrypted one, or a key that does not
  decrypt the check value: refused (``StoreProblem``) naming ``CIPHER_KEY``;
- a store written before the marker existed: the first stored event tells (clear
  JSON, or decryptable with the key), and the next writing command records it.

``open_ledger`` is how the command line opens the write side: a reading command on a
directory or schema without an event store is refused and creates nothing; on
PostgreSQL the library's table creation is serialised across processes with an
advisory lock (three first runs at once on an empty database all succeed).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.utils import Environment

from domain.ledger import Ledger
from domain.seal import Sealer
from domain.store import EVENTS_FILE, EVENTS_TABLE, POSTGRES_MODULE, StoreProblem

SETTINGS_TABLE = "rmledger_store_settings"
ENCRYPTION = "encryption"
CHECK_TEXT = b"rmledger: this store is encrypted with this key"


def effective_env(env: dict[str, str]) -> Environment:
    """The settings a ``Ledger(env)`` sees: the process environment, then ``env``,
    with ``RMLEDGER_NAME`` before ``NAME`` (the library's rule)."""
    return Environment(Ledger.name, {**os.environ, **env})


def store_exists(env: dict[str, str]) -> bool:
    """Whether the store ``env`` names holds an event store (without creating one)."""
    settings = effective_env(env)
    if settings.get("PERSISTENCE_MODULE") == POSTGRES_MODULE:
        with _pg_connection(settings) as conn:
            row = conn.execute(
                "SELECT to_regclass(%s)", (f'"{_schema(settings)}".{EVENTS_TABLE}',)
            ).fetchone()
        return row is not None and row[0] is not None
    name = settings.get("SQLITE_DBNAME") or ""
    return Path(name).is_file()


def describe_store(env: dict[str, str]) -> str:
    """Where the store is, for a message: the SQLite file or the PostgreSQL schema."""
    settings = effective_env(env)
    if settings.get("PERSISTENCE_MODULE") == POSTGRES_MODULE:
        return (
            f"PostgreSQL database {settings.get('POSTGRES_DBNAME')!r} schema {_schema(settings)!r} "
            f"(table {EVENTS_TABLE})"
        )
    return str(settings.get("SQLITE_DBNAME") or EVENTS_FILE)


def open_ledger(env: dict[str, str], create: bool, sealer: Sealer | None = None) -> Ledger:
    """The ledger on the store ``env`` names, after its encryption setting was checked.

    ``create`` (a writing command): make the store if there is none and record its
    encryption setting. Otherwise a missing store is refused (``StoreProblem``).
    ``sealer`` signs the seals the ledger appends (domain/seal.py)."""
    if not create and not store_exists(env):
        raise StoreProblem(
            f"no event store at {describe_store(env)}: give the data directory or "
            "database that holds it (--data-dir, RMLEDGER_DATA_DIR, POSTGRES_*), "
            "or write to it first with `rmledger ingest` or `rmledger consume`"
        )
    with _creation_lock(effective_env(env)):
        ledger = Ledger(env, sealer=sealer)
        try:
            check_settings(ledger, record=create)
        except BaseException:
            ledger.close()
            raise
    return ledger


def check_settings(ledger: Ledger, record: bool) -> None:
    """Refuse (``StoreProblem``) a ledger whose ``CIPHER_KEY`` setting does not match
    its store; with ``record``, write the store's setting when it has none yet."""
    recorded = read_marker(ledger)
    if recorded is None:
        _check_first_event(ledger)
        if not record:
            return
        _insert_marker(ledger, _marker_for(ledger))
        recorded = read_marker(ledger)  # another process may have recorded first
        assert recorded is not None
    _compare(ledger, recorded)


def _cipher(ledger: Ledger) -> Any:
    return getattr(ledger.mapper, "cipher", None)


def _marker_for(ledger: Ledger) -> dict[str, Any]:
    cipher = _cipher(ledger)
    if cipher is None:
        return {"encrypted": False}
    return {
        "encrypted": True,
        "check": base64.b64encode(cipher.encrypt(CHECK_TEXT)).decode("ascii"),
    }


_WRONG_KEY = (
    "CIPHER_KEY is not the key this event store was encrypted with: give the store's own key "
    "(a store cannot mix keys; nothing was written)"
)
_NEEDS_KEY = (
    "this event store is encrypted and CIPHER_KEY is not set: set CIPHER_KEY to the store's key "
    "(a store cannot mix clear and encrypted events; nothing was written)"
)
_NO_KEY_WANTED = (
    "this event store is not encrypted and CIPHER_KEY is set: unset CIPHER_KEY for this store "
    "(a store cannot mix clear and encrypted events; nothing was written)"
)


def _key_given_as_needed(encrypted: bool, cipher: Any) -> bool:
    """Refuse a key for a plain store and no key for an encrypted one; True when a key
    was given for an encrypted store (and must still be shown to be the right one)."""
    if not encrypted:
        if cipher is not None:
            raise StoreProblem(_NO_KEY_WANTED)
        return False
    if cipher is None:
        raise StoreProblem(_NEEDS_KEY)
    return True


def _compare(ledger: Ledger, recorded: dict[str, Any]) -> None:
    cipher = _cipher(ledger)
    if not _key_given_as_needed(bool(recorded.get("encrypted")), cipher):
        return
    try:
        ok = cipher.decrypt(base64.b64decode(recorded["check"])) == CHECK_TEXT
    except Exception:  # the library's cipher raises on a wrong key (an authentication tag mismatch)
        ok = False
    if not ok:
        raise StoreProblem(_WRONG_KEY)


def _check_first_event(ledger: Ledger) -> None:
    """A store without the marker (written before it existed): judge by its first event."""
    first = ledger.recorder.select_notifications(start=None, limit=1)
    if not first:
        return
    state = bytes(first[0].state)
    try:
        json.loads(state)
        clear = True
    except ValueError:
        clear = False
    if not _key_given_as_needed(not clear, _cipher(ledger)):
        return
    try:
        ledger.mapper.to_domain_event(first[0])
    except Exception:  # undecryptable under this key
        raise StoreProblem(_WRONG_KEY) from None


# -- the marker table, on SQLite and on PostgreSQL ------------------------------------


def _datastore(ledger: Ledger) -> Any:
    """The recorder's datastore (both the SQLite and the PostgreSQL recorder have one)."""
    return ledger.recorder.datastore  # type: ignore[attr-defined]


def _is_postgres(ledger: Ledger) -> bool:
    return ledger.env.get("PERSISTENCE_MODULE") == POSTGRES_MODULE


def _table(ledger: Ledger) -> Any:
    if _is_postgres(ledger):
        from psycopg.sql import SQL, Identifier

        return SQL("{}.{}").format(
            Identifier(_datastore(ledger).schema), Identifier(SETTINGS_TABLE)
        )
    return SETTINGS_TABLE


def _sql(ledger: Ledger, text: str) -> Any:
    """``text`` with ``{table}`` and ``?`` placeholders, for this store's driver."""
    if _is_postgres(ledger):
        from psycopg.sql import SQL

        return SQL(text.replace("?", "%s")).format(table=_table(ledger))
    return text.format(table=SETTINGS_TABLE)


def read_marker(ledger: Ledger) -> dict[str, Any] | None:
    """The recorded setting, or None when the store has none (no table, or no row)."""
    datastore = _datastore(ledger)
    with datastore.transaction(commit=False) as cursor:
        if _is_postgres(ledger):
            cursor.execute(
                "SELECT to_regclass(%s) AS t", (f'"{datastore.schema}".{SETTINGS_TABLE}',)
            )
            exists = cursor.fetchone()["t"] is not None
        else:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (SETTINGS_TABLE,)
            )
            exists = bool(cursor.fetchall())
        if not exists:
            return None
        cursor.execute(_sql(ledger, "SELECT value FROM {table} WHERE name = ?"), (ENCRYPTION,))
        rows = cursor.fetchall()
    if not rows:
        return None
    value = rows[0]["value"] if _is_postgres(ledger) else rows[0][0]
    return json.loads(value)  # type: ignore[no-any-return]


def _insert_marker(ledger: Ledger, marker: dict[str, Any]) -> None:
    with _datastore(ledger).transaction(commit=True) as cursor:
        cursor.execute(
            _sql(
                ledger,
                "CREATE TABLE IF NOT EXISTS {table} (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            )
        )
        cursor.execute(
            _sql(
                ledger,
                "INSERT INTO {table} (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            ),
            (ENCRYPTION, json.dumps(marker)),
        )


# -- PostgreSQL: one process at a time creates the tables ------------------------------


def _schema(settings: Environment) -> str:
    return (settings.get("POSTGRES_SCHEMA") or "").strip() or "public"


@contextmanager
def _pg_connection(settings: Environment) -> Iterator[Any]:
    import psycopg

    conn = psycopg.connect(
        dbname=settings.get("POSTGRES_DBNAME") or "",
        host=settings.get("POSTGRES_HOST") or "",
        port=settings.get("POSTGRES_PORT") or "5432",
        user=settings.get("POSTGRES_USER") or "",
        password=settings.get("POSTGRES_PASSWORD") or "",
        connect_timeout=int(settings.get("POSTGRES_CONNECT_TIMEOUT") or "5"),
        autocommit=True,
    )
    try:
        yield conn
    finally:
        conn.close()


def creation_lock_name(schema: str) -> str:
    """The text whose ``hashtext`` keys the advisory lock of ``schema``'s table creation."""
    return f"rmledger create tables {schema}"


@contextmanager
def _creation_lock(settings: Environment) -> Iterator[None]:
    """On PostgreSQL, a session advisory lock per schema while the library creates its
    types and tables: ``CREATE ... IF NOT EXISTS`` is not safe against a concurrent
    creation (the loser fails with a unique violation on ``pg_type``)."""
    if settings.get("PERSISTENCE_MODULE") != POSTGRES_MODULE:
        yield
        return
    name = creation_lock_name(_schema(settings))
    with _pg_connection(settings) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))

"""The two event stores the tests run against: an SQLite file in a temporary
directory, and a PostgreSQL schema of its own per test (created before, dropped
after). Used by conftest.py; import the fixtures, not this module, in tests."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from domain.store import EVENTS_FILE

# Settings that would leak from a developer's shell into a Ledger (eventsourcing
# merges os.environ into every application's environment, with and without the
# application-name prefix ``RMLEDGER_``).
STORE_SETTINGS = (
    "PERSISTENCE_MODULE",
    "CIPHER_KEY",
    "CIPHER_TOPIC",
    "COMPRESSOR_TOPIC",
    "TRANSCODER_TOPIC",
    "CREATE_TABLE",
    "IS_SNAPSHOTTING_ENABLED",
    "SQLITE_",
    "POSTGRES_",
)

POSTGRES = {
    "POSTGRES_DBNAME": os.environ.get("POSTGRES_DBNAME", "test"),
    "POSTGRES_HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
    "POSTGRES_PORT": os.environ.get("POSTGRES_PORT", "5432"),
    "POSTGRES_USER": os.environ.get("POSTGRES_USER", "postgres"),
    "POSTGRES_PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
}


def leaking_settings(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """Names in ``environ`` that would change which store a Ledger opens."""
    names = []
    for name in environ:
        bare = name.removeprefix("RMLEDGER_")
        if name == "RMLEDGER_DATA_DIR" or any(bare.startswith(s) for s in STORE_SETTINGS):
            names.append(name)
    return names


def _connect(autocommit: bool = True):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        dbname=POSTGRES["POSTGRES_DBNAME"],
        host=POSTGRES["POSTGRES_HOST"],
        port=POSTGRES["POSTGRES_PORT"],
        user=POSTGRES["POSTGRES_USER"],
        password=POSTGRES["POSTGRES_PASSWORD"],
        connect_timeout=3,
        autocommit=autocommit,
    )


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        with _connect() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure to reach the server
        return f"{type(exc).__name__}: {str(exc).strip()}"
    return None


def require_postgres() -> None:
    """Skip loudly when no server answers, unless CI is set: then fail."""
    problem = postgres_problem()
    if problem is None:
        return
    where = f"{POSTGRES['POSTGRES_HOST']}:{POSTGRES['POSTGRES_PORT']}/{POSTGRES['POSTGRES_DBNAME']}"
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL at {where} is not reachable and CI is set: {problem}")
    pytest.skip(
        f"!!! POSTGRESQL TESTS NOT RUN: no server at {where} ({problem}); set CI=1 to fail instead"
    )


class SqliteStore:
    kind = "sqlite"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(data_dir / EVENTS_FILE),
        }

    def cli_env(self) -> dict[str, str]:
        """Settings for ``rmledger --data-dir`` on this store (SQLite is the default)."""
        return {}

    def raw_bytes(self) -> bytes:
        """Every byte of the database files (main file, WAL and journal)."""
        return b"".join(p.read_bytes() for p in sorted(self.data_dir.glob(EVENTS_FILE + "*")))

    def drop(self) -> None:
        """Nothing to do: the directory is pytest's tmp_path."""


class PostgresStore:
    kind = "postgres"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.schema = f"t_{uuid.uuid4().hex}"
        self.env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            **POSTGRES,
            "POSTGRES_SCHEMA": self.schema,
        }
        with _connect() as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')

    def cli_env(self) -> dict[str, str]:
        return dict(self.env)

    def tables(self) -> list[str]:
        with _connect() as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
                (self.schema,),
            ).fetchall()
        return [row[0] for row in rows]

    def raw_bytes(self) -> bytes:
        """Every value of every row of every table of the schema, as stored."""
        chunks: list[bytes] = []
        with _connect() as conn:
            for table in self.tables():
                for row in conn.execute(f'SELECT * FROM "{self.schema}"."{table}"'):
                    for value in row:
                        chunks.append(
                            bytes(value)
                            if isinstance(value, (bytes, memoryview))
                            else str(value).encode()
                        )
        return b"\n".join(chunks)

    def drop(self) -> None:
        with _connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


RMLEDGER = str(Path(sys.executable).parent / "rmledger")


def run_rmledger(
    store: SqliteStore | PostgresStore, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """``rmledger --data-dir <the store's directory> ARGS`` as a process on ``store``."""
    return subprocess.run(
        [RMLEDGER, "--data-dir", str(store.data_dir), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **store.cli_env(), **env},
        timeout=120,
        check=False,
    )


def open_store(kind: str, data_dir: Path) -> SqliteStore | PostgresStore:
    if kind == "postgres":
        require_postgres()
        return PostgresStore(data_dir)
    return SqliteStore(data_dir)

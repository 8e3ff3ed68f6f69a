"""Ingest benchmark: postings/s through ``rmledger ingest``'s path (decode, rules,
events, store) beside the raw insert rate of the same rows into the same database.

    python -m scripts.bench.ingest --postings 200000 --runs 3 [--stores sqlite,postgres]

Each run ingests 1,000 client registrations into a fresh store (off the clock), then
the postings (timed: ``ingest_files`` with its batches of 2,000), then inserts the posting rows the ledger stored, copied as they are,
into a second table of that same database (the SQLite file of the event store; the
PostgreSQL schema of the event store), in transactions of the same size. PostgreSQL
is the server of eventsourcing's ``POSTGRES_*`` settings (default 127.0.0.1:5432, db
``test``, user ``postgres``). Prints each run with the load average, then medians;
the ratio says how close the ledger comes to the database's own limit.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from consumers.jsonl import DEFAULT_BATCH_SIZE, ingest_files
from domain.ledger import Ledger
from domain.store import ledger_env

POSTGRES_ENV = {
    "PERSISTENCE_MODULE": "eventsourcing.postgres",
    "POSTGRES_DBNAME": os.environ.get("POSTGRES_DBNAME", "test"),
    "POSTGRES_HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
    "POSTGRES_PORT": os.environ.get("POSTGRES_PORT", "5432"),
    "POSTGRES_USER": os.environ.get("POSTGRES_USER", "postgres"),
    "POSTGRES_PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
}
CLIENTS = 1000


def write_files(directory: Path, count: int) -> tuple[Path, Path]:
    """A file of ``CLIENTS`` client registrations, and one of ``count`` postings for them."""
    clients, postings = directory / "clients.jsonl", directory / "postings.jsonl"
    with clients.open("w") as out:
        for c in range(CLIENTS):
            out.write(
                json.dumps(
                    {
                        "type": "client.registered",
                        "id": f"reg-{c}",
                        "client_id": f"C{c}",
                        "kind": "personal",
                        "branch_id": "B1",
                        "registered_on": "2025-01-01",
                        "name": f"Client {c}",
                        "id_number": f"ID{c:08d}",
                    }
                )
                + "\n"
            )
    with postings.open("w") as out:
        for i in range(count):
            out.write(
                json.dumps(
                    {
                        "type": "posting.booked",
                        "id": f"post-{i}",
                        "client_id": f"C{i % CLIENTS}",
                        "category": "loan_interest",
                        "amount": f"{100 + i % 900}.{i % 100:02d}",
                        "value_date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    }
                )
                + "\n"
            )
    return clients, postings


def ingest_rate(env: dict[str, str], files: tuple[Path, Path], count: int) -> tuple[float, str]:
    """Postings/s of ``ingest_files`` into the (fresh) store of ``env``, and the name
    of the table the events went to. The clients are ingested first, off the clock,
    so the rate is that of postings alone."""
    clients, postings = files
    ledger = Ledger(env)
    try:
        table = str(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
        registered = ingest_files(ledger, [clients], DEFAULT_BATCH_SIZE)
        started = time.perf_counter()
        summary = ingest_files(ledger, [postings], DEFAULT_BATCH_SIZE)
        elapsed = time.perf_counter() - started
    finally:
        ledger.close()
    assert not registered.rejected and registered.applied == CLIENTS, registered.as_json()
    assert not summary.rejected and summary.applied == count, summary.as_json()
    return count / elapsed, table


# The baseline's table has the event store's own shape (eventsourcing 9.5's
# ``stored_events`` DDL for each database), so the database does the same work per row
# (primary key on originator id and version; on PostgreSQL also the notification id
# sequence and its unique index) without anything of the ledger's.
RAW_TABLE = "raw_baseline"
SQLITE_RAW_DDL = (
    f"CREATE TABLE {RAW_TABLE} (originator_id TEXT, originator_version INTEGER, topic TEXT, "
    "state BLOB, PRIMARY KEY (originator_id, originator_version))"
)
POSTGRES_RAW_DDL = (
    f"CREATE TABLE {{schema}}.{RAW_TABLE} (originator_id uuid NOT NULL, originator_version bigint "
    "NOT NULL, topic text, state bytea, notification_id bigserial, "
    "PRIMARY KEY (originator_id, originator_version))",
    f"CREATE UNIQUE INDEX {{schema}}_{RAW_TABLE}_nid ON {{schema}}.{RAW_TABLE} (notification_id)",
)
POSTING_TOPIC = "domain.facts:Posting.Booked"


def raw_sqlite_rate(database: Path, events_table: str, count: int) -> float:
    """Rows/s inserting the ledger's own posting rows again, raw, into a table of the
    same SQLite database file the ledger has just written (WAL, as eventsourcing sets
    it), in transactions of the ledger's batch size."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        data = connection.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {events_table} WHERE topic = ? "
            "ORDER BY rowid",
            (POSTING_TOPIC,),
        ).fetchall()
        assert len(data) == count, (len(data), count)
        connection.execute(SQLITE_RAW_DDL)
        started = time.perf_counter()
        for start in range(0, count, DEFAULT_BATCH_SIZE):
            connection.execute("BEGIN")
            connection.executemany(
                f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?)",
                data[start : start + DEFAULT_BATCH_SIZE],
            )
            connection.execute("COMMIT")
        return count / (time.perf_counter() - started)
    finally:
        connection.close()


def raw_postgres_rate(schema: str, events_table: str, count: int) -> float:
    """Rows/s inserting the ledger's own posting rows again, raw, into a table of the
    same schema of the same database, in transactions of the ledger's batch size."""
    import psycopg

    with psycopg.connect(_pg_conninfo(), autocommit=True) as connection:
        data = connection.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {schema}.{events_table} "
            "WHERE topic = %s ORDER BY notification_id",
            (POSTING_TOPIC,),
        ).fetchall()
        assert len(data) == count, (len(data), count)
        for ddl in POSTGRES_RAW_DDL:
            connection.execute(ddl.format(schema=schema))
        started = time.perf_counter()
        for start in range(0, count, DEFAULT_BATCH_SIZE):
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {schema}.{RAW_TABLE} (originator_id, originator_version, topic, "
                    "state) VALUES (%s, %s, %s, %s)",
                    data[start : start + DEFAULT_BATCH_SIZE],
                )
        return count / (time.perf_counter() - started)


def _pg_conninfo() -> str:
    return (
        f"dbname={POSTGRES_ENV['POSTGRES_DBNAME']} host={POSTGRES_ENV['POSTGRES_HOST']} "
        f"port={POSTGRES_ENV['POSTGRES_PORT']} user={POSTGRES_ENV['POSTGRES_USER']} "
        f"password='{POSTGRES_ENV['POSTGRES_PASSWORD']}'"
    )


def with_schema(run: Callable[[str], tuple[float, float]]) -> tuple[float, float]:
    """Run in a fresh PostgreSQL schema, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_conninfo(), autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        return run(schema)
    finally:
        with psycopg.connect(_pg_conninfo(), autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def measure(store: str, files: tuple[Path, Path], count: int) -> tuple[float, float]:
    """(ledger postings/s, raw rows/s) for one store: the ledger ingests into a fresh
    database, then the same posting rows are inserted raw into that same database."""
    if store == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            env = ledger_env(Path(tmp), {})
            ledger, table = ingest_rate(env, files, count)
            return ledger, raw_sqlite_rate(Path(env["SQLITE_DBNAME"]), table, count)
    if store != "postgres":
        raise SystemExit(f"unknown store {store!r}: sqlite or postgres")

    def both(schema: str) -> tuple[float, float]:
        ledger, table = ingest_rate({**POSTGRES_ENV, "POSTGRES_SCHEMA": schema}, files, count)
        return ledger, raw_postgres_rate(schema, table, count)

    return with_schema(both)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postings", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    stores = args.stores.split(",")
    results: dict[str, list[tuple[float, float]]] = {store: [] for store in stores}
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(Path(tmp), args.postings)
        print(
            f"{args.postings} postings, {args.runs} runs, medians; load average at start {_load()}",
            flush=True,
        )
        # Runs alternate (ledger, raw, ledger, raw, ... and store after store within
        # each run), so a change in the shared machine's load falls on both sides.
        for run in range(1, args.runs + 1):
            for store in stores:
                ledger, raw = measure(store, files, args.postings)
                results[store].append((ledger, raw))
                print(
                    f"  run {run} {store:<8} ledger {ledger:>9,.0f}/s  raw {raw:>9,.0f}/s  "
                    f"ratio {ledger / raw:.2f}  load {_load()}",
                    flush=True,
                )
        print(f"{'store':<10} {'ledger postings/s':>18} {'raw inserts/s':>14} {'ratio':>7}")
        for store in stores:
            ledger = statistics.median(r[0] for r in results[store])
            raw = statistics.median(r[1] for r in results[store])
            print(f"{store:<10} {ledger:>18,.0f} {raw:>14,.0f} {ledger / raw:>7.2f}")
        print(f"load average at end {_load()}")


def _load() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()

"""Ingest benchmark: postings/s through ``rmledger ingest``'s path (decode, rules,
events, store) beside the raw insert rate of as many rows into the same database.

    python -m scripts.bench_ingest --postings 200000 --runs 3 [--stores sqlite,postgres]

Prints medians; the ratio says how close the ledger comes to the database's own limit.
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

from consumers.jsonl import ingest_files
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


def write_postings(path: Path, count: int) -> None:
    """A file of client registrations followed by ``count`` postings."""
    with path.open("w") as out:
        for c in range(CLIENTS):
            out.write(json.dumps({
                "type": "client.registered", "id": f"reg-{c}", "client_id": f"C{c}", "kind": "personal",
                "branch_id": "B1", "registered_on": "2025-01-01", "name": f"Client {c}", "id_number": f"ID{c:08d}",
            }) + "\n")
        for i in range(count):
            out.write(json.dumps({
                "type": "posting.booked", "id": f"post-{i}", "client_id": f"C{i % CLIENTS}",
                "category": "loan_interest", "amount": f"{100 + i % 900}.{i % 100:02d}",
                "value_date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            }) + "\n")


def ingest_rate(env: dict[str, str], path: Path, count: int) -> float:
    ledger = Ledger(env)
    started = time.perf_counter()
    summary = ingest_files(ledger, [path])
    elapsed = time.perf_counter() - started
    assert not summary.rejected and summary.applied == count + CLIENTS, summary.as_json()
    ledger.close()
    return count / elapsed


def rows(count: int) -> list[tuple[str, int, str, bytes]]:
    """Rows shaped like stored events: id, version, topic, a JSON state of posting size."""
    state = json.dumps({"client_id": "C1", "category": "loan_interest", "amount": "100.00",
                        "value_date": "2026-03-05", "content_hash": "0" * 64}).encode()
    return [(str(uuid.uuid4()), 1, "domain.facts:Posting.Booked", state) for _ in range(count)]


def raw_sqlite_rate(directory: Path, count: int) -> float:
    data = rows(count)
    connection = sqlite3.connect(directory / "raw.sqlite")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, originator_id TEXT, version INTEGER, "
                       "topic TEXT, state BLOB, UNIQUE (originator_id, version))")
    started = time.perf_counter()
    for start in range(0, count, 2000):
        with connection:
            connection.executemany("INSERT INTO raw (originator_id, version, topic, state) VALUES (?, ?, ?, ?)",
                                   data[start:start + 2000])
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed


def raw_postgres_rate(schema: str, count: int) -> float:
    import psycopg

    data = rows(count)
    with psycopg.connect(_pg_conninfo(), autocommit=True) as connection:
        connection.execute(f"CREATE TABLE {schema}.raw (id BIGSERIAL PRIMARY KEY, originator_id UUID, "
                           "version INTEGER, topic TEXT, state BYTEA, UNIQUE (originator_id, version))")
        started = time.perf_counter()
        for start in range(0, count, 2000):
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {schema}.raw (originator_id, version, topic, state) "
                                   "VALUES (%s, %s, %s, %s)", data[start:start + 2000])
        return count / (time.perf_counter() - started)


def _pg_conninfo() -> str:
    return (f"dbname={POSTGRES_ENV['POSTGRES_DBNAME']} host={POSTGRES_ENV['POSTGRES_HOST']} "
            f"port={POSTGRES_ENV['POSTGRES_PORT']} user={POSTGRES_ENV['POSTGRES_USER']} "
            f"password='{POSTGRES_ENV['POSTGRES_PASSWORD']}'")


def with_schema(run: Callable[[str], float]) -> float:
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


def measure(store: str, path: Path, count: int) -> tuple[float, float]:
    """(ledger postings/s, raw rows/s) for one store, each in a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if store == "sqlite":
            return ingest_rate(ledger_env(directory, {}), path, count), raw_sqlite_rate(directory, count)
    ledger = with_schema(lambda s: ingest_rate({**POSTGRES_ENV, "POSTGRES_SCHEMA": s}, path, count))
    return ledger, with_schema(lambda s: raw_postgres_rate(s, count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "postings.jsonl"
        write_postings(path, args.postings)
        print(f"{args.postings} postings, {args.runs} runs, medians")
        print(f"{'store':<10} {'ledger postings/s':>18} {'raw inserts/s':>14} {'ratio':>7}")
        for store in args.stores.split(","):
            results = [measure(store, path, args.postings) for _ in range(args.runs)]
            ledger = statistics.median(r[0] for r in results)
            raw = statistics.median(r[1] for r in results)
            print(f"{store:<10} {ledger:>18,.0f} {raw:>14,.0f} {ledger / raw:>7.2f}")


if __name__ == "__main__":
    main()

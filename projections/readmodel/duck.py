"""Opening the DuckDB read model: one place for the settings every connection needs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# DuckDB's own default takes 80% of the machine's memory for its buffers. Bounded here
# for every connection to the read model (loading, rmledger sql, verify), so that a
# process stays within 1.5 GiB whatever the size of the log;
# RMLEDGER_DUCKDB_MEMORY_LIMIT overrides it (any DuckDB size, e.g. "4GB").
# why: docs/decisions.md#memory-limit
DEFAULT_MEMORY_LIMIT = "512MB"
MEMORY_LIMIT_SETTING = "RMLEDGER_DUCKDB_MEMORY_LIMIT"


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the read model at ``path`` (or ``:memory:``), in UTC, with
    DuckDB's memory bounded."""
    conn = duckdb.connect(str(path), read_only=read_only)
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(
        "SET memory_limit = ?", [os.environ.get(MEMORY_LIMIT_SETTING, DEFAULT_MEMORY_LIMIT)]
    )
    return conn


def loading_threads() -> int:
    """DuckDB's threads while the loader follows the log: all cores but one, which the
    thread reading the event store keeps busy (one thread on a 2-core machine).
    Why: docs/decisions.md#loading-threads."""
    return max(1, (os.cpu_count() or 1) - 1)


@contextmanager
def threads_set(conn: duckdb.DuckDBPyConnection, threads: int) -> Iterator[None]:
    """DuckDB's ``threads`` setting at ``threads`` for the block, then back to what it
    was, even on an error. It is the database's setting, not the connection's: other
    connections to the same file in this process share it meanwhile."""
    row = conn.execute("SELECT current_setting('threads')").fetchone()
    before = int(row[0]) if row else threads
    if before == threads:  # a SET restarts DuckDB's thread pool: milliseconds each
        yield
        return
    conn.execute(f"SET threads = {int(threads)}")
    try:
        yield
    finally:
        conn.execute(f"SET threads = {before}")

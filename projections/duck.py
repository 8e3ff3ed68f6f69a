"""Opening the DuckDB read model: one place for the settings every connection needs."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

# DuckDB's own default takes 80% of the machine's memory for its buffers and, on a
# 10,000,000-event rebuild, held 4.6 GiB. Bounded here for every connection to the
# read model (loading, rmledger sql, verify), so that a process stays within 1.5 GiB
# whatever the size of the log (docs/read-model.md); RMLEDGER_DUCKDB_MEMORY_LIMIT
# overrides it (any DuckDB size, e.g. "4GB").
DEFAULT_MEMORY_LIMIT = "512MB"
MEMORY_LIMIT_SETTING = "RMLEDGER_DUCKDB_MEMORY_LIMIT"


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the read model at ``path`` (or ``:memory:``), in UTC, with
    DuckDB's memory bounded."""
    conn = duckdb.connect(str(path), read_only=read_only)
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("SET memory_limit = ?", [os.environ.get(MEMORY_LIMIT_SETTING, DEFAULT_MEMORY_LIMIT)])
    return conn

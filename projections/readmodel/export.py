"""Parquet exports of the read model, for readers outside the ledger.

Head-office analytics may want many branches' figures at once without touching any
branch's ledger. ``export_parquet`` writes each table of the read model (the typed
event tables, the issued statements, the raw ``events`` without identity numbers) to
``<out>/<table>.parquet`` with DuckDB's own writer, plus ``manifest.json`` naming
the event-log position the export reflects, the hash chain's head at that position
and the position of the last seal before it (docs/tamper-evidence.md: a reader can
check the export against ``rmledger verify`` of the log), and each table's row count.
Money stays DECIMAL in Parquet (``DECIMAL(18,2)`` as it arrived, ``DECIMAL(38,2)`` for
statement figures), so a reader sums it exactly.

Any Parquet reader takes the files; with DuckDB, several exports read as one:
``SELECT * FROM read_parquet('exports/*/statements_issued.parquet', filename=true)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from domain.seal import SEALED_TOPIC
from projections.readmodel import schema
from projections.readmodel.chain import chain_at

MANIFEST = "manifest.json"
# The read model's own bookkeeping is not business data.
NOT_EXPORTED = ("projection_state",)


def exported_tables() -> list[str]:
    """The tables an export writes, in the read model's order."""
    return [name for name in schema.TABLES if name not in NOT_EXPORTED]


def export_parquet(conn: duckdb.DuckDBPyConnection, out: Path, position: int) -> dict[str, Any]:
    """Write every exported table of ``conn`` to ``out`` as Parquet (replacing an
    earlier export there) and return the manifest, also written as ``manifest.json``."""
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, int] = {}
    for name in exported_tables():
        target = out / f"{name}.parquet"
        # ORDER BY ALL (position first): the same read model, the same rows in the same order.
        conn.execute(
            f"COPY (SELECT * FROM {name} ORDER BY ALL) TO '{_sql_path(target)}' "
            "(FORMAT PARQUET, COMPRESSION ZSTD)"
        )
        row = conn.execute(f"SELECT count(*) FROM {name}").fetchone()
        tables[name] = int(row[0]) if row else 0
    chained_to, head = chain_at(conn, position)
    row = conn.execute(
        "SELECT max(position) FROM events WHERE topic = ? AND position <= ?",
        [SEALED_TOPIC, position],
    ).fetchone()
    manifest = {
        "format": "rmledger-parquet-export/1",
        "position": position,
        "chain_head": {"position": chained_to, "sha256": head},
        "last_seal_position": None if row is None or row[0] is None else int(row[0]),
        "tables": tables,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _sql_path(path: Path) -> str:
    """A path as a quoted SQL string literal's content."""
    return str(path.resolve()).replace("'", "''")

"""Shared helpers of the audit reports: log positions, canonical JSON, money text."""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

FEN = Decimal("0.01")
RATIO_PLACES = Decimal("0.000001")


def money_text(value: Decimal | None) -> str | None:
    """Money as a 2-decimal string, rounded half up (display only; sums stay exact)."""
    if value is None:
        return None
    return str(Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP))


def ratio_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return str(Decimal(value).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP))


def plain(value: Any) -> Any:
    """A JSON-ready copy: dates ISO, Decimals must already be text (refused otherwise)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        raise TypeError("a Decimal reached canonical JSON: format money with money_text first")
    if isinstance(value, float):
        raise TypeError("a float reached canonical JSON")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def canonical_json(content: dict[str, Any]) -> bytes:
    """Sorted keys, compact separators, UTF-8: the bytes that are hashed."""
    return json.dumps(
        plain(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def sha256_of(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def sql_in(values: Iterable[str]) -> str:
    """A literal SQL list ``('a', 'b')`` (quotes escaped) for IN filters that DuckDB can
    push into its scans; ``(NULL)`` when empty so that the IN matches nothing."""
    quoted = ["'" + str(v).replace("'", "''") + "'" for v in sorted(set(values))]
    return "(" + ", ".join(quoted) + ")" if quoted else "(NULL)"


def head_position(conn: duckdb.DuckDBPyConnection) -> int:
    """The last position loaded into the read model (0 when empty)."""
    row = conn.execute("SELECT max(position) FROM events").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def position_known_at(conn: duckdb.DuckDBPyConnection, known_at: datetime | None) -> int:
    """The last position whose event was recorded at or before ``known_at``."""
    if known_at is None:
        return head_position(conn)
    row = conn.execute(
        "SELECT max(position) FROM events WHERE recorded_at <= ?", [known_at]
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def rows_as_dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Rows through Arrow: Decimals stay Decimal, dates date, TIMESTAMPTZ a UTC datetime
    (DuckDB's own fetchall would need pytz for those)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = cursor.to_arrow_table()
    return [] if table is None else list(table.to_pylist())


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)")


def query(
    conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Rows as dicts; named parameters the SQL does not use are left out (DuckDB
    refuses extra ones)."""
    if isinstance(params, dict):
        used = set(_PARAM.findall(sql))
        params = {k: v for k, v in params.items() if k in used}
    return rows_as_dicts(conn.execute(sql, params or {}))


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def mask_id(last4: str | None) -> str | None:
    """Only the last 4 characters of an identity number are ever shown, and only for a
    number longer than 8 (the read model keeps '' for a shorter one): ``****1234`` or
    ``****``."""
    return None if last4 is None else "****" + str(last4)[-4:]


def with_article(noun: str) -> str:
    """``noun`` with its English indefinite article: "an assistant", "a junior"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes: "1 client", "2 clients"."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"

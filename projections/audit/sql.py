"""SQL for auditors: the read-only guard used by ``rmledger sql``.

Two layers: ``check_read_only`` refuses anything but one query statement before it
reaches DuckDB, and ``read_only_connection`` opens the read model with
``read_only=True`` so that even a statement the guard missed cannot write.
``prepare_query`` materialises the TEMP table ``statements_restated`` (computed by
the pay rules in Python, so not a view) when a query names it.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from projections.readmodel.duck import connect

SQL_TIMEOUT_DEFAULT = 30.0
"""Seconds a console query may run unless told otherwise (rmledger sql, the web console)."""

# First keywords of statements that only read.
READ_KEYWORDS = frozenset(
    {"SELECT", "WITH", "VALUES", "FROM", "TABLE", "DESCRIBE", "SHOW", "SUMMARIZE", "EXPLAIN"}
)
# Keywords that write, change the schema or the session, or reach outside the read model.
WRITE_KEYWORDS = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "UPSERT",
        "REPLACE",
        "TRUNCATE",
        "CREATE",
        "DROP",
        "ALTER",
        "RENAME",
        "COPY",
        "EXPORT",
        "IMPORT",
        "ATTACH",
        "DETACH",
        "USE",
        "INSTALL",
        "LOAD",
        "SET",
        "RESET",
        "PRAGMA",
        "CALL",
        "CHECKPOINT",
        "FORCE",
        "VACUUM",
        "ANALYZE",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "ABORT",
        "START",
        "END",
        "GRANT",
        "REVOKE",
        "COMMENT",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "UNPIVOT_INSERT",
    }
)
# Table functions that write or reach outside the read model even inside a SELECT.
FORBIDDEN_FUNCTIONS = frozenset({"query", "query_table"})

_TOKEN = re.compile(
    r"""
    (?P<comment_line>--[^\n]*)
  | (?P<comment_block>/\*.*?(\*/|$))
  | (?P<string>'(?:[^']|'')*'?)
  | (?P<dollar>\$(?P<tag>[A-Za-z_]*)\$.*?(\$(?P=tag)\$|$))
  | (?P<quoted>"(?:[^"]|"")*"?)
  | (?P<word>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<semicolon>;)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


class ReadOnlyQueryRefused(ValueError):
    """A query given to ``rmledger sql`` that would write, change the schema or settings."""


def _statements(query: str) -> list[list[str]]:
    """The query's statements as lists of upper-cased bare words (strings, quoted
    identifiers and comments removed), split on semicolons."""
    statements: list[list[str]] = [[]]
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind == "semicolon":
            statements.append([])
        elif kind == "word":
            statements[-1].append(match.group().upper())
        elif kind in ("string", "dollar", "quoted", "other"):
            statements[-1].append("'" if kind != "other" else match.group())
    return [s for s in statements if s]


def check_read_only(query: str) -> None:
    """Refuse anything but a single read-only statement, with a clear error.

    Allowed: one SELECT / WITH ... SELECT / VALUES / FROM-first / TABLE / DESCRIBE /
    SHOW / SUMMARIZE / EXPLAIN statement (a trailing semicolon is fine). Refused:
    several statements, any write or DDL keyword as a statement or inside a query
    (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, COPY, ATTACH, SET, PRAGMA, ...), and
    EXPLAIN ANALYZE.
    """
    statements = _statements(query)
    if not statements:
        raise ReadOnlyQueryRefused("refused: the query is empty")
    if len(statements) > 1:
        raise ReadOnlyQueryRefused(
            f"refused: only one statement is allowed, got {len(statements)} "
            "(rmledger sql is read-only and runs a single query)"
        )
    words = [w for w in statements[0] if w[0].isalpha() or w[0] == "_"]
    first = statements[0][0]
    if first == "(":
        first = next((w for w in words), "(")
    if first not in READ_KEYWORDS:
        raise ReadOnlyQueryRefused(
            f"refused: {first} is not a read-only statement; rmledger sql runs only queries "
            f"({', '.join(sorted(READ_KEYWORDS))}) and never writes to the read model"
        )
    for word in words:
        if word in WRITE_KEYWORDS and word not in _ALLOWED_INSIDE_QUERY:
            raise ReadOnlyQueryRefused(
                f"refused: the query contains {word}; rmledger sql is read-only and refuses any write, "
                "DDL or setting change"
            )
    tokens = statements[0]
    for i, word in enumerate(tokens[:-1]):
        if word.lower() in FORBIDDEN_FUNCTIONS and tokens[i + 1] == "(":
            raise ReadOnlyQueryRefused(
                f"refused: the table function {word.lower()}() is not allowed"
            )
    if first == "EXPLAIN" and "ANALYZE" in words:
        raise ReadOnlyQueryRefused("refused: EXPLAIN ANALYZE executes the statement; use EXPLAIN")


# Words that are write keywords as statements but also ordinary SQL inside a query:
# REPLACE(...) is a string function, END closes CASE, SET appears in no query but
# "START"/"FORCE" may be column names are kept refused on purpose.
_ALLOWED_INSIDE_QUERY = frozenset({"REPLACE", "END", "ANALYZE"})


def names_table(query: str, table: str) -> bool:
    """Whether ``query`` names ``table`` as an identifier (bare or double-quoted, in any
    case), not merely inside a string literal or a comment."""
    wanted = table.lower()
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind == "word" and match.group().lower() == wanted:
            return True
        if kind == "quoted" and match.group().strip('"').replace('""', '"').lower() == wanted:
            return True
    return False


def prepare_query(conn: duckdb.DuckDBPyConnection, query: str) -> None:
    """Before running an auditor's query: when it names ``statements_restated``,
    materialise that TEMP table (the pay projection's restated statements,
    ``projections.audit.pay.materialise_statements_restated``). TEMP objects live in
    the connection's memory, so this works on the read-only connection; the read
    model file is not written. Other queries cost nothing extra."""
    from projections.audit.pay import RESTATED_TABLE, materialise_statements_restated

    if names_table(query, RESTATED_TABLE):
        materialise_statements_restated(conn)


def read_only_connection(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open the read model read-only, with no access to files or the network."""
    conn = connect(path, read_only=True)  # memory bounded before the configuration is locked
    conn.execute("SET enable_external_access = false")
    conn.execute("SET lock_configuration = true")
    return conn


def run_read_only(path: Path | str, query: str) -> tuple[list[str], list[tuple[object, ...]]]:
    """Guard ``query``, then run it on a read-only connection: (column names, rows)."""
    check_read_only(query)
    conn = read_only_connection(path)
    try:
        prepare_query(conn, query)
        cursor = conn.execute(query)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
    finally:
        conn.close()


class QueryStopped(Exception):
    """An auditor's query ran past its time limit and was interrupted."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"the query was stopped after its time limit of {seconds:g} s")


def run_limited(
    path: Path | str, query: str, seconds: float
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """An already guarded ``query`` (``check_read_only``) on a read-only connection,
    interrupted after ``seconds`` (``QueryStopped``): (column names, rows). DuckDB's
    own errors (an unknown table, a syntax error) are raised as they are.

    The caller holds the shared lock of the read model meanwhile; readers hold it
    while they run and a writer waits for them, so a query without an end would hold
    every catch-up: hence the limit."""
    conn = read_only_connection(path)
    timer = threading.Timer(seconds, conn.interrupt)
    timer.daemon = True
    timer.start()
    try:
        prepare_query(conn, query)  # statements_restated, when the query names it
        rel = conn.sql(query)
        if rel is None:
            return [], []
        # Through Arrow: exact decimals, and time zones without pytz.
        return list(rel.columns), [tuple(r.values()) for r in rel.to_arrow_table().to_pylist()]
    except duckdb.InterruptException:
        raise QueryStopped(seconds) from None
    finally:
        timer.cancel()
        conn.close()


def json_value(value: Any) -> Any:
    """A cell of a query's answer as JSON shows it: exact decimals as text, numbers,
    text, booleans and null as they are, anything else (dates, times) as its text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

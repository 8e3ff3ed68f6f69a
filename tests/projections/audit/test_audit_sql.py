"""The read-only guard of ``rmledger sql`` and the auditor's views."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from projections.audit.sql import (
    ReadOnlyQueryRefused,
    check_read_only,
    read_only_connection,
    run_read_only,
)
from projections.audit.views import create_audit_views
from tests.projections.audit.test_audit_support import ReadModelRows

READS = [
    "SELECT * FROM events",
    "select count(*) from postings;",
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "FROM postings LIMIT 3",
    "DESCRIBE postings",
    "SHOW TABLES",
    "SUMMARIZE postings",
    "EXPLAIN SELECT 1",
    "(SELECT 1) UNION ALL (SELECT 2)",
    "SELECT 'DROP TABLE events; DELETE' AS harmless_text -- and a comment: INSERT",
    "SELECT replace(name, 'a', 'b') FROM clients",
    "SELECT CASE WHEN 1 = 1 THEN 'x' END",
    'SELECT "update" FROM (SELECT 1 AS "update")',
]

WRITES = [
    ("INSERT INTO postings VALUES (1)", "INSERT"),
    ("update postings set amount = 0", "UPDATE"),
    ("DELETE FROM events", "DELETE"),
    ("DROP TABLE events", "DROP"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE"),
    ("ALTER TABLE events ADD COLUMN x INT", "ALTER"),
    ("COPY events TO '/tmp/x.csv'", "COPY"),
    ("ATTACH 'other.db'", "ATTACH"),
    ("SET threads = 1", "SET"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("INSTALL httpfs", "INSTALL"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("SELECT 1; DROP TABLE events", "one statement"),
    ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT"),
    ("/* hide */ TRUNCATE events", "TRUNCATE"),
    ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE"),
    ("", "empty"),
]


@pytest.mark.parametrize("query", READS)
def test_queries_that_only_read_pass_the_guard(query: str) -> None:
    check_read_only(query)


@pytest.mark.parametrize(("query", "named"), WRITES)
def test_writes_ddl_and_settings_are_refused_with_a_clear_error(query: str, named: str) -> None:
    with pytest.raises(ReadOnlyQueryRefused) as refused:
        check_read_only(query)
    message = str(refused.value)
    assert message.startswith("refused:") and named in message


def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "read_model.duckdb"
    rows = ReadModelRows(duckdb.connect(str(path)))
    rows.hire("M1")
    rows.register("C1")
    rows.assign("C1", "M1", "2025-01-10")
    rows.book("P1", "C1", "100.00", "fee_income", "2025-02-01")
    conn = rows.flush()
    create_audit_views(conn)
    conn.close()
    return path


def test_the_read_only_connection_refuses_a_write_the_guard_did_not_see(tmp_path: Path) -> None:
    path = model_file(tmp_path)
    conn = read_only_connection(path)
    with pytest.raises(duckdb.Error):
        conn.execute("DELETE FROM postings")
    assert conn.execute("SELECT count(*) FROM postings").fetchone() == (1,)


def test_run_read_only_answers_queries_on_the_views_and_refuses_writes(tmp_path: Path) -> None:
    path = model_file(tmp_path)
    columns, rows = run_read_only(path, "SELECT source_id, manager_id, credited FROM credits")
    assert columns == ["source_id", "manager_id", "credited"] and rows[0][:2] == ("P1", "M1")
    with pytest.raises(ReadOnlyQueryRefused):
        run_read_only(path, "DELETE FROM postings")
    _, [(count,)] = run_read_only(path, "SELECT count(*) FROM postings")
    assert count == 1


def test_the_views_are_created_again_without_error(tmp_path: Path) -> None:
    conn = duckdb.connect(str(model_file(tmp_path)))
    create_audit_views(conn)
    names = {
        r[0]
        for r in conn.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    }
    assert {
        "assignment_intervals",
        "handover_status",
        "credits",
        "posting_attribution",
        "client_first_served",
    } <= names


def test_only_a_query_naming_statements_restated_materialises_it(tmp_path: Path) -> None:
    from projections.audit.sql import names_table, prepare_query

    assert names_table("select * from Statements_Restated", "statements_restated")
    assert names_table('SELECT * FROM "statements_restated"', "statements_restated")
    assert not names_table(
        "SELECT 'statements_restated' AS t -- statements_restated", "statements_restated"
    )
    conn = read_only_connection(model_file(tmp_path))
    prepare_query(conn, "SELECT 1")
    with pytest.raises(duckdb.CatalogException, match="statements_restated"):
        conn.execute("SELECT * FROM statements_restated")
    prepare_query(conn, "SELECT manager_id, period, total FROM statements_restated")
    assert conn.execute(
        "SELECT manager_id, period, status FROM statements_restated"
    ).fetchall() == [("M1", "2025-01", "open"), ("M1", "2025-02", "open")]

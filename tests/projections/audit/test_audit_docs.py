"""docs/audit.md lists the columns of every view and table auditors query: the list
must be what DuckDB actually has, so that an auditor can write SQL from the page."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from projections.audit.sql import prepare_query
from tests.paths import ROOT
from tests.scenarios.helpers import apply, caught_up, new_ledger, scenario

DOC = ROOT / "docs" / "audit.md"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def documented_columns() -> dict[str, tuple[str, set[str]]]:
    """name -> (kind, columns) from the table under "Views for auditors": every
    backticked identifier of the columns cell (prose and examples are skipped)."""
    section = DOC.read_text().split("## Views for auditors", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        name = cells[0].split("`")[1]
        kind = "view" if cells[0] == f"`{name}`" else cells[0].split("(", 1)[1].split(")")[0]
        spans = re.findall(r"`([^`]*)`", cells[1])
        columns = {word.strip() for span in spans for word in span.split(",")}
        out[name] = (kind, {c for c in columns if _IDENTIFIER.fullmatch(c)})
    return out


def actual_columns(conn: duckdb.DuckDBPyConnection, name: str) -> set[str]:
    return {row[0] for row in conn.execute(f"DESCRIBE {name}").fetchall()}


def test_the_documented_columns_are_the_real_ones(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario("late_posting_reversal"))
    conn = caught_up(ledger, tmp_path).conn
    documented = documented_columns()
    assert {
        "events",
        "assignment_intervals",
        "client_first_served",
        "handover_status",
        "credits",
        "posting_attribution",
        "statements_issued",
        "log_chain",
        "statements_restated",
    } == set(documented)
    prepare_query(conn, "SELECT * FROM statements_restated")
    for name, (kind, columns) in documented.items():
        actual = actual_columns(conn, name)
        if kind == "view":
            assert columns == actual, name  # a view is documented column for column
        else:
            # Tables list their columns too, but statements_issued names the money
            # fields by reference to docs/contract.md C2.2 instead of one by one.
            assert columns <= actual, (name, columns - actual)
    issued = actual_columns(conn, "statements_issued") - documented["statements_issued"][1]
    assert issued == {
        "recorded_at",
        "base_salary",
        "post_salary",
        "responsibility_profit",
        "weighted_profit",
        "performance_earned",
        "prepayment",
        "settlement",
        "compliance",
        "corrections",
        "prior_true_up",
        "performance_due",
        "performance_paid",
        "clawback_carried",
        "awards",
        "total",
    }

"""The month's statements for people: a table that fits 120 columns (every field with
``--wide``), a totals line and a legend; and as a sheet for CSV or Excel. The statements'
JSON (docs/contract.md C2.2) is the machine form; these are views of it."""

from __future__ import annotations

import textwrap
import unicodedata
from typing import Any

import duckdb

from projections.escape import terminal
from projections.pay.statements import MONEY_FIELDS, to_json
from scripts.cli.tabular import Column, Sheet, totals_rows

# (heading, statement field); "name" and "branch" come from the manager's hire.
NARROW = (
    ("manager", "manager_id"),
    ("name", "name"),
    ("branch", "branch_id"),
    ("grade", "grade"),
    ("profit", "responsibility_profit"),
    ("earned", "performance_earned"),
    ("paid", "performance_paid"),
    ("clawback", "clawback_carried"),
    ("awards", "awards"),
    ("total", "total"),
    ("status", "status"),
)
WIDE = (
    ("manager", "manager_id"),
    ("name", "name"),
    ("branch", "branch_id"),
    ("grade", "grade"),
    ("base", "base_salary"),
    ("post", "post_salary"),
    ("profit", "responsibility_profit"),
    ("weighted", "weighted_profit"),
    ("earned", "performance_earned"),
    ("prepay", "prepayment"),
    ("settle", "settlement"),
    ("compl.", "compliance"),
    ("corr.", "corrections"),
    ("prior", "prior_true_up"),
    ("due", "performance_due"),
    ("paid", "performance_paid"),
    ("clawback", "clawback_carried"),
    ("awards", "awards"),
    ("total", "total"),
    ("status", "status"),
)
TEXT = frozenset({"manager_id", "name", "branch_id", "grade", "status"})
LEGEND = (
    "profit: responsibility profit; earned: performance pay earned (PP); paid: performance pay paid "
    "this month after the true-up; clawback: overpaid performance pay carried to later months; "
    "total: base + post + paid + awards. --wide shows every field."
)
# The spreadsheet's columns (CSV and xlsx): who, then every field of the statement in
# the contract's order.
SHEET_COLUMNS = (
    Column("manager", "manager_id"),
    Column("name", "name"),
    Column("branch", "branch_id"),
    Column("period", "period"),
    Column("grade", "grade"),
    *(Column(field.replace("_", " "), field, "money") for field in MONEY_FIELDS),
    Column("status", "status"),
    Column("issued at position", "issued_at_position", "int"),
)


def people(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """Each manager's name and branch, as hired."""
    rows = conn.execute("SELECT manager_id, name, branch_id FROM managers").fetchall()
    return {str(m): (str(n), str(br)) for m, n, br in rows}


def _with_people(
    rows: list[dict[str, Any]], who: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        j = to_json(row)
        j["name"], j["branch_id"] = who.get(j["manager_id"], ("", ""))
        out.append(j)
    return out


def shown_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def aligned(header: list[str], rows: list[list[str]], left: set[int]) -> list[str]:
    """A plain aligned text table's lines; control characters in any cell escaped."""
    header = [terminal(h) for h in header]
    rows = [[terminal(c) for c in r] for r in rows]
    widths = [
        max([shown_width(h)] + [shown_width(r[i]) for r in rows]) for i, h in enumerate(header)
    ]

    def pad(cell: str, width: int, on_left: bool) -> str:
        room = " " * (width - shown_width(cell))
        return cell + room if on_left else room + cell

    def line(cells: list[str]) -> str:
        return "  ".join(
            pad(c, w, i in left) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def table_lines(
    rows: list[dict[str, Any]], who: dict[str, tuple[str, str]], wide: bool = False
) -> list[str]:
    """The statements as table lines, a totals line of every money column under them,
    and the legend."""
    columns = WIDE if wide else NARROW
    body = []
    shown = _with_people(rows, who)
    for j in shown:
        status = j["status"] + (f"@{j['issued_at_position']}" if "issued_at_position" in j else "")
        if j.get("restated"):
            status += " (restated)"
        body.append([status if key == "status" else str(j[key]) for _, key in columns])
    money = [key for _, key in columns if key in MONEY_FIELDS]
    sheet = Sheet("", [Column(key, key, "money") for key in money], shown, _count, "branch_id")
    totals = totals_rows(sheet) if body else []
    for label, sums in totals:
        body.append(
            [
                label if key == "manager_id" else f"{sums[key]:.2f}" if key in sums else ""
                for _, key in columns
            ]
        )
    left = {i for i, (_, key) in enumerate(columns) if key in TEXT}
    lines = aligned([h for h, _ in columns], body, left)
    if body:
        lines.insert(len(lines) - len(totals), lines[1])  # a rule above the totals lines
    return lines + (textwrap.wrap(LEGEND, 100) if body else [])


def _count(n: int) -> str:
    return f"{n} statement" + ("" if n == 1 else "s")


def pay_sheet(period: str, rows: list[dict[str, Any]], who: dict[str, tuple[str, str]]) -> Sheet:
    """The statements for a spreadsheet (``--format csv`` or ``xlsx``): every field, the
    manager's name and branch, and in a workbook a totals row of every money column
    (one per branch first, when there is more than one branch)."""
    return Sheet(
        f"Pay {period}",
        SHEET_COLUMNS,
        _with_people(rows, who),
        totals=_count,
        group_by="branch_id",
    )


def open_month_line(conn: duckdb.DuckDBPyConnection, period: str) -> str | None:
    """A line saying the month is still open, or None once it is closed."""
    closed = conn.execute("SELECT 1 FROM periods_closed WHERE period = ?", [period]).fetchone()
    return None if closed else f"{period} is open: not closed; figures may change"

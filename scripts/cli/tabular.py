"""Rows for a spreadsheet: the one place that turns rows and column specs into CSV text
or an Excel workbook (``--format csv`` and ``--format xlsx`` of every command).

Rows are the commands' JSON (docs/contract.md C2): money as 2-decimal strings, dates as
ISO text. In a workbook money becomes a number cell built from ``Decimal`` (never a
float here; Excel itself keeps a double, exact to the fen below 10^13) shown with two
decimals; dates become date cells; text stays text, never a formula. A sheet has a
bold header row, frozen, a filter on it, columns as wide as their content and, when
asked, a totals row of every money column summed in ``Decimal``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from projections.escape import csv_cell, terminal

Kind = Literal["text", "money", "int", "date"]
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60  # characters; a longer cell wraps to the column's width in Excel


@dataclass(frozen=True)
class Column:
    """A column: its heading, the row's key, and what kind of value it holds."""

    heading: str
    key: str
    kind: Kind = "text"


@dataclass
class Sheet:
    """A table: its title (the worksheet's name), columns and rows; ``totals`` labels a
    totals row under the rows (its first cell), None for no totals row; ``group_by``: a
    key whose every value gets a totals row of its own above the whole one, when the
    rows hold more than one value of it (the pay sheet's branches)."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    totals: Callable[[int], str] | None = None
    group_by: str | None = None


def _text(value: Any) -> str:
    """A value as the text of a cell: lists joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def totals_of(sheet: Sheet, rows: Sequence[dict[str, Any]] | None = None) -> dict[str, Decimal]:
    """The sum of each money column (of ``rows``, default the sheet's), exact."""
    sums = {c.key: Decimal("0") for c in sheet.columns if c.kind == "money"}
    for row in sheet.rows if rows is None else rows:
        for key in sums:
            if row.get(key) not in (None, ""):
                sums[key] += Decimal(str(row[key]))
    return sums


def totals_rows(sheet: Sheet) -> list[tuple[str, dict[str, Decimal]]]:
    """The totals rows under the sheet's rows, each as (label, sums): one per value of
    ``group_by`` (in sorted order, labelled "VALUE: " and the count) when there is more
    than one, then the whole sheet's; none without ``totals``."""
    if sheet.totals is None:
        return []
    out = []
    if sheet.group_by is not None:
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in sheet.rows:
            groups.setdefault(_text(row.get(sheet.group_by)), []).append(row)
        if len(groups) > 1:
            out = [
                (f"{value}: {sheet.totals(len(rows))}", totals_of(sheet, rows))
                for value, rows in sorted(groups.items())
            ]
    return out + [(sheet.totals(len(sheet.rows)), totals_of(sheet))]


def csv_text(sheet: Sheet) -> str:
    """The sheet as CSV: its headings (the rows' keys), one line per row, every cell
    safe to open in a spreadsheet (no formula runs). No totals row: a CSV is read by
    programs as often as by people, and a sum is one click away."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([csv_cell(_text(row.get(c.key))) for c in sheet.columns])
    return out.getvalue()


def _cell_value(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.kind == "money":
        return Decimal(str(value))
    if column.kind == "int":
        return int(value)
    if column.kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    return terminal(_text(value))  # openpyxl refuses control characters; they show escaped


def _shown_length(column: Column, value: Any) -> int:
    if value is None:
        return 0
    if column.kind == "money":
        return len(f"{value:,.2f}")
    return len(value.isoformat() if isinstance(value, date) else str(value))


def _xlsx_cell(ws: Any, column: Column, value: Any, strong: bool, long: bool) -> Any:
    """A value for a write-only sheet's row: as it is when it needs no format, else a
    cell with its number format, bold (the header, the totals) or wrapping."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    formula_like = isinstance(value, str) and value.startswith("=")
    if not (strong or long or formula_like or column.kind in ("money", "date")):
        return value  # a plain number, plain text or an empty cell
    out = WriteOnlyCell(ws, value=value)
    if column.kind == "money":
        out.number_format = MONEY_FORMAT
    elif column.kind == "date":
        out.number_format = DATE_FORMAT
    elif formula_like:
        out.data_type = "s"  # text that starts with "=" is text, not a formula
    if strong:
        out.font = Font(bold=True)
    if long:
        out.alignment = Alignment(wrap_text=True, vertical="top")
    return out


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> None:
    """The sheets as an Excel workbook at ``path``, one worksheet each, in order."""
    # Write-only: rows are streamed to the file, so 100,000 clients take seconds and
    # little memory; widths and formats are therefore worked out before the rows.
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])  # Excel's limit on a sheet name
        columns = list(sheet.columns)
        body = [[_cell_value(c, row.get(c.key)) for c in columns] for row in sheet.rows]
        totals = totals_rows(sheet)
        for label, sums in totals:
            body.append([label if i == 0 else sums.get(c.key) for i, c in enumerate(columns)])
        lengths = [
            max([len(c.heading)] + [_shown_length(c, values[i]) for values in body])
            for i, c in enumerate(columns)
        ]
        for i, length in enumerate(lengths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(length, MAX_WIDTH) + 2
        ws.freeze_panes = "A2"
        last = get_column_letter(len(columns))
        ws.auto_filter.ref = f"A1:{last}{1 + len(sheet.rows)}"  # the rows, not the totals
        ws.append(
            [_xlsx_cell(ws, Column(c.heading, c.key), c.heading, True, False) for c in columns]
        )
        first_total = len(body) - len(totals)
        for r, values in enumerate(body):
            ws.append(
                [
                    _xlsx_cell(ws, c, v, r >= first_total, lengths[i] > MAX_WIDTH)
                    for i, (c, v) in enumerate(zip(columns, values, strict=True))
                ]
            )
    book.save(path)

"""rmledger subcommands: tiers. Each module lists its click commands in COMMANDS."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import click
import duckdb
from rich.console import Console
from rich.table import Table
from rich.text import Text

from projections.audit.common import counted
from projections.escape import terminal
from projections.tiers import classify as tier_rules
from scripts.cli.context import Context
from scripts.cli.formats import chosen_format, emit_sheets, emit_text, format_options
from scripts.cli.options import DAY, IDENT
from scripts.cli.tabular import Column, Sheet
from scripts.cli.text_table import text_table


def read_tiers(
    ctx: Context, as_of: date, client_id: str | None
) -> tuple[list[dict[str, Any]], int, str | None]:
    """The tiers on ``as_of``, after bringing the read model up to date; its position;
    and, when ``client_id`` has no tier that day, why."""
    rm = ctx.read_model()
    try:
        rows = tier_rules.tiers(rm.conn, as_of, client_id)
        why = no_tier(rm.conn, client_id, as_of) if client_id is not None and not rows else None
        return rows, rm.position(), why
    finally:
        rm.close()


def no_tier(conn: duckdb.DuckDBPyConnection, client_id: str, as_of: date) -> str:
    """Why ``client_id`` has no tier on ``as_of``: no such client at all, or one
    registered later."""
    (registered,) = conn.execute(
        "SELECT min(registered_on) FROM clients WHERE client_id = ?", [client_id]
    ).fetchone() or (None,)
    if registered is None:
        return f"no such client: {terminal(client_id)}"
    return (
        f"client {terminal(client_id)} is registered on {registered.isoformat()}, "
        f"after {as_of.isoformat()}: no tier yet"
    )


RICH_MAX_ROWS = 2000
"""Above this many clients the table is printed as plain aligned text: rich would take
minutes to lay out 100,000 rows."""

_COLUMNS = (
    ("client", "client_id"),
    ("tier", "tier"),
    ("maintenance", "maintenance_level"),
    ("AUM", "aum"),
    ("avg deposit 182d", "avg_deposit_182d"),
    ("criteria met", "criteria_met"),
    ("near (≥ 80%)", "near_criteria"),
)
_RIGHT = {"aum", "avg_deposit_182d"}


def _cells(row: dict[str, Any]) -> list[str]:
    j = tier_rules.tier_json(row)
    return [
        terminal(", ".join(j[key]) or "-" if isinstance(j[key], list) else str(j[key]))
        for _, key in _COLUMNS
    ]


def _title(as_of: date, position: int) -> str:
    return f"Tiers on {as_of.isoformat()} (event-log position {position})"


def _counts(rows: list[dict[str, Any]]) -> str:
    tiers = Counter(r["tier"] for r in rows)
    levels = Counter(r["maintenance_level"] for r in rows)
    return (
        f"{counted(len(rows), 'client')}: "
        + ", ".join(f"{t} {tiers[t]}" for t in tier_rules.TIERS)
        + "; maintenance: "
        + ", ".join(f"{m} {levels[m]}" for m in tier_rules.MAINTENANCE_LEVELS)
    )


def table_text(rows: list[dict[str, Any]], as_of: date, position: int) -> str:
    """The tiers as plain aligned text (a file, or too many rows for rich), then the
    count of each tier and level."""
    right = {i for i, (_, key) in enumerate(_COLUMNS) if key in _RIGHT}
    body = text_table([h for h, _ in _COLUMNS], [_cells(r) for r in rows], right)
    return f"{_title(as_of, position)}\n{body}\n{_counts(rows)}\n"


def print_table(rows: list[dict[str, Any]], as_of: date, position: int) -> None:
    """The tiers for people: a table, then the count of each tier and level."""
    if len(rows) > RICH_MAX_ROWS:
        click.echo(table_text(rows, as_of, position), nl=False)
        return
    console = Console() if sys.stdout.isatty() else Console(width=160, no_color=True)
    table = Table(title=_title(as_of, position), title_justify="left")
    for heading, key in _COLUMNS:
        table.add_column(heading, justify="right" if key in _RIGHT else "left", no_wrap=True)
    for cells in (_cells(r) for r in rows):
        table.add_row(*(Text(c) for c in cells))  # Text: no rich markup read from stored ids
    console.print(table)
    click.echo(_counts(rows))


SHEET_COLUMNS = (
    Column("client", "client_id"),
    Column("as of", "as_of", "date"),
    Column("tier", "tier"),
    Column("maintenance", "maintenance_level"),
    Column("AUM", "aum", "money"),
    Column("avg deposit 182d", "avg_deposit_182d", "money"),
    Column("criteria met", "criteria_met"),
    Column("near (≥ 80%)", "near_criteria"),
)


@click.command()
@click.option("--as-of", "as_of", type=DAY, required=True, help="The date, YYYY-MM-DD.")
@click.option("--client", "client_id", type=IDENT, default=None, help="Only this client.")
@format_options
@click.pass_obj
def tiers(
    ctx: Context,
    as_of: date,
    client_id: str | None,
    as_json: bool,
    fmt: str | None,
    out: Path | None,
    force: bool,
) -> None:
    """Tier and maintenance level of each client registered on or before --as-of."""
    fmt = chosen_format(as_json, fmt, out, force, ctx.data_dir)
    rows, position, why = read_tiers(ctx, as_of, client_id)
    if why is not None:
        # Nothing to show: the reason alone, not an empty table or file.
        click.echo(why, err=True)
        sys.exit(1)
    what = counted(len(rows), "client")
    if fmt == "json":
        emit_text(
            json.dumps([tier_rules.tier_json(r) for r in rows], indent=2) + "\n",
            out,
            force,
            ctx.data_dir,
            what,
        )
    elif fmt in ("csv", "xlsx"):
        sheet = Sheet(
            f"Tiers {as_of.isoformat()}", SHEET_COLUMNS, [tier_rules.tier_json(r) for r in rows]
        )
        emit_sheets(fmt, [sheet], out, force, ctx.data_dir, what)
    elif out is not None:
        emit_text(table_text(rows, as_of, position), out, force, ctx.data_dir, what)
    else:
        print_table(rows, as_of, position)


COMMANDS: list[click.Command] = [tiers]

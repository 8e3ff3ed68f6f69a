"""rmledger subcommands: tiers. Each module lists its click commands in COMMANDS."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from projections.audit.common import counted
from projections.escape import terminal
from projections.tiers import classify as tier_rules
from scripts.cli.context import Context
from scripts.cli.options import DAY, IDENT


def read_tiers(ctx: Context, as_of: date, client_id: str | None) -> tuple[list[dict[str, Any]], int]:
    """The tiers on ``as_of``, after bringing the read model up to date; and its position."""
    rm = ctx.read_model()
    try:
        return tier_rules.tiers(rm.conn, as_of, client_id), rm.position()
    finally:
        rm.close()


RICH_MAX_ROWS = 2000
"""Above this many clients the table is printed as plain aligned text: rich would take
minutes to lay out 100,000 rows."""

_COLUMNS = (("client", "client_id"), ("tier", "tier"), ("maintenance", "maintenance_level"),
            ("AUM", "aum"), ("avg deposit 182d", "avg_deposit_182d"),
            ("criteria met", "criteria_met"), ("near (≥ 80%)", "near_criteria"))
_RIGHT = {"aum", "avg_deposit_182d"}


def _cells(row: dict[str, Any]) -> list[str]:
    j = tier_rules.tier_json(row)
    return [terminal(", ".join(j[key]) or "-" if isinstance(j[key], list) else str(j[key])) for _, key in _COLUMNS]


def print_table(rows: list[dict[str, Any]], as_of: date, position: int) -> None:
    """The tiers for people: a table, then the count of each tier and level."""
    title = f"Tiers on {as_of.isoformat()} (event-log position {position})"
    body = [_cells(r) for r in rows]
    if len(rows) <= RICH_MAX_ROWS:
        console = Console() if sys.stdout.isatty() else Console(width=160, no_color=True)
        table = Table(title=title, title_justify="left")
        for heading, key in _COLUMNS:
            table.add_column(heading, justify="right" if key in _RIGHT else "left", no_wrap=True)
        for cells in body:
            table.add_row(*(Text(c) for c in cells))  # Text: no rich markup read from stored ids
        console.print(table)
    else:
        widths = [max([len(h)] + [len(c[i]) for c in body]) for i, (h, _) in enumerate(_COLUMNS)]

        def line(cells: list[str]) -> str:
            return "  ".join(c.rjust(w) if key in _RIGHT else c.ljust(w)
                             for c, w, (_, key) in zip(cells, widths, _COLUMNS, strict=True)).rstrip()

        click.echo("\n".join([title, line([h for h, _ in _COLUMNS]), line(["-" * w for w in widths])]
                             + [line(c) for c in body]))
    tiers = Counter(r["tier"] for r in rows)
    levels = Counter(r["maintenance_level"] for r in rows)
    click.echo(f"{counted(len(rows), 'client')}: "
               + ", ".join(f"{t} {tiers[t]}" for t in tier_rules.TIERS) + "; maintenance: "
               + ", ".join(f"{m} {levels[m]}" for m in tier_rules.MAINTENANCE_LEVELS))


@click.command()
@click.option("--as-of", "as_of", type=DAY, required=True, help="The date, YYYY-MM-DD.")
@click.option("--client", "client_id", type=IDENT, default=None, help="Only this client.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of tiers.")
@click.pass_obj
def tiers(ctx: Context, as_of: date, client_id: str | None, as_json: bool) -> None:
    """Tier and maintenance level of each client registered on or before --as-of."""
    rows, position = read_tiers(ctx, as_of, client_id)
    if as_json:
        click.echo(json.dumps([tier_rules.tier_json(r) for r in rows], indent=2))
    else:
        print_table(rows, as_of, position)
    if client_id is not None and not rows:
        click.echo(f"no client {client_id} registered on or before {as_of.isoformat()}", err=True)
        sys.exit(1)


COMMANDS: list[click.Command] = [tiers]

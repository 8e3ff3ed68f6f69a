"""rmledger pay (and pay explain): statements as issued or restated, and what is behind
one. Each command module lists its click commands in COMMANDS."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from projections.escape import terminal, tree
from projections.pay.statements import no_statement, statements, to_json
from projections.readmodel.loader import ReadModel
from scripts.cli.context import Context
from scripts.cli.formats import chosen_format, emit_sheets, emit_text, format_options
from scripts.cli.options import IDENT, MONTH
from scripts.cli.output import write_out
from scripts.cli.pay_table import open_month_line, pay_sheet, people, table_lines
from scripts.cli.simulate import pay_simulate


def caught_up(ctx: Context) -> ReadModel:
    """The read model, brought up to date with the event log: read-only, under the
    shared lock until closed (docs/concurrency.md)."""
    return ctx.read_model()


def print_table(
    rows: list[dict[str, Any]], who: dict[str, tuple[str, str]] | None = None, wide: bool = False
) -> None:
    """The statements as a table for people (scripts/cli/pay_table.py), with their notes below it."""
    click.echo("\n".join(table_lines(rows, who or {}, wide)))
    print_notes(rows)


def print_notes(rows: list[dict[str, Any]]) -> None:
    """What does not fit a column, a line each."""
    # What does not fit a column: a departed manager's outstanding amount after the
    # final statement, and why a restated statement is nil (docs/pay.md, "Departure").
    for row in rows:
        j = tree(to_json(row), terminal)
        if "outstanding" in j:
            click.echo(
                f"{j['manager_id']} {j['period']}: final statement; outstanding {j['outstanding']} "
                "(restated due − issued paid; + owed to the manager, − owed by the manager)"
            )
        if "note" in j:
            click.echo(f"{j['manager_id']} {j['period']}: {j['note']}")


@click.group(invoke_without_command=True)
@click.option("--period", type=MONTH, help="The month, YYYY-MM.")
@click.option("--manager", "manager_id", type=IDENT, default=None, help="Only this manager.")
@click.option("--restated", is_flag=True, help="Recompute issued statements on today's data.")
@click.option("--wide", is_flag=True, help="The table with every field (wider than 120 columns).")
@format_options
@click.pass_context
def pay(
    click_ctx: click.Context,
    period: str | None,
    manager_id: str | None,
    restated: bool,
    wide: bool,
    as_json: bool,
    fmt: str | None,
    out: Path | None,
    force: bool,
) -> None:
    """Pay statements of a month; issued ones as issued, unless --restated."""
    if click_ctx.invoked_subcommand is not None:
        return
    if period is None:
        raise click.UsageError("--period YYYY-MM is required")
    ctx: Context = click_ctx.obj
    fmt = chosen_format(as_json, fmt, out, force, ctx.data_dir)  # before the work, not after it
    rm = caught_up(ctx)
    rows = statements(rm, period, manager_id, restated)
    what = f"{len(rows)} statement(s)"
    if fmt == "json":
        emit_text(
            json.dumps([to_json(r) for r in rows], indent=2) + "\n", out, force, ctx.data_dir, what
        )
    elif fmt in ("csv", "xlsx"):
        emit_sheets(fmt, [pay_sheet(period, rows, people(rm.conn))], out, force, ctx.data_dir, what)
    else:
        opened = open_month_line(rm.conn, period)
        lines = [
            f"Pay statements {period} (event-log position {rm.position()})",
            *([opened] if opened else []),
            *table_lines(rows, people(rm.conn), wide),
        ]
        if out is not None:
            write_out(out, "\n".join(lines) + "\n", force, ctx.data_dir)
        else:
            click.echo("\n".join(lines))
            print_notes(rows)
    if manager_id and not rows:
        click.echo(no_statement(rm, manager_id, period), err=True)
        sys.exit(1)


@pay.command("explain")
@click.option("--manager", "manager_id", type=IDENT, required=True, help="The manager.")
@click.option("--period", type=MONTH, required=True, help="The month, YYYY-MM.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.pass_obj
def pay_explain(ctx: Context, manager_id: str, period: str, as_json: bool) -> None:
    """Every posting, charge and activity behind a statement, and the arithmetic."""
    from projections.pay.explanation import explain, explain_text

    rm = caught_up(ctx)
    result = explain(rm, manager_id, period)
    if result is None:
        click.echo(no_statement(rm, manager_id, period), err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        click.echo(explain_text(tree(result, terminal)))


pay.add_command(pay_simulate)

COMMANDS: list[click.Command] = [pay]

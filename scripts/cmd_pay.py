"""rmledger subcommands: pay (and pay explain), rebuild, sql. Each module lists its
click commands in COMMANDS."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from projections import ReadModel
from projections.audit_sql import (
    ReadOnlyQueryRefused,
    check_read_only,
    prepare_query,
    read_only_connection,
)
from projections.escape import terminal, tree
from projections.pay import statements, to_json
from scripts.cmd_simulate import pay_simulate
from scripts.context import Context
from scripts.options import IDENT, MONTH, SafePath
from scripts.output import check_target, force_option, write_out
from scripts.pay_table import aligned, csv_text, people, table_lines

# A rebuild of a log this long or longer shows a bar on stderr (positions loaded of the
# last): at the ~100,000 events/s of docs/read-model.md that is a wait of 2 s or more.
REBUILD_PROGRESS_THRESHOLD = 200_000


def caught_up(ctx: Context) -> ReadModel:
    """The read model, brought up to date with the event log: read-only, under the
    shared lock until closed (docs/concurrency.md)."""
    return ctx.read_model()


def print_table(rows: list[dict[str, Any]], who: dict[str, tuple[str, str]] | None = None,
                wide: bool = False) -> None:
    """The statements as a table for people (scripts/pay_table.py), with their notes below it."""
    click.echo("\n".join(table_lines(rows, who or {}, wide)))
    print_notes(rows)


def print_notes(rows: list[dict[str, Any]]) -> None:
    """What does not fit a column, a line each."""
    # What does not fit a column: a departed manager's outstanding amount after the
    # final statement, and why a restated statement is nil (docs/pay.md, "Departure").
    for row in rows:
        j = tree(to_json(row), terminal)
        if "outstanding" in j:
            click.echo(f"{j['manager_id']} {j['period']}: final statement; outstanding {j['outstanding']} "
                       "(restated due − issued paid; + owed to the manager, − owed by the manager)")
        if "note" in j:
            click.echo(f"{j['manager_id']} {j['period']}: {j['note']}")


@click.group(invoke_without_command=True)
@click.option("--period", type=MONTH, help="The month, YYYY-MM.")
@click.option("--manager", "manager_id", type=IDENT, default=None, help="Only this manager.")
@click.option("--restated", is_flag=True, help="Recompute issued statements on today's data.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of statements (--format json).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default=None,
              help="table (default), json, or csv for a spreadsheet.")
@click.option("--wide", is_flag=True, help="The table with every field (wider than 120 columns).")
@click.option("--out", type=SafePath(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of the terminal (never one of the data directory's own files).")
@force_option
@click.pass_context
def pay(click_ctx: click.Context, period: str | None, manager_id: str | None, restated: bool,
        as_json: bool, fmt: str | None, wide: bool, out: Path | None, force: bool) -> None:
    """Pay statements of a month; issued ones as issued, unless --restated."""
    if click_ctx.invoked_subcommand is not None:
        return
    if period is None:
        raise click.UsageError("--period YYYY-MM is required")
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json is --format json: not with --format {fmt}")
    fmt = "json" if as_json else (fmt or "table")
    ctx: Context = click_ctx.obj
    if out is not None:
        check_target(out, ctx.data_dir, force)  # before the work, not after it
    rm = caught_up(ctx)
    rows = statements(rm, period, manager_id, restated)
    if fmt == "json":
        text = json.dumps([to_json(r) for r in rows], indent=2) + "\n"
    elif fmt == "csv":
        text = csv_text(rows, people(rm.conn))
    else:
        text = None
    if text is not None and out is not None:
        write_out(out, text, force, ctx.data_dir)
        click.echo(f"wrote {len(rows)} statement(s) to {terminal(str(out))}", err=True)
    elif text is not None:
        click.echo(text, nl=False)
    else:
        lines = [f"Pay statements {period} (event-log position {rm.position()})",
                 *table_lines(rows, people(rm.conn), wide)]
        if out is not None:
            write_out(out, "\n".join(lines) + "\n", force, ctx.data_dir)
        else:
            click.echo("\n".join(lines))
            print_notes(rows)
    if manager_id and not rows:
        click.echo(no_statement(rm, manager_id, period), err=True)
        sys.exit(1)


def no_statement(rm: ReadModel, manager_id: str, period: str) -> str:
    """Why ``manager_id`` has no statement for ``period``: no such manager at all, or a
    month in which the ledger pays them nothing (not employed, or before the first
    month a plan covers)."""
    known = rm.conn.execute("SELECT 1 FROM managers WHERE manager_id = ?", [manager_id]).fetchone()
    if known is None:
        return f"no such manager: {terminal(manager_id)}"
    return (f"no statement for manager {terminal(manager_id)} in {period}: not employed that month, "
            "or before the first month a plan covers")


@pay.command("explain")
@click.option("--manager", "manager_id", type=IDENT, required=True, help="The manager.")
@click.option("--period", type=MONTH, required=True, help="The month, YYYY-MM.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.pass_obj
def pay_explain(ctx: Context, manager_id: str, period: str, as_json: bool) -> None:
    """Every posting, charge and activity behind a statement, and the arithmetic."""
    from projections.explain_pay import explain, explain_text

    rm = caught_up(ctx)
    result = explain(rm, manager_id, period)
    if result is None:
        click.echo(no_statement(rm, manager_id, period), err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        click.echo(explain_text(tree(result, terminal)))


@click.command()
@click.pass_obj
def rebuild(ctx: Context) -> None:
    """Build the read model again from the event log (beside the old one, then swapped in)."""
    started = time.perf_counter()
    last = ctx.ledger.recorder.max_notification_id() or 0
    # A new file built beside the old one (which other commands go on reading), then
    # swapped in atomically: whatever state the old file is in (docs/concurrency.md).
    if last < REBUILD_PROGRESS_THRESHOLD:
        rebuilt = ctx.rebuild_read_model()
    else:
        columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("rebuilding", total=last)
            rebuilt = ctx.rebuild_read_model(on_page=lambda at: progress.update(task, completed=at))
    position, count = rebuilt.position, rebuilt.events
    elapsed = time.perf_counter() - started
    click.echo(f"rebuilt to position {position}: {count} events in {elapsed:.2f} s "
               f"({count / elapsed if elapsed else 0:,.0f} events/s)")


SQL_TIMEOUT_SETTING = "RMLEDGER_SQL_TIMEOUT"
SQL_TIMEOUT_DEFAULT = 30.0
SQL_TIMEOUT_MAX = 86_400.0  # threading.Timer needs a finite, sane number


def sql_timeout(option: float | None) -> float:
    """``rmledger sql``'s time limit: --timeout, else $RMLEDGER_SQL_TIMEOUT, else 30 s."""
    if option is not None:
        return option
    text = os.environ.get(SQL_TIMEOUT_SETTING, "").strip()
    if not text:
        return SQL_TIMEOUT_DEFAULT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= SQL_TIMEOUT_MAX:
        raise click.UsageError(f"{SQL_TIMEOUT_SETTING}={text!r} is not a number of seconds "
                               f"above 0 and at most {SQL_TIMEOUT_MAX:g}")
    return seconds


def _finite(value: float | None) -> float | None:
    if value is not None and value != value:  # NaN passes FloatRange's comparisons
        raise click.BadParameter("nan is not a number of seconds")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@click.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON array of objects.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=SQL_TIMEOUT_MAX), default=None,
              callback=lambda _, __, value: _finite(value),
              help=f"Stop the query after this many seconds (default ${SQL_TIMEOUT_SETTING}, "
                   f"else {SQL_TIMEOUT_DEFAULT:g}).")
@click.pass_obj
def sql(ctx: Context, query: str, as_json: bool, timeout: float | None) -> None:
    """A read-only SQL query on the DuckDB read model (after catching up)."""
    try:
        check_read_only(query)
    except ReadOnlyQueryRefused as refused:
        click.echo(f"error: {terminal(refused)}", err=True)
        sys.exit(1)
    limit = sql_timeout(timeout)
    held = caught_up(ctx)  # the shared lock, until the query is done
    conn = read_only_connection(ctx.read_model_path)
    # Readers hold the shared lock while they run, and a writer waits for them: a
    # query without an end would hold every catch-up, and so every later command.
    timer = threading.Timer(limit, conn.interrupt)
    timer.daemon = True
    timer.start()
    try:
        prepare_query(conn, query)  # statements_restated, when the query names it
        rel = conn.sql(query)
        columns = list(rel.columns) if rel is not None else []
        # Through Arrow: exact decimals, and time zones without pytz.
        rows = [tuple(r.values()) for r in rel.to_arrow_table().to_pylist()] if rel is not None else []
    except duckdb.InterruptException:
        click.echo(f"error: the query was stopped after its time limit of {limit:g} s "
                   f"(rmledger sql --timeout SECONDS, or {SQL_TIMEOUT_SETTING})", err=True)
        sys.exit(1)
    except Exception as error:  # a DuckDB error is the user's to read
        click.echo(f"error: {terminal(error)}", err=True)
        sys.exit(1)
    finally:
        timer.cancel()
        conn.close()
        held.close()
    if as_json:
        click.echo(json.dumps([{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows],
                              indent=2))
        return
    body = [["" if v is None else str(_plain(v)) for v in row] for row in rows]
    click.echo("\n".join(aligned(columns, body, set(range(len(columns))))))


pay.add_command(pay_simulate)

COMMANDS: list[click.Command] = [pay, rebuild, sql]

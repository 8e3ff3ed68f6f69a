"""rmledger sql: one read-only query on the read model, with a time limit."""

from __future__ import annotations

import json
import os
import sys

import click

from projections.audit.sql import (
    SQL_TIMEOUT_DEFAULT,
    QueryStopped,
    ReadOnlyQueryRefused,
    check_read_only,
    json_value,
    run_limited,
)
from projections.escape import terminal
from scripts.cli.context import Context
from scripts.cli.pay import caught_up
from scripts.cli.pay_table import aligned

SQL_TIMEOUT_SETTING = "RMLEDGER_SQL_TIMEOUT"
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
        raise click.UsageError(
            f"{SQL_TIMEOUT_SETTING}={text!r} is not a number of seconds "
            f"above 0 and at most {SQL_TIMEOUT_MAX:g}"
        )
    return seconds


def _finite(value: float | None) -> float | None:
    if value is not None and value != value:  # NaN passes FloatRange's comparisons
        raise click.BadParameter("nan is not a number of seconds")
    return value


@click.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON array of objects.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=SQL_TIMEOUT_MAX),
    default=None,
    callback=lambda _, __, value: _finite(value),
    help=f"Stop the query after this many seconds (default ${SQL_TIMEOUT_SETTING}, "
    f"else {SQL_TIMEOUT_DEFAULT:g}).",
)
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
    try:
        columns, rows = run_limited(ctx.read_model_path, query, limit)
    except QueryStopped:
        click.echo(
            f"error: the query was stopped after its time limit of {limit:g} s "
            f"(rmledger sql --timeout SECONDS, or {SQL_TIMEOUT_SETTING})",
            err=True,
        )
        sys.exit(1)
    except Exception as error:  # a DuckDB error is the user's to read
        click.echo(f"error: {terminal(error)}", err=True)
        sys.exit(1)
    finally:
        held.close()
    if as_json:
        click.echo(
            json.dumps(
                [{c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows],
                indent=2,
            )
        )
        return
    body = [["" if v is None else str(json_value(v)) for v in row] for row in rows]
    click.echo("\n".join(aligned(columns, body, set(range(len(columns))))))


COMMANDS: list[click.Command] = [sql]

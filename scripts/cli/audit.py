"""rmledger audit: a manager's history and the departure audit. Each module lists its
click commands in COMMANDS."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click
import duckdb

from projections.audit.common import plain
from projections.audit.departure import DepartureAuditError, departure_audit
from projections.audit.history import UnknownManager, manager_history
from projections.audit.report import render, render_history_text
from projections.escape import json_text, terminal
from scripts.cli.context import Context
from scripts.cli.formats import chosen_format, emit_sheets, emit_text, format_options
from scripts.cli.history_sheets import history_sheets
from scripts.cli.options import DAY, IDENT, POSITION, TIMESTAMP, SafePath
from scripts.cli.output import check_target, force_option, write_out


def caught_up_connection(ctx: Context) -> duckdb.DuckDBPyConnection:
    """The read model brought up to date (loader: the hash chain with each page; the
    audit views are in the file), read-only, under the shared lock until the command
    ends (docs/concurrency.md)."""
    return ctx.read_model().conn


@click.group()
def audit() -> None:
    """Audit reports: a manager's bitemporal history and the departure audit."""


@audit.command()
@click.option("--manager", "manager_id", type=IDENT, required=True, help="Manager id.")
@click.option(
    "--known-at",
    type=TIMESTAMP,
    default=None,
    help="Recorded time (ISO timestamp with zone); default now.",
)
@click.option(
    "--effective-on",
    type=DAY,
    default=None,
    help="Business date (YYYY-MM-DD); default today in Asia/Shanghai.",
)
@click.option(
    "--restated/--no-restated",
    default=True,
    show_default=True,
    help="Include the statements restated by the pay rules.",
)
@click.option(
    "--at-position",
    type=POSITION,
    default=None,
    help="As known at this event-log position instead of --known-at (default: the latest).",
)
@format_options
@click.pass_obj
def history(
    ctx: Context,
    manager_id: str,
    known_at: datetime | None,
    effective_on: date | None,
    restated: bool,
    at_position: int | None,
    as_json: bool,
    fmt: str | None,
    out: Path | None,
    force: bool,
) -> None:
    """Every fact about a manager as known at --known-at (or --at-position) and in force
    on --effective-on; as CSV, the statements; as xlsx, a sheet for each part."""
    if known_at is not None and at_position is not None:
        raise click.UsageError("give --known-at or --at-position, not both")
    fmt = chosen_format(as_json, fmt, out, force, ctx.data_dir)
    conn = caught_up_connection(ctx)
    try:
        result = manager_history(conn, manager_id, known_at, effective_on, restated, at_position)
    except UnknownManager as error:
        raise click.ClickException(terminal(str(error))) from error
    finally:
        conn.close()
    what = f"the history of {terminal(manager_id)}"
    if fmt == "json":
        text = (
            json_text(json.dumps(plain(result), sort_keys=True, indent=2, ensure_ascii=False))
            + "\n"
        )
        emit_text(text, out, force, ctx.data_dir, what)
    elif fmt in ("csv", "xlsx"):
        emit_sheets(fmt, history_sheets(result), out, force, ctx.data_dir, what)
    else:
        emit_text(render_history_text(result), out, force, ctx.data_dir, what)


@audit.command()
@click.option("--manager", "manager_id", type=IDENT, required=True, help="Manager id.")
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True
)
@click.option(
    "--out",
    type=SafePath(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE (never one of the data directory's own files).",
)
@force_option
@click.option(
    "--at-position",
    type=POSITION,
    default=None,
    help="Compute at this event-log position (default: the latest).",
)
@click.pass_obj
def departure(
    ctx: Context, manager_id: str, fmt: str, out: Path | None, force: bool, at_position: int | None
) -> None:
    """The departure audit (docs/rules.md R9.2), stating its position and SHA-256."""
    if out is not None:
        check_target(out, ctx.data_dir, force)  # before the work, not after it
    conn = caught_up_connection(ctx)
    try:
        report = departure_audit(conn, manager_id, at_position)
    except DepartureAuditError as error:
        raise click.ClickException(terminal(str(error))) from error
    finally:
        conn.close()
    text = render(report, fmt)
    if out is not None:
        write_out(out, text, force, ctx.data_dir)
        click.echo(
            f"wrote {terminal(str(out))} (position {report['position']}, sha256 {report['sha256']})",
            err=True,
        )
    else:
        click.echo(text, nl=False)


COMMANDS: list[click.Command] = [audit]

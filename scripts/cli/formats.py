"""``--format table|json|csv|xlsx``, ``--json``, ``--out FILE`` and ``--force``: the same
options, the same checks and the same writing for every command that prints a report
people may want in a spreadsheet (pay, tiers, audit history)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from projections.escape import terminal
from scripts.cli.options import SafePath
from scripts.cli.output import check_target, force_option, replacing, write_out
from scripts.cli.tabular import Sheet, csv_text, write_xlsx

FORMATS = ("table", "json", "csv", "xlsx")


def format_options(f: click.decorators.FC) -> click.decorators.FC:
    """The options ``--json``, ``--format``, ``--out`` and ``--force`` (arguments
    ``as_json``, ``fmt``, ``out``, ``force``)."""
    f = force_option(f)
    f = click.option(
        "--out",
        type=SafePath(dir_okay=False, path_type=Path),
        default=None,
        help="Write to FILE instead of the terminal (never one of the data directory's own "
        "files; xlsx needs it).",
    )(f)
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="table (default), json, csv, or xlsx (an Excel workbook, with --out).",
    )(f)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (--format json).")(f)


def chosen_format(
    as_json: bool, fmt: str | None, out: Path | None, force: bool, data_dir: Path | None
) -> str:
    """The format asked for, after the checks that come before any work: ``--json``
    only with ``--format json``; xlsx only into a file; a target ``--out`` may write."""
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json is --format json: not with --format {fmt}")
    chosen = "json" if as_json else (fmt or "table")
    if chosen == "xlsx" and out is None:
        raise click.UsageError("--format xlsx writes an Excel file: give --out FILE.xlsx")
    if out is not None:
        check_target(out, data_dir, force)
    return chosen


def emit_text(text: str, out: Path | None, force: bool, data_dir: Path | None, what: str) -> None:
    """``text`` to ``out`` (saying so on stderr, naming ``what`` was written), or to stdout."""
    if out is None:
        click.echo(text, nl=False)
        return
    write_out(out, text, force, data_dir)
    click.echo(f"wrote {what} to {terminal(str(out))}", err=True)


def emit_sheets(
    fmt: str,
    sheets: Sequence[Sheet],
    out: Path | None,
    force: bool,
    data_dir: Path | None,
    what: str,
) -> None:
    """The sheets as CSV (the first sheet) or as an Excel workbook (every sheet)."""
    if fmt == "csv":
        emit_text(csv_text(sheets[0]), out, force, data_dir, what)
        return
    assert out is not None  # chosen_format refused xlsx without --out
    with replacing(out, force, data_dir) as temp:
        write_xlsx(temp, sheets)
    click.echo(f"wrote {what} to {terminal(str(out))}", err=True)

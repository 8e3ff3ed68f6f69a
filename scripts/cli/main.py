"""The ``rmledger`` command line: thin wrappers over consumers/, projections/ and domain/."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from consumers.jsonl import DEFAULT_BATCH_SIZE, IngestSummary, ingest_files
from projections.escape import terminal
from scripts.cli import alerts as cmd_alerts
from scripts.cli import audit as cmd_audit
from scripts.cli import consume as cmd_kafka
from scripts.cli import demo as cmd_demo
from scripts.cli import export as cmd_export
from scripts.cli import pay as cmd_pay
from scripts.cli import periods as cmd_periods
from scripts.cli import rebuild as cmd_rebuild
from scripts.cli import replay as cmd_replay
from scripts.cli import serve as cmd_serve
from scripts.cli import sql as cmd_sql
from scripts.cli import tiers as cmd_tiers
from scripts.cli import users as cmd_users
from scripts.cli import verify as cmd_verify
from scripts.cli.context import Context
from scripts.cli.failures import RmledgerGroup
from scripts.cli.options import COUNT, SafePath

PROGRESS_THRESHOLD_BYTES = 1_000_000  # show a bar for files larger than this
WRITING_COMMANDS = frozenset({"ingest", "consume"})


@click.group(cls=RmledgerGroup)
@click.version_option(package_name="rmledger", prog_name="rmledger", message="%(prog)s %(version)s")
@click.option(
    "--data-dir",
    type=SafePath(file_okay=False),
    default=None,
    help="Data directory for the SQLite event store and DuckDB read model "
    "(default: $RMLEDGER_DATA_DIR or ./var).",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """rmledger: the relationship-manager ledger."""
    # Only the commands that write may make a store; the others refuse a missing one.
    ctx.obj = Context.from_option(
        data_dir, creates_store=ctx.invoked_subcommand in WRITING_COMMANDS
    )


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=SafePath(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--batch-size",
    type=COUNT,
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Messages per transaction.",
)
@click.pass_obj
def ingest(ctx: Context, files: tuple[Path, ...], as_json: bool, batch_size: int) -> None:
    """Apply JSON Lines messages in order; exit 1 if any line was rejected."""
    summary = run_ingest(ctx, files, batch_size, show_progress=not as_json)
    if as_json:
        click.echo(json.dumps(summary.as_json(), indent=2))
    else:
        print_summary(summary)
    sys.exit(1 if summary.rejected else 0)


def run_ingest(
    ctx: Context, files: tuple[Path, ...], batch_size: int, show_progress: bool
) -> IngestSummary:
    """Ingest files, with a progress bar on stderr for large inputs."""
    total = sum(f.stat().st_size for f in files)
    if not show_progress or total < PROGRESS_THRESHOLD_BYTES:
        return ingest_files(ctx.ledger, files, batch_size)
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("ingesting", total=total)
        return ingest_files(ctx.ledger, files, batch_size, lambda n: progress.advance(task, n))


def print_summary(summary: IngestSummary) -> None:
    """The summary for people: counts, then each rejection with its line and reason."""
    click.echo(
        f"applied: {summary.applied}  duplicates: {summary.duplicates}  rejected: {len(summary.rejected)}"
    )
    for r in summary.rejected:
        click.echo(terminal(f"  {r.file}:{r.line} [{r.id or '-'}] {r.message}"))


for _module in (
    cmd_pay,
    cmd_tiers,
    cmd_audit,
    cmd_verify,
    cmd_rebuild,
    cmd_sql,
    cmd_kafka,
    cmd_demo,
    cmd_export,
    cmd_periods,
    cmd_alerts,
    cmd_users,
    cmd_replay,
    cmd_serve,
):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="rmledger")


if __name__ == "__main__":
    main()

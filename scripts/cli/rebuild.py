"""rmledger rebuild: the read model built again from the event log, beside the old one."""

from __future__ import annotations

import time

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from scripts.cli.context import Context

# A rebuild of a log this long or longer shows a bar on stderr (positions loaded of the
# last). why: docs/decisions.md#rebuild-progress-bar
REBUILD_PROGRESS_THRESHOLD = 200_000


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
        columns = (
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("rebuilding", total=last)
            rebuilt = ctx.rebuild_read_model(on_page=lambda at: progress.update(task, completed=at))
    position, count = rebuilt.position, rebuilt.events
    elapsed = time.perf_counter() - started
    click.echo(
        f"rebuilt to position {position}: {count} events in {elapsed:.2f} s "
        f"({count / elapsed if elapsed else 0:,.0f} events/s)"
    )


COMMANDS: list[click.Command] = [rebuild]

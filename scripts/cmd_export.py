"""rmledger subcommands: export. Each module lists its click commands in COMMANDS."""

from __future__ import annotations

from pathlib import Path

import click

from projections.export import export_parquet
from scripts.cmd_pay import caught_up
from scripts.context import Context


@click.command("export")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for the Parquet files and manifest.json (created; files replaced).")
@click.pass_obj
def export(ctx: Context, out: Path) -> None:
    """Write the read model's tables as Parquet files, for readers outside the ledger."""
    rm = caught_up(ctx)
    try:
        manifest = export_parquet(rm.conn, out, rm.position())
    finally:
        rm.close()
    rows = sum(manifest["tables"].values())
    click.echo(f"exported {len(manifest['tables'])} tables ({rows:,} rows) at event-log position "
               f"{manifest['position']} to {out}")


COMMANDS: list[click.Command] = [export]

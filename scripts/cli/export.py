"""rmledger subcommands: export. Each module lists its click commands in COMMANDS."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import click

from projections.escape import terminal
from projections.readmodel.export import MANIFEST, export_parquet
from scripts.cli.context import Context
from scripts.cli.options import SafePath
from scripts.cli.output import force_option
from scripts.cli.pay import caught_up


def _check_out_dir(out: Path, data_dir: Path, force: bool) -> None:
    """The export directory is not the data directory nor inside it, and an earlier
    export in it is replaced only with --force."""
    home, target = data_dir.resolve(), out.resolve()
    if target == home or home in target.parents:
        raise click.BadParameter(
            f"{str(out)!r} is in the data directory: export elsewhere", param_hint="'--out'"
        )
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{str(out)!r} is a file, not a directory", param_hint="'--out'")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise click.BadParameter(
            f"{str(out)!r} is not empty: give --force to replace the export in it",
            param_hint="'--out'",
        )


@click.command("export")
@click.option(
    "--out",
    type=SafePath(file_okay=False, path_type=Path),
    required=True,
    help="Directory for the Parquet files and manifest.json (created; an earlier export in it "
    "replaced only with --force).",
)
@force_option
@click.pass_obj
def export(ctx: Context, out: Path, force: bool) -> None:
    """Write the read model's tables as Parquet files, for readers outside the ledger."""
    _check_out_dir(out, ctx.data_dir, force)
    rm = caught_up(ctx)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target first, then each file renamed into place, the manifest
    # last: a reader that finds a manifest finds the files it names complete.
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        try:
            manifest = export_parquet(rm.conn, staging, rm.position())
        finally:
            rm.close()
        out.mkdir(exist_ok=True)
        names = sorted(p.name for p in staging.iterdir() if p.name != MANIFEST) + [MANIFEST]
        for name in names:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    rows = sum(manifest["tables"].values())
    click.echo(
        f"exported {len(manifest['tables'])} tables ({rows:,} rows) at event-log position "
        f"{manifest['position']} to {terminal(str(out))}"
    )


COMMANDS: list[click.Command] = [export]

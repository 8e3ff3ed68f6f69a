"""rmledger replay check: a scenario through a scratch ledger, its statements compared
with expected ones (projections/pay/replay_check.py; docs/replay-checks.md). Each module
lists its click commands in COMMANDS."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from projections.escape import terminal
from projections.pay.replay_check import ExpectedUnreadable, check, read_expected, replay
from scripts.cli.options import SafePath

FILE = SafePath(exists=True, dir_okay=False, path_type=Path)


@click.group("replay")
def replay_group() -> None:
    """Replay checks: scenarios of messages and the statements they must give."""


@replay_group.command("check")
@click.argument("scenario", type=FILE)
@click.option(
    "--expect",
    "expect_file",
    type=FILE,
    required=True,
    help="A JSON list of expected statements: manager_id, period and any of the statement's fields.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def replay_check(scenario: Path, expect_file: Path, as_json: bool) -> None:
    """Run SCENARIO through a scratch ledger (discarded afterwards) and compare its
    statements with the expected ones; exit 1 on any difference."""
    try:
        expected = read_expected(expect_file.read_text(encoding="utf-8"))
    except (ExpectedUnreadable, UnicodeDecodeError) as error:
        raise click.BadParameter(
            f"{terminal(str(expect_file))}: {terminal(str(error))}", param_hint="--expect"
        ) from None
    with tempfile.TemporaryDirectory(prefix="rmledger-replay-") as scratch:
        rm, summary = replay(scenario, Path(scratch))
        try:
            differences = check(rm, expected)
        finally:
            rm.close()
    fields = sum(len(item) - 2 for item in expected)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "statements": len(expected),
                    "fields": fields,
                    "applied": summary.applied,
                    "rejected": [r.as_json() for r in summary.rejected],
                    "differences": [d.as_json() for d in differences],
                },
                indent=2,
            )
        )
    else:
        click.echo(
            f"replayed {terminal(str(scenario))}: {summary.applied} applied, "
            f"{len(summary.rejected)} rejected"
        )
        for r in summary.rejected:
            click.echo(terminal(f"  rejected line {r.line} [{r.id or '-'}] {r.message}"))
        for d in differences:
            click.echo(terminal(d.describe()))
        verdict = "all match" if not differences else f"{len(differences)} difference(s)"
        click.echo(f"{len(expected)} expected statement(s), {fields} field(s): {verdict}")
    sys.exit(1 if differences else 0)


COMMANDS: list[click.Command] = [replay_group]

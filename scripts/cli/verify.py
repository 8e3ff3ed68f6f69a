"""rmledger verify and rmledger seal: the event log checked against its hash chain and
seals, and a seal appended on demand."""

from __future__ import annotations

import json
import sys

import click

from scripts.cli.context import Context


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def verify(ctx: Context, as_json: bool) -> None:
    """Check the event log against its hash chain and seals (needs only the log and
    the seal key); exit 1 on any finding."""
    from projections.audit.verify import describe as describe_log
    from projections.audit.verify import verify_log
    from projections.readmodel.loader import state_decoder

    ledger = ctx.ledger
    keys = ledger.sealer.verifying_keys() if ledger.sealer is not None else {}
    report = verify_log(ledger, keys, state_decoder(ledger))
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        click.echo("\n".join(describe_log(report)))
    sys.exit(0 if report.ok else 1)


@click.command()
@click.pass_obj
def seal(ctx: Context) -> None:
    """Append a seal now: the log up to its last event, authenticated with the seal key."""
    from domain.seal import NothingToSeal

    try:
        made = ctx.ledger.seal("on demand")
    except NothingToSeal as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"sealed positions {made.after + 1} to {made.last_position} ({made.count} event(s)); "
        f"chain head {made.head}; key {made.key_id}"
    )


COMMANDS: list[click.Command] = [verify, seal]

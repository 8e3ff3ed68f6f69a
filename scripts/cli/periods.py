"""rmledger subcommands: periods (the closed months). Each module lists its click
commands in COMMANDS."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import click

from projections.audit.common import money_text
from projections.pay.periods import closed_periods, period_json
from scripts.cli.context import Context
from scripts.cli.text_table import text_table

T = TypeVar("T")


_HEADINGS = (
    "period",
    "closed on",
    "closed by",
    "log position",
    "statements",
    "total paid",
    "signed off by",
)


def sign_offs_text(sign_offs: list[dict[str, Any]]) -> str:
    """``role approver, ...`` in the order they signed; ``-`` when nobody had to."""
    return ", ".join(f"{s['role']} {s['approver_id']}" for s in sign_offs) or "-"


def periods_text(rows: list[dict[str, Any]]) -> str:
    """The closed months for people: a table, or a sentence when there is none."""
    if not rows:
        return "no month closed yet"
    body = [
        [
            r["period"],
            r["closed_on"].isoformat(),
            r["approved_by"],
            str(r["position"]),
            str(r["statements"]),
            money_text(r["total_paid"]) or "",
            sign_offs_text(r["sign_offs"]),
        ]
        for r in rows
    ]
    months = "month" if len(rows) == 1 else "months"
    return f"{text_table(_HEADINGS, body, right={3, 4, 5})}\n{len(rows)} {months} closed"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the closed months.")
@click.pass_obj
def periods(ctx: Context, as_json: bool) -> None:
    """The closed months, oldest first: when and by whom each was closed, its log
    position, the statements issued, their total and who signed the month off."""
    rows, _ = ctx.query_read_model(closed_periods)
    if as_json:
        click.echo(json.dumps([period_json(r) for r in rows], indent=2))
    else:
        click.echo(periods_text(rows))


COMMANDS: list[click.Command] = [periods]

"""rmledger pay simulate: a draft plan's statements beside the current ones
(projections/pay/simulate.py; docs/simulations.md). Registered on the ``pay`` group."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from domain.errors import RuleBroken
from projections.escape import terminal
from projections.pay.simulate import Comparison, read_draft, simulate
from scripts.cli.context import Context
from scripts.cli.options import IDENT, MONTH, SafePath
from scripts.cli.pay_table import aligned, people

# (heading, money field) of the differences shown; --json has every field.
DELTAS = (
    ("earned Δ", "performance_earned"),
    ("prepay Δ", "prepayment"),
    ("settle Δ", "settlement"),
    ("paid Δ", "performance_paid"),
)
LEGEND = (
    "basis: issued = the statement issued at the month's close; open = the month is not closed, "
    "compared with the statement as it stands. Δ = simulated − basis. --json has every field."
)


@click.command("simulate")
@click.option(
    "--plan",
    "plan_file",
    type=SafePath(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The draft: one plan.published message (JSON).",
)
@click.option("--from", "first", type=MONTH, required=True, help="The first month, YYYY-MM.")
@click.option("--to", "through", type=MONTH, required=True, help="The last month, YYYY-MM.")
@click.option("--manager", "manager_id", type=IDENT, default=None, help="Only this manager.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of comparisons.")
@click.pass_obj
def pay_simulate(
    ctx: Context, plan_file: Path, first: str, through: str, manager_id: str | None, as_json: bool
) -> None:
    """What-if: the statements had this draft plan been published before the first of
    these months was closed, beside the current ones. Writes nothing."""
    if first > through:
        raise click.UsageError(f"--from {first} is after --to {through}")
    try:
        draft = read_draft(plan_file.read_bytes())
    except RuleBroken as error:
        click.echo(
            f"error: draft plan {terminal(str(plan_file))}: {terminal(error.describe())}", err=True
        )
        sys.exit(1)
    rm = ctx.read_model()
    if (
        manager_id
        and rm.conn.execute("SELECT 1 FROM managers WHERE manager_id = ?", [manager_id]).fetchone()
        is None
    ):
        click.echo(f"error: no such manager: {terminal(manager_id)}", err=True)
        sys.exit(1)
    try:
        result = simulate(rm, draft, first, through, manager_id)
    except RuleBroken as error:
        click.echo(
            f"error: draft plan {terminal(str(plan_file))}: {terminal(error.describe())}", err=True
        )
        sys.exit(1)
    if as_json:
        click.echo(json.dumps([c.as_json() for c in result], indent=2))
        return
    click.echo(
        f"Simulation of plan {terminal(draft.version)} (effective from {draft.effective_from}) for "
        f"{first} to {through}, at event-log position {rm.position()}: nothing is written"
    )
    click.echo("\n".join(table_lines(result, people(rm.conn))))
    click.echo(LEGEND)


def table_lines(result: list[Comparison], who: dict[str, tuple[str, str]]) -> list[str]:
    """Per month, a row per manager and the month's total; then the overall total."""
    header = [
        "manager",
        "name",
        "month",
        "basis",
        *(h for h, _ in DELTAS),
        "total before",
        "total simulated",
        "total Δ",
    ]
    body: list[list[str]] = []
    overall = _Sums()
    for period in sorted({c.period for c in result}):
        month = _Sums()
        for c in (c for c in result if c.period == period):
            basis = "issued" if c.issued is not None else "open"
            body.append(
                [
                    c.manager_id,
                    who.get(c.manager_id, ("", ""))[0],
                    period,
                    basis,
                    *_cells(month.add(c)),
                ]
            )
            overall.add(c)
        body.append(["total", "", period, "", *_cells(month.total)])
    body.append(["total", "", "all", "", *_cells(overall.total)])
    return aligned(header, body, {0, 1, 2, 3})


class _Sums:
    """Running sums of the table's money columns."""

    def __init__(self) -> None:
        self.total: dict[str, Decimal] = {}

    def add(self, c: Comparison) -> dict[str, Decimal]:
        row = {field: c.difference.get(field, Decimal(0)) for _, field in DELTAS}
        row["before"] = _total(c.current)
        row["simulated"] = _total(c.simulated)
        row["delta"] = row["simulated"] - row["before"]
        for key, amount in row.items():
            self.total[key] = self.total.get(key, Decimal(0)) + amount
        return row


def _total(statement: dict[str, Any] | None) -> Decimal:
    return Decimal(0) if statement is None else Decimal(statement["total"])


def _cells(row: dict[str, Decimal]) -> list[str]:
    keys = [field for _, field in DELTAS] + ["before", "simulated", "delta"]
    return [f"{row.get(k, Decimal(0)):.2f}" for k in keys]

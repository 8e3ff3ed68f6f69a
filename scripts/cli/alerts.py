"""rmledger subcommands: alerts (large outflows once per episode, grade-fit mismatches
of current staff). Each module lists its click commands in COMMANDS."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, TypeVar

import attrs
import click
import duckdb

from projections.audit import alerts as alert_rules
from projections.audit.common import head_position, money_text
from projections.audit.disputes import overdue_disputes
from scripts.cli.context import Context
from scripts.cli.options import DAY
from scripts.cli.text_table import text_table

T = TypeVar("T")

SINCE_DAYS = 30
"""By default the outflow episodes started in the 30 days ending on --as-of are listed."""


@attrs.frozen
class Alerts:
    """What ``rmledger alerts`` shows: the dates it looked at and what it found."""

    as_of: date | None
    since: date | None
    outflows: list[dict[str, Any]]
    grade_fit: list[dict[str, Any]]
    overdue: list[dict[str, Any]] = attrs.field(factory=list)


def find_alerts(conn: duckdb.DuckDBPyConnection, as_of: date | None, since: date | None) -> Alerts:
    """The alerts on ``as_of`` (default: the latest business date in the read model)."""
    day = as_of or alert_rules.latest_business_date(conn)
    if day is None:
        return Alerts(None, since, [], [])
    start = since or day - timedelta(days=SINCE_DAYS - 1)
    overdue = overdue_disputes(conn, day, head_position(conn))
    return Alerts(
        day,
        start,
        alert_rules.outflow_episodes(conn, day, start),
        alert_rules.grade_fit_alerts(conn, day),
        overdue,
    )


_OUTFLOW_HEADINGS = (
    "client",
    "manager",
    "started",
    "before",
    "after",
    "drop",
    "ratio",
    "highest on",
    "last alert",
    "alerts",
)
_OVERDUE_HEADINGS = ("dispute", "manager", "month", "opened on", "days", "overdue since")
_FIT_HEADINGS = ("manager", "grade", "client", "tier", "maintenance", "AUM", "grade serves up to")


def _ratio(value: Any) -> str:
    return f"{value * 100:.1f}%"


def alerts_text(found: Alerts, position: int) -> str:
    """The alerts for people: a table per kind, then the counts."""
    if found.as_of is None:
        return "no alerts: the read model holds no business date yet"
    assert found.since is not None
    out = [
        f"Alerts on {found.as_of.isoformat()} (event-log position {position})",
        "",
        f"Large deposit outflows, once per episode, started {found.since.isoformat()} to "
        f"{found.as_of.isoformat()}",
    ]
    if found.outflows:
        out.append(
            text_table(
                _OUTFLOW_HEADINGS,
                [
                    [
                        e["client_id"],
                        e["manager_id"] or "-",
                        e["started_on"].isoformat(),
                        money_text(e["from_balance"]) or "",
                        money_text(e["to_balance"]) or "",
                        money_text(e["drop"]) or "",
                        _ratio(e["drop_ratio"]),
                        e["from_date"].isoformat(),
                        e["last_alert_on"].isoformat(),
                        str(e["alerts"]),
                    ]
                    for e in found.outflows
                ],
                right={3, 4, 5, 6, 9},
            )
        )
    else:
        out.append("none")
    out += [
        "",
        "Grade-fit mismatches of current staff (primary clients beyond what the grade serves)",
    ]
    if found.grade_fit:
        out.append(
            text_table(
                _FIT_HEADINGS,
                [
                    [
                        r["manager_id"],
                        r["grade"],
                        r["client_id"],
                        r["tier"],
                        r["maintenance_level"],
                        money_text(r["aum"]) or "",
                        f"{r['serves_up_to_tier']} at {r['serves_up_to_level']} level",
                    ]
                    for r in found.grade_fit
                ],
                right={5},
            )
        )
    else:
        out.append("none")
    out += ["", "Overdue disputes (open past the days the plan in force at their opening allows)"]
    if found.overdue:
        out.append(
            text_table(
                _OVERDUE_HEADINGS,
                [
                    [
                        d["dispute_id"],
                        d["manager_id"],
                        d["period"],
                        d["opened_on"].isoformat(),
                        str(d["dispute_days"]),
                        d["overdue_on"].isoformat(),
                    ]
                    for d in found.overdue
                ],
                right={4},
            )
        )
    else:
        out.append("none")
    episodes = len(found.outflows)
    mismatches = len(found.grade_fit)
    out += [
        "",
        f"{episodes} outflow episode{'' if episodes == 1 else 's'}, "
        f"{mismatches} grade-fit mismatch{'' if mismatches == 1 else 'es'}, "
        f"{len(found.overdue)} overdue dispute{'' if len(found.overdue) == 1 else 's'}",
    ]
    return "\n".join(out)


def alerts_json(found: Alerts) -> list[dict[str, Any]]:
    """The alerts as one JSON array: the outflow episodes, then the grade-fit mismatches."""
    return (
        [alert_rules.outflow_json(e) for e in found.outflows]
        + [alert_rules.grade_fit_json(r) for r in found.grade_fit]
        + [_overdue_json(d) for d in found.overdue]
    )


def _overdue_json(row: dict[str, Any]) -> dict[str, Any]:
    """An overdue dispute as JSON: dates ISO."""
    return {
        "kind": "overdue_dispute",
        "dispute_id": row["dispute_id"],
        "manager_id": row["manager_id"],
        "period": row["period"],
        "posting_id": row["posting_id"],
        "opened_on": row["opened_on"].isoformat(),
        "dispute_days": row["dispute_days"],
        "overdue_on": row["overdue_on"].isoformat(),
        "position": row["opened_position"],
    }


@click.command()
@click.option(
    "--as-of",
    "as_of",
    type=DAY,
    default=None,
    help="The date, YYYY-MM-DD (default: the latest business date in the read model).",
)
@click.option(
    "--since",
    type=DAY,
    default=None,
    help=f"List the outflow episodes started from this date (default: {SINCE_DAYS} days up to --as-of).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of alerts.")
@click.pass_obj
def alerts(ctx: Context, as_of: date | None, since: date | None, as_json: bool) -> None:
    """Large deposit outflows (once per episode), grade-fit mismatches of current staff and
    overdue disputes."""
    found, position = ctx.query_read_model(lambda conn: find_alerts(conn, as_of, since))
    if as_json:
        click.echo(json.dumps(alerts_json(found), indent=2))
    else:
        click.echo(alerts_text(found, position))


COMMANDS: list[click.Command] = [alerts]

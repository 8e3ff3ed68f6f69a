"""What-if: the statements of months ``a..b`` had a draft plan been published before
the first of those months was closed (docs/rules.md R7.8, docs/simulations.md).

The ledger's own computation on a scratch copy of the history, never on the read
model itself: a new in-memory DuckDB attaches the read model's file read-only and
puts views of the same names in front of its tables, each showing the rows at or
below a chosen log position, with the draft plan's rows added at the position of the
first close of ``a..b`` (or after the log's end when none of them is closed). Every
close from there on is issued again, in log order, by ``pay.issue_statements`` into
a scratch ``statements_issued`` (the statements issued before the draft stay as
issued), with the views at the closing event's position, as the loader does; the
months still open are then computed as they stand. Nothing is written to the event
store or to the read model's file.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from consumers.decoder import decode
from domain.errors import DecodeError, DomainRuleBroken
from domain.messages import PlanPublished
from projections.pay.kept import KeptClose
from projections.pay.statements import MONEY_FIELDS, by_month, issue_statements, to_json
from projections.readmodel import schema
from projections.readmodel.duck import connect

# Tables read through a view that shows the rows at or below $sim_at; the plan tables
# get the draft's rows too; statements_issued is a scratch table (the simulated closes
# write to it); disputes get their resolutions only from $sim_at on; the raw events and
# the loader's own state are not needed.
_NOT_VIEWED = frozenset(
    {"events", "projection_state", "statements_issued", "plans", "plan_activity_values", "disputes"}
)
SIM_AT = "getvariable('sim_at')"


@dataclass(frozen=True)
class Comparison:
    """One manager's month: the statement as issued (``None`` when the month is not
    closed, or nothing was issued for the manager), as it stands now (the issued
    one when there is one), as simulated, and simulated − current for each money
    field that differs."""

    manager_id: str
    period: str
    issued: dict[str, Any] | None
    current: dict[str, Any] | None
    simulated: dict[str, Any] | None
    difference: dict[str, Decimal]

    def as_json(self) -> dict[str, Any]:
        """The contract's object; ``current`` only when nothing was issued."""
        out: dict[str, Any] = {
            "manager_id": self.manager_id,
            "period": self.period,
            "issued": None if self.issued is None else to_json(self.issued),
            "simulated": None if self.simulated is None else to_json(self.simulated),
            "difference": {name: f"{amount:.2f}" for name, amount in self.difference.items()},
        }
        if self.issued is None and self.current is not None:
            out["current"] = to_json(self.current)
        return out


def read_draft(raw: bytes | str) -> PlanPublished:
    """The draft: one ``plan.published`` message, decoded and checked by the contract's
    decoder (a ``DecodeError`` names the field at fault)."""
    message = decode(raw)
    if not isinstance(message, PlanPublished):
        raise DecodeError(
            "type",
            "not_a_plan",
            f"a draft plan is a plan.published message, not {message.TYPE}",
            message.TYPE,
        )
    return message


def simulate(
    rm: Any, draft: PlanPublished, first: str, through: str, manager_id: str | None = None
) -> list[Comparison]:
    """Per manager and month of ``first..through`` (one manager, or all), the current
    statement beside the one the draft would have given. ``rm``: the read model
    (``ReadModel``, caught up; its file is attached read-only, never written)."""
    conn: duckdb.DuckDBPyConnection = rm.conn
    if conn.execute("SELECT 1 FROM plans WHERE version = ?", [draft.version]).fetchone():
        # The ledger would refuse it (plan_version_exists): a draft is a new version.
        raise DomainRuleBroken(
            "version",
            "plan_version_exists",
            f"plan {draft.version!r} is already published: give the draft a new version",
            draft.version,
        )
    current = _month_statements(conn, first, through, manager_id)
    closes = conn.execute(
        "SELECT period, position FROM periods_closed ORDER BY position"
    ).fetchall()
    head = rm.position()
    in_range = [pos for period, pos in closes if first <= period <= through]
    draft_at = min(in_range) if in_range else head + 1
    sim = _scratch(rm.path, draft, draft_at)
    try:
        kept: KeptClose | None = None
        for period, pos in closes:
            if pos >= draft_at and period <= through:
                sim.execute("SET VARIABLE sim_at = ?", [pos])
                kept = issue_statements(sim, period, pos, kept)
        sim.execute("SET VARIABLE sim_at = ?", [max(head, draft_at)])
        simulated = _month_statements(sim, first, through, manager_id)
    finally:
        sim.close()
    return [
        _compare(key, current.get(key), simulated.get(key))
        for key in sorted(set(current) | set(simulated), key=lambda k: (k[0], k[1]))
    ]


def _scratch(path: str, draft: PlanPublished, draft_at: int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose tables are the read model's as of $sim_at, the draft
    published at ``draft_at``, and the statements issued before it."""
    sim = connect(":memory:")
    sim.execute("ATTACH ? AS rm (READ_ONLY)", [str(path)])
    sim.execute("SET VARIABLE sim_at = ?", [draft_at])
    for name in schema.TABLES:
        if name not in _NOT_VIEWED:
            sim.execute(
                f"CREATE VIEW {name} AS SELECT * FROM rm.main.{name} WHERE position <= getvariable('sim_at')"
            )
    sim.execute(f"CREATE VIEW disputes AS {schema.disputes_at('rm.main.disputes', SIM_AT)}")
    for name in ("plans", "plan_activity_values"):
        sim.execute(f"CREATE TABLE draft_{name} AS SELECT * FROM rm.main.{name} LIMIT 0")
        sim.execute(
            f"CREATE VIEW {name} AS SELECT * FROM rm.main.{name} WHERE position <= getvariable('sim_at') "
            f"UNION ALL SELECT * FROM draft_{name} WHERE position <= getvariable('sim_at')"
        )
    sim.executemany(
        "INSERT INTO draft_plans VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                draft_at,
                draft.version,
                draft.effective_from,
                grade,
                t.base_salary,
                t.post_salary,
                t.commission_per_10k,
                t.coefficient,
                draft.prepay_ratio,
                draft.backup_share,
            ]
            for grade, t in draft.grades.items()
        ],
    )
    sim.executemany(
        "INSERT INTO draft_plan_activity_values VALUES (?, NULL, ?, ?, ?, ?)",
        [
            [draft_at, draft.version, draft.effective_from, kind, value]
            for kind, value in draft.activity_values.items()
        ],
    )
    sim.execute(
        "CREATE TABLE statements_issued AS SELECT * FROM rm.main.statements_issued WHERE position < ?",
        [draft_at],
    )
    return sim


def _month_statements(
    conn: duckdb.DuckDBPyConnection, first: str, through: str, manager_id: str | None
) -> dict[tuple[str, str], dict[str, Any]]:
    """(manager, month) -> the statement as ``rmledger pay`` shows it: issued as issued,
    open as computed now."""
    return {
        (st["manager_id"], period): st
        for period, rows in by_month(conn, first, through, manager_id)
        for st in rows
    }


def _compare(
    key: tuple[str, str], current: dict[str, Any] | None, simulated: dict[str, Any] | None
) -> Comparison:
    """The comparison of one manager's month; a side with no statement counts as nil."""
    difference = {}
    for name in MONEY_FIELDS:
        before = current[name] if current is not None else Decimal(0)
        after = simulated[name] if simulated is not None else Decimal(0)
        if after != before:
            difference[name] = after - before
    issued = current if current is not None and current["status"] == "issued" else None
    return Comparison(key[0], key[1], issued, current, simulated, difference)

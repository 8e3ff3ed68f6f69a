"""The reads behind the workflows (docs/web.md, the writes): disputes in the caller's
scope, a month's sign-offs and whose turn it is, the plans a manager has still to
acknowledge, and the what-if simulation. Like ``scripts/web/reads.py`` (whose
helpers they use), each asks the access policy and records what it says to record."""

from __future__ import annotations

import json
from typing import Any

from domain.access_policy import DISPUTE, DISPUTES, SIGN_OFF, SIMULATION, Facts, decide
from domain.errors import RuleBroken
from domain.principal import MANAGER, Principal
from projections.audit.disputes import disputes_on
from projections.audit.history import bank_today
from projections.pay.simulate import read_draft, simulate
from projections.readmodel.loader import ReadModel
from scripts.cli.options import ident_text, month_text
from scripts.web import scope
from scripts.web.errors import Invalid, NotFound
from scripts.web.reads import Record, Source, _allow, _answer, _param, _reading

STATUSES = ("open", "overdue", "resolved")

_DISPUTE_ROWS = """
SELECT dispute_id, manager_id, period, posting_id, claim, opened_on, outcome, amount, reason,
       resolved_by, resolved_on
FROM disputes ORDER BY opened_on, dispute_id"""

# The plan in force on a day: the latest effective_from not after it, a tie going to
# the plan published later (as projections/audit/disputes.py reads plan_settings).
_PLAN_ON = """
SELECT version, close_approvals FROM plan_settings WHERE effective_from <= ?
ORDER BY effective_from DESC, position DESC LIMIT 1"""


def _dispute_json(row: tuple[Any, ...], overdue: bool) -> dict[str, Any]:
    (dispute_id, manager_id, period, posting_id, claim, opened_on, outcome, amount, reason) = row[
        :9
    ]
    resolved_by, resolved_on = row[9:]
    return {
        "dispute_id": dispute_id,
        "manager_id": manager_id,
        "period": period,
        "posting_id": posting_id,
        "claim": claim,
        "opened_on": opened_on.isoformat(),
        "status": "resolved" if outcome else ("overdue" if overdue else "open"),
        "outcome": outcome,
        "amount": None if amount is None else f"{amount:.2f}",
        "reason": reason,
        "resolved_by": resolved_by,
        "resolved_on": None if resolved_on is None else resolved_on.isoformat(),
    }


def _all_disputes(rm: ReadModel) -> list[dict[str, Any]]:
    overdue = {d["dispute_id"] for d in disputes_on(rm.conn, bank_today()) if d["overdue"]}
    return [
        _dispute_json(row, row[0] in overdue) for row in rm.conn.execute(_DISPUTE_ROWS).fetchall()
    ]


def disputes(
    ctx: Source, principal: Principal, status: str | None = None, *, record: Record
) -> list[dict[str, Any]]:
    """The disputes the caller may see (a manager their own, a branch head their
    branches', the office and auditors all), oldest first; ``status``: ``open`` (open,
    overdue or not), ``overdue`` or ``resolved``."""
    if status is not None and status not in STATUSES:
        raise Invalid("status", f"{status!r} is not a status of a dispute ({', '.join(STATUSES)})")
    target = "disputes" + ("" if status is None else f" status {status}")
    decision = _allow(record, principal, DISPUTES, Facts(), "disputes", target)

    def use(rm: ReadModel) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            sees = scope.statement_filter(rm.conn, principal)
            wanted = {None: STATUSES, "open": ("open", "overdue")}.get(status, (status,))
            return [
                d
                for d in _all_disputes(rm)
                if d["status"] in wanted
                and (principal.role != MANAGER or d["manager_id"] == principal.manager_id)
                and sees(d["manager_id"])
            ]

        return _answer(record, principal, decision, "disputes", target, read)

    return _reading(ctx, use)


def dispute(
    ctx: Source, principal: Principal, dispute_id: str, *, record: Record
) -> dict[str, Any]:
    """One dispute, for a caller who may see its manager's disputes."""
    target = f"dispute {dispute_id}"

    def use(rm: ReadModel) -> dict[str, Any]:
        found = [d for d in _all_disputes(rm) if d["dispute_id"] == dispute_id]
        if not found:
            raise NotFound(f"no dispute {dispute_id!r} is known")
        facts = scope.manager_facts(rm.conn, principal, found[0]["manager_id"])
        decision = _allow(record, principal, DISPUTE, facts, "dispute", target)
        return _answer(record, principal, decision, "dispute", target, lambda: found[0])

    return _reading(ctx, use)


def sign_offs(ctx: Source, principal: Principal, period: str) -> dict[str, Any]:
    """A month's sign-offs: the roles its plan asks for, in order, who has signed,
    whose turn it is, what is missing, whether it is closed, and whether the caller
    may sign now (``can_sign``). Names of roles and approvers are nobody's pay, so
    no access is recorded."""
    period = _param("period", month_text, period)

    def use(rm: ReadModel) -> dict[str, Any]:
        last = rm.conn.execute("SELECT last_day(CAST(? || '-01' AS DATE))", [period]).fetchone()[0]  # type: ignore[index]
        plan = rm.conn.execute(_PLAN_ON, [last]).fetchone()
        version, required = (plan[0], list(plan[1] or [])) if plan else (None, [])
        signed = [
            {"role": r, "approver_id": a, "approved_on": on.isoformat()}
            for r, a, on in rm.conn.execute(
                "SELECT role, approver_id, approved_on FROM period_approvals WHERE period = ? "
                "ORDER BY position",
                [period],
            ).fetchall()
        ]
        closed = rm.conn.execute(
            "SELECT closed_on FROM periods_closed WHERE period = ? LIMIT 1", [period]
        ).fetchone()
        done = {s["role"] for s in signed}
        missing = [r for r in required if r not in done]
        turn = missing[0] if missing and closed is None else None
        return {
            "period": period,
            "plan_version": version,
            "required": required,
            "signed": signed,
            "missing": missing,
            "turn": turn,
            "closed_on": None if closed is None else closed[0].isoformat(),
            "can_sign": turn is not None
            and turn == principal.role
            and decide(principal, SIGN_OFF).allowed,
        }

    return _reading(ctx, use)


def plans_to_acknowledge(ctx: Source, principal: Principal) -> list[str]:
    """The plan versions that pay a signed-in manager and that they have not yet
    acknowledged: the plan in force on the last day of each month they have a
    statement of, and the one in force today. Empty for every other role."""
    if principal.role != MANAGER or not principal.manager_id:
        return []

    def use(rm: ReadModel) -> list[str]:
        days = [
            r[0]
            for r in rm.conn.execute(
                "SELECT DISTINCT last_day(CAST(period || '-01' AS DATE)) FROM statements_issued "
                "WHERE manager_id = ?",
                [principal.manager_id],
            ).fetchall()
        ]
        hired = rm.conn.execute(
            "SELECT 1 FROM managers WHERE manager_id = ? LIMIT 1", [principal.manager_id]
        ).fetchone()
        if hired:
            days.append(bank_today())
        versions = []
        for day in sorted(days):
            plan = rm.conn.execute(_PLAN_ON, [day]).fetchone()
            if plan and plan[0] not in versions:
                versions.append(plan[0])
        done = {
            r[0]
            for r in rm.conn.execute(
                "SELECT version FROM plan_acknowledgements WHERE manager_id = ?",
                [principal.manager_id],
            ).fetchall()
        }
        return [v for v in versions if v not in done]

    return _reading(ctx, use)


def simulation(
    ctx: Source,
    principal: Principal,
    plan: Any,
    first: str,
    through: str,
    manager: str | None = None,
    *,
    record: Record,
) -> list[dict[str, Any]]:
    """What ``rmledger pay simulate --plan DRAFT --from A --to B [--manager M] --json``
    prints; ``plan``: the draft ``plan.published`` message, as an object or its JSON
    text. Nothing is written."""
    first = _param("from", month_text, first)
    through = _param("to", month_text, through)
    wanted = None if manager is None else _param("manager", ident_text, manager)
    target = f"simulation {first}..{through}" + ("" if wanted is None else f" manager {wanted}")
    decision = _allow(record, principal, SIMULATION, Facts(), "simulation", target)
    if first > through:
        raise Invalid("to", f"{through} is before {first}")
    try:
        draft = read_draft(plan if isinstance(plan, str) else json.dumps(plan))
    except RuleBroken as broken:
        raise Invalid("plan", f"{broken.describe()}", broken.rule) from None

    def use(rm: ReadModel) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            if (
                wanted is not None
                and not rm.conn.execute(
                    "SELECT 1 FROM managers WHERE manager_id = ?", [wanted]
                ).fetchone()
            ):
                raise NotFound(f"no such manager: {wanted}")
            try:
                result = simulate(rm, draft, first, through, wanted)
            except RuleBroken as broken:
                raise Invalid("plan", broken.describe(), broken.rule) from None
            return json.loads(json.dumps([c.as_json() for c in result]))

        return _answer(record, principal, decision, "simulation", target, read)

    return _reading(ctx, use, file=True)  # the simulation attaches the file

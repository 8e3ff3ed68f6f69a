"""The reads the pages need beyond those of the HTTP API: the managers a caller may
see, the alerts in their scope, and the verification of the event log. Like
``scripts/web/reads.py`` (whose helpers they use), each asks the access policy, records
the access when the policy says so, and answers plain JSON-ready data: what
``rmledger alerts --json`` and ``rmledger verify --json`` print."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.access_policy import ALERTS, STATEMENTS, VERIFICATION, Facts
from domain.principal import Principal
from projections.audit import alerts as alert_rules
from projections.readmodel.loader import ReadModel
from scripts.cli.alerts import find_alerts
from scripts.cli.options import day_value
from scripts.web import scope
from scripts.web.reads import Record, Source, _allow, _answer, _param, _reading


def managers(ctx: Source, principal: Principal, *, record: Record) -> list[dict[str, Any]]:
    """The managers the caller may see the statements of, as hired: ``manager_id``,
    ``name``, ``branch_id``, ``grade`` and ``hired_on`` (ISO), by manager id."""
    target = "managers"
    decision = _allow(record, principal, STATEMENTS, Facts(), "managers", target)

    def use(rm: ReadModel) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            sees = scope.statement_filter(rm.conn, principal)
            rows = rm.conn.execute(
                "SELECT manager_id, arg_min(name, position), arg_min(branch_id, position), "
                "arg_min(grade, position), arg_min(hired_on, position) "
                "FROM managers GROUP BY manager_id ORDER BY manager_id"
            ).fetchall()
            return [
                {
                    "manager_id": m,
                    "name": name,
                    "branch_id": branch,
                    "grade": grade,
                    "hired_on": hired.isoformat(),
                }
                for m, name, branch, grade, hired in rows
                if sees(m)
            ]

        return _answer(record, principal, decision, "managers", target, read)

    return _reading(ctx, use)


def alerts(
    ctx: Source, principal: Principal, as_of: str | date | None = None, *, record: Record
) -> dict[str, Any]:
    """The alerts on ``as_of`` (default: the read model's latest business date) that the
    caller may see: an outflow when its client is in scope, a grade-fit mismatch when
    both its manager and its client are. ``{"as_of", "outflows", "grade_fit"}``."""
    day = None if as_of in (None, "") else _param("as_of", day_value, as_of)
    target = "alerts" + ("" if day is None else f" as_of {day.isoformat()}")
    decision = _allow(record, principal, ALERTS, Facts(), "alerts", target)

    def use(rm: ReadModel) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            found = find_alerts(rm.conn, day, None)
            if found.as_of is None:
                return {"as_of": None, "outflows": [], "grade_fit": []}
            client_seen = scope.tier_filter(rm.conn, principal, found.as_of)
            manager_seen = scope.statement_filter(rm.conn, principal)
            return {
                "as_of": found.as_of.isoformat(),
                "outflows": [
                    alert_rules.outflow_json(e)
                    for e in found.outflows
                    if client_seen(e["client_id"])
                ],
                "grade_fit": [
                    alert_rules.grade_fit_json(r)
                    for r in found.grade_fit
                    if manager_seen(r["manager_id"]) and client_seen(r["client_id"])
                ],
            }

        return _answer(record, principal, decision, "alerts", target, read)

    return _reading(ctx, use)


def verification(ledger: Any, principal: Principal, *, record: Record) -> dict[str, Any]:
    """What ``rmledger verify --json`` prints: the event log checked against its hash
    chain and seals (the whole log is read: the auditor asks for it)."""
    from projections.audit.verify import describe, verify_log
    from projections.readmodel.loader import state_decoder

    decision = _allow(record, principal, VERIFICATION, Facts(), "verification", "event log")

    def read() -> dict[str, Any]:
        keys = ledger.sealer.verifying_keys() if ledger.sealer is not None else {}
        report = verify_log(ledger, keys, state_decoder(ledger))
        return {"ok": report.ok, "lines": describe(report), "report": report.as_json()}

    return _answer(record, principal, decision, "verification", "event log", read)


def closed_periods(ctx: Source) -> list[str]:
    """The months closed so far, newest first: the pages' month pickers. Month names
    are nobody's pay or client data, so no policy is asked."""

    def use(rm: ReadModel) -> list[str]:
        rows = rm.conn.execute(
            "SELECT DISTINCT period FROM periods_closed ORDER BY period DESC"
        ).fetchall()
        return [r[0] for r in rows]

    return _reading(ctx, use)

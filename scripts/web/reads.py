"""The reads of the web application and the HTTP API, scope enforced in one place.

Each read checks its parameters (``Invalid``), looks up the facts the access policy
needs in the read model, asks the policy (``Forbidden``, recorded), reads (``NotFound``
for an unknown manager, client or month) and records the access when the policy says
so (every read of another person's pay or of client data). The answer is plain
JSON-ready data, equal to what the command line prints with ``--json`` for the same
question: the same functions compute both.

``record(principal, action, resource, outcome, reason)`` writes one line of the access
log; the identity layer passes the store-backed one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

import duckdb

from domain.access_log import ALLOWED, FORBIDDEN, NOT_FOUND
from domain.access_policy import (
    ACCESS_LOG,
    DEPARTURE_AUDIT,
    EXPLANATION,
    HISTORY,
    SQL,
    STATEMENT,
    STATEMENTS,
    TIER,
    TIERS,
    Decision,
    Facts,
    decide,
)
from domain.principal import MANAGER, Principal
from projections.audit.common import plain
from projections.audit.departure import DepartureAuditError
from projections.audit.departure import departure_audit as departure_report
from projections.audit.history import UnknownManager, bank_today, manager_history
from projections.audit.report import render
from projections.audit.sql import (
    SQL_TIMEOUT_DEFAULT,
    QueryStopped,
    ReadOnlyQueryRefused,
    check_read_only,
    json_value,
    run_limited,
)
from projections.pay import statements as pay
from projections.pay.explanation import explain
from projections.pay.statements import no_statement
from projections.readmodel.live import Snapshot
from projections.readmodel.loader import ReadModel
from projections.tiers import classify as tier_rules
from scripts.cli.options import day_value, ident_text, month_text, position_value, timestamp_value
from scripts.web import scope
from scripts.web.errors import Forbidden, Invalid, NotFound

FORMATS = ("json", "html", "md")
"""The departure audit's formats."""

Record = Callable[[Principal, str, str, str, str], None]
"""``record(principal, action, resource, outcome, reason)``: one line of the access log."""

Entries = Callable[[str | None, datetime | None], list[dict[str, Any]]]
"""``entries(user, since)``: the access log's lines, newest first."""

T = TypeVar("T")


class Source(Protocol):
    """Where reads find the read model (``scripts.cli.context.Context`` is one).

    ``read_model()``: what most reads read (the server's: a ``Snapshot`` of its live
    read model). ``file_read_model()``: the read model file under its shared lock, for
    the reads that open the file themselves (the SQL console, a simulation)."""

    def read_model(self) -> ReadModel: ...

    def file_read_model(self) -> ReadModel: ...


def _param(field: str, parse: Callable[[Any], T], value: Any) -> T:
    """``parse(value)``, or ``Invalid(field, ...)`` with the sentence it gives."""
    try:
        return parse(value)
    except ValueError as error:
        raise Invalid(field, str(error)) from None


def _allow(
    record: Record, principal: Principal, resource: str, facts: Facts, action: str, target: str
) -> Decision:
    """The policy's decision; a refusal recorded and raised as ``Forbidden``."""
    decision = decide(principal, resource, facts)
    if not decision.allowed:
        record(principal, action, target, FORBIDDEN, decision.reason)
        raise Forbidden(decision.reason)
    return decision


def _answer(
    record: Record,
    principal: Principal,
    decision: Decision,
    action: str,
    target: str,
    read: Callable[[], T],
) -> T:
    """``read()``, recorded (found or not) when the decision says the access is logged."""
    try:
        answer = read()
    except NotFound as missing:
        if decision.recorded:
            record(principal, action, target, NOT_FOUND, missing.message)
        raise
    if decision.recorded:
        record(principal, action, target, ALLOWED, decision.reason)
    return answer


def _reading(ctx: Source, use: Callable[[ReadModel], T], file: bool = False) -> T:
    """``use(read model)``, the model closed (and its shared lock let go) afterwards;
    ``file``: the read model file (``Source.file_read_model``)."""
    rm = ctx.file_read_model() if file else ctx.read_model()
    try:
        return use(rm)
    finally:
        rm.close()


def _kept(
    ctx: Source,
    rm: ReadModel,
    key: tuple[Any, ...],
    compute: Callable[[], T],
    cheap: bool | Callable[[], bool] = False,
) -> T:
    """``compute()``, or the server's answer kept for ``key`` at ``rm``'s position
    (``scripts/web/answers.py``); the command line keeps nothing."""
    answers = getattr(ctx, "answers", None)
    if answers is None or not isinstance(rm, Snapshot):
        return compute()
    return answers.get(key, rm.answers_at, compute, cheap)  # type: ignore[no-any-return]


def _issued(rm: ReadModel, period: str, restated: bool) -> bool:
    """Whether the statements asked for are a closed month's as issued: read, not
    computed (``pay.statements`` computes the restated ones and an open month's)."""
    closed = rm.conn.execute("SELECT 1 FROM periods_closed WHERE period = ?", [period])
    return not restated and closed.fetchone() is not None


def _scope(principal: Principal) -> tuple[str, str | None, str | None]:
    """What of the caller the access policy's facts and filters depend on."""
    return (principal.role, principal.branch_id, principal.manager_id)


def _manager_facts(ctx: Source, rm: ReadModel, principal: Principal, manager_id: str) -> Facts:
    return _kept(
        ctx,
        rm,
        ("manager facts", _scope(principal), manager_id),
        lambda: scope.manager_facts(rm.conn, principal, manager_id),
        cheap=True,
    )


def statements(
    ctx: Source,
    principal: Principal,
    period: str,
    manager: str | None = None,
    restated: bool = False,
    *,
    record: Record,
) -> list[dict[str, Any]]:
    """The statements of ``period`` (``rmledger pay --period P [--manager M] [--restated] --json``);
    without ``manager``, every statement the caller may see."""
    period = _param("period", month_text, period)
    wanted = None if manager is None else _param("manager", ident_text, manager)
    target = (
        f"period {period}"
        + ("" if wanted is None else f" manager {wanted}")
        + (" restated" if restated else "")
    )

    def use(rm: ReadModel) -> list[dict[str, Any]]:
        if wanted is not None:
            facts = _manager_facts(ctx, rm, principal, wanted)
            decision = _allow(record, principal, STATEMENT, facts, "statements", target)

            def compute_one() -> list[dict[str, Any]]:
                return [pay.to_json(r) for r in pay.statements(rm, period, wanted, restated)]

            def one() -> list[dict[str, Any]]:
                key = ("statements", period, wanted, restated)
                rows = _kept(ctx, rm, key, compute_one, lambda: _issued(rm, period, restated))
                if not rows:
                    raise NotFound(no_statement(rm, wanted, period))
                return rows

            return _answer(record, principal, decision, "statements", target, one)
        decision = _allow(record, principal, STATEMENTS, Facts(), "statements", target)

        def compute_every() -> list[dict[str, Any]]:
            if principal.role == MANAGER:  # only their own: computed alone
                rows = pay.statements(rm, period, principal.manager_id, restated)
            else:
                sees = scope.statement_filter(rm.conn, principal)
                rows = [
                    r for r in pay.statements(rm, period, None, restated) if sees(r["manager_id"])
                ]
            return [pay.to_json(r) for r in rows]

        def every() -> list[dict[str, Any]]:
            key = ("statements", period, None, restated, _scope(principal))
            return _kept(ctx, rm, key, compute_every, lambda: _issued(rm, period, restated))

        return _answer(record, principal, decision, "statements", target, every)

    return _reading(ctx, use)


def explanation(
    ctx: Source, principal: Principal, manager_id: str, period: str, *, record: Record
) -> dict[str, Any]:
    """What ``rmledger pay explain --manager M --period P --json`` prints."""
    manager_id = _param("manager_id", ident_text, manager_id)
    period = _param("period", month_text, period)
    target = f"manager {manager_id} period {period}"

    def use(rm: ReadModel) -> dict[str, Any]:
        facts = _manager_facts(ctx, rm, principal, manager_id)
        decision = _allow(record, principal, EXPLANATION, facts, "explanation", target)

        def compute() -> dict[str, Any] | None:
            result = explain(rm, manager_id, period)
            # as the command prints it
            return None if result is None else json.loads(json.dumps(result, default=str))

        def read() -> dict[str, Any]:
            result = _kept(ctx, rm, ("explanation", manager_id, period), compute)
            if result is None:
                raise NotFound(no_statement(rm, manager_id, period))
            return result

        return _answer(record, principal, decision, "explanation", target, read)

    return _reading(ctx, use)


def history(
    ctx: Source,
    principal: Principal,
    manager_id: str,
    known_at: str | None = None,
    effective_on: str | None = None,
    at_position: str | int | None = None,
    *,
    record: Record,
) -> dict[str, Any]:
    """What ``rmledger audit history --manager M [--known-at] [--effective-on] [--at-position] --json`` prints."""
    manager_id = _param("manager_id", ident_text, manager_id)
    moment = None if known_at is None else _param("known_at", timestamp_value, known_at)
    day = None if effective_on is None else _param("effective_on", day_value, effective_on)
    position = None if at_position is None else _param("at_position", position_value, at_position)
    if moment is not None and position is not None:
        raise Invalid("at_position", "give known_at or at_position, not both")
    target = f"manager {manager_id}" + "".join(
        f" {name} {value}"
        for name, value in (
            ("known_at", known_at),
            ("effective_on", effective_on),
            ("at_position", at_position),
        )
        if value is not None
    )

    def use(rm: ReadModel) -> dict[str, Any]:
        facts = _manager_facts(ctx, rm, principal, manager_id)
        decision = _allow(record, principal, HISTORY, facts, "history", target)

        on = day or bank_today()  # a kept history without a day is today's: not tomorrow's

        def compute() -> dict[str, Any]:
            return plain(manager_history(rm.conn, manager_id, moment, on, True, position))  # type: ignore[no-any-return]

        def read() -> dict[str, Any]:
            try:
                return _kept(ctx, rm, ("history", manager_id, moment, on, position), compute)
            except UnknownManager as error:
                raise NotFound(str(error)) from None

        return _answer(record, principal, decision, "history", target, read)

    return _reading(ctx, use)


def departure_audit(
    ctx: Source,
    principal: Principal,
    manager_id: str,
    fmt: str = "json",
    at_position: str | int | None = None,
    *,
    record: Record,
) -> dict[str, Any] | str:
    """The departure audit (``rmledger audit departure --manager M --format F``): the
    report as JSON data for ``json``, its text for ``html`` and ``md``."""
    manager_id = _param("manager_id", ident_text, manager_id)
    if fmt not in FORMATS:
        raise Invalid(
            "format", f"{str(fmt)!r} is not a format of the departure audit ({', '.join(FORMATS)})"
        )
    position = None if at_position is None else _param("at_position", position_value, at_position)
    target = f"manager {manager_id}" + ("" if position is None else f" at_position {position}")

    def use(rm: ReadModel) -> dict[str, Any] | str:
        facts = _manager_facts(ctx, rm, principal, manager_id)
        decision = _allow(record, principal, DEPARTURE_AUDIT, facts, "departure_audit", target)

        def compute() -> dict[str, Any] | str:
            text = render(departure_report(rm.conn, manager_id, position), fmt)
            return json.loads(text) if fmt == "json" else text  # type: ignore[no-any-return]

        def read() -> dict[str, Any] | str:
            try:
                return _kept(ctx, rm, ("departure audit", manager_id, position, fmt), compute)
            except DepartureAuditError as error:
                raise NotFound(str(error)) from None

        return _answer(record, principal, decision, "departure_audit", target, read)

    return _reading(ctx, use)


def tiers(
    ctx: Source,
    principal: Principal,
    as_of: str | date,
    client: str | None = None,
    *,
    record: Record,
) -> list[dict[str, Any]]:
    """The tiers on ``as_of`` (``rmledger tiers --as-of D [--client C] --json``); without
    ``client``, every client the caller may see."""
    day = _param("as_of", day_value, as_of)
    wanted = None if client is None else _param("client", ident_text, client)
    target = f"as_of {day.isoformat()}" + ("" if wanted is None else f" client {wanted}")

    def use(rm: ReadModel) -> list[dict[str, Any]]:
        if wanted is not None:
            facts = scope.client_facts(rm.conn, principal, wanted, day)
            decision = _allow(record, principal, TIER, facts, "tiers", target)

            def compute_one() -> list[dict[str, Any]]:
                return [tier_rules.tier_json(r) for r in tier_rules.tiers(rm.conn, day, wanted)]

            def one() -> list[dict[str, Any]]:
                rows = _kept(ctx, rm, ("tiers", day, wanted), compute_one)
                if not rows:
                    raise NotFound(f"no client {wanted} registered on or before {day.isoformat()}")
                return rows

            return _answer(record, principal, decision, "tiers", target, one)
        decision = _allow(record, principal, TIERS, Facts(), "tiers", target)

        def compute_every() -> list[dict[str, Any]]:
            sees = scope.tier_filter(rm.conn, principal, day)
            rows = [r for r in tier_rules.tiers(rm.conn, day) if sees(r["client_id"])]
            return [tier_rules.tier_json(r) for r in rows]

        def every() -> list[dict[str, Any]]:
            return _kept(ctx, rm, ("tiers", day, None, _scope(principal)), compute_every)

        return _answer(record, principal, decision, "tiers", target, every)

    return _reading(ctx, use)


def sql(
    ctx: Source,
    principal: Principal,
    query: str,
    timeout: float = SQL_TIMEOUT_DEFAULT,
    *,
    record: Record,
) -> dict[str, Any]:
    """One read-only query on the read model (``rmledger sql``): ``{"columns", "rows"}``,
    cells as ``rmledger sql --json`` shows them. Who may is asked before the query is
    looked at, so that nobody else learns anything from its errors."""
    decision = _allow(record, principal, SQL, Facts(), "sql", str(query))
    try:
        check_read_only(query)
    except ReadOnlyQueryRefused as refused:
        raise Invalid("query", str(refused)) from None

    def use(rm: ReadModel) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            try:
                columns, rows = run_limited(rm.path, query, timeout)
            except (QueryStopped, duckdb.Error) as error:
                raise Invalid("query", str(error)) from None
            return {"columns": columns, "rows": [[json_value(v) for v in row] for row in rows]}

        return _answer(record, principal, decision, "sql", query, read)

    return _reading(ctx, use, file=True)  # the shared lock held while the query runs


def access_log(
    ctx: Source,
    principal: Principal,
    user: str | None = None,
    since: str | None = None,
    *,
    record: Record,
    entries: Entries,
) -> list[dict[str, Any]]:
    """The access log, newest first (``entries`` reads it from the identity store),
    for auditors only; reading it is itself recorded."""
    name = None if user is None else _param("user", ident_text, user)
    moment = None if since is None else _param("since", timestamp_value, since)
    target = (
        "access log"
        + ("" if name is None else f" user {name}")
        + ("" if since is None else f" since {since}")
    )
    decision = _allow(record, principal, ACCESS_LOG, Facts(), "access_log", target)
    return _answer(record, principal, decision, "access_log", target, lambda: entries(name, moment))

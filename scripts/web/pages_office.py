"""The pages of the branch head (*branch*), the performance office (*month*) and the
auditors (*audit*: a manager's history at a known-at, effective-on or log position,
the departure audit, the read-only SQL console, verification, the access log). As in
``scripts/web/pages.py``, every figure comes from a read that asks the policy."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from projections.audit.history import fact_detail
from scripts.web import charts, page_reads, reads, workflow_reads
from scripts.web.auth import server_state
from scripts.web.errors import ReadError
from scripts.web.i18n import Words
from scripts.web.page_kit import Col, Table, User, csrf_refused, error_page, page, words_of
from scripts.web.session import CSRF_FIELD, csrf_ok

router = APIRouter(include_in_schema=False)

HANDOVER_STEPS = (
    ("sub_branch_lead", "lacks.sub_branch_lead"),
    ("wealth_centre_head", "lacks.wealth_centre_head"),
    ("record_ref", "lacks.record"),
    ("filed_on", "lacks.filing"),
)


def _period(request: Request, state: Any) -> str | None:
    """The month asked for (``?period=``), else the latest closed one."""
    asked = request.query_params.get("period")
    if asked:
        return asked
    closed = page_reads.closed_periods(state)
    return closed[0] if closed else None


MANAGER_COLUMNS = (
    Col("manager_id", "col.manager", link="pay_href"),
    Col("name", "col.name"),
    Col("branch_id", "col.branch"),
    Col("grade", "col.grade"),
    Col("weighted_profit", "col.weighted_profit", "money"),
    Col("performance_paid", "col.performance_paid", "money"),
    Col("total", "col.total", "money"),
)
BOOK_COLUMNS = (
    Col("manager_id", "col.manager"),
    Col("client_id", "col.client"),
    Col("client_name", "col.client_name"),
    Col("id_number", "col.id_number"),
    Col("role", "col.role"),
    Col("since", "col.since", "date"),
)
HANDOVER_COLUMNS = (
    Col("handover_id", "col.handover"),
    Col("from_manager_id", "col.from"),
    Col("to_manager_id", "col.to"),
    Col("client_ids", "col.client"),
    Col("opened_on", "col.opened", "date"),
    Col("lacks", "col.lacks"),
)
TIER_COLUMNS = (
    Col("client_id", "col.client"),
    Col("tier", "col.tier"),
    Col("maintenance_level", "col.level"),
    Col("aum", "col.aum", "money"),
)
OUTFLOW_COLUMNS = (
    Col("client_id", "col.client"),
    Col("manager_id", "col.manager"),
    Col("started_on", "col.started", "date"),
    Col("drop", "col.drop", "money"),
)
FIT_COLUMNS = (
    Col("manager_id", "col.manager"),
    Col("grade", "col.grade"),
    Col("client_id", "col.client"),
    Col("tier", "col.tier"),
    Col("aum", "col.aum", "money"),
)


@router.get("/branch")
def branch(request: Request, user: User) -> Response:
    """The managers in the caller's scope with their pay of a month and grades, their
    books, the handovers still open and what each lacks, the clients' tiers, alerts."""
    state = server_state(request)

    def build(words: Words) -> dict[str, Any]:
        period = _period(request, state)
        people = page_reads.managers(state, user, record=state.record)
        pay = (
            {s["manager_id"]: s for s in reads.statements(state, user, period, record=state.record)}
            if period
            else {}
        )
        managers, books, handovers = [], [], {}
        for m in people:
            s = pay.get(m["manager_id"], {})
            managers.append(
                {
                    **m,
                    "pay_href": f"/pay/{m['manager_id']}",
                    **{k: s.get(k) for k in ("weighted_profit", "performance_paid", "total")},
                }
            )
            found = reads.history(state, user, m["manager_id"], record=state.record)
            books += [{"manager_id": m["manager_id"], **b} for b in found["book_on"]]
            for h in found["handovers"]:
                if h["status"] == "open":
                    lacks = [words.t(label) for key, label in HANDOVER_STEPS if not h[key]]
                    handovers[h["handover_id"]] = {**h, "lacks": lacks}
        found_alerts = page_reads.alerts(state, user, record=state.record)
        day = found_alerts["as_of"]
        tiers = reads.tiers(state, user, day, record=state.record) if day else []
        title = words.t("branch.title", branch=user.branch_id or "")
        return {
            "title": title,
            "period": period,
            "periods": page_reads.closed_periods(state),
            "tables": [
                Table(
                    "managers",
                    words.t("branch.managers", period=period or "-"),
                    MANAGER_COLUMNS,
                    managers,
                ),
                Table("books", words.t("branch.books"), BOOK_COLUMNS, books),
                Table(
                    "handovers",
                    words.t("branch.handovers"),
                    HANDOVER_COLUMNS,
                    list(handovers.values()),
                ),
                Table("tiers", words.t("branch.tiers", day=words.day(day)), TIER_COLUMNS, tiers),
                Table(
                    "outflows",
                    words.t("branch.outflows"),
                    OUTFLOW_COLUMNS,
                    found_alerts["outflows"],
                ),
                Table(
                    "grade_fit", words.t("branch.grade_fit"), FIT_COLUMNS, found_alerts["grade_fit"]
                ),
            ],
        }

    return page(request, user, "branch.html", build)


STATEMENT_COLUMNS = (
    Col("manager_id", "col.manager", link="pay_href"),
    Col("branch_id", "col.branch"),
    Col("grade", "col.grade"),
    Col("status", "col.status"),
    Col("responsibility_profit", "col.responsibility_profit", "money"),
    Col("weighted_profit", "col.weighted_profit", "money"),
    Col("performance_paid", "col.performance_paid", "money"),
    Col("total", "col.total", "money"),
)
BRANCH_TOTAL_COLUMNS = (
    Col("branch_id", "col.branch"),
    Col("statements", "col.statements", "int"),
    Col("performance_paid", "col.performance_paid", "money"),
    Col("total", "col.total", "money"),
)


def _sign_off_months(closed: list[str]) -> list[str]:
    """The month picker's months: the one after the latest closed (the month to sign
    off next), then the closed ones, newest first."""
    if not closed:
        return closed
    year, month = map(int, closed[0].split("-"))
    following = f"{year + month // 12}-{month % 12 + 1:02d}"
    return [following, *closed]


@router.get("/month")
def month(request: Request, user: User) -> Response:
    """Every statement of a month the caller may see, totals per branch, the spread of
    total pay; each table as CSV or Excel."""
    state = server_state(request)

    def build(words: Words) -> dict[str, Any]:
        period = _period(request, state)
        rows = reads.statements(state, user, period, record=state.record) if period else []
        people = {m["manager_id"]: m for m in page_reads.managers(state, user, record=state.record)}
        sums: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"statements": 0, "performance_paid": Decimal(0), "total": Decimal(0)}
        )
        statements = []
        for s in rows:
            where = people.get(s["manager_id"], {}).get("branch_id") or "-"
            statements.append({**s, "branch_id": where, "pay_href": f"/pay/{s['manager_id']}"})
            sums[where]["statements"] += 1
            sums[where]["performance_paid"] += Decimal(s["performance_paid"])
            sums[where]["total"] += Decimal(s["total"])
        by_branch = [
            {"branch_id": b, **{k: str(v) for k, v in sums[b].items()}} for b in sorted(sums)
        ]
        signoff = workflow_reads.sign_offs(state, user, period) if period else None

        def roles(names: list[str]) -> str:
            comma = "、" if words.lang == "zh-CN" else ", "
            return comma.join(words.t(f"role.{r}") for r in names)

        return {
            "title": words.t("month.title", period=period or "-"),
            "period": period,
            "periods": _sign_off_months(page_reads.closed_periods(state)),
            "signoff": signoff,
            "signoff_roles": roles(signoff["required"]) if signoff else "",
            "signoff_missing": roles(signoff["missing"]) if signoff else "",
            "signed_notice": request.query_params.get("signed") == "1",
            "count": words.t("month.count", count=len(statements)),
            "chart": charts.histogram(
                words.t("month.distribution"), [Decimal(s["total"]) for s in rows], words.money
            ),
            "tables": [
                Table("branches", words.t("month.by_branch"), BRANCH_TOTAL_COLUMNS, by_branch),
                Table("statements", words.t("month.statements"), STATEMENT_COLUMNS, statements),
            ],
        }

    return page(request, user, "month.html", build)


HISTORY_COLUMNS = (
    Col("on", "col.date", "date"),
    Col("kind", "col.kind"),
    Col("position", "col.position", "int"),
    Col("detail", "col.facts"),
)
ACCESS_COLUMNS = (
    Col("decided_at", "col.when"),
    Col("username", "col.user"),
    Col("action", "col.action"),
    Col("target", "col.target"),
    Col("outcome", "col.outcome"),
    Col("reason", "col.reason"),
)
ACCESS_LINES_SHOWN = 200


def _audit(request: Request, user: Any, sql_query: str | None) -> Response:
    """The audit page; ``sql_query`` when the console was posted."""
    state = server_state(request)
    params = request.query_params
    manager = params.get("manager") or None

    def build(words: Words) -> dict[str, Any]:
        tables: list[Table] = []
        history = None
        if manager:
            history = reads.history(
                state,
                user,
                manager,
                params.get("known_at") or None,
                params.get("effective_on") or None,
                params.get("at_position") or None,
                record=state.record,
            )
            facts = [{**f, "detail": fact_detail(f, "; ")} for f in history["facts"]]
            tables.append(Table("history", words.t("audit.history"), HISTORY_COLUMNS, facts))
        sql_error = None
        if sql_query:
            try:
                answer = reads.sql(state, user, sql_query, record=state.record)
                names = answer["columns"]
                # the column names are the CSV's headings, unless two are the same
                keys = (
                    names if len(set(names)) == len(names) else [f"c{i}" for i in range(len(names))]
                )
                columns = [Col(k, n, plain=True) for k, n in zip(keys, names, strict=True)]
                rows = [dict(zip(keys, row, strict=True)) for row in answer["rows"]]
                tables.append(Table("sql", words.t("audit.sql"), columns, rows))
            except ReadError as error:
                if error.status != 422:
                    raise
                sql_error = error.message
        log = reads.access_log(state, user, record=state.record, entries=state.access_log_entries)[
            :ACCESS_LINES_SHOWN
        ]
        tables.append(Table("access_log", words.t("audit.access_log"), ACCESS_COLUMNS, log))
        verification = None
        if params.get("verify"):
            verification = page_reads.verification(state.ledger, user, record=state.record)
        return {
            "title": words.t("audit.title"),
            "history": history,
            "manager": manager or "",
            "picks": {k: params.get(k, "") for k in ("known_at", "effective_on", "at_position")},
            "sql_query": sql_query or "",
            "sql_error": sql_error,
            "verification": verification,
            "tables": tables,
        }

    return page(request, user, "audit.html", build)


@router.get("/audit")
def audit(request: Request, user: User) -> Response:
    """The auditor's page (``?manager=`` with its pickers, ``?verify=1``)."""
    return _audit(request, user, request.query_params.get("query"))


@router.post("/audit/sql")
def audit_sql(
    request: Request,
    user: User,
    query: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """The SQL console, posted: the audit page with the query's results table."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    return _audit(request, user, query)


@router.get("/audit/departure/{manager_id}")
def departure(request: Request, user: User, manager_id: str) -> Response:
    """The departure audit as its HTML report."""
    state = server_state(request)
    try:
        report = reads.departure_audit(
            state,
            user,
            manager_id,
            "html",
            request.query_params.get("at_position") or None,
            record=state.record,
        )
    except ReadError as error:
        return error_page(request, user, words_of(request), error.status, error.message)
    return HTMLResponse(str(report))

"""The workflow pages (docs/web.md, the writes): a manager opens a dispute from their
statement or one of its postings; the performance office's dispute queue with its
resolve forms; signing a month off (the button is on the month page); acknowledging
a plan (the banner every page shows a manager who has one to acknowledge); the
simulation page. Every form posts its CSRF token; every write goes through
``scripts/web/writes.py`` (the policy, then the ledger's own rules), and a refusal or
a broken rule is the error page with its sentence."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from domain.access_policy import RESOLVE_DISPUTE, decide
from scripts.web import charts, workflow_reads
from scripts.web.auth import server_state
from scripts.web.errors import ReadError
from scripts.web.i18n import Words
from scripts.web.page_kit import (
    Col,
    Table,
    User,
    csrf_refused,
    error_page,
    home_of,
    page,
    safe_next,
    words_of,
)
from scripts.web.session import CSRF_FIELD, csrf_ok

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(alias=CSRF_FIELD)]

DISPUTE_COLUMNS = (
    Col("dispute_id", "col.dispute"),
    Col("manager_id", "col.manager"),
    Col("period", "col.period"),
    Col("posting_id", "col.posting"),
    Col("claim", "col.claim"),
    Col("opened_on", "col.opened", "date"),
)
RESOLVED_COLUMNS = (
    *DISPUTE_COLUMNS,
    Col("outcome", "col.outcome"),
    Col("amount", "col.amount_upheld", "money"),
    Col("reason", "col.reason"),
    Col("resolved_by", "col.resolved_by"),
    Col("resolved_on", "col.resolved_on", "date"),
)
SIMULATION_COLUMNS = (
    Col("manager_id", "col.manager"),
    Col("period", "col.period"),
    Col("basis", "col.basis"),
    Col("issued_total", "simulate.issued_total", "money"),
    Col("simulated_total", "simulate.simulated_total", "money"),
    Col("total_difference", "col.difference", "money"),
    Col("differences", "simulate.differences"),
)


def _write(request: Request, user: Any, sent: str, act: Callable[[], str]) -> Response:
    """``act()`` (which answers where to go next) once the CSRF token is right; a
    refusal or a broken rule as the error page with its sentence."""
    if not csrf_ok(request, sent):
        return csrf_refused(request, user)
    try:
        return RedirectResponse(act(), status_code=303)
    except ReadError as error:
        return error_page(request, user, words_of(request), error.status, error.message)


# -- disputes ---------------------------------------------------------------------------


@router.get("/disputes")
def disputes(request: Request, user: User) -> Response:
    """The disputes in the caller's scope: open, overdue and resolved; for the
    performance office a resolve form under each one still open."""
    state = server_state(request)
    params = request.query_params

    def build(words: Words) -> dict[str, Any]:
        found = workflow_reads.disputes(state, user, record=state.record)
        parts = {s: [d for d in found if d["status"] == s] for s in workflow_reads.STATUSES}
        notice = None
        if params.get("opened"):
            notice = words.t("dispute.opened", dispute=params["opened"])
        elif params.get("resolved"):
            notice = words.t("dispute.resolved", dispute=params["resolved"])
        return {
            "title": words.t("disputes.title"),
            "notice": notice,
            "to_resolve": parts["overdue"] + parts["open"]
            if decide(user, RESOLVE_DISPUTE).allowed
            else [],
            "tables": [
                Table("open", words.t("disputes.open"), DISPUTE_COLUMNS, parts["open"]),
                Table("overdue", words.t("disputes.overdue"), DISPUTE_COLUMNS, parts["overdue"]),
                Table(
                    "resolved", words.t("disputes.resolved"), RESOLVED_COLUMNS, parts["resolved"]
                ),
            ],
        }

    return page(request, user, "disputes.html", build)


@router.get("/disputes/new")
def new_dispute(request: Request, user: User, period: str = "", posting_id: str = "") -> Response:
    """A manager's form to dispute their statement of ``period`` (or one posting of it)."""
    return page(
        request,
        user,
        "dispute_new.html",
        lambda words: {
            "title": words.t("dispute.new_title", period=period),
            "period": period,
            "posting_id": posting_id,
            "back": f"/pay/{user.manager_id}/{period}",
        },
    )


@router.post("/disputes/new")
def open_dispute(
    request: Request,
    user: User,
    csrf_token: Csrf = "",
    period: Annotated[str, Form()] = "",
    posting_id: Annotated[str, Form()] = "",
    claim: Annotated[str, Form()] = "",
) -> Response:
    """Open the dispute; then the dispute list, saying so."""
    state = server_state(request)

    def act() -> str:
        opened = state.writer.open_dispute(user, period, claim, posting_id or None)
        return f"/disputes?opened={quote(opened['dispute_id'])}"

    return _write(request, user, csrf_token, act)


@router.post("/disputes/{dispute_id}/resolve")
def resolve_dispute(
    request: Request,
    user: User,
    dispute_id: str,
    csrf_token: Csrf = "",
    outcome: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Resolve the dispute; then the queue, saying so."""
    state = server_state(request)

    def act() -> str:
        state.writer.resolve_dispute(user, dispute_id, outcome, reason, amount.strip() or None)
        return f"/disputes?resolved={quote(dispute_id)}"

    return _write(request, user, csrf_token, act)


# -- signing a month off, acknowledging a plan --------------------------------------------


@router.post("/month/{period}/sign")
def sign_off(request: Request, user: User, period: str, csrf_token: Csrf = "") -> Response:
    """Sign the month off as the caller's role; then the month page."""
    state = server_state(request)

    def act() -> str:
        state.writer.sign_off(user, period)
        return f"/month?period={quote(period)}&signed=1"

    return _write(request, user, csrf_token, act)


@router.post("/plans/{version}/acknowledge")
def acknowledge(
    request: Request,
    user: User,
    version: str,
    csrf_token: Csrf = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Acknowledge the plan version; then back to the page the banner was on."""
    state = server_state(request)

    def act() -> str:
        state.writer.acknowledge_plan(user, version)
        return safe_next(next) or home_of(user)

    return _write(request, user, csrf_token, act)


# -- the simulation ---------------------------------------------------------------------------


def _simulated(words: Words, result: list[dict[str, Any]]) -> dict[str, Any]:
    """The result's table (totals and the fields that differ) and its chart."""
    rows = []
    for c in result:
        basis = c["issued"] or c.get("current") or {}
        before = Decimal(basis.get("total", "0"))
        after = Decimal((c["simulated"] or {}).get("total", "0"))
        rows.append(
            {
                "manager_id": c["manager_id"],
                "period": c["period"],
                "basis": "issued" if c["issued"] else "open",
                "issued_total": f"{before:.2f}",
                "simulated_total": f"{after:.2f}",
                "total_difference": f"{after - before:.2f}",
                "differences": [
                    f"{k} {words.money(v)}" for k, v in c["difference"].items() if k != "total"
                ],
            }
        )
    months = sorted({r["period"] for r in rows})

    def total(key: str, month: str) -> Decimal:
        return sum((Decimal(r[key]) for r in rows if r["period"] == month), Decimal(0))

    chart = charts.bars(
        words.t("simulate.chart"),
        months,
        [
            (words.t("simulate.issued_total"), [total("issued_total", m) for m in months]),
            (words.t("simulate.simulated_total"), [total("simulated_total", m) for m in months]),
        ],
        words.money,
    )
    return {"chart": chart, "rows": rows}


def _simulation_page(request: Request, user: Any, form: dict[str, str], run: bool) -> Response:
    state = server_state(request)

    def build(words: Words) -> dict[str, Any]:
        context: dict[str, Any] = {"title": words.t("simulate.title"), "form": form}
        tables = []
        if run:
            try:
                result = workflow_reads.simulation(
                    state,
                    user,
                    form["plan"],
                    form["from"],
                    form["to"],
                    form["manager"] or None,
                    record=state.record,
                )
            except ReadError as error:
                if error.status != 422:
                    raise
                context["problem"] = error.message
            else:
                shown = _simulated(words, result)
                context["chart"] = shown["chart"]
                tables.append(
                    Table(
                        "simulation", words.t("simulate.result"), SIMULATION_COLUMNS, shown["rows"]
                    )
                )
        return {**context, "tables": tables}

    return page(request, user, "simulate.html", build)


@router.get("/simulate")
def simulate_form(request: Request, user: User) -> Response:
    """The simulation form (the performance office's)."""
    form = {"plan": "", "from": "", "to": "", "manager": ""}
    return _simulation_page(request, user, form, False)


@router.post("/simulate")
async def simulate(
    request: Request,
    user: User,
    csrf_token: Csrf = "",
    plan: Annotated[str, Form()] = "",
    plan_file: UploadFile | None = None,
    first: Annotated[str, Form(alias="from")] = "",
    through: Annotated[str, Form(alias="to")] = "",
    manager: Annotated[str, Form()] = "",
) -> Response:
    """Run the simulation (nothing is written) and show it under the form."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    if plan_file is not None and plan_file.filename:
        plan = (await plan_file.read()).decode("utf-8", errors="replace")
    form = {"plan": plan, "from": first, "to": through, "manager": manager.strip()}
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_simulation_page, request, user, form, True)

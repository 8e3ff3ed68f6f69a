"""The server-rendered pages of ``rmledger serve`` (docs/web.md, the pages): sign-in and
sign-out, *my pay* with its explanation, *branch*, *month* and *audit*.

Every page reads through ``scripts/web/reads.py`` and ``scripts/web/page_reads.py``,
which ask the access policy and record the access; a refusal is the 403 page with the
policy's sentence. Nothing here decides who may see what. Pages need no JavaScript:
charts are SVG drawn here, pickers are GET forms, and every form that posts carries
the CSRF token of ``scripts/web/session.py``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access_log import ALLOWED, UNAUTHENTICATED
from domain.principal import MANAGER
from scripts.identity.accounts import authenticate
from scripts.identity.tokens import DEFAULT_TTL, issue_token
from scripts.web import charts, pages_office, pages_workflows, reads
from scripts.web.auth import server_state
from scripts.web.i18n import Words
from scripts.web.page_kit import (
    Col,
    Table,
    User,
    csrf_refused,
    home_of,
    page,
    render,
    safe_next,
    words_of,
)
from scripts.web.session import (
    CSRF_FIELD,
    csrf_for_login,
    csrf_ok,
    end_session,
    login_nonce,
    start_session,
)

router = APIRouter(include_in_schema=False)
SIGN_IN = "sign_in"
WRONG = "wrong username or password"


# -- sign in and out ------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str | None = None, failed: bool = False) -> Response:
    """The sign-in form (username, password, and its CSRF token)."""
    words = words_of(request)
    probe = Response()
    nonce = login_nonce(request, probe)
    response = render(
        request,
        "login.html",
        None,
        words,
        status=401 if failed else 200,
        login_csrf=csrf_for_login(request, nonce),
        next=safe_next(next) or "",
        failed=failed,
    )
    for value in probe.headers.getlist("set-cookie"):
        response.headers.append("set-cookie", value)
    return response


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password (each failure of a username or address makes the next try
    wait longer, and is recorded); on success the session cookie and the way home."""
    if not csrf_ok(request, csrf_token, login=True):
        return csrf_refused(request, None)
    state = server_state(request)
    throttle = request.app.state.login_throttle
    name = username.strip().lower()
    keys = (f"user:{name}", f"ip:{request.client.host if request.client else '-'}")
    await asyncio.sleep(throttle.delay(*keys))
    principal = await run_in_threadpool(authenticate, state.ledger, name, password)
    target = f"user {name}"
    if principal is None:
        throttle.failed(*keys)
        await run_in_threadpool(state.record, None, SIGN_IN, target, UNAUTHENTICATED, WRONG)
        back = f"&next={next}" if safe_next(next) else ""
        return RedirectResponse(f"/login?failed=1{back}", status_code=303)
    throttle.succeeded(keys[0])
    await run_in_threadpool(state.record, principal, SIGN_IN, target, ALLOWED, "password accepted")
    token = issue_token(state.settings.token_keys[0], name, datetime.now(UTC) + DEFAULT_TTL)
    response = RedirectResponse(safe_next(next) or home_of(principal), status_code=303)
    start_session(request, response, token)
    return response


@router.post("/logout")
def logout(
    request: Request, user: User, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = ""
) -> Response:
    """End the session: the cookie is removed, the way to the sign-in page given."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    response = RedirectResponse("/login", status_code=303)
    end_session(response)
    return response


@router.get("/")
def root(request: Request, user: User) -> Response:
    """The user's home page."""
    return RedirectResponse(home_of(user), status_code=303)


@router.get("/home")
def home(request: Request, user: User) -> Response:
    """A role with no pay page (admin): what it does instead."""
    return page(request, user, "home.html", lambda words: {})


# -- my pay ---------------------------------------------------------------------------

PAY_COLUMNS = (
    Col("period", "col.period", link="explain_href"),
    Col("grade", "col.grade"),
    Col("issued_total", "col.issued_total", "money"),
    Col("restated_total", "col.restated_total", "money"),
    Col("difference", "col.difference", "money"),
    Col("performance_paid", "col.performance_paid", "money"),
    Col("weighted_profit", "col.weighted_profit", "money"),
)


@router.get("/pay")
def my_pay(request: Request, user: User) -> Response:
    """A manager's own pay page; other roles go home."""
    if user.role == MANAGER and user.manager_id:
        return RedirectResponse(f"/pay/{user.manager_id}", status_code=303)
    return RedirectResponse(home_of(user), status_code=303)


@router.get("/pay/{manager_id}")
def pay(request: Request, user: User, manager_id: str) -> Response:
    """A manager's months: issued and restated totals, the difference, and a chart."""
    state = server_state(request)

    def build(words: Words) -> dict[str, Any]:
        found = reads.history(state, user, manager_id, record=state.record)
        restated = {s["period"]: s for s in found["statements"]["restated"] or []}
        issued = {s["period"]: s for s in found["statements"]["issued"]}
        rows = []
        for period in sorted(set(issued) | set(restated)):
            i, r = issued.get(period), restated.get(period)
            rows.append(
                {
                    "period": period,
                    "grade": (i or r or {}).get("grade"),
                    "issued_total": i["total"] if i else None,
                    "restated_total": r["total"] if r else None,
                    "difference": (
                        str(Decimal(r["total"]) - Decimal(i["total"])) if i and r else None
                    ),
                    "performance_paid": (i or r or {}).get("performance_paid"),
                    "weighted_profit": (i or r or {}).get("weighted_profit"),
                    "explain_href": f"/pay/{manager_id}/{period}",
                }
            )
        chart = charts.bars(
            words.t("pay.chart"),
            [row["period"] for row in rows],
            [
                (words.t("col.issued_total"), [Decimal(x["issued_total"] or 0) for x in rows]),
                (words.t("col.restated_total"), [Decimal(x["restated_total"] or 0) for x in rows]),
            ],
            words.money,
        )
        title = words.t("pay.title", manager=manager_id, name=found["name"])
        return {
            "title": title,
            "chart": chart,
            "tables": [Table("months", words.t("pay.months"), PAY_COLUMNS, rows)],
        }

    return page(request, user, "pay.html", build)


LINE_COLUMNS = (
    Col("value_date", "col.date", "date"),
    Col("kind", "col.kind"),
    Col("ref", "col.ref"),
    Col("client_id", "col.client"),
    Col("category", "col.category"),
    Col("class", "col.class"),
    Col("role", "col.role"),
    Col("stock_or_new", "col.stock_or_new"),
    Col("share", "col.share"),
    Col("age_years", "col.age"),
    Col("weight", "col.weight"),
    Col("amount", "col.amount", "money"),
)


@router.get("/pay/{manager_id}/{period}")
def explanation(request: Request, user: User, manager_id: str, period: str) -> Response:
    """The explanation of a month: each posting with its share, age and weight, then
    the arithmetic to the statement's figures."""
    state = server_state(request)

    def build(words: Words) -> dict[str, Any]:
        found = reads.explanation(state, user, manager_id, period, record=state.record)
        issued = (found["statement"] or {}).get("total")
        columns: tuple[Col, ...] = LINE_COLUMNS
        lines = found["lines"]
        disputable = issued is not None and user.role == MANAGER and user.manager_id == manager_id
        if disputable:  # the manager's own issued statement: each posting can be disputed
            new = f"/disputes/new?period={quote(period)}"
            lines = [
                {
                    **line,
                    "dispute": words.t("dispute.open_link") if line["kind"] == "posting" else "",
                    "dispute_href": f"{new}&posting_id={quote(str(line['ref']))}"
                    if line["kind"] == "posting"
                    else None,
                }
                for line in lines
            ]
            columns = (Col("dispute", "col.dispute", link="dispute_href"), *LINE_COLUMNS)
        return {
            "dispute_href": f"/disputes/new?period={quote(period)}" if disputable else None,
            "title": words.t("explain.title", manager=manager_id, period=period),
            "summary": words.t(
                "explain.issued",
                issued=words.money(issued) if issued else "-",
                restated=words.money(found["restated"]["total"]),
            ),
            "steps": found["steps"],
            "back": f"/pay/{manager_id}",
            "tables": [Table("lines", words.t("explain.lines"), columns, lines)],
        }

    return page(request, user, "explain.html", build)


router.include_router(pages_office.router)
router.include_router(pages_workflows.router)

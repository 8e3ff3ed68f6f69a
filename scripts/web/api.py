"""The JSON API under ``/api/v1`` (docs/web.md): sign-in, who am I, and the scoped reads.

Every route but the sign-in takes ``current_principal`` and answers with a read of
``scripts/web/reads.py``, which asks the access policy and records the access: no
route decides who may see what. The reads block (DuckDB, the event store), so the
routes are plain functions, run by FastAPI in its thread pool."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access_log import ALLOWED, UNAUTHENTICATED
from domain.principal import Principal
from scripts.identity.accounts import authenticate
from scripts.identity.tokens import DEFAULT_TTL, issue_token
from scripts.web import reads, workflow_reads
from scripts.web.auth import current_principal, server_state
from scripts.web.models import (
    ERRORS,
    AccessLogLine,
    Acknowledgement,
    Comparison,
    Credentials,
    DepartureAudit,
    Dispute,
    DisputeOpening,
    DisputeResolution,
    ErrorBody,
    Explanation,
    History,
    InvalidBody,
    Me,
    SignOff,
    SimulationRequest,
    SqlAnswer,
    SqlQuery,
    Statement,
    Tier,
    Token,
)
from scripts.web.state import ServerState

router = APIRouter(prefix="/api/v1", tags=["api"])


def _kept_json(state: ServerState, answer: Any) -> Response:
    """A read's answer as JSON, rendered once per kept answer (scripts/web/answers.py)."""
    return Response(state.answers.rendered(answer), media_type="application/json")


User = Annotated[Principal, Depends(current_principal)]
SIGN_IN = "sign_in"
WRONG = "wrong username or password"


@router.post(
    "/session",
    response_model=Token,
    responses={401: {"model": ErrorBody}, 422: {"model": InvalidBody}},
)
async def sign_in(request: Request, credentials: Credentials) -> Any:
    """A bearer token (8 hours) for a username and password. Each failure makes the
    next attempt for that username, or from that address, wait longer; every attempt
    is recorded in the access log."""
    state = server_state(request)
    throttle = request.app.state.login_throttle
    name = credentials.username.strip().lower()
    keys = (f"user:{name}", f"ip:{request.client.host if request.client else '-'}")
    await asyncio.sleep(throttle.delay(*keys))
    principal = await run_in_threadpool(authenticate, state.ledger, name, credentials.password)
    target = f"user {name}"
    if principal is None:
        throttle.failed(*keys)
        await run_in_threadpool(state.record, None, SIGN_IN, target, UNAUTHENTICATED, WRONG)
        return JSONResponse({"error": "unauthenticated", "message": WRONG}, status_code=401)
    throttle.succeeded(keys[0])
    await run_in_threadpool(state.record, principal, SIGN_IN, target, ALLOWED, "password accepted")
    token = issue_token(state.settings.token_keys[0], name, datetime.now(UTC) + DEFAULT_TTL)
    return {"token": token}


@router.get("/me", response_model=Me, responses={401: ERRORS[401]})
def me(user: User) -> Any:
    """The signed-in user: username, role, and the manager or branch it is bound to."""
    return {
        "username": user.username,
        "role": user.role,
        "manager_id": user.manager_id,
        "branch_id": user.branch_id,
    }


@router.get("/statements", response_model=list[Statement], responses=ERRORS)
def statements(
    request: Request,
    user: User,
    period: Annotated[str, Query(description="YYYY-MM")],
    manager: str | None = None,
    restated: bool = False,
) -> Any:
    """The month's statements (``rmledger pay --period P --json``); without ``manager``,
    every statement the caller may see."""
    state = server_state(request)
    return _kept_json(
        state, reads.statements(state, user, period, manager, restated, record=state.record)
    )


@router.get(
    "/statements/{manager_id}/{period}/explain", response_model=Explanation, responses=ERRORS
)
def explanation(request: Request, user: User, manager_id: str, period: str) -> Any:
    """Every posting, charge and activity behind a statement, and the arithmetic."""
    state = server_state(request)
    return _kept_json(
        state, reads.explanation(state, user, manager_id, period, record=state.record)
    )


@router.get("/managers/{manager_id}/history", response_model=History, responses=ERRORS)
def history(
    request: Request,
    user: User,
    manager_id: str,
    known_at: str | None = None,
    effective_on: str | None = None,
    at_position: str | None = None,
) -> Any:
    """The manager's reconstructed history (``rmledger audit history --json``)."""
    state = server_state(request)
    return _kept_json(
        state,
        reads.history(
            state, user, manager_id, known_at, effective_on, at_position, record=state.record
        ),
    )


@router.get(
    "/managers/{manager_id}/departure-audit",
    response_model=DepartureAudit,
    responses={
        **ERRORS,
        200: {
            "content": {"text/html": {}, "text/markdown": {}},
            "description": "JSON, HTML or Markdown, as format asks",
        },
    },
)
def departure_audit(
    request: Request,
    user: User,
    manager_id: str,
    format: Annotated[str, Query(description="json, html or md")] = "json",
    at_position: str | None = None,
) -> Response:
    """The departure audit of a manager who asked to leave."""
    state = server_state(request)
    report = reads.departure_audit(
        state, user, manager_id, format, at_position, record=state.record
    )
    if isinstance(report, str):
        if format == "html":
            return HTMLResponse(report)
        return PlainTextResponse(report, media_type="text/markdown; charset=utf-8")
    return _kept_json(state, report)


@router.get("/tiers", response_model=list[Tier], responses=ERRORS)
def tiers(
    request: Request,
    user: User,
    as_of: Annotated[str, Query(description="YYYY-MM-DD")],
    client: str | None = None,
) -> Any:
    """The tiers on a day (``rmledger tiers --as-of D --json``); without ``client``,
    every client the caller may see."""
    state = server_state(request)
    return _kept_json(state, reads.tiers(state, user, as_of, client, record=state.record))


@router.post("/sql", response_model=SqlAnswer, responses=ERRORS)
def sql(request: Request, user: User, body: Annotated[SqlQuery, Body()]) -> Any:
    """One read-only query on the read model, for auditors."""
    state = server_state(request)
    return JSONResponse(reads.sql(state, user, body.query, record=state.record))


@router.get("/access-log", response_model=list[AccessLogLine], responses=ERRORS)
def access_log(
    request: Request,
    user: User,
    username: Annotated[str | None, Query(alias="user")] = None,
    since: str | None = None,
) -> Any:
    """The access log, newest first, for auditors."""
    state = server_state(request)
    return JSONResponse(
        reads.access_log(
            state, user, username, since, record=state.record, entries=state.access_log_entries
        )
    )


# -- the writes (docs/contract.md, the HTTP API): scripts/web/writes.py -------------------


@router.post("/disputes", status_code=201, response_model=Dispute, responses=ERRORS)
def open_dispute(request: Request, user: User, body: Annotated[DisputeOpening, Body()]) -> Any:
    """A manager disputes their own issued statement of a month, whole or one posting."""
    state = server_state(request)
    opened = state.writer.open_dispute(user, body.period, body.claim, body.posting_id)
    return JSONResponse(opened, status_code=201)


@router.post("/disputes/{dispute_id}/resolution", response_model=Dispute, responses=ERRORS)
def resolve_dispute(
    request: Request, user: User, dispute_id: str, body: Annotated[DisputeResolution, Body()]
) -> Any:
    """The performance office rejects a dispute or upholds it with an amount, once."""
    state = server_state(request)
    state.writer.resolve_dispute(user, dispute_id, body.outcome, body.reason, body.amount)
    return JSONResponse(workflow_reads.dispute(state, user, dispute_id, record=state.record))


@router.get("/disputes", response_model=list[Dispute], responses=ERRORS)
def disputes(request: Request, user: User, status: str | None = None) -> Any:
    """The disputes in the caller's scope, oldest first (``status``: open, overdue, resolved)."""
    state = server_state(request)
    return JSONResponse(workflow_reads.disputes(state, user, status, record=state.record))


@router.post(
    "/periods/{period}/approvals", status_code=201, response_model=SignOff, responses=ERRORS
)
def sign_off(request: Request, user: User, period: str) -> Any:
    """The caller signs the month off as their role, when it is that role's turn."""
    state = server_state(request)
    return JSONResponse(state.writer.sign_off(user, period), status_code=201)


@router.post(
    "/plans/{version}/acknowledgement",
    status_code=201,
    response_model=Acknowledgement,
    responses=ERRORS,
)
def acknowledge_plan(request: Request, user: User, version: str) -> Any:
    """A manager acknowledges a plan version that pays them, once."""
    state = server_state(request)
    return JSONResponse(state.writer.acknowledge_plan(user, version), status_code=201)


@router.post("/simulations", response_model=list[Comparison], responses=ERRORS)
def simulations(request: Request, user: User, body: Annotated[SimulationRequest, Body()]) -> Any:
    """What-if (``rmledger pay simulate --json``): writes nothing."""
    state = server_state(request)
    return JSONResponse(
        workflow_reads.simulation(
            state, user, body.plan, body.first, body.through, body.manager, record=state.record
        )
    )

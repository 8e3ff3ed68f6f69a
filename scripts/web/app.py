"""The web application of ``rmledger serve``: ``create_app(settings)``.

The app holds one ``ServerState`` (the ledger, the read model and its follower) on
``app.state.rmledger``; its routes take the signed-in user from
``scripts/web/auth.py::current_principal`` and read through ``scripts/web/reads.py``,
which asks the access policy. The errors of both are answered here, with the bodies of
docs/contract.md (the HTTP API):

- ``Unauthenticated``: 401 ``{"error": "unauthenticated", "message"}``;
- ``Forbidden`` 403, ``NotFound`` 404, ``Invalid`` 422: their ``status`` and ``body()``;
- a request FastAPI cannot read (a missing field, a wrong type, a body that is not
  JSON): 422 ``invalid``; an unknown path: 404 ``not_found``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from scripts.identity.errors import Unauthenticated
from scripts.web import api, pages
from scripts.web.errors import ReadError
from scripts.web.metrics import Metrics
from scripts.web.models import Health
from scripts.web.settings import Settings
from scripts.web.state import ServerState
from scripts.web.throttle import LoginThrottle

OPENAPI_URL = "/api/v1/openapi.json"
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings) -> FastAPI:
    """The application on the store of ``settings`` (which must exist). The follower
    starts with the app (one catch-up first) and stops with it."""
    state = ServerState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(state.follower.start)
        try:
            yield
        finally:
            await run_in_threadpool(state.close)

    app = FastAPI(
        title="rmledger",
        version="2",
        summary="The relationship-manager ledger: pay statements, audits and the access log.",
        openapi_url=OPENAPI_URL,
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.rmledger = state
    app.state.login_throttle = LoginThrottle(settings.login_delay, settings.login_delay_max)
    Metrics(state.follower, state.answers).install(app)
    install_error_handlers(app)

    @app.get("/healthz", response_model=Health, tags=["server"])
    def healthz() -> Health:
        """The server answers; ``position`` is the read model's event-log position."""
        return Health(status="ok", position=state.position())

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def install_error_handlers(app: FastAPI) -> None:
    """Answer the reads' and the identity layer's errors with the contract's bodies."""

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(request: Request, error: Unauthenticated) -> JSONResponse:
        return JSONResponse(
            {"error": "unauthenticated", "message": error.message},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(ReadError)
    async def refused(request: Request, error: ReadError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def unreadable(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        location = [
            str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")
        ]
        field = location[-1] if location else "body"
        message = str(first.get("msg", "the request cannot be read"))
        return JSONResponse(
            {"error": "invalid", "field": field, "message": message}, status_code=422
        )

    @app.exception_handler(HTTPException)
    async def by_starlette(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400:  # FastAPI's "error parsing the body"
            return JSONResponse(
                {"error": "invalid", "field": "body", "message": "the body is not JSON"},
                status_code=422,
            )
        names = {404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            {"error": names.get(error.status_code, "error"), "message": str(error.detail)},
            status_code=error.status_code,
            headers=error.headers,
        )

"""Who is asking, for every request but ``/healthz``, ``/metrics`` and the sign-in.

``current_principal`` is the one FastAPI dependency every route takes. It accepts:

- ``Authorization: Bearer <token>`` with a token of the ledger (``rml1.…``, from
  ``rmledger users token`` or ``POST /api/v1/session``);
- in the same header, a JWT of the bank's identity provider, when single sign-on is
  configured (``RMLEDGER_SSO_*``);
- the browser's session cookie ``rmledger_session``, whose value is a token of the
  ledger (set by the login page).

Anything else is ``Unauthenticated`` (answered 401 by the app's handler), and the
refusal is a line of the access log (username unknown, outcome ``unauthenticated``,
the reason code and sentence): the first of each client address and reason code, then
at most one a minute per such pair, carrying the count of those not recorded in
between (``scripts/web/refusals.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from domain.access_log import UNAUTHENTICATED
from domain.principal import Principal
from scripts.identity.accounts import principal_from_sso, principal_from_token
from scripts.identity.errors import MALFORMED, MISSING, Unauthenticated
from scripts.identity.tokens import PREFIX
from scripts.web.state import ServerState

SESSION_COOKIE = "rmledger_session"
AUTHENTICATE = "authenticate"
"""The access-log action of an identity check."""


def server_state(request: Request) -> ServerState:
    """The running server's state (``create_app`` puts it on the app)."""
    state: ServerState = request.app.state.rmledger
    return state


def request_target(request: Request) -> str:
    """What was asked for, as the access log names it: ``GET /api/v1/me``."""
    return f"{request.method} {request.url.path}"


def identify(state: ServerState, request: Request) -> Principal:
    """The principal the request's credentials name, or ``Unauthenticated``."""
    now = datetime.now(UTC)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated(MALFORMED, "the Authorization header is not 'Bearer <token>'")
        if credential.startswith(PREFIX + ".") or state.settings.sso is None:
            return principal_from_token(state.accounts, state.settings.token_keys, credential, now)
        assert state.provider_keys is not None
        return principal_from_sso(
            state.accounts, state.settings.sso, state.provider_keys, credential, now
        )
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return principal_from_token(state.accounts, state.settings.token_keys, cookie, now)
    raise Unauthenticated(
        MISSING, "sign in: send 'Authorization: Bearer <token>' or the session cookie"
    )


def client_address(request: Request) -> str:
    """The client's address: the connection's, or, when the connection comes from a
    trusted proxy (uvicorn trusts the loopback), the one its ``X-Forwarded-For`` names."""
    return request.client.host if request.client else "-"


def current_principal(request: Request) -> Principal:
    """The signed-in user of this request; a refusal is recorded (boundedly, see
    ``scripts/web/refusals.py``), then raised."""
    state = server_state(request)
    try:
        return identify(state, request)
    except Unauthenticated as refused:
        line = state.unauthenticated.refused(client_address(request), refused.reason)
        if line is not None:
            state.record(
                None,
                AUTHENTICATE,
                request_target(request),
                UNAUTHENTICATED,
                f"{refused.reason}: {refused.message}{line.more}",
                at=line.at,
            )
        raise

"""The browser's session: the ``rmledger_session`` cookie and the forms' CSRF tokens.

The session cookie holds an rmledger bearer token (``scripts/identity/tokens.py``), so
``current_principal`` reads it like the Authorization header: HttpOnly (no script
reads it), SameSite=Lax (no other site's form posts with it), Secure when the request
came over https (directly or, behind the TLS proxy, ``X-Forwarded-Proto: https``).

Every form carries a ``csrf_token`` hidden field: the HMAC, under the token key, of the
session token (signed-in forms) or of the ``rmledger_login`` cookie's random value
(the sign-in form, before any session). A POST whose field does not match is refused
(403) before anything else is looked at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request, Response

from scripts.identity.tokens import DEFAULT_TTL
from scripts.web.auth import SESSION_COOKIE, server_state

LOGIN_COOKIE = "rmledger_login"
CSRF_FIELD = "csrf_token"


def secure(request: Request) -> bool:
    """Whether the browser reached us over https."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _set(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


def start_session(request: Request, response: Response, token: str) -> None:
    """Put the session token in its cookie (as long-lived as the token), drop the
    sign-in form's cookie."""
    _set(request, response, SESSION_COOKIE, token, int(DEFAULT_TTL.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/")


def end_session(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def login_nonce(request: Request, response: Response) -> str:
    """The sign-in form's random value: the browser's, or a new one set in its cookie."""
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        _set(request, response, LOGIN_COOKIE, nonce, 3600)
    return nonce


def _mac(request: Request, purpose: str, value: str) -> str:
    key = server_state(request).settings.token_keys[0]
    digest = hmac.new(key, f"csrf:{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def csrf_for_session(request: Request) -> str:
    """The CSRF token of the signed-in forms of this session ("" without a session)."""
    token = request.cookies.get(SESSION_COOKIE)
    return _mac(request, "session", token) if token else ""


def csrf_for_login(request: Request, nonce: str) -> str:
    """The CSRF token of the sign-in form shown with ``nonce``."""
    return _mac(request, "login", nonce)


def csrf_ok(request: Request, sent: str | None, *, login: bool = False) -> bool:
    """Whether the form's ``csrf_token`` is the one this browser was given."""
    if not sent:
        return False
    if login:
        nonce = request.cookies.get(LOGIN_COOKIE)
        expected = csrf_for_login(request, nonce) if nonce else ""
    else:
        expected = csrf_for_session(request)
    return bool(expected) and hmac.compare_digest(expected, sent)

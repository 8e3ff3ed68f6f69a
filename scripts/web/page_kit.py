"""What every page shares: the signed-in user (or the way to the sign-in page), the
language, the templates, the tables (shown, and downloadable as CSV or Excel through
``scripts/cli/tabular.py``) and the error pages (403 with the policy's sentence)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from domain.principal import AUDITOR, BRANCH_HEAD, MANAGER, PERFORMANCE_OFFICE, Principal
from scripts.cli.tabular import Column, Kind, Sheet, csv_text, write_xlsx
from scripts.identity.errors import Unauthenticated
from scripts.web.auth import SESSION_COOKIE, current_principal
from scripts.web.errors import ReadError
from scripts.web.i18n import LANG_COOKIE, Words, pick_language
from scripts.web.session import CSRF_FIELD, csrf_for_session

TEMPLATES = Environment(
    loader=PackageLoader("scripts.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def home_of(principal: Principal) -> str:
    """Where a user lands after signing in: their role's page."""
    return {
        MANAGER: "/pay",
        BRANCH_HEAD: "/branch",
        PERFORMANCE_OFFICE: "/month",
        AUDITOR: "/audit",
    }.get(principal.role, "/home")


def signed_in(request: Request) -> Principal:
    """The page's user; without a session (or with an expired one, the refusal
    recorded), a 303 to the sign-in page that comes back here afterwards."""
    if request.cookies.get(SESSION_COOKIE) or request.headers.get("authorization"):
        try:
            return current_principal(request)
        except Unauthenticated:
            pass
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise HTTPException(303, "sign in first", headers={"Location": f"/login?next={quote(back)}"})


User = Annotated[Principal, Depends(signed_in)]
"""A page's signed-in user, as a route parameter."""


def words_of(request: Request) -> Words:
    """The request's language (``?lang=``, the ``lang`` cookie, or Chinese)."""
    return Words(pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)))


@dataclass(frozen=True)
class Col:
    """A table's column: the row's key, its heading's catalogue key, its kind, and the
    row key holding a link for its cells (if any)."""

    key: str
    heading: str
    kind: Kind = "text"
    link: str | None = None
    plain: bool = False  # the heading is data (a SQL column's name), not a catalogue key

    def title(self, words: Words) -> str:
        """The heading in the page's language."""
        return self.heading if self.plain else words.t(self.heading)


@dataclass
class Table:
    """A table of a page, shown and downloadable (``?download=<name>``)."""

    name: str
    title: str
    columns: Sequence[Col]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def sheet(self, words: Words) -> Sheet:
        """The table for ``scripts/cli/tabular.py``: headings in the page's language."""
        columns = [Column(c.title(words), c.key, c.kind) for c in self.columns]
        return Sheet(self.title[:31] or self.name, columns, self.rows)

    def cell(self, words: Words, column: Col, row: dict[str, Any]) -> str:
        """A cell as the page shows it: money and dates in the language's format."""
        value = row.get(column.key)
        if column.kind == "money":
            return words.money(value)
        if column.kind == "date":
            return words.day(value)
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return "" if value is None else str(value)


def download(table: Table, words: Words, fmt: str) -> Response:
    """The table as a CSV or Excel attachment."""
    if fmt == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "table.xlsx"
            write_xlsx(path, [table.sheet(words)])
            body = path.read_bytes()
        return Response(
            body,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{table.name}.xlsx"'},
        )
    return Response(
        csv_text(table.sheet(words)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{table.name}.csv"'},
    )


def render(
    request: Request,
    template: str,
    user: Principal | None,
    words: Words,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page in ``words``' language; ``?lang=`` is kept in the ``lang`` cookie."""

    def link(**changes: Any) -> str:
        params = {**request.query_params, **{k: v for k, v in changes.items() if v is not None}}
        return f"{request.url.path}?{urlencode(params)}"

    if user is not None and "to_acknowledge" not in context:
        # A manager is asked, on every page, to acknowledge the plans that pay them.
        from scripts.web.auth import server_state
        from scripts.web.workflow_reads import plans_to_acknowledge

        context["to_acknowledge"] = plans_to_acknowledge(server_state(request), user)
    html = TEMPLATES.get_template(template).render(
        here=request.url.path,
        user=user,
        w=words,
        t=words.t,
        link=link,
        csrf_field=CSRF_FIELD,
        csrf=csrf_for_session(request),
        home=home_of(user) if user else "/login",
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") == words.lang:
        response.set_cookie(LANG_COOKIE, words.lang, max_age=365 * 86400, path="/", samesite="lax")
    return response


def error_page(
    request: Request, user: Principal | None, words: Words, status: int, message: str
) -> HTMLResponse:
    """The error page: the status, what it means, and the reason given."""
    key = f"error.{status}" if status in (403, 404, 422) else "error.422"
    return render(
        request,
        "error.html",
        user,
        words,
        status=status,
        status_code=status,
        meaning=words.t(key),
        message=message,
    )


def csrf_refused(request: Request, user: Principal | None) -> HTMLResponse:
    """The error page of a form posted without its right CSRF token (403)."""
    words = words_of(request)
    return error_page(request, user, words, 403, words.t("error.csrf"))


def safe_next(target: str | None) -> str | None:
    """A local path to go back to; anything else (another site too) is ignored."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def page(
    request: Request,
    user: Principal,
    template: str,
    build: Callable[[Words], dict[str, Any]],
) -> Response:
    """``build(words)``'s context rendered in ``template``; a read's refusal as its
    error page; ``?download=<table>&format=csv|xlsx`` as that table's file."""
    words = words_of(request)
    try:
        context = build(words)
    except ReadError as error:
        return error_page(request, user, words, error.status, error.message)
    tables: dict[str, Table] = {t.name: t for t in context.get("tables", [])}
    wanted = request.query_params.get("download")
    if wanted is not None:
        if wanted not in tables:
            return error_page(request, user, words, 404, f"no table {wanted!r} on this page")
        return download(tables[wanted], words, request.query_params.get("format", "csv"))
    return render(request, template, user, words, **context)

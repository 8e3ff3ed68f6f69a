"""The errors a read answers with, each carrying what the HTTP API sends back
(docs/contract.md, the HTTP API): its status and its JSON body."""

from __future__ import annotations

from typing import Any


class ReadError(Exception):
    """A read that gives no answer; ``status`` and ``body()`` are the HTTP answer."""

    status = 500
    error = "error"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"error", "message"}``."""
        return {"error": self.error, "message": self.message}


class Forbidden(ReadError):
    """The caller's role does not reach the resource (403); the refusal is recorded."""

    status = 403
    error = "forbidden"


class NotFound(ReadError):
    """An unknown manager, client or month, for a caller who could see it (404)."""

    status = 404
    error = "not_found"


class Invalid(ReadError):
    """A bad parameter (422): ``field`` names it, the message says what is expected."""

    status = 422
    error = "invalid"

    def __init__(self, field: str, message: str, rule: str | None = None) -> None:
        self.field = field
        self.rule = rule
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"error", "field", "message"}``, and ``rule`` (the ledger's
        stable rule code) when a write broke a rule."""
        body = {"error": self.error, "field": self.field, "message": self.message}
        if self.rule is not None:
            body["rule"] = self.rule
        return body

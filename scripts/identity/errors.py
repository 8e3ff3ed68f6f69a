"""The one error of the identity layer: the request has no identity the ledger accepts."""

from __future__ import annotations

# Reasons, stable codes the server logs and the access log records.
MISSING = "missing"
MALFORMED = "malformed"
BAD_SIGNATURE = "bad_signature"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
UNKNOWN_USER = "unknown_user"
DISABLED = "disabled"
WRONG_ISSUER = "wrong_issuer"
WRONG_AUDIENCE = "wrong_audience"
UNKNOWN_KEY = "unknown_key"
CLAIM_MISSING = "claim_missing"
JWKS_UNAVAILABLE = "jwks_unavailable"


class Unauthenticated(Exception):
    """No accepted identity (HTTP 401): ``reason`` is one of the codes above, the text
    a sentence for the log (never the token itself)."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason}: {message}")

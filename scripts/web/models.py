"""The shapes of the HTTP API's requests and answers, for its OpenAPI document.

The routes answer with what ``scripts/web/reads.py`` returns (the command line's
``--json``); these models describe it, so that a client (and schemathesis) can check an
answer against the document. Money is a string of 2 decimals."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MONEY = r"^-?[0-9]+\.[0-9]{2}$"


def money(description: str = "") -> Any:
    """A money field: a string of 2 decimals."""
    return Field(pattern=MONEY, description=description or "money, 2 decimals")


class Open(BaseModel):
    """A document whose further fields are listed in docs/contract.md."""

    model_config = ConfigDict(extra="allow")


class Health(BaseModel):
    status: str
    position: int = Field(description="the read model's event-log position")


class ErrorBody(BaseModel):
    error: str = Field(description="unauthenticated, forbidden or not_found")
    message: str


class InvalidBody(BaseModel):
    error: str = Field(description="invalid")
    field: str
    message: str


class Me(BaseModel):
    username: str
    role: str
    manager_id: str | None
    branch_id: str | None


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class Token(BaseModel):
    token: str


class Statement(Open):
    manager_id: str
    period: str
    grade: str
    base_salary: str = money()
    post_salary: str = money()
    responsibility_profit: str = money()
    weighted_profit: str = money()
    k0: dict[str, str]
    performance_earned: str = money()
    prepayment: str = money()
    settlement: str = money()
    compliance: str = money()
    prior_true_up: str = money()
    performance_due: str = money()
    performance_paid: str = money()
    clawback_carried: str = money()
    awards: str = money()
    total: str = money()
    status: str = Field(description="open or issued")


class Tier(Open):
    client_id: str
    as_of: str
    tier: str = Field(description="mass, potential or vip")
    maintenance_level: str
    aum: str = money()
    avg_deposit_182d: str = money()
    criteria_met: list[str]
    near_criteria: list[str]


class Explanation(Open):
    """What ``rmledger pay explain --json`` prints."""


class History(Open):
    """What ``rmledger audit history --json`` prints."""


class DepartureAudit(Open):
    """The departure audit as JSON (``rmledger audit departure --format json``)."""


class SqlQuery(BaseModel):
    query: str = Field(max_length=100_000)


class SqlAnswer(BaseModel):
    columns: list[str]
    rows: list[list[Any]]


class AccessLogLine(BaseModel):
    position: int
    decided_at: str
    username: str | None
    action: str
    target: str
    outcome: str = Field(description="allowed, forbidden, not_found or unauthenticated")
    reason: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "no identity, a bad or expired token, a disabled user",
    },
    403: {"model": ErrorBody, "description": "the caller's role does not reach the resource"},
    404: {"model": ErrorBody, "description": "an unknown manager, client or month"},
    422: {"model": InvalidBody, "description": "a bad parameter"},
}
"""The error answers every scoped route may give."""


class Closed(BaseModel):
    """A request body: unknown fields are refused (422), as in the contract's messages."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DisputeOpening(Closed):
    period: str = Field(description="YYYY-MM, a month of the caller's issued statements")
    posting_id: str | None = Field(default=None, description="the posting disputed, if one")
    claim: str = Field(description="what the manager says is wrong")


class DisputeResolution(Closed):
    outcome: str = Field(description="upheld or rejected")
    amount: str | None = Field(
        default=None, description="upheld only: performance pay corrected, 2 decimals, either sign"
    )
    reason: str


class Dispute(Open):
    dispute_id: str
    manager_id: str
    period: str
    status: str = Field(description="open, overdue or resolved")


class SignOff(Open):
    period: str
    role: str
    approver_id: str
    approved_on: str


class Acknowledgement(Open):
    manager_id: str
    version: str
    acknowledged_on: str


class SimulationRequest(Closed):
    plan: dict[str, Any] | str = Field(description="the draft: one plan.published message")
    first: str = Field(alias="from", description="YYYY-MM")
    through: str = Field(alias="to", description="YYYY-MM")
    manager: str | None = None


class Comparison(Open):
    """One manager's month of ``rmledger pay simulate --json``."""

    manager_id: str
    period: str
    difference: dict[str, str]

"""The writes of the web application and the HTTP API (docs/web.md, the writes):
opening and resolving a dispute, signing a month off, acknowledging a plan.

Each write asks the access policy first (a refusal is ``Forbidden``, recorded in the
access log), then issues the contract's message through ``consumers/commands.py::issue``
with the signed-in person as its actor (``manager_id``, ``resolved_by``,
``approver_id``) and the bank's today as its date, so that the ledger checks the same
rules and records the same events as for a message from a file or Kafka. A broken
rule is ``Invalid`` (422) with the field, the rule code and the sentence; an unknown
dispute or plan version is ``NotFound`` (404). After the write the server's read
model is caught up, so that the answer (and the next read) shows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from consumers.commands import issue
from domain.access_policy import ACKNOWLEDGE_PLAN, OPEN_DISPUTE, RESOLVE_DISPUTE, SIGN_OFF, Facts
from domain.errors import RuleBroken
from domain.ledger import Ledger
from domain.principal import Principal
from projections.audit.history import bank_today
from scripts.cli.options import ident_text, month_text
from scripts.web.errors import Invalid, NotFound
from scripts.web.reads import Record, _allow, _param

# Rules whose breaking means the thing named does not exist: 404, not 422.
_UNKNOWN = frozenset({"unknown_dispute", "unknown_plan_version"})


class Writer:
    """What a write needs of the server: its ledger, the access log, a catch-up."""

    def __init__(self, ledger: Ledger, record: Record, caught_up: Callable[[], object]) -> None:
        self.ledger = ledger
        self.record = record
        self.caught_up = caught_up

    def _issue(self, message_type: str, **fields: Any) -> None:
        """The message applied alone, with an id of its own (so that a second attempt
        meets the ledger's rule, such as ``already_signed``, and is told so)."""
        try:
            issue(self.ledger, message_type, f"web:{message_type}:{uuid.uuid4()}", **fields)
        except RuleBroken as broken:
            if broken.rule in _UNKNOWN:
                raise NotFound(f"{broken.rule}: {broken.text}") from None
            raise Invalid(
                broken.field or "body", f"{broken.rule}: {broken.text}", broken.rule
            ) from None
        self.caught_up()

    def open_dispute(
        self, principal: Principal, period: str, claim: str, posting_id: str | None = None
    ) -> dict[str, Any]:
        """A manager disputes their own issued statement of ``period`` (whole, or one
        posting); the answer names the new ``dispute_id``."""
        period = _param("period", month_text, period)
        target = f"period {period}"
        facts = Facts(manager_id=principal.manager_id)
        _allow(self.record, principal, OPEN_DISPUTE, facts, "open_dispute", target)
        if posting_id is not None:
            posting_id = _param("posting_id", ident_text, posting_id)
        dispute_id = f"D-{uuid.uuid4().hex[:12].upper()}"
        opened_on = bank_today()
        self._issue(
            "dispute.opened",
            dispute_id=dispute_id,
            manager_id=principal.manager_id,
            period=period,
            posting_id=posting_id,
            claim=claim,
            opened_on=opened_on,
        )
        return {
            "dispute_id": dispute_id,
            "manager_id": principal.manager_id,
            "period": period,
            "posting_id": posting_id,
            "claim": claim,
            "opened_on": opened_on.isoformat(),
            "status": "open",
        }

    def resolve_dispute(
        self, principal: Principal, dispute_id: str, outcome: str, reason: str, amount: str | None
    ) -> None:
        """The performance office decides a dispute, once (``resolved_by``: the caller)."""
        dispute_id = _param("dispute_id", ident_text, dispute_id)
        target = f"dispute {dispute_id}"
        _allow(self.record, principal, RESOLVE_DISPUTE, Facts(), "resolve_dispute", target)
        self._issue(
            "dispute.resolved",
            dispute_id=dispute_id,
            outcome=outcome,
            amount=amount,
            reason=reason,
            resolved_by=principal.username,
            resolved_on=bank_today(),
        )

    def sign_off(self, principal: Principal, period: str) -> dict[str, Any]:
        """The caller signs ``period`` off as their role (whose turn it is, the ledger says)."""
        period = _param("period", month_text, period)
        _allow(self.record, principal, SIGN_OFF, Facts(), "sign_off", f"period {period}")
        approved_on = bank_today()
        self._issue(
            "period.close_approved",
            period=period,
            approver_id=principal.username,
            role=principal.role,
            approved_on=approved_on,
        )
        return {
            "period": period,
            "role": principal.role,
            "approver_id": principal.username,
            "approved_on": approved_on.isoformat(),
        }

    def acknowledge_plan(self, principal: Principal, version: str) -> dict[str, Any]:
        """A manager acknowledges a plan version, once."""
        version = _param("version", ident_text, version)
        target = f"plan {version}"
        _allow(self.record, principal, ACKNOWLEDGE_PLAN, Facts(), "acknowledge_plan", target)
        acknowledged_on = bank_today()
        self._issue(
            "plan.acknowledged",
            manager_id=principal.manager_id,
            version=version,
            acknowledged_on=acknowledged_on,
        )
        return {
            "manager_id": principal.manager_id,
            "version": version,
            "acknowledged_on": acknowledged_on.isoformat(),
        }

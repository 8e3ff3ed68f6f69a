"""Ledger commands for the web API: the same messages, through the same path.

The HTTP API (docs/contract.md C4) writes by issuing exactly the message of the
contract that another system would send: built from the request's parameters and the
signed-in person (who becomes the message's actor: ``approver_id``, ``manager_id``,
``resolved_by``), decoded by the one decoder, and applied with ``Ledger.apply_batch``.
So every bound, rule, rule code and event is the one a JSON Lines file or Kafka gets.

    outcome = issue(ledger, "period.close_approved", period="2026-03", role="finance",
                    approver_id=user.username, approved_on=bank_today())

returns the ``Outcome`` (``applied`` or ``duplicate``) or raises the ``RuleBroken``
(``DecodeError`` for a malformed field, ``DomainRuleBroken`` for a rule), whose
``field``, ``rule`` and ``describe()`` make the API's 422 answer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from consumers.decoder import decode_object
from domain.ledger import REJECTED, Ledger, Outcome

# The fields that name what a message is about, in the message id the API gives it when
# the caller names none: the same request sent twice is then a duplicate, not a second act.
_ID_FIELDS: dict[str, tuple[str, ...]] = {
    "period.close_approved": ("period", "role", "approver_id"),
    "branch.registered": ("branch_id",),
    "plan.acknowledged": ("manager_id", "version"),
    "dispute.opened": ("dispute_id",),
    "dispute.resolved": ("dispute_id",),
}


def wire(message_type: str, message_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """The message as JSON would carry it: dates ISO, amounts as 2-place strings,
    fields given as None left out (optional fields). Without ``message_id``, the id is
    ``web:<type>:<key fields>`` (see ``_ID_FIELDS``)."""
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
        elif isinstance(value, tuple):
            value = list(value)
        values[name] = value
    if message_id is None:
        key = ":".join(str(values.get(name, "")) for name in _ID_FIELDS.get(message_type, ()))
        message_id = f"web:{message_type}:{key}"
    return {"type": message_type, "id": message_id, **values}


def issue(
    ledger: Ledger, message_type: str, message_id: str | None = None, **fields: Any
) -> Outcome:
    """Build the message, decode it and apply it alone; the outcome (``applied`` or
    ``duplicate``), or the ``RuleBroken`` raised when it is refused."""
    message = decode_object(wire(message_type, message_id, **fields))
    [outcome] = ledger.apply_batch([message])
    if outcome.status == REJECTED:
        assert outcome.error is not None
        raise outcome.error
    return outcome

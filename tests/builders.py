"""Messages as they arrive on the wire (JSON objects of docs/contract.md C1), and
given/when/then helpers that send them through the real decoder to a ledger.

Every builder returns a plain dict with a deterministic ``id`` derived from what the
message is about, so sending the same builder call twice is a true duplicate.
Override any field with keyword arguments; remove one with ``without``.
"""

from __future__ import annotations

import json
from typing import Any

from consumers.decoder import decode
from domain.errors import RuleBroken
from domain.ledger import APPLIED, DUPLICATE, REJECTED, Ledger, Outcome

Wire = dict[str, Any]

HIRED_ON = "2025-01-01"
REGISTERED_ON = "2025-01-05"
ASSIGNED_ON = "2025-01-10"
ID_NUMBER = "110101199003071234"  # a made-up resident identity number


def _msg(type_: str, id_: str, fields: dict[str, Any], overrides: dict[str, Any]) -> Wire:
    return {"type": type_, "id": id_, **fields, **overrides}


def without(message: Wire, *names: str) -> Wire:
    """The message with ``names`` removed."""
    return {k: v for k, v in message.items() if k not in names}


# -- plans and periods -------------------------------------------------------------


def grade_terms(
    base: str = "5000.00", post: str = "1500.00", commission: str = "180", coefficient: str = "1.0"
) -> Wire:
    return {
        "base_salary": base,
        "post_salary": post,
        "commission_per_10k": commission,
        "coefficient": coefficient,
    }


def plan(version: str = "2026", effective_from: str = "2026-01-01", **over: Any) -> Wire:
    grades = {
        g: grade_terms() for g in ("assistant", "junior", "intermediate", "senior", "principal")
    }
    return _msg(
        "plan.published",
        f"plan:{version}",
        {
            "version": version,
            "effective_from": effective_from,
            "grades": grades,
            "prepay_ratio": "0.70",
            "backup_share": "0",
            "activity_values": {
                "credit_card": "50.00",
                "merchant": "300.00",
                "agency": "200.00",
                "market_info": "100.00",
            },
        },
        over,
    )


def close(period: str, closed_on: str, approved_by: str = "CFO1", **over: Any) -> Wire:
    return _msg(
        "period.closed",
        f"close:{period}",
        {"period": period, "closed_on": closed_on, "approved_by": approved_by},
        over,
    )


def adjust(manager_id: str, period: str, kind: str, amount: str, **over: Any) -> Wire:
    return _msg(
        "adjustment.recorded",
        f"adj:{manager_id}:{period}:{kind}:{amount}",
        {
            "manager_id": manager_id,
            "period": period,
            "kind": kind,
            "amount": amount,
            "reason": "monthly review",
        },
        over,
    )


# -- managers ------------------------------------------------------------------------


def hire(manager_id: str, grade: str = "junior", hired_on: str = HIRED_ON, **over: Any) -> Wire:
    return _msg(
        "manager.hired",
        f"hire:{manager_id}",
        {
            "manager_id": manager_id,
            "name": f"Manager {manager_id}",
            "branch_id": "BR01",
            "grade": grade,
            "hired_on": hired_on,
        },
        over,
    )


def grade_change(manager_id: str, grade: str, effective_on: str, **over: Any) -> Wire:
    return _msg(
        "manager.grade_changed",
        f"grade:{manager_id}:{effective_on}",
        {
            "manager_id": manager_id,
            "grade": grade,
            "effective_on": effective_on,
            "reason": "annual assessment",
        },
        over,
    )


def request_departure(
    manager_id: str, requested_on: str = "2025-09-01", last_day: str = "2025-09-30", **over: Any
) -> Wire:
    return _msg(
        "manager.departure_requested",
        f"leave:{manager_id}",
        {
            "manager_id": manager_id,
            "kind": "resignation",
            "requested_on": requested_on,
            "last_day": last_day,
        },
        over,
    )


def approve(manager_id: str, role: str, approved_on: str = "2025-09-05", **over: Any) -> Wire:
    return _msg(
        "manager.departure_approved",
        f"approve:{manager_id}:{role}",
        {
            "manager_id": manager_id,
            "approver_id": f"{role.upper()}-1",
            "role": role,
            "approved_on": approved_on,
        },
        over,
    )


def depart(manager_id: str, departed_on: str = "2025-09-30", **over: Any) -> Wire:
    return _msg(
        "manager.departed",
        f"departed:{manager_id}",
        {"manager_id": manager_id, "departed_on": departed_on},
        over,
    )


def departure_approved(manager_id: str, on: str = "2025-09-05") -> list[Wire]:
    """A departure request (2025-09-01, or ``on`` if earlier) and its three approvals on
    ``on``, in the required order."""
    return [
        request_departure(manager_id, requested_on=min(on, "2025-09-01"), last_day="2025-09-30")
    ] + [approve(manager_id, role, on) for role in ("department_head", "rm_office", "hr")]


# -- clients and assignments ------------------------------------------------------------


def register(
    client_id: str, registered_on: str = REGISTERED_ON, id_number: str = ID_NUMBER, **over: Any
) -> Wire:
    return _msg(
        "client.registered",
        f"reg:{client_id}",
        {
            "client_id": client_id,
            "kind": "personal",
            "branch_id": "BR01",
            "registered_on": registered_on,
            "name": f"Client {client_id}",
            "id_number": id_number,
        },
        over,
    )


def stage(client_id: str, stage_: str, changed_on: str, **over: Any) -> Wire:
    return _msg(
        "client.stage_changed",
        f"stage:{client_id}:{stage_}:{changed_on}",
        {
            "client_id": client_id,
            "stage": stage_,
            "changed_on": changed_on,
        },
        over,
    )


def assign(
    client_id: str,
    manager_id: str,
    role: str = "primary",
    effective_on: str = ASSIGNED_ON,
    **over: Any,
) -> Wire:
    return _msg(
        "assignment.assigned",
        f"assign:{client_id}:{manager_id}:{role}:{effective_on}",
        {
            "client_id": client_id,
            "manager_id": manager_id,
            "role": role,
            "origin": "acquired",
            "effective_on": effective_on,
        },
        over,
    )


def release(
    client_id: str,
    manager_id: str,
    role: str = "primary",
    effective_on: str = "2025-03-01",
    **over: Any,
) -> Wire:
    return _msg(
        "assignment.released",
        f"release:{client_id}:{manager_id}:{role}:{effective_on}",
        {
            "client_id": client_id,
            "manager_id": manager_id,
            "role": role,
            "effective_on": effective_on,
        },
        over,
    )


# -- handovers ---------------------------------------------------------------------------


def open_handover(
    handover_id: str,
    from_manager: str,
    to_manager: str,
    clients: list[str],
    opened_on: str = "2025-06-01",
    **over: Any,
) -> Wire:
    return _msg(
        "handover.opened",
        f"open:{handover_id}",
        {
            "handover_id": handover_id,
            "from_manager_id": from_manager,
            "to_manager_id": to_manager,
            "client_ids": clients,
            "reason": "promotion",
            "opened_on": opened_on,
        },
        over,
    )


def witness(
    handover_id: str,
    witness_id: str,
    witness_role: str,
    witnessed_on: str = "2025-06-02",
    **over: Any,
) -> Wire:
    return _msg(
        "handover.witnessed",
        f"witness:{handover_id}:{witness_role}:{witness_id}",
        {
            "handover_id": handover_id,
            "witness_id": witness_id,
            "witness_role": witness_role,
            "witnessed_on": witnessed_on,
        },
        over,
    )


def sign(handover_id: str, signed_on: str = "2025-06-03", **over: Any) -> Wire:
    return _msg(
        "handover.record_signed",
        f"sign:{handover_id}",
        {
            "handover_id": handover_id,
            "record_ref": f"DOC-{handover_id}",
            "signed_on": signed_on,
        },
        over,
    )


def file_handover(handover_id: str, filed_on: str = "2025-06-04", **over: Any) -> Wire:
    return _msg(
        "handover.filed",
        f"file:{handover_id}",
        {"handover_id": handover_id, "filed_on": filed_on},
        over,
    )


def completed(handover_id: str) -> list[Wire]:
    """Both witnesses (LEAD1, HEAD1) and the signed record: ready to be filed."""
    return [
        witness(handover_id, "LEAD1", "sub_branch_lead"),
        witness(handover_id, "HEAD1", "wealth_centre_head"),
        sign(handover_id),
    ]


# -- postings and other facts ---------------------------------------------------------------


def book(
    posting_id: str,
    client_id: str,
    amount: str = "100.00",
    category: str = "fee_income",
    value_date: str = "2025-02-10",
    **over: Any,
) -> Wire:
    return _msg(
        "posting.booked",
        posting_id,
        {
            "client_id": client_id,
            "category": category,
            "amount": amount,
            "value_date": value_date,
        },
        over,
    )


def reverse(posting_id: str, **over: Any) -> Wire:
    return _msg(
        "posting.reversed",
        f"rev:{posting_id}",
        {"posting_id": posting_id, "reason": "booked in error"},
        over,
    )


def activity(
    manager_id: str,
    kind: str = "credit_card",
    count: int = 3,
    value_date: str = "2025-02-10",
    **over: Any,
) -> Wire:
    return _msg(
        "activity.recorded",
        f"act:{manager_id}:{kind}:{value_date}",
        {
            "manager_id": manager_id,
            "kind": kind,
            "count": count,
            "value_date": value_date,
        },
        over,
    )


def classify(
    loan_id: str,
    client_id: str,
    category: str = "normal",
    balance: str = "100000.00",
    as_of: str = "2025-03-31",
    **over: Any,
) -> Wire:
    return _msg(
        "loan.classified",
        f"class:{loan_id}:{as_of}:{category}",
        {
            "loan_id": loan_id,
            "client_id": client_id,
            "category": category,
            "balance": balance,
            "as_of": as_of,
        },
        over,
    )


def report_balance(
    client_id: str,
    product: str = "deposit",
    balance: str = "250000.00",
    as_of: str = "2025-03-31",
    **over: Any,
) -> Wire:
    return _msg(
        "balance.reported",
        f"bal:{client_id}:{product}:{as_of}",
        {
            "client_id": client_id,
            "product": product,
            "balance": balance,
            "as_of": as_of,
        },
        over,
    )


# -- contract version 2: sign-offs, branches, acknowledgements, disputes ------------------------------


def sign_off(
    period: str,
    role: str,
    approver_id: str | None = None,
    approved_on: str = "2025-02-01",
    **over: Any,
) -> Wire:
    """``period.close_approved``: ``role`` signs ``period`` off (by ``ROLE-1`` unless named)."""
    approver = approver_id or f"{role.upper()}-1"
    return _msg(
        "period.close_approved",
        f"signoff:{period}:{role}:{approver}",
        {"period": period, "approver_id": approver, "role": role, "approved_on": approved_on},
        over,
    )


def register_branch(
    branch_id: str,
    parent_branch_id: str | None = None,
    registered_on: str = "2025-01-02",
    **over: Any,
) -> Wire:
    fields: dict[str, Any] = {
        "branch_id": branch_id,
        "name": f"Branch {branch_id}",
        "registered_on": registered_on,
    }
    if parent_branch_id is not None:
        fields["parent_branch_id"] = parent_branch_id
    return _msg("branch.registered", f"branch:{branch_id}", fields, over)


def acknowledge(
    manager_id: str, version: str = "2025", acknowledged_on: str = "2025-01-15", **over: Any
) -> Wire:
    return _msg(
        "plan.acknowledged",
        f"ack:{manager_id}:{version}",
        {"manager_id": manager_id, "version": version, "acknowledged_on": acknowledged_on},
        over,
    )


def open_dispute(
    dispute_id: str,
    manager_id: str = "M1",
    period: str = "2025-01",
    posting_id: str | None = None,
    opened_on: str = "2025-02-05",
    **over: Any,
) -> Wire:
    fields: dict[str, Any] = {
        "dispute_id": dispute_id,
        "manager_id": manager_id,
        "period": period,
        "claim": "the fee of client C1 was credited to another manager",
        "opened_on": opened_on,
    }
    if posting_id is not None:
        fields["posting_id"] = posting_id
    return _msg("dispute.opened", f"dispute:{dispute_id}", fields, over)


def resolve_dispute(
    dispute_id: str,
    outcome: str = "upheld",
    amount: str | None = "120.00",
    resolved_on: str = "2025-02-20",
    **over: Any,
) -> Wire:
    fields: dict[str, Any] = {
        "dispute_id": dispute_id,
        "outcome": outcome,
        "reason": "checked against the posting records",
        "resolved_by": "PO-1",
        "resolved_on": resolved_on,
    }
    if amount is not None:
        fields["amount"] = amount
    return _msg("dispute.resolved", f"resolve:{dispute_id}:{outcome}", fields, over)


# -- a small bank --------------------------------------------------------------------------


def bank() -> list[Wire]:
    """Managers M1, M2, M3 (junior, hired 2025-01-01); clients C1, C2, C3 (registered
    2025-01-05); nobody serves anybody yet."""
    return [hire("M1"), hire("M2"), hire("M3"), register("C1"), register("C2"), register("C3")]


# -- given / when / then ----------------------------------------------------------------------


def send(ledger: Ledger, *messages: Wire) -> list[Outcome]:
    """Send messages as one batch, each through the JSON decoder."""
    return ledger.apply_batch([decode(json.dumps(message)) for message in messages])


def given(ledger: Ledger, *messages: Wire) -> None:
    """Messages that must all be applied (the test's starting point)."""
    outcomes = send(ledger, *messages)
    problems = [
        (m["id"], o.error.describe() if o.error else o.status)
        for m, o in zip(messages, outcomes, strict=True)
        if o.status != APPLIED
    ]
    assert not problems, f"the given messages were not all applied: {problems}"


def decode_error(message: Wire | str) -> str:
    """The error line (``field: rule: sentence``) the decoder gives for a message sent
    as JSON (a dict) or as raw text; fails when the message decodes."""
    from consumers.decoder import DecodeError

    raw = message if isinstance(message, str) else json.dumps(message)
    try:
        decode(raw)
    except DecodeError as error:
        return error.describe()
    raise AssertionError(f"the message decoded without an error: {raw!r}")


def notifications(ledger: Ledger) -> list[Any]:
    return list(ledger.recorder.select_notifications(start=1, limit=100_000))


def position(ledger: Ledger) -> int:
    """The id of the last stored notification (0 when none)."""
    found = notifications(ledger)
    return found[-1].id if found else 0


def topics_since(ledger: Ledger, start: int) -> list[str]:
    """Topics stored after position ``start``, without the module: ``Client.Assigned``."""
    return [n.topic.split(":", 1)[1] for n in notifications(ledger) if n.id > start]


def applied_events(ledger: Ledger, message: Wire) -> list[str]:
    """Send one message; it must be applied. Returns the topics it stored."""
    start = position(ledger)
    [outcome] = send(ledger, message)
    assert outcome.status == APPLIED, outcome.error.describe() if outcome.error else outcome.status
    return topics_since(ledger, start)


def rejected(ledger: Ledger, message: Wire) -> RuleBroken:
    """Send one message; it must be rejected and leave no trace. Returns the error."""
    before = notifications(ledger)
    [outcome] = send(ledger, message)
    assert outcome.status == REJECTED, f"expected a rejection, got {outcome.status}"
    assert notifications(ledger) == before, "a rejected message left events in the store"
    assert outcome.error is not None
    return outcome.error


def duplicate(ledger: Ledger, message: Wire) -> None:
    """Send one message; it must be a duplicate and store nothing."""
    before = notifications(ledger)
    [outcome] = send(ledger, message)
    assert outcome.status == DUPLICATE, (
        outcome.error.describe() if outcome.error else outcome.status
    )
    assert notifications(ledger) == before, "a duplicate stored events"


def state(ledger: Ledger, kind: str, source_id: str) -> Any:
    """The aggregate ``kind`` (manager, client, handover, posting, loan, period, plan).

    Postings (like every fact) live under their message id in the one namespace of
    message ids, so ``kind="posting"`` looks there."""
    from domain.facts import MESSAGE_KIND
    from domain.ids import aggregate_id

    return ledger.repository.get(
        aggregate_id(MESSAGE_KIND if kind == "posting" else kind, source_id)
    )

"""The web API's way to write (consumers/commands.py): the same message of the contract,
built from parameters and the signed-in person, decoded and applied like any other, with
the same events and the same refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from consumers.commands import issue, wire
from domain.errors import DecodeError, DomainRuleBroken
from domain.ledger import APPLIED, DUPLICATE, Ledger
from tests import builders as b


def test_the_message_is_the_contracts_with_an_id_from_what_it_is_about() -> None:
    assert wire(
        "period.close_approved",
        period="2025-01",
        role="finance",
        approver_id="alice",
        approved_on=date(2025, 2, 1),
    ) == {
        "type": "period.close_approved",
        "id": "web:period.close_approved:2025-01:finance:alice",
        "period": "2025-01",
        "role": "finance",
        "approver_id": "alice",
        "approved_on": "2025-02-01",
    }
    assert (
        wire(
            "dispute.resolved",
            "R-7",
            dispute_id="D1",
            outcome="rejected",
            amount=None,
            reason="r",
            resolved_by="po",
            resolved_on=date(2025, 3, 1),
        )["id"]
        == "R-7"
    )
    assert wire("dispute.resolved", dispute_id="D1", amount=Decimal("-12.5"))["amount"] == "-12.50"


def test_a_sign_off_through_the_helper_stores_the_same_events_and_a_repeat_is_a_duplicate(
    ledger: Ledger,
) -> None:
    b.given(ledger, b.plan("2025", "2025-01-01", close_approvals=["branch_head"]), *b.bank())
    start = b.position(ledger)
    fields = {
        "period": "2025-01",
        "role": "branch_head",
        "approver_id": "alice",
        "approved_on": date(2025, 2, 1),
    }
    assert issue(ledger, "period.close_approved", **fields).status == APPLIED
    assert b.topics_since(ledger, start) == [
        "MonthSignOff.Started",
        "MonthSignOff.Signed",
        "Receipt.Applied",
    ]
    assert issue(ledger, "period.close_approved", **fields).status == DUPLICATE


def test_a_refusal_is_raised_with_its_field_and_rule(ledger: Ledger) -> None:
    b.given(
        ledger, b.plan("2025", "2025-01-01", close_approvals=["branch_head", "finance"]), *b.bank()
    )
    with pytest.raises(DomainRuleBroken) as refused:
        issue(
            ledger,
            "period.close_approved",
            period="2025-01",
            role="finance",
            approver_id="bob",
            approved_on=date(2025, 2, 1),
        )
    assert (refused.value.field, refused.value.rule) == ("role", "sign_off_out_of_order")
    with pytest.raises(DecodeError) as malformed:
        issue(
            ledger,
            "dispute.opened",
            dispute_id="D1",
            manager_id="M1",
            period="2025-01",
            claim="x" * 2001,
            opened_on=date(2025, 2, 5),
        )
    assert (malformed.value.field, malformed.value.rule) == ("claim", "text_too_long")

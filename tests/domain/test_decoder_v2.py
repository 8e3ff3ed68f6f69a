"""Contract version 2 at the decoder (docs/contract.md C1.2): the five new types decode
to their commands, their optional fields may be left out, unknown fields are refused,
and every version-1 message decodes and hashes as before. Each field's limits are in
tests/domain/test_limits.py (found from the same EVERY_TYPE table)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import attrs
import pytest

from consumers.decoder import decode
from domain import messages as m
from domain.content_hash import content_hash
from tests import builders as b
from tests.domain.test_decoder import EVERY_TYPE, OPTIONAL

error_of = b.decode_error
V2_TYPES = [
    "period.close_approved",
    "branch.registered",
    "plan.acknowledged",
    "dispute.opened",
    "dispute.resolved",
]


def test_the_optional_fields_are_those_the_contract_marks_optional() -> None:
    marked = {
        (t, f.name)
        for t, cls in m.MESSAGE_TYPES.items()
        for f in attrs.fields(cls)
        if f.metadata["optional"]
    }
    assert marked == OPTIONAL


def test_each_new_type_decodes_with_every_field_as_sent() -> None:
    assert decode(
        json.dumps(b.sign_off("2025-03", "finance", "F7", "2025-04-01"))
    ) == m.PeriodCloseApproved(
        id="signoff:2025-03:finance:F7",
        period="2025-03",
        approver_id="F7",
        role="finance",
        approved_on=date(2025, 4, 1),
    )
    assert decode(json.dumps(b.register_branch("BR02", "BR01"))) == m.BranchRegistered(
        id="branch:BR02",
        branch_id="BR02",
        name="Branch BR02",
        registered_on=date(2025, 1, 2),
        parent_branch_id="BR01",
    )
    assert decode(json.dumps(b.acknowledge("M1", "2025"))) == m.PlanAcknowledged(
        id="ack:M1:2025", manager_id="M1", version="2025", acknowledged_on=date(2025, 1, 15)
    )
    assert decode(json.dumps(b.open_dispute("D1", "M2", "2025-04", "P9"))) == m.DisputeOpened(
        id="dispute:D1",
        dispute_id="D1",
        manager_id="M2",
        period="2025-04",
        claim="the fee of client C1 was credited to another manager",
        opened_on=date(2025, 2, 5),
        posting_id="P9",
    )
    assert decode(json.dumps(b.resolve_dispute("D1", amount="-35.50"))) == m.DisputeResolved(
        id="resolve:D1:upheld",
        dispute_id="D1",
        outcome="upheld",
        reason="checked against the posting records",
        resolved_by="PO-1",
        resolved_on=date(2025, 2, 20),
        amount=Decimal("-35.50"),
    )


@pytest.mark.parametrize(
    ("message_type", "field"),
    sorted(OPTIONAL - {("plan.published", "close_approvals"), ("plan.published", "dispute_days")}),
)
def test_an_optional_field_left_out_decodes_as_none(message_type: str, field: str) -> None:
    assert getattr(decode(json.dumps(b.without(EVERY_TYPE[message_type], field))), field) is None


@pytest.mark.parametrize("message_type", V2_TYPES)
def test_an_unknown_field_of_a_new_type_is_refused(message_type: str) -> None:
    assert error_of({**EVERY_TYPE[message_type], "comment": "x"}) == (
        f"comment: unknown_field: {message_type} has no field 'comment' (unknown fields are rejected)"
    )


def test_the_new_choices_are_checked() -> None:
    assert error_of(b.sign_off("2025-03", "cfo")) == (
        "role: invalid_choice: 'cfo' is not one of branch_head, performance_office, finance, hr"
    )
    assert error_of(b.resolve_dispute("D1", "granted")) == (
        "outcome: invalid_choice: 'granted' is not one of upheld, rejected"
    )


def test_a_dispute_amount_is_money_of_either_sign_with_two_places() -> None:
    assert decode(json.dumps(b.resolve_dispute("D1", amount="0.01"))).amount == Decimal("0.01")  # type: ignore[attr-defined]
    assert error_of(b.resolve_dispute("D1", amount="12.345")) == (
        "amount: too_many_decimals: '12.345' has 3 decimal places; at most 2 are allowed"
    )
    assert error_of(with_number(b.resolve_dispute("D1"), "12.5")) == (
        "amount: wrong_type: must be a JSON string holding a decimal, got the number 12.5"
    )


def with_number(message: b.Wire, literal: str) -> str:
    return json.dumps({**message, "amount": "@@"}).replace('"@@"', literal)


def test_a_version_1_plan_decodes_without_the_version_2_settings() -> None:
    plan = decode(json.dumps(b.plan()))
    assert isinstance(plan, m.PlanPublished)
    assert (plan.close_approvals, plan.dispute_days) == (None, None)


def test_a_plan_with_the_version_2_settings_keeps_the_order_of_the_roles() -> None:
    plan = decode(json.dumps(b.plan(close_approvals=["finance", "branch_head"], dispute_days=45)))
    assert (plan.close_approvals, plan.dispute_days) == (("finance", "branch_head"), 45)  # type: ignore[attr-defined]


def test_the_settings_are_part_of_a_plans_content_even_at_their_defaults() -> None:
    # Content is compared exactly (docs/contract.md C1.1): a plan that says 30 days is
    # not the same message as one that says nothing. That a version-1 plan hashes as it
    # always did is shown by tests/domain/test_old_stores_v2.py.
    v1 = content_hash(decode(json.dumps(b.plan())))
    assert content_hash(decode(json.dumps(b.plan(dispute_days=30)))) != v1
    assert content_hash(decode(json.dumps(b.plan(close_approvals=[])))) != v1

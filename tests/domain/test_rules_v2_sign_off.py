"""Signing off a month (docs/rules.md R7.5): the roles the plan in force on the month's
last day names sign, each once, in order, each by a different person; the close waits
for every one of them and names the first missing; nobody signs a closed month."""

from __future__ import annotations

import json
from datetime import date

from consumers.decoder import decode
from domain.ledger import APPLIED, HELD, REJECTED, Ledger
from tests import builders as b

ROLES = ["branch_head", "performance_office", "finance"]
ORDER = "order: branch_head, performance_office, finance"


def signed_plan(*roles: str, version: str = "2025", effective_from: str = "2025-01-01") -> b.Wire:
    return b.plan(version, effective_from, close_approvals=list(roles))


def test_the_signatures_in_order_are_stored_and_then_the_month_closes(ledger: Ledger) -> None:
    b.given(ledger, signed_plan(*ROLES), *b.bank())
    assert b.applied_events(ledger, b.sign_off("2025-01", "branch_head")) == [
        "MonthSignOff.Started",
        "MonthSignOff.Signed",
        "Receipt.Applied",
    ]
    assert b.applied_events(ledger, b.sign_off("2025-01", "performance_office")) == [
        "MonthSignOff.Signed",
        "Receipt.Applied",
    ]
    assert b.applied_events(ledger, b.sign_off("2025-01", "finance")) == [
        "MonthSignOff.Signed",
        "Receipt.Applied",
    ]
    assert b.applied_events(ledger, b.close("2025-01", "2025-02-02")) == [
        "Period.Closed",
        "Receipt.Applied",
    ]
    assert b.state(ledger, "sign_off", "2025-01").signatures == [
        ("branch_head", "BRANCH_HEAD-1", date(2025, 2, 1)),
        ("performance_office", "PERFORMANCE_OFFICE-1", date(2025, 2, 1)),
        ("finance", "FINANCE-1", date(2025, 2, 1)),
    ]


def test_a_role_cannot_sign_before_the_roles_ahead_of_it_and_the_first_missing_is_named(
    ledger: Ledger,
) -> None:
    b.given(ledger, signed_plan(*ROLES), *b.bank())
    assert b.rejected(ledger, b.sign_off("2025-01", "finance")).describe() == (
        f"role: sign_off_out_of_order: branch_head must sign 2025-01 off before finance ({ORDER})"
    )
    b.given(ledger, b.sign_off("2025-01", "branch_head"))
    assert b.rejected(ledger, b.sign_off("2025-01", "finance")).describe() == (
        f"role: sign_off_out_of_order: performance_office must sign 2025-01 off before finance ({ORDER})"
    )


def test_a_role_signs_a_month_only_once(ledger: Ledger) -> None:
    b.given(ledger, signed_plan(*ROLES), *b.bank(), b.sign_off("2025-01", "branch_head", "BH1"))
    assert b.rejected(ledger, b.sign_off("2025-01", "branch_head", "BH2")).describe() == (
        "role: already_signed: branch_head already signed 2025-01 off (BH1, 2025-02-01)"
    )


def test_one_person_cannot_sign_a_month_for_two_roles(ledger: Ledger) -> None:
    b.given(ledger, signed_plan(*ROLES), *b.bank(), b.sign_off("2025-01", "branch_head", "P7"))
    assert b.rejected(ledger, b.sign_off("2025-01", "performance_office", "P7")).describe() == (
        "approver_id: same_approver: P7 already signed 2025-01 off as branch_head; "
        "each role signs by a different person"
    )


def test_nobody_signs_a_closed_month(ledger: Ledger) -> None:
    b.given(
        ledger,
        signed_plan("finance"),
        *b.bank(),
        b.sign_off("2025-01", "finance"),
        b.close("2025-01", "2025-02-02"),
    )
    assert b.rejected(ledger, b.sign_off("2025-01", "finance", "F2", "2025-02-03")).describe() == (
        "period: period_already_closed: 2025-01 was already closed on 2025-02-02: nobody signs it off any more"
    )


def test_the_close_is_refused_until_every_role_has_signed_naming_the_first_missing(
    ledger: Ledger,
) -> None:
    b.given(ledger, signed_plan(*ROLES), *b.bank())
    sentence = "2025-01 cannot be closed before {} signs it off (plan 2025 asks, in order: {})"
    close = b.close("2025-01", "2025-02-02")
    assert b.rejected(ledger, close).describe() == (
        "period: close_not_signed_off: " + sentence.format("branch_head", ", ".join(ROLES))
    )
    b.given(
        ledger, b.sign_off("2025-01", "branch_head"), b.sign_off("2025-01", "performance_office")
    )
    assert b.rejected(ledger, close).describe() == (
        "period: close_not_signed_off: " + sentence.format("finance", ", ".join(ROLES))
    )
    b.given(ledger, b.sign_off("2025-01", "finance"), close)


def test_a_role_the_plan_does_not_name_does_not_sign(ledger: Ledger) -> None:
    b.given(ledger, signed_plan("branch_head", "finance"), *b.bank())
    assert b.rejected(ledger, b.sign_off("2025-01", "hr")).describe() == (
        "role: role_not_required: plan 2025, in force on the last day of 2025-01, asks no sign-off of hr "
        "(it names branch_head, finance)"
    )


def test_under_a_plan_without_sign_offs_a_month_closes_as_in_version_1_and_nobody_signs(
    ledger: Ledger,
) -> None:
    b.given(ledger, b.plan("2025", "2025-01-01"), *b.bank())
    assert b.rejected(ledger, b.sign_off("2025-01", "finance")).describe() == (
        "role: role_not_required: plan 2025, in force on the last day of 2025-01, asks no sign-off of finance "
        "(it names no role)"
    )
    b.given(ledger, b.close("2025-01", "2025-02-02"))


def test_a_sign_off_is_not_dated_before_the_previous_one(ledger: Ledger) -> None:
    b.given(
        ledger,
        signed_plan(*ROLES),
        *b.bank(),
        b.sign_off("2025-01", "branch_head", approved_on="2025-02-03"),
    )
    assert b.rejected(
        ledger, b.sign_off("2025-01", "performance_office", approved_on="2025-02-02")
    ).describe() == (
        "approved_on: not_forward_in_time: 2025-02-02 is before the previous sign-off of 2025-01 on 2025-02-03"
    )


def test_the_plan_in_force_on_the_months_last_day_names_the_roles(ledger: Ledger) -> None:
    # 2025 asks nothing; 2025-03 (in force from March 31st) asks finance.
    b.given(
        ledger,
        b.plan("2025", "2025-01-01"),
        signed_plan("finance", version="2025-03", effective_from="2025-03-31"),
        *b.bank(),
        b.close("2025-02", "2025-03-01"),
    )
    assert b.rejected(ledger, b.close("2025-03", "2025-04-01")).rule == "close_not_signed_off"
    b.given(ledger, b.sign_off("2025-03", "finance"), b.close("2025-03", "2025-04-01"))


def test_a_plan_published_in_the_same_batch_names_the_roles_of_the_close_after_it(
    ledger: Ledger,
) -> None:
    b.given(ledger, b.plan("2025", "2025-01-01"), *b.bank())
    outcomes = b.send(ledger, signed_plan("hr", version="2025-b"), b.close("2025-01", "2025-02-02"))
    assert [o.status for o in outcomes] == [APPLIED, REJECTED]
    assert outcomes[1].error is not None and outcomes[1].error.rule == "close_not_signed_off"


def test_a_sign_off_sent_again_is_a_duplicate(ledger: Ledger) -> None:
    b.given(ledger, signed_plan(*ROLES), *b.bank(), b.sign_off("2025-01", "branch_head"))
    b.duplicate(ledger, b.sign_off("2025-01", "branch_head"))


def test_from_kafka_a_sign_off_out_of_order_waits_and_a_second_signature_does_not(
    ledger: Ledger,
) -> None:
    # With record keys (the Kafka consumer), a rule another record may yet satisfy holds
    # the message; one the store refuses for good is rejected at once (domain/retry_policy.py).
    b.given(ledger, signed_plan(*ROLES), *b.bank(), b.sign_off("2025-01", "branch_head", "BH1"))
    messages = [
        decode(json.dumps(w))
        for w in (b.sign_off("2025-01", "finance"), b.sign_off("2025-01", "branch_head", "BH2"))
    ]
    outcomes = ledger.apply_batch(messages, keys=["2025-01:a", "2025-01:b"])
    assert [(o.status, o.error.rule if o.error else None) for o in outcomes] == [
        (HELD, "sign_off_out_of_order"),
        (REJECTED, "already_signed"),
    ]

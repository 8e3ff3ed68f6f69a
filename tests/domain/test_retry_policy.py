"""From Kafka, which failures are held and retried and which are dead-lettered at once
(domain/retry_policy.py; docs/kafka.md, "Ordering and holds")."""

from __future__ import annotations

import pytest

from domain.errors import Conflict, DecodeError, DependencyMissing, DomainRuleBroken, RuleBroken
from domain.retry_policy import FINAL_RULES, SETTLED_RULES, is_retryable


@pytest.mark.parametrize(
    "error",
    [
        DependencyMissing("client_id", "unknown_client", "no client 'C9' is known", "C9"),
        DomainRuleBroken("manager_id", "not_holding_role", "M2 is not client C1's primary", "M2"),
        DependencyMissing(
            "manager_id", "clients_still_held", "manager M1 still holds 1 client(s)", "M1"
        ),
    ],
    ids=lambda error: error.rule,
)
def test_a_rule_that_another_topic_may_yet_satisfy_is_retried(error: RuleBroken) -> None:
    assert is_retryable(error) is True


@pytest.mark.parametrize("rule", sorted(FINAL_RULES))
def test_a_rule_of_the_message_alone_is_final(rule: str) -> None:
    assert is_retryable(DomainRuleBroken("amount", rule, "the message alone breaks it")) is False


def test_the_final_rules_are_the_eight_that_look_at_nothing_but_the_message() -> None:
    assert sorted(FINAL_RULES) == [
        "amount_not_allowed_when_rejected",
        "amount_required_when_upheld",
        "award_not_positive",
        "closed_before_month_end",
        "compliance_zero",
        "last_day_before_request",
        "same_manager",
        "self_approval",
    ]


@pytest.mark.parametrize("rule", sorted(SETTLED_RULES))
def test_a_version_2_rule_the_store_settles_for_good_is_final(rule: str) -> None:
    assert (
        is_retryable(DomainRuleBroken("role", rule, "refused by what is stored for good")) is False
    )


def test_the_settled_rules_are_the_seven_of_version_2() -> None:
    assert sorted(SETTLED_RULES) == [
        "already_acknowledged",
        "already_resolved",
        "already_signed",
        "branch_exists",
        "dispute_exists",
        "resolved_before_opened",
        "same_approver",
    ]


@pytest.mark.parametrize(
    "rule",
    [
        "sign_off_out_of_order",
        "close_not_signed_off",
        "statement_not_issued",
        "parent_branch_unknown",
        "unknown_plan_version",
        "unknown_dispute",
        "role_not_required",
        "period_already_closed",
    ],
)
def test_a_version_2_rule_that_another_record_may_yet_satisfy_is_retried(rule: str) -> None:
    assert is_retryable(DomainRuleBroken("period", rule, "may still arrive")) is True


def test_an_id_conflict_and_a_malformed_message_are_final() -> None:
    conflict = Conflict(
        "id", "id_conflict", "message id 'P1' was already applied with different content"
    )
    malformed = DecodeError("amount", "wrong_type", "must be a JSON string, got null")
    assert (is_retryable(conflict), is_retryable(malformed)) == (False, False)

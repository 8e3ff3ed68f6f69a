"""From Kafka, which failures are held and retried and which are dead-lettered at once
(domain/retry_policy.py; docs/kafka.md, "Ordering and holds")."""

from __future__ import annotations

import pytest

from domain.errors import Conflict, DecodeError, DependencyMissing, DomainRuleBroken, RuleBroken
from domain.retry_policy import FINAL_RULES, is_retryable


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


def test_the_final_rules_are_the_six_that_look_at_nothing_but_the_message() -> None:
    assert sorted(FINAL_RULES) == [
        "award_not_positive",
        "closed_before_month_end",
        "compliance_zero",
        "last_day_before_request",
        "same_manager",
        "self_approval",
    ]


def test_an_id_conflict_and_a_malformed_message_are_final() -> None:
    conflict = Conflict(
        "id", "id_conflict", "message id 'P1' was already applied with different content"
    )
    malformed = DecodeError("amount", "wrong_type", "must be a JSON string, got null")
    assert (is_retryable(conflict), is_retryable(malformed)) == (False, False)

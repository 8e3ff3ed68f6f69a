"""Which broken rules a Kafka consumer retries and which it dead-letters at once.

The ledger holds a message from Kafka (``HELD``) when ``is_retryable`` says its
failure may go away once other topics have delivered what it depends on; any
other failure is final (docs/kafka.md, "Ordering and holds").
"""

from __future__ import annotations

from domain.errors import Conflict, DomainRuleBroken, RuleBroken

# Rules decided by the message alone, whatever the store holds: retrying cannot help,
# and holding the message would hold every later message of its key for the whole
# retry time (an award behind a compliance adjustment of 0 would wait, and meet the
# month's close). From Kafka they are dead-lettered at once.
FINAL_RULES = frozenset(
    {
        "award_not_positive",  # adjustment.recorded: the amount
        "compliance_zero",  # adjustment.recorded: the amount
        "same_manager",  # handover.opened: from and to are one manager
        "closed_before_month_end",  # period.closed: closed_on before the month's last day
        "last_day_before_request",  # manager.departure_requested: its own two dates
        "self_approval",  # manager.departure_approved: the approver is the manager
        "amount_required_when_upheld",  # dispute.resolved: upheld without an amount
        "amount_not_allowed_when_rejected",  # dispute.resolved: rejected with an amount
    }
)

# Rules of contract version 2 refused by what the store already holds, which no later
# message can take away (a signature, a branch, an acknowledgement, a dispute or its
# resolution is never withdrawn): retrying cannot help either, so from Kafka they are
# dead-lettered at once. What may still arrive is held instead: the unknown manager,
# posting, dispute, plan version or parent branch (DependencyMissing), the earlier
# role's sign-off (sign_off_out_of_order), the last sign-off a close waits for
# (close_not_signed_off), the close a dispute needs (statement_not_issued), and a plan
# that asks for the role (role_not_required).
SETTLED_RULES = frozenset(
    {
        "already_signed",  # period.close_approved: the role has signed the month
        "same_approver",  # period.close_approved: the person has signed it for another role
        "branch_exists",  # branch.registered
        "already_acknowledged",  # plan.acknowledged
        "dispute_exists",  # dispute.opened
        "already_resolved",  # dispute.resolved
        "resolved_before_opened",  # dispute.resolved: the opening's date is stored for good
    }
)


def is_retryable(error: RuleBroken) -> bool:
    """Whether a message failing with ``error`` may still apply later, from Kafka.

    Across topics a message can be consumed before what it depends on, and that is
    not only an unknown client or posting (DependencyMissing): a release consumed
    before the handover filing that makes the manager the client's primary, a
    backup assigned before the filing that ends the previous backup, a departure
    before the release that empties the book. A rule cannot tell such a race from
    a real error, so every business-rule failure is retried until the consumer's
    retry time is up. Final are: a malformed message (it never reaches the ledger:
    the decoder rejects it), an id conflict (the id is taken by other content for
    good), the rules of FINAL_RULES, which look at nothing but the message, and those
    of SETTLED_RULES, refused by what the store holds for good."""
    return (
        isinstance(error, DomainRuleBroken)
        and not isinstance(error, Conflict)
        and error.rule not in FINAL_RULES
        and error.rule not in SETTLED_RULES
    )

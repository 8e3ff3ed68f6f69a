"""Kafka topics and keys of the contract.

One topic per message family (the part of ``type`` before the dot, pluralised),
``rmledger.<family>`` by default, keyed so that one entity's messages stay in order.
"""

from __future__ import annotations

from typing import Any

from domain.messages import MESSAGE_TYPES, family_of

DEFAULT_PREFIX = "rmledger"
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(family_of(t) for t in MESSAGE_TYPES))
EVENTS_TOPIC = "rmledger.events"
DLQ_SUFFIX = ".dlq"

# The field a message is keyed by, first one present wins: the client (postings,
# balances, loans, assignments), else the manager, else the handover, and so on.
# Version 2: a dispute's opening and resolution share the dispute's key (so the
# resolution follows the opening), a branch is keyed by itself; no version-1 message
# has either field, so their keys are unchanged.
KEY_FIELDS = (
    "dispute_id",
    "client_id",
    "manager_id",
    "handover_id",
    "loan_id",
    "posting_id",
    "period",
    "version",
    "branch_id",
    "id",
)


def topic_for(message_type: str, prefix: str = DEFAULT_PREFIX) -> str:
    """``posting.booked`` -> ``rmledger.postings``."""
    return f"{prefix}.{family_of(message_type)}"


def default_topics(prefix: str = DEFAULT_PREFIX) -> list[str]:
    """Every input topic: one per family (thirteen since contract version 2)."""
    return [f"{prefix}.{family}" for family in FAMILIES]


def key_of(message: dict[str, Any]) -> str:
    """The record key of a message (as a JSON object)."""
    for field in KEY_FIELDS:
        value = message.get(field)
        if isinstance(value, str) and value:
            return value
    return ""


def dlq_topic(source_topic: str) -> str:
    """Where a source topic's dead letters go."""
    return source_topic + DLQ_SUFFIX

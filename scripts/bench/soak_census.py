"""What the store holds after a soak, and the exactly-once checks on it: per message id
how many times it was applied, every dead letter stored, and whether every dead letter
is on its ``.dlq`` topic. Used by ``scripts.bench.soak_consumer`` and the Kafka tests."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from typing import Any

import attrs

from consumers.publisher import DEAD_LETTER_TOPIC
from consumers.topics import dlq_topic
from domain.ledger import Ledger
from domain.seal import SEAL_TOPICS

# Created events of the facts, which are their own receipts: the field holding the message id.
FACT_ID_FIELDS = {
    "domain.facts:Posting.Booked": "source_id",
    "domain.facts:BalanceReport.Reported": "message_id",
    "domain.facts:Activity.Recorded": "message_id",
    "domain.facts:Adjustment.Recorded": "message_id",
}
RECEIPT_TOPIC = "domain.registry:Receipt.Applied"


@attrs.define
class Census:
    """Per message id, how many times it was applied; every dead letter stored."""

    applied: Counter[str]
    letters: list[dict[str, Any]]  # source_topic, partition, offset, message_id, value, rule, error
    events: int  # seals left out: how many there are depends on how messages were batched

    def letters_by_value(self) -> Counter[bytes]:
        return Counter(letter["value"] for letter in self.letters)

    def letters_by_position(self) -> Counter[tuple[str, int, int]]:
        return Counter((x["source_topic"], x["partition"], x["offset"]) for x in self.letters)


def _state(ledger: Ledger, notification: Any) -> dict[str, Any]:
    data = notification.state
    if ledger.mapper.cipher is not None:
        data = ledger.mapper.cipher.decrypt(data)
    if ledger.mapper.compressor is not None:
        data = ledger.mapper.compressor.decompress(data)
    result: dict[str, Any] = json.loads(data)
    return result


def census(ledger: Ledger, page: int = 5000) -> Census:
    """Count Receipt and fact events per message id, and list the dead letters, over the whole log."""
    applied: Counter[str] = Counter()
    letters: list[dict[str, Any]] = []
    events = 0
    position = 0
    wanted = {RECEIPT_TOPIC, DEAD_LETTER_TOPIC, *FACT_ID_FIELDS}
    while True:
        notifications = ledger.recorder.select_notifications(start=position + 1, limit=page)
        for n in notifications:
            if n.topic in SEAL_TOPICS:
                continue
            events += 1
            if n.topic not in wanted:
                continue
            state = _state(ledger, n)
            if n.topic == RECEIPT_TOPIC:
                applied[state["message_id"]] += 1
            elif n.topic == DEAD_LETTER_TOPIC:
                letters.append(
                    {
                        "source_topic": state["source_topic"],
                        "partition": state["partition"],
                        "offset": state["offset"],
                        "message_id": state["message_id"],
                        "value": base64.b64decode(state["value_b64"]),
                        "rule": state["rule"],
                        "field": state["field"],
                        "error": state["error"],
                    }
                )
            else:
                applied[state[FACT_ID_FIELDS[n.topic]]] += 1
        if len(notifications) < page:
            return Census(applied, letters, events)
        position = notifications[-1].id


def exactly_once_problems(
    found: Census, good_ids: set[str], bad_values: set[bytes], good_may_be_lettered: bool = False
) -> list[str]:
    """Everything wrong with the store against what was produced; empty when exactly once.

    A good message (well formed, breaking no rule in the order of the file) is applied
    exactly once and never dead-lettered: with a retry time long enough for what it
    waits for, the consumer holds it until it applies (docs/kafka.md). Only with
    ``good_may_be_lettered`` (a retry time too short on purpose) may it be
    dead-lettered once instead; never both, never neither, never twice. A bad message
    is dead-lettered once and never applied."""
    problems: list[str] = []
    lettered_ids = Counter(x["message_id"] for x in found.letters if x["value"] not in bad_values)
    if not good_may_be_lettered:
        for letter in found.letters:
            if letter["value"] not in bad_values and letter["message_id"] in good_ids:
                problems.append(
                    f"{letter['message_id']} is a good message but was dead-lettered: {letter['error']}"
                )
    for message_id, count in found.applied.items():
        if count > 1:
            problems.append(f"{message_id} applied {count} times")
        if message_id not in good_ids:
            problems.append(f"{message_id} applied but never produced as a good message")
    for message_id in sorted(good_ids):
        applied, lettered = found.applied.get(message_id, 0), lettered_ids.get(message_id, 0)
        if applied and lettered:
            problems.append(f"{message_id} applied and also dead-lettered")
        elif lettered > 1:
            problems.append(f"{message_id} dead-lettered {lettered} times")
        elif not applied and not lettered:
            problems.append(f"{message_id} lost: neither applied nor dead-lettered")
    by_value = found.letters_by_value()
    for value in sorted(bad_values):
        if by_value.get(value, 0) != 1:
            problems.append(
                f"bad message {value[:60]!r} dead-lettered {by_value.get(value, 0)} times"
            )
    for position, count in found.letters_by_position().items():
        if count > 1:
            problems.append(f"offset {position} dead-lettered {count} times")
    return problems


def read_dlq(bootstrap: str, topics: list[str], timeout: float = 20.0) -> list[Any]:
    """Every record now on the ``.dlq`` topics of ``topics`` (read with assign(), no group)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=1000,
    )
    try:
        partitions = []
        for topic in topics:
            for p in sorted(consumer.partitions_for_topic(dlq_topic(topic)) or ()):
                partitions.append(TopicPartition(dlq_topic(topic), p))
        if not partitions:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=300)
            got = [r for rs in batch.values() for r in rs]
            records += got
            if got:
                quiet_since = time.monotonic()
            # done when every partition is read to its high-water mark (not end_offsets: Tansu)
            done = all(
                consumer.highwater(tp) is not None
                and consumer.position(tp) >= (consumer.highwater(tp) or 0)
                for tp in partitions
            )
            if done and time.monotonic() - quiet_since > 0.5:
                break
        return records
    finally:
        consumer.close()


def dlq_problems(found: Census, records: list[Any]) -> list[str]:
    """Each stored dead letter is on its .dlq topic (at least once, repeats share an event id),
    with its original bytes and its error in the headers."""
    problems = []
    seen: dict[tuple[str, int, int], Any] = {}
    for record in records:
        headers = dict(record.headers or [])
        position = (
            headers["source-topic"].decode(),
            int(headers["source-partition"]),
            int(headers["source-offset"]),
        )
        seen[position] = (record, headers)
    for letter in found.letters:
        position = (letter["source_topic"], letter["partition"], letter["offset"])
        if position not in seen:
            problems.append(f"dead letter {position} is not on {dlq_topic(letter['source_topic'])}")
            continue
        record, headers = seen[position]
        if record.value != letter["value"]:
            problems.append(f"dead letter {position}: bytes differ on the .dlq topic")
        if (
            headers.get("error-rule", b"").decode() != letter["rule"]
            or headers.get("error", b"").decode() != letter["error"]
        ):
            problems.append(f"dead letter {position}: error headers differ")
        if not headers.get("rmledger-event-id"):
            problems.append(f"dead letter {position}: no rmledger-event-id header")
    return problems

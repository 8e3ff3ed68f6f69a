"""The test Kafka broker (scripts/bench/kafka_broker.py) works the way our consumers need.

Against the bundled Tansu broker, or ``$KAFKA_BOOTSTRAP_SERVERS`` when set.
"""

from __future__ import annotations

import time
from collections import defaultdict

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from scripts.bench import kafka_broker
from scripts.bench.kafka_broker import (
    GROUP_CONSUMER_DEFAULTS,
    PollingConsumer,
    create_topic,
    poll_until_assigned,
    unique_name,
)

# The fixture normally comes from tests/conftest.py. Defining it here too lets
# this module run on its own. That is harmless: every definition shares one
# broker per process, through a reference count.
kafka_bootstrap = kafka_broker.kafka_bootstrap

pytestmark = pytest.mark.kafka

N_MESSAGES = 100
N_KEYS = 7
PARTITIONS = 3


def _drain(consumer: KafkaConsumer, want: int, timeout: float) -> list:
    """Poll until ``want`` records have arrived or ``timeout`` seconds pass."""
    records: list = []
    deadline = time.monotonic() + timeout
    while len(records) < want and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(batch)
    return records


def test_group_roundtrip_keeps_per_key_order_and_commits(kafka_bootstrap: str) -> None:
    topic = unique_name("roundtrip")
    group = unique_name("roundtrip-group")

    create_topic(kafka_bootstrap, topic, partitions=PARTITIONS)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        [described] = admin.describe_topics([topic])
        assert len(described["partitions"]) == PARTITIONS
    finally:
        admin.close()

    # acks="all" with kafka-python's default idempotent producer.
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        futures = []
        for i in range(N_MESSAGES):
            key = f"key-{i % N_KEYS}"
            seq = i // N_KEYS
            futures.append(producer.send(topic, key=key.encode(), value=f"{key}:{seq}".encode()))
        producer.flush(timeout=30)
        metadata = [f.get(timeout=10) for f in futures]
    finally:
        producer.close(timeout=10)

    # The log-end offset of each partition, from what the broker acknowledged.
    # Tansu's ListOffsets(LATEST) (end_offsets) cannot be trusted; see kafka_broker.py.
    produced_end: dict[int, int] = defaultdict(int)
    for md in metadata:
        produced_end[md.partition] = max(produced_end[md.partition], md.offset + 1)
    assert sum(produced_end.values()) == N_MESSAGES

    consumer = KafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=group, **GROUP_CONSUMER_DEFAULTS
    )
    try:
        records = poll_until_assigned(consumer, timeout=30)
        assert {tp.partition for tp in consumer.assignment()} == set(range(PARTITIONS))
        records += _drain(consumer, N_MESSAGES - len(records), timeout=30)

        assert len(records) == N_MESSAGES
        assert len({(r.partition, r.offset) for r in records}) == N_MESSAGES

        by_key: dict[str, list[int]] = defaultdict(list)
        partitions_of_key: dict[str, set[int]] = defaultdict(set)
        for r in records:
            key, seq = r.value.decode().split(":")
            assert r.key.decode() == key
            by_key[key].append(int(seq))
            partitions_of_key[key].add(r.partition)
        assert set(by_key) == {f"key-{k}" for k in range(N_KEYS)}
        for key, seqs in by_key.items():
            assert seqs == list(range(len(seqs))), f"{key} out of order: {seqs}"
            assert len(partitions_of_key[key]) == 1, f"{key} spread over partitions"

        consumer.commit()
        for p in range(PARTITIONS):
            tp = TopicPartition(topic, p)
            assert consumer.committed(tp) == produced_end.get(p, 0) == consumer.position(tp)
    finally:
        consumer.close()  # sends LeaveGroup, so the next member need not wait it out

    # A new member of the same group starts from the committed offsets: nothing new.
    second = KafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=group, **GROUP_CONSUMER_DEFAULTS
    )
    try:
        leftovers = poll_until_assigned(second, timeout=30)
        leftovers += _drain(second, 1, timeout=2.0)
        assert leftovers == []
        for p in range(PARTITIONS):
            tp = TopicPartition(topic, p)
            assert second.position(tp) == produced_end.get(p, 0)
    finally:
        second.close()


def test_headers_seek_and_offsets_without_group(kafka_bootstrap: str) -> None:
    topic = unique_name("headers")
    create_topic(kafka_bootstrap, topic, partitions=1)
    tp = TopicPartition(topic, 0)

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        for i in range(10):
            producer.send(
                topic,
                key=b"k",
                value=f"v{i}".encode(),
                partition=0,
                headers=[("event-type", b"Test"), ("seq", str(i).encode()), ("empty", b"")],
            )
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)

    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    try:
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        records = _drain(consumer, 10, timeout=15)
        assert [r.value for r in records] == [f"v{i}".encode() for i in range(10)]
        assert records[3].headers == [("event-type", b"Test"), ("seq", b"3"), ("empty", b"")]
        assert consumer.highwater(tp) == 10  # the high-water mark in Fetch responses is right

        consumer.seek(tp, 7)
        again = _drain(consumer, 3, timeout=15)
        assert [r.offset for r in again] == [7, 8, 9]
        assert consumer.beginning_offsets([tp]) == {tp: 0}
    finally:
        consumer.close()


@pytest.mark.slow
def test_second_consumer_triggers_rebalance(kafka_bootstrap: str) -> None:
    topic = unique_name("rebalance")
    group = unique_name("rebalance-group")
    create_topic(kafka_bootstrap, topic, partitions=4)
    everything = frozenset(TopicPartition(topic, p) for p in range(4))

    def member() -> KafkaConsumer:
        return KafkaConsumer(
            topic, bootstrap_servers=kafka_bootstrap, group_id=group, **GROUP_CONSUMER_DEFAULTS
        )

    # One thread per member: see PollingConsumer for why.
    first = PollingConsumer(member, name="first")
    second = PollingConsumer(member, name="second")
    first.start()
    try:
        first.wait_for(lambda c: c.assignment == everything, timeout=30)
        second.start()
        second.wait_for(lambda c: bool(c.assignment), timeout=45)
        first.wait_for(lambda c: c.assignment == everything - second.assignment, timeout=30)
        assert first.assignment and second.assignment
        assert first.assignment.isdisjoint(second.assignment)
        assert first.assignment | second.assignment == everything
    finally:
        second.stop()
        first.stop()
    assert first.error is None and second.error is None

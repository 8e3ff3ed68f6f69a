"""The Kafka way in and out (docs/contract.md C1, C3; docs/kafka.md), against a real
Kafka-protocol broker (scripts/bench/kafka_broker.py).

Each test has its own topic prefix (``<prefix>.postings`` ...), created beforehand,
and its own consumer group. Consumers run in-process here (``LedgerConsumer.run`` in a
thread); the SIGKILL tests, with ``rmledger consume`` processes, are in
test_kafka_consumer_kills.py.
"""

from __future__ import annotations

import json
import queue
import random
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition

from consumers.jsonl import ingest_files
from consumers.kafka_consumer import (
    DEFAULT_SETTLE_SECONDS,
    ConsumeStats,
    LedgerConsumer,
    tracking_name,
)
from consumers.producer import produce_messages
from consumers.publisher import event_id
from consumers.topics import default_topics, dlq_topic, key_of, topic_for
from domain.ledger import Ledger
from scripts.bank.generate import generate
from scripts.bench.kafka_broker import create_topic, read_topic
from scripts.bench.soak_consumer import (
    bad_messages,
    census,
    create_topics,
    dlq_problems,
    exactly_once_problems,
    open_ledger,
    read_dlq,
)
from tests import builders as b
from tests.consumers.compare import assert_consumed_equals_ingested, ingested_store
from tests.stores import RMLEDGER

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

SESSION_MS = 2000  # group joins take session_timeout/2 on Tansu: keep it short in tests

# A month is closed after its feeds are drained (the issue, and docs/kafka.md): the
# producer of a test that must match `rmledger ingest` sends each `period.closed` only
# once everything before it is consumed. Every other message is produced in any
# interleaving that keeps the order per key.
BARRIER_TYPES = frozenset({"period.closed"})
# Messages that settle (consumers.kafka_records.SETTLED_TYPES): produced after the
# messages that precede them in business order, consumed in any order (docs/kafka.md).
SETTLING_TYPES = frozenset(
    {"manager.departed", "handover.opened", "handover.filed", "period.closed"}
)


@pytest.fixture
def prefix() -> str:
    """A topic prefix no other test uses (topics ``<prefix>.postings`` ...)."""
    return f"t{uuid.uuid4().hex[:10]}"


def group_name() -> str:
    return f"g{uuid.uuid4().hex[:10]}"


class Running:
    """A ``LedgerConsumer`` polling in its own thread, as the service does."""

    def __init__(
        self,
        ledger: Ledger,
        bootstrap: str,
        topics: list[str],
        group: str | None = None,
        retry_seconds: float = 30.0,
        consumer_class: type[LedgerConsumer] = LedgerConsumer,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        **options: Any,
    ) -> None:
        self.consumer = consumer_class(
            ledger,
            bootstrap,
            topics,
            group=group or group_name(),
            retry_seconds=retry_seconds,
            settle_seconds=settle_seconds,
            session_timeout_ms=SESSION_MS,
            **options,
        )
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.consumer.run()
        except BaseException as exc:  # reported by wait_for and stop
            self.error = exc

    @property
    def stats(self) -> ConsumeStats:
        return self.consumer.stats

    def finished(self) -> int:
        """Records consumed and finished: applied, duplicate or dead-lettered."""
        return self.stats.applied + self.stats.duplicates + self.stats.dead_lettered

    def wait_for(self, predicate: Callable[[ConsumeStats], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.stats):
            if self.error is not None:
                raise self.error
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"consumer stats {self.stats} did not meet the condition in {timeout}s"
                )
            time.sleep(0.02)

    def wait_until_finished(self, count: int, timeout: float = 60.0) -> None:
        """Until ``count`` records are finished and none is held."""
        self.wait_for(lambda s: self.finished() >= count and s.held == 0, timeout)

    def stop(self) -> ConsumeStats:
        self.consumer.stop()
        self.thread.join(30)
        assert not self.thread.is_alive(), "consumer did not stop"
        if self.error is not None:
            raise self.error
        return self.stats


def run_until_idle(
    ledger: Ledger,
    bootstrap: str,
    topics: list[str],
    group: str | None = None,
    retry_seconds: float = 30.0,
    idle: float = 1.5,
    consumer_class: type[LedgerConsumer] = LedgerConsumer,
) -> ConsumeStats:
    consumer = consumer_class(
        ledger,
        bootstrap,
        topics,
        group=group or group_name(),
        retry_seconds=retry_seconds,
        session_timeout_ms=SESSION_MS,
    )
    return consumer.run(until_idle=idle)


def fresh_ledger(directory: Path) -> Ledger:
    return open_ledger(directory)


def segments(messages: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The messages cut before and after every barrier message (each barrier alone)."""
    segment: list[dict[str, Any]] = []
    for message in messages:
        if message["type"] in BARRIER_TYPES:
            if segment:
                yield segment
            yield [message]
            segment = []
        else:
            segment.append(message)
    if segment:
        yield segment


def interleaving(messages: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The messages in a random order that keeps each key's order on its topic (what
    Kafka keeps), and puts each settling message after every message before it
    (docs/kafka.md: a departure or handover step is sent once what precedes it in
    business order is sent). Anything may overtake anything else: a posting its
    client's registration, a release the filing that gives the manager the client."""
    streams: dict[tuple[str, str], list[int]] = {}
    for index, message in enumerate(messages):
        streams.setdefault((topic_for(message["type"]), key_of(message)), []).append(index)
    heads = {stream: 0 for stream in streams}
    sent: set[int] = set()
    lowest = 0  # every message before this index is sent
    order: list[dict[str, Any]] = []
    while len(order) < len(messages):
        ready = []
        for stream, at in heads.items():
            if at < len(streams[stream]):
                index = streams[stream][at]
                if messages[index]["type"] not in SETTLING_TYPES or index == lowest:
                    ready.append(stream)
        stream = rng.choice(sorted(ready))
        index = streams[stream][heads[stream]]
        heads[stream] += 1
        sent.add(index)
        order.append(messages[index])
        while lowest in sent:
            lowest += 1
    return order


def stored_topics(ledger: Ledger, start: int = 1) -> list[str]:
    return [n.topic for n in ledger.recorder.select_notifications(start=start, limit=1_000_000)]


# -- the same store as `rmledger ingest` ------------------------------------------------------


@pytest.mark.parametrize(("partitions", "seed"), [(1, 1), (3, 2)])
def test_consuming_a_generated_bank_gives_the_store_ingest_gives(
    kafka_bootstrap: str, prefix: str, tmp_path: Path, partitions: int, seed: int
) -> None:
    """The tiny bank produced to its topics in a shuffled interleaving and consumed is
    the bank `rmledger ingest` makes of the same messages in file order: the same
    message ids applied once each, no dead letter, the same number of events, and
    the same pay statements (every manager and month, as issued and as restated).

    Between two month closes the messages are sent in small chunks of a random
    interleaving across topics (order per key kept, ``interleaving``), each chunk
    once the consumer has read the previous one, so the consumer meets them in that
    order: postings and balances before their clients' registration, releases and
    backups before the filing they wait for, departures before the handovers that
    empty the book. Each `period.closed` is sent once everything before it is
    consumed, as the issue allows."""
    messages = list(generate(7, "tiny"))
    topics = create_topics(kafka_bootstrap, prefix, partitions)
    rng = random.Random(seed)

    # The reference: `rmledger ingest` of the same messages as a JSON Lines file.
    ingested = ingested_store(messages, tmp_path, timeout=120)

    consumed = fresh_ledger(tmp_path / "consumed")
    running = Running(consumed, kafka_bootstrap, topics, retry_seconds=60)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=2)
    sent = 0
    overtaken = 0  # messages sent before one that precedes them in the file
    try:
        for segment in segments(messages):
            order = interleaving(segment, rng)
            overtaken += sum(1 for a, b in zip(order, segment, strict=True) if a is not b)
            while order:
                size = rng.randint(1, 12)
                chunk, order = order[:size], order[size:]
                for message in chunk:
                    producer.send(
                        topic_for(message["type"], prefix),
                        key=key_of(message).encode(),
                        value=json.dumps(message).encode(),
                    )
                producer.flush()
                sent += len(chunk)
                running.wait_for(lambda s, n=sent: s.consumed >= n)
            running.wait_until_finished(sent, timeout=120)
    finally:
        producer.close()
        stats = running.stop()
    assert overtaken > len(messages) // 2, "the interleaving should reorder most of the stream"
    assert (stats.applied, stats.duplicates, stats.dead_lettered) == (len(messages), 0, 0)

    expected = assert_consumed_equals_ingested(consumed, ingested, messages, tmp_path)
    issued = [
        s
        for (_, restated), sts in expected.items()
        if not restated
        for s in sts
        if s["status"] == "issued"
    ]
    assert issued, "the scenario closes months, so some statements are issued"


# -- dead letters ----------------------------------------------------------------------------


def test_every_malformed_message_lands_on_the_dlq_with_its_error_and_bytes(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Malformed and rule-breaking records are dead-lettered: stored once as a
    DeadLetter and published to ``<topic>.dlq`` with their original bytes and key and
    the error in headers; every good record around them is applied."""
    topics = create_topics(kafka_bootstrap, prefix, 2)
    tag = uuid.uuid4().hex[:6]
    bad = bad_messages(tag)
    good = [b.hire("M0001"), b.register("C000001"), b.register("C2")]
    good += [b.book(f"P{i}", "C000001" if i % 2 else "C2", f"{i}.00") for i in range(1, 21)]
    items: list[dict[str, Any] | bytes] = [*good[:3]]
    for index, message in enumerate(good[3:]):
        items.append(message)
        if index < len(bad):
            items.append(bad[index])
    produce_messages(kafka_bootstrap, items, prefix=prefix)

    ledger = fresh_ledger(tmp_path)
    stats = run_until_idle(ledger, kafka_bootstrap, topics, retry_seconds=1.0)
    assert (stats.applied, stats.dead_lettered) == (len(good), len(bad))

    found = census(ledger)
    assert exactly_once_problems(found, {m["id"] for m in good}, set(bad)) == []
    records = read_dlq(kafka_bootstrap, topics)
    assert dlq_problems(found, records) == []
    assert sorted(r.value for r in records) == sorted(bad)

    by_value = {r.value: (r, dict(r.headers)) for r in records}
    record, headers = by_value[f"not json {tag}".encode()]
    assert record.topic == dlq_topic(f"{prefix}.postings")
    assert headers["source-topic"] == f"{prefix}.postings".encode()
    assert headers["error-rule"] == b"invalid_json"
    assert headers["error-field"] == b""
    assert headers["error"].startswith(b"invalid_json: not valid JSON")
    assert {"source-partition", "source-offset", "rmledger-event-id"} <= set(headers)

    unknown_field = next(v for v in bad if b"nickname" in v)
    record, headers = by_value[unknown_field]
    assert record.topic == dlq_topic(topic_for("client.registered", prefix))
    assert record.key == f"CX-{tag}".encode()  # the original key
    assert (headers["error-field"], headers["error-rule"]) == (b"nickname", b"unknown_field")

    orphan = next(v for v in bad if b"bad-orphan" in v)
    assert by_value[orphan][1]["error-rule"] == b"unknown_client"  # held, then given up


# -- order and holds -------------------------------------------------------------------------


def test_messages_of_one_key_are_applied_in_the_order_produced(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """For 40 clients spread over 3 partitions: assigned to M1, released, assigned to
    M2 (any other order breaks a rule), and a posting then its reversal, keyed by
    the client. All applied; each client's events are in that order."""
    topics = create_topics(kafka_bootstrap, prefix, 3)
    ledger = fresh_ledger(tmp_path)
    setup = [b.hire("M1"), b.hire("M2")] + [b.register(f"C{i}") for i in range(40)]
    produce_messages(kafka_bootstrap, setup, prefix=prefix)
    running = Running(ledger, kafka_bootstrap, topics)
    running.wait_for(lambda s: s.applied >= len(setup))

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=5)
    sent = 0
    for i in range(40):
        client = f"C{i}"
        sequence = [
            (
                topic_for("assignment.assigned", prefix),
                b.assign(client, "M1", effective_on="2025-01-10"),
            ),
            (
                topic_for("assignment.released", prefix),
                b.release(client, "M1", effective_on="2025-02-01"),
            ),
            (
                topic_for("assignment.assigned", prefix),
                b.assign(client, "M2", effective_on="2025-02-01"),
            ),
            (topic_for("posting.booked", prefix), b.book(f"P{i}", client)),
            (topic_for("posting.reversed", prefix), b.reverse(f"P{i}")),  # keyed like its posting
        ]
        for topic, message in sequence:
            producer.send(topic, key=client.encode(), value=json.dumps(message).encode())
            sent += 1
    producer.flush()
    producer.close()
    running.wait_for(lambda s: s.applied >= len(setup) + sent)
    stats = running.stop()
    assert (stats.applied, stats.dead_lettered, stats.held) == (len(setup) + sent, 0, 0)

    for i in range(40):
        client = b.state(ledger, "client", f"C{i}")
        history = [e.topic.rsplit(".", 1)[1] for e in ledger.recorder.select_events(client.id)]
        assert history == ["Registered", "Assigned", "Released", "Assigned"]
        assert client.roles["primary"].manager_id == "M2"
        assert b.state(ledger, "posting", f"P{i}").reversed_by == f"rev:P{i}"


def test_a_posting_before_its_clients_registration_is_held_then_applied(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A posting (postings topic) consumed before its client's registration (clients
    topic) is held, with the later postings of that client behind it, while other
    clients' postings go on; once the registration arrives all are applied in order."""
    topics = create_topics(kafka_bootstrap, prefix, 1)
    ledger = fresh_ledger(tmp_path)
    produce_messages(kafka_bootstrap, [b.register("C1")], prefix=prefix)
    running = Running(ledger, kafka_bootstrap, topics, retry_seconds=60)
    running.wait_for(lambda s: s.applied == 1)

    produce_messages(
        kafka_bootstrap, [b.book("P1", "C9"), b.book("P2", "C9"), b.book("P3", "C1")], prefix=prefix
    )
    running.wait_for(lambda s: s.applied == 2 and s.held == 2)  # P3 applied; P1 and P2 wait for C9
    time.sleep(1.0)  # still held, however many times retried
    assert (running.stats.applied, running.stats.held, running.stats.dead_lettered) == (2, 2, 0)
    assert (
        ledger.max_tracking_id(tracking_name(f"{prefix}.postings", 0)) == 0
    )  # the watermark waits at P1

    produce_messages(kafka_bootstrap, [b.register("C9")], prefix=prefix)
    running.wait_for(lambda s: s.applied == 5 and s.held == 0)
    stats = running.stop()
    assert stats.dead_lettered == 0
    assert b.state(ledger, "message", "P1").client_id == "C9"
    log = [t for t in stored_topics(ledger) if t.endswith("Posting.Booked")]
    assert len(log) == 3
    assert ledger.max_tracking_id(tracking_name(f"{prefix}.postings", 0)) == 3


def test_a_dependency_that_never_arrives_is_dead_lettered_after_the_retry_time(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Held for ``retry_seconds``, then dead-lettered with the missing dependency as
    its error; the record held behind it (same key) follows; other keys never wait."""
    topics = create_topics(kafka_bootstrap, prefix, 1)
    ledger = fresh_ledger(tmp_path)
    produce_messages(kafka_bootstrap, [b.register("C1")], prefix=prefix)
    running = Running(ledger, kafka_bootstrap, topics, retry_seconds=2.0)
    running.wait_for(lambda s: s.applied == 1)

    produce_messages(
        kafka_bootstrap,
        [b.book("P1", "GHOST"), b.book("P2", "GHOST"), b.book("P3", "C1")],
        prefix=prefix,
    )
    running.wait_for(lambda s: s.held == 2)
    held_at = time.monotonic()
    assert running.stats.applied == 2  # P3 went on
    running.wait_for(lambda s: s.dead_lettered == 2, timeout=30)
    waited = time.monotonic() - held_at
    stats = running.stop()
    assert waited >= 1.5, f"dead-lettered after {waited:.1f}s, before the retry time"
    assert (stats.applied, stats.held) == (2, 0)

    found = census(ledger)
    assert [
        (x["message_id"], x["rule"], x["field"])
        for x in sorted(found.letters, key=lambda x: x["offset"])
    ] == [("P1", "unknown_client", "client_id"), ("P2", "unknown_client", "client_id")]
    assert dlq_problems(found, read_dlq(kafka_bootstrap, topics)) == []


def test_held_records_survive_a_rebalance(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A member holding records goes through a rebalance (a second member joins):
    the held records are read again from the watermark by whichever member owns
    their partition afterwards, and applied when their client arrives.

    Postings has 2 partitions, each with a held posting (clients C9 and C20 hash to
    partitions 0 and 1), so the first member keeps one of them whatever the assignor
    decides: kafka-python keeps a kept partition's fetch position, past the held
    records, across a rebalance."""
    topics = default_topics(prefix)
    for topic in topics:
        create_topic(kafka_bootstrap, topic, 2 if topic == f"{prefix}.postings" else 1)
    group = group_name()
    ledger = fresh_ledger(tmp_path)
    produce_messages(kafka_bootstrap, [b.register("C1")], prefix=prefix)
    first = Running(ledger, kafka_bootstrap, topics, group=group, retry_seconds=120)
    second: Running | None = None
    try:
        first.wait_for(lambda s: s.applied == 1)
        produce_messages(kafka_bootstrap, [b.book("P1", "C9"), b.book("P2", "C20")], prefix=prefix)
        first.wait_for(lambda s: s.held == 2)
        second = Running(
            fresh_ledger(tmp_path), kafka_bootstrap, topics, group=group, retry_seconds=120
        )
        deadline = time.monotonic() + 30
        while not (second.consumer.joined and second.consumer.consumer.assignment()):
            assert time.monotonic() < deadline, "the second member never got partitions"
            time.sleep(0.05)
        time.sleep(0.5)  # the first member acts on its new assignment after its poll
        produce_messages(kafka_bootstrap, [b.register("C9"), b.register("C20")], prefix=prefix)
        deadline = time.monotonic() + 30
        while first.stats.applied + second.stats.applied < 5:
            assert time.monotonic() < deadline, f"held records lost: {first.stats} / {second.stats}"
            time.sleep(0.05)
    finally:
        first.stop()
        if second is not None:
            second.stop()
    found = census(ledger)
    assert found.applied == {"reg:C1": 1, "reg:C9": 1, "reg:C20": 1, "P1": 1, "P2": 1}
    assert found.letters == []


def test_a_handover_consumed_before_its_clients_assignment_is_held(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    topics = create_topics(kafka_bootstrap, prefix, 1)
    ledger = fresh_ledger(tmp_path)
    produce_messages(kafka_bootstrap, [b.hire("M1"), b.hire("M2"), b.register("C1")], prefix=prefix)
    running = Running(ledger, kafka_bootstrap, topics, retry_seconds=30)
    try:
        running.wait_for(lambda s: s.applied == 3)
        produce_messages(
            kafka_bootstrap, [b.open_handover("H1", "M1", "M2", ["C1"])], prefix=prefix
        )
        running.wait_for(lambda s: s.held + s.dead_lettered == 1)
        produce_messages(kafka_bootstrap, [b.assign("C1", "M1")], prefix=prefix)
        running.wait_for(lambda s: s.applied + s.dead_lettered == 5, timeout=30)
    finally:
        stats = running.stop()
    assert (stats.applied, stats.dead_lettered) == (5, 0)


def test_a_release_consumed_before_the_filing_that_gives_the_client_is_held_then_applied(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A release of C1 by M2 (assignments topic) consumed before the filing of the
    handover M1 -> M2 (handovers topic) breaks a rule for now (``not_holding_role``):
    it is held, not dead-lettered, and applied once the filing is there."""
    topics = create_topics(kafka_bootstrap, prefix, 1)
    ledger = fresh_ledger(tmp_path)
    setup = [
        b.hire("M1"),
        b.hire("M2"),
        b.register("C1"),
        b.assign("C1", "M1"),
        b.open_handover("H1", "M1", "M2", ["C1"]),
        *b.completed("H1"),
    ]
    produce_messages(kafka_bootstrap, setup, prefix=prefix)
    running = Running(ledger, kafka_bootstrap, topics, retry_seconds=60, settle_seconds=0.2)
    try:
        running.wait_until_finished(len(setup))
        produce_messages(
            kafka_bootstrap, [b.release("C1", "M2", effective_on="2025-07-01")], prefix=prefix
        )
        running.wait_for(lambda s: s.held == 1)
        time.sleep(1.0)  # retried all along, still held: the filing has not come
        assert (running.stats.held, running.stats.dead_lettered) == (1, 0)
        held = running.consumer.work[TopicPartition(f"{prefix}.assignments", 0)].pending
        assert [p.message.id for p in held] == ["release:C1:M2:primary:2025-07-01"]

        produce_messages(kafka_bootstrap, [b.file_handover("H1")], prefix=prefix)
        running.wait_until_finished(len(setup) + 2)
    finally:
        stats = running.stop()
    assert (stats.applied, stats.dead_lettered, stats.held) == (len(setup) + 2, 0, 0)
    client = b.state(ledger, "client", "C1")
    history = [e.topic.rsplit(".", 1)[1] for e in ledger.recorder.select_events(client.id)]
    assert history == ["Registered", "Assigned", "EnteredHandover", "HandedOver", "Released"]
    assert client.roles["primary"] is None


def test_a_departure_read_ahead_of_its_managers_assignment_waits_to_settle(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """M1's departure is read while M1 holds no client; the assignment of C1 to M1
    and its release, which precede the departure in business order, are produced to
    the assignments topic just after. Applied at once, the departure would succeed
    and the assignment then break ``manager_departed`` for good. A departure
    settles instead: it waits ``settle_seconds`` and until every partition is read,
    so the assignment and the release go first and all three apply, as in the file."""
    topics = create_topics(kafka_bootstrap, prefix, 1)
    ledger = fresh_ledger(tmp_path)
    setup = [b.hire("M1"), b.register("C1"), *b.departure_approved("M1")]
    produce_messages(kafka_bootstrap, setup, prefix=prefix)
    running = Running(ledger, kafka_bootstrap, topics, retry_seconds=60, settle_seconds=4.0)
    try:
        running.wait_until_finished(len(setup))
        produce_messages(kafka_bootstrap, [b.depart("M1")], prefix=prefix)
        # `held` is counted at the end of the poll's round, `consumed` as records are read.
        running.wait_for(lambda s: s.consumed == len(setup) + 1 and s.held == 1)
        assert running.stats.applied == len(setup)  # read, waiting to settle
        produce_messages(
            kafka_bootstrap,
            [
                b.assign("C1", "M1", effective_on="2025-01-10"),
                b.release("C1", "M1", effective_on="2025-03-01"),
            ],
            prefix=prefix,
        )
        running.wait_until_finished(len(setup) + 3, timeout=30)
    finally:
        stats = running.stop()
    assert (stats.applied, stats.dead_lettered) == (len(setup) + 3, 0)
    log = [t.rsplit(".", 1)[1] for t in stored_topics(ledger)]
    assert log.index("Released") < log.index("Departed")


def test_a_departure_produced_before_its_managers_assignment_leaves_the_assignment_dead_lettered(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """The documented limit (docs/kafka.md, "Ordering across families"): a departure
    that has settled (read, waited, every partition read to its end) is applied; an
    assignment to that manager produced only afterwards breaks ``manager_departed``,
    is retried for ``retry_seconds`` and dead-lettered with that error. `rmledger
    ingest` of the same messages in business order would have applied both: a feed
    must send a departure after what precedes it."""
    topics = create_topics(kafka_bootstrap, prefix, 1)
    ledger = fresh_ledger(tmp_path)
    setup = [b.hire("M1"), b.register("C1"), *b.departure_approved("M1"), b.depart("M1")]
    produce_messages(kafka_bootstrap, setup, prefix=prefix)
    running = Running(ledger, kafka_bootstrap, topics, retry_seconds=1.5, settle_seconds=0.2)
    try:
        running.wait_until_finished(len(setup))
        late = b.assign("C1", "M1", effective_on="2025-01-10")
        produce_messages(kafka_bootstrap, [late], prefix=prefix)
        running.wait_until_finished(len(setup) + 1, timeout=30)
    finally:
        stats = running.stop()
    assert (stats.applied, stats.dead_lettered) == (len(setup), 1)
    found = census(ledger)
    assert [(x["message_id"], x["field"], x["rule"]) for x in found.letters] == [
        (late["id"], "manager_id", "manager_departed")
    ]
    assert found.letters[0]["error"] == (
        "manager_id: manager_departed: manager M1 departed on 2025-09-30 and can be given no client"
    )


class FakeClock:
    """The consumer's clock, moved on by the test: how long a record has waited to
    settle, or been held, is then what the test says, however slow the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Gate:
    """The consumer's real ``KafkaConsumer``, with a test's hand on how far each
    partition is read: ``hold(tp, at)`` lets no record at or after offset ``at`` of
    ``tp`` through and puts the position back to ``at`` (the records are fetched, so
    the high-water mark is known, and left unread, as by a consumer behind on that
    partition); ``let_go(tp)`` reads on. Commands are carried out in the consumer's
    thread, in ``poll``. Everything else goes to the real consumer.

    (Not ``pause``/``resume``: kafka-python 3.0.12 may never hand back records
    parked by ``pause`` while other partitions' fetches come back empty.)"""

    def __init__(self, real: KafkaConsumer) -> None:
        self.real = real
        self.commands: queue.SimpleQueue[tuple[TopicPartition, int | None]] = queue.SimpleQueue()
        self.hold_at: dict[TopicPartition, int] = {}
        self.behind: dict[TopicPartition, int] = {}  # held partition -> records fetched and unread
        self.polls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def hold(self, tp: TopicPartition, at: int) -> None:
        self.commands.put((tp, at))

    def let_go(self, tp: TopicPartition) -> None:
        self.commands.put((tp, None))

    def poll(self, timeout_ms: int = 0, **options: Any) -> dict[TopicPartition, list[Any]]:
        while not self.commands.empty():
            tp, at = self.commands.get()
            if at is None:
                self.hold_at.pop(tp, None)
                self.behind.pop(tp, None)
            else:
                self.hold_at[tp] = at
        batches = self.real.poll(timeout_ms=timeout_ms, **options)
        let_through: dict[TopicPartition, list[Any]] = {}
        for tp, records in batches.items():
            at = self.hold_at.get(tp)
            kept = records if at is None else [r for r in records if r.offset < at]
            if len(kept) < len(records):
                assert at is not None
                self.real.seek(tp, at)  # fetched again next time, and held back again
                self.behind[tp] = (self.real.highwater(tp) or 0) - at
            if kept:
                let_through[tp] = kept
        if batches and not let_through:
            time.sleep(0.05)  # only held-back records came: do not spin on fetching them again
        self.polls += 1
        return let_through

    def wait_polls(self, count: int, timeout: float = 30.0) -> None:
        """Until ``count`` more polls are done: the consumer's settling step has then
        run at least once with what the test changed before (the clock, a hold)."""
        target = self.polls + count
        deadline = time.monotonic() + timeout
        while self.polls < target:
            assert time.monotonic() < deadline, (
                f"the consumer did not poll {count} times in {timeout}s"
            )
            time.sleep(0.02)

    def wait_behind(self, tp: TopicPartition, timeout: float = 30.0) -> int:
        """Until records of a held ``tp`` were fetched and held back; how many."""
        deadline = time.monotonic() + timeout
        while not self.behind.get(tp):
            assert time.monotonic() < deadline, f"nothing of {tp} was held back in {timeout}s"
            time.sleep(0.02)
        return self.behind[tp]


class GatedConsumer(LedgerConsumer):
    """A ``LedgerConsumer`` reading through a ``Gate`` (``gate``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate(self.consumer)
        self.consumer = self.gate  # type: ignore[assignment]


def test_a_departure_settles_while_records_produced_after_it_are_still_unread(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A continuous feed, or a long backlog being worked off, keeps some partition
    behind its high-water mark at every poll. A departure must not wait for a moment
    with no lag at all (it would wait indefinitely, keeping its partition's
    watermark and every later record of its key): it waits ``settle_seconds``, then
    until every partition is read up to the high-water marks known at that moment.

    Here the postings partition is 2 records behind when M1's departure becomes due;
    then balances arrive and the balances partition falls 2 behind, and stays so. Once
    the postings are read, the departure is applied, with the balances still unread."""
    topics = create_topics(kafka_bootstrap, prefix, 1)
    postings = TopicPartition(f"{prefix}.postings", 0)
    balances = TopicPartition(f"{prefix}.balances", 0)
    ledger = fresh_ledger(tmp_path)
    clock = FakeClock()
    setup = [b.hire("M1"), b.register("C1"), *b.departure_approved("M1")]
    produce_messages(kafka_bootstrap, setup, prefix=prefix)
    running = Running(
        ledger,
        kafka_bootstrap,
        topics,
        retry_seconds=60,
        settle_seconds=5.0,
        consumer_class=GatedConsumer,
        clock=clock,
    )
    assert isinstance(running.consumer, GatedConsumer)
    gate = running.consumer.gate
    booked = [b.book(f"P{i}", "C1") for i in range(1, 4)]
    reported = [b.report_balance("C1", as_of=f"2025-09-0{i}") for i in range(1, 4)]
    try:
        running.wait_until_finished(len(setup))
        gate.hold(postings, at=1)
        gate.wait_polls(2)  # a poll begun after the hold: it is in force
        produce_messages(kafka_bootstrap, booked, prefix=prefix)
        assert gate.wait_behind(postings) == 2  # P1 read; P2 and P3 fetched, left unread

        produce_messages(kafka_bootstrap, [b.depart("M1")], prefix=prefix)
        running.wait_for(lambda s: s.consumed == len(setup) + 2)
        gate.wait_polls(2)  # its reading time taken before the clock moves on
        clock.advance(5.0)  # the departure has waited settle_seconds: the marks are noted now
        gate.wait_polls(2)
        assert (running.stats.applied, running.stats.held) == (
            len(setup) + 1,
            1,
        )  # postings not read up to its mark

        gate.hold(balances, at=1)
        gate.wait_polls(2)
        produce_messages(kafka_bootstrap, reported, prefix=prefix)
        assert gate.wait_behind(balances) == 2  # the feed goes on: 2 balances unread from now on
        gate.let_go(postings)
        running.wait_for(
            lambda s: s.applied == len(setup) + 3 + 1 + 1, timeout=15
        )  # postings, a balance, departure
        assert "Departed" in [t.rsplit(".", 1)[1] for t in stored_topics(ledger)]
        gate.wait_polls(1)
        assert running.stats.lag == 2  # applied with the balances partition still behind

        gate.let_go(balances)
        running.wait_until_finished(len(setup) + 3 + 3 + 1)
    finally:
        stats = running.stop()
    assert (stats.applied, stats.dead_lettered) == (len(setup) + 3 + 3 + 1, 0)
    log = [t.rsplit(".", 1)[1] for t in stored_topics(ledger)]
    # The departure (with its receipt), then the two balances that were held back.
    assert log[log.index("Departed") :] == ["Departed", "Applied", "Reported", "Reported"]


def test_a_departure_read_a_moment_after_a_later_dated_filing_goes_first(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Business-date order is not given up to the settle timer. M2's departure
    (2025-09-30) is produced before the filing of the handover M1 -> M2 (2025-10-01),
    as a feed must, but the managers partition is read a moment later than the
    handovers partition. When the filing has waited ``settle_seconds`` and the
    departure not yet, the filing must still wait: applied first it would give M2
    the client and the departure would be dead-lettered (``clients_still_held``).
    The departure goes first and the filing is dead-lettered with the error
    `rmledger ingest` gives it in file order."""
    topics = create_topics(kafka_bootstrap, prefix, 1)
    managers = TopicPartition(f"{prefix}.managers", 0)
    ledger = fresh_ledger(tmp_path)
    clock = FakeClock()
    setup = [
        b.hire("M1"),
        b.hire("M2"),
        b.register("C1"),
        b.assign("C1", "M1"),
        b.open_handover("H1", "M1", "M2", ["C1"]),
        *b.completed("H1"),
        *b.departure_approved("M2"),
    ]
    departure = b.depart("M2", departed_on="2025-09-30")
    filing = b.file_handover("H1", filed_on="2025-10-01")

    # The reference: `rmledger ingest` of the same messages in business order.
    jsonl = tmp_path / "bank.jsonl"
    jsonl.write_text("".join(json.dumps(m) + "\n" for m in [*setup, departure, filing]))
    rejected = ingest_files(fresh_ledger(tmp_path / "ingested"), [jsonl]).rejected
    assert [r.id for r in rejected] == [filing["id"]]

    produce_messages(kafka_bootstrap, setup, prefix=prefix)
    running = Running(
        ledger,
        kafka_bootstrap,
        topics,
        retry_seconds=30,
        settle_seconds=10.0,
        consumer_class=GatedConsumer,
        clock=clock,
    )
    assert isinstance(running.consumer, GatedConsumer)
    gate = running.consumer.gate
    try:
        running.wait_for(lambda s: s.consumed == len(setup))
        gate.wait_polls(2)
        clock.advance(10.0)  # the handover opening settles
        running.wait_until_finished(len(setup))

        gate.hold(managers, at=len([m for m in setup if m["type"].startswith("manager.")]))
        gate.wait_polls(2)
        produce_messages(kafka_bootstrap, [departure], prefix=prefix)
        gate.wait_behind(managers)
        produce_messages(kafka_bootstrap, [filing], prefix=prefix)
        running.wait_for(lambda s: s.consumed == len(setup) + 1)  # the filing, read at 0 s
        gate.wait_polls(2)  # its reading time taken before the clock moves on
        clock.advance(4.0)
        gate.let_go(managers)
        running.wait_for(lambda s: s.consumed == len(setup) + 2)  # the departure, read at 4 s
        gate.wait_polls(2)
        clock.advance(6.0)  # the filing has waited settle_seconds, the departure not yet
        gate.wait_polls(2)
        assert (running.stats.applied, running.stats.held) == (len(setup), 2)

        clock.advance(4.0)  # the departure has waited too: it goes, then the filing fails
        running.wait_for(lambda s: s.applied == len(setup) + 1 and s.held == 1)
        clock.advance(30.0)  # the filing's retry time
        running.wait_for(lambda s: s.dead_lettered == 1)
    finally:
        stats = running.stop()
    assert (stats.applied, stats.dead_lettered, stats.held) == (len(setup) + 1, 1, 0)
    found = census(ledger)
    assert [(x["message_id"], x["field"], x["rule"], x["error"]) for x in found.letters] == [
        (r.id, r.field, r.rule, r.message) for r in rejected
    ]
    assert found.letters[0]["rule"] == "manager_departed"
    assert b.state(ledger, "client", "C1").roles["primary"].manager_id == "M1"


# -- reading again from the start ------------------------------------------------------------


class ForgetfulConsumer(LedgerConsumer):
    """Ignores the watermarks in the store and reads every partition from offset 0:
    what is left to stop a repeat is the business-id dedupe and the dead letters'
    deterministic ids."""

    def _take_assignment(self) -> set[TopicPartition]:
        fresh = super()._take_assignment()
        forgotten = [self.work[tp] for tp in fresh]
        for work in forgotten:
            work.stored_mark = None
            self.consumer.seek(work.tp, 0)
        self._load_lettered(forgotten)  # every dead-lettered offset, from 0
        return fresh


def test_reading_the_topics_again_from_offset_0_changes_nothing(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """After a bank and some bad messages are consumed: a new group over the same
    topics into the same store, the first group's offsets reset to 0, and a consumer
    that ignores the stored watermarks altogether all store no new event."""
    topics = create_topics(kafka_bootstrap, prefix, 3)
    tag = uuid.uuid4().hex[:6]
    bad = bad_messages(tag)
    messages = list(generate(11, "tiny"))
    items: list[dict[str, Any] | bytes] = [*messages[:50], *bad, *messages[50:]]
    produce_messages(kafka_bootstrap, items, prefix=prefix)
    ledger = fresh_ledger(tmp_path)
    group = group_name()
    # A good message waits for what another partition holds (its client's registration)
    # up to the retry time: 1 s dead-lettered one on a loaded machine, 10 s does not.
    first = run_until_idle(ledger, kafka_bootstrap, topics, group=group, retry_seconds=10.0)
    assert first.consumed == len(items)
    before = census(ledger)
    assert exactly_once_problems(before, {m["id"] for m in messages}, set(bad)) == []
    end = ledger.recorder.max_notification_id()
    marks = {
        tracking_name(t, p): ledger.max_tracking_id(tracking_name(t, p))
        for t in topics
        for p in range(3)
    }

    # 1. a new group: no committed offsets, so it starts at the stored watermarks
    again = run_until_idle(ledger, kafka_bootstrap, topics, retry_seconds=1.0)
    assert (again.applied, again.dead_lettered) == (0, 0)
    assert ledger.recorder.max_notification_id() == end

    # 2. the first group's committed offsets reset to 0
    resetter = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    partitions = [TopicPartition(t, p) for t in topics for p in range(3)]
    resetter.assign(partitions)
    resetter.commit({tp: OffsetAndMetadata(0, "", -1) for tp in partitions})
    assert all(resetter.committed(tp) == 0 for tp in partitions)
    resetter.close()
    again = run_until_idle(ledger, kafka_bootstrap, topics, group=group, retry_seconds=1.0)
    assert (again.applied, again.dead_lettered) == (0, 0)
    assert ledger.recorder.max_notification_id() == end

    # 3. every record again, the store's watermarks ignored: all duplicates
    again = run_until_idle(
        ledger, kafka_bootstrap, topics, retry_seconds=1.0, consumer_class=ForgetfulConsumer
    )
    assert again.consumed == len(items)
    assert (again.applied, again.dead_lettered) == (0, 0)
    assert again.duplicates == sum(before.applied.values())
    assert ledger.recorder.max_notification_id() == end
    assert census(ledger) == before
    assert {name: ledger.max_tracking_id(name) for name in marks} == marks


# -- the way out -------------------------------------------------------------------------------


def test_publish_puts_every_stored_event_on_the_events_topic_in_log_order_and_resumes(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """`rmledger publish` sends every stored event in log order, each with its
    ``rmledger-event-id``; run again it sends only the events stored since."""
    events_topic = f"{uuid.uuid4().hex[:8]}.events"
    create_topic(kafka_bootstrap, events_topic, 1)
    messages = list(generate(3, "tiny"))
    first, rest = messages[:300], messages[300:]
    jsonl = tmp_path / "first.jsonl"
    jsonl.write_text("".join(json.dumps(m) + "\n" for m in first))
    data_dir = tmp_path / "data"
    ledger = fresh_ledger(data_dir)
    assert not ingest_files(ledger, [jsonl]).rejected

    def publish() -> str:
        done = subprocess.run(
            [
                RMLEDGER,
                "--data-dir",
                str(data_dir),
                "publish",
                "--bootstrap",
                kafka_bootstrap,
                "--topic",
                events_topic,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    stored = ledger.recorder.select_notifications(start=1, limit=1_000_000)
    assert publish() == f"published {len(stored)} events"
    records = read_topic(kafka_bootstrap, events_topic, len(stored))
    assert len(records) == len(stored)
    for record, notification in zip(records, stored, strict=True):
        value = json.loads(record.value)
        headers = dict(record.headers)
        assert value["position"] == notification.id
        assert value["topic"] == notification.topic
        assert headers["rmledger-event-id"] == event_id(notification).encode()
        assert headers["rmledger-position"] == str(notification.id).encode()
        assert record.key == str(notification.originator_id).encode()

    assert publish() == "published 0 events"

    jsonl2 = tmp_path / "rest.jsonl"
    jsonl2.write_text("".join(json.dumps(m) + "\n" for m in rest))
    assert not ingest_files(ledger, [jsonl2]).rejected
    new = ledger.recorder.select_notifications(start=len(stored) + 1, limit=1_000_000)
    assert new
    assert publish() == f"published {len(new)} events"
    records = read_topic(kafka_bootstrap, events_topic, len(stored) + len(new))
    assert [json.loads(r.value)["position"] for r in records] == list(
        range(1, len(stored) + len(new) + 1)
    )
    assert len({dict(r.headers)["rmledger-event-id"] for r in records}) == len(records)

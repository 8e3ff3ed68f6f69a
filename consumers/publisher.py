"""Out again: stored events published to Kafka in log order, at least once.

A ``LogPublisher`` follows the notification log from its own tracked position,
produces the notifications its route selects, waits for the broker to acknowledge
them, and only then stores the new position. A crash in between publishes some
events again, each carrying its event id in a header, so readers can drop repeats.
Used by ``rmledger publish`` (every event to ``rmledger.events``) and by the
consumer for dead letters (``DeadLetter`` events to ``<source topic>.dlq``).

Personal data (docs/rules.md R4.2) leaves only masked: on ``rmledger.events`` every
``id_number`` in an event's state is cut to its last 4 characters, and a dead letter's
original bytes are withheld (they are on its ``.dlq`` topic; see docs/kafka.md).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Notification, Tracking
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from consumers.decoder import PERSONAL_FIELDS
from consumers.topics import EVENTS_TOPIC, dlq_topic
from domain.account import SECRET_FIELDS
from domain.errors import mask
from domain.ledger import Ledger

PAGE = 1000
# Every blocking call into kafka-python outside a consumer's poll() (committed offsets,
# commit, position, close, a producer's send and flush) is bounded by this: with no
# bound some of them retry forever on a dead broker, and then neither SIGTERM nor
# --until-idle can end the process.
KAFKA_CALL_MS = 5000
DEAD_LETTER_TOPIC = "domain.registry:DeadLetter.Recorded"

# A route turns a stored notification into (topic, key, value, headers), or None to skip it.
Route = Callable[
    [Ledger, Notification], tuple[str, bytes | None, bytes, list[tuple[str, bytes]]] | None
]


def event_id(notification: Notification) -> str:
    """A stable id of a stored event: its aggregate id and version."""
    return f"{notification.originator_id}:{notification.originator_version}"


def events_route(topic: str = EVENTS_TOPIC) -> Route:
    """Every event, as JSON with its topic and position, keyed by its aggregate id, to ``topic``."""

    def route(
        ledger: Ledger, n: Notification
    ) -> tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]:
        state = published_state(n.topic, json.loads(_plain_state(ledger, n)))
        value = json.dumps(
            {
                "position": n.id,
                "topic": n.topic,
                "originator_id": str(n.originator_id),
                "originator_version": n.originator_version,
                "state": state,
            },
            sort_keys=True,
        )
        headers = [
            ("rmledger-event-id", event_id(n).encode()),
            ("rmledger-position", str(n.id).encode()),
        ]
        return topic, str(n.originator_id).encode(), value.encode(), headers

    return route


all_events_route = events_route(EVENTS_TOPIC)


def published_state(topic: str, state: Any) -> Any:
    """An event's state as ``rmledger.events`` carries it: every personal field
    (``id_number``), at any depth, masked to its last 4 characters, and a dead
    letter's original value bytes (``value_b64``) replaced by ``null``: a rejected
    message may hold an identity number in clear, or be JSON too broken to find it in.
    An account's password hash is replaced by ``null`` too.
    The key (an entity id) and the error text (which never echoes personal data) stay."""
    state = _masked(state)
    if topic == DEAD_LETTER_TOPIC and isinstance(state, dict):
        state["value_b64"] = None
    if isinstance(state, dict):
        # An account's password hash never leaves the store (domain.account.SECRET_FIELDS).
        state.update({name: None for name in SECRET_FIELDS if name in state})
    return state


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: mask(item) if key in PERSONAL_FIELDS and isinstance(item, str) else _masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def dead_letter_route(
    ledger: Ledger, n: Notification
) -> tuple[str, bytes | None, bytes, list[tuple[str, bytes]]] | None:
    """A dead letter: the original bytes, with the source position and error as headers."""
    if n.topic != DEAD_LETTER_TOPIC:
        return None
    letter: Any = ledger.mapper.to_domain_event(n)
    headers = [
        ("rmledger-event-id", event_id(n).encode()),
        ("source-topic", letter.source_topic.encode()),
        ("source-partition", str(letter.partition).encode()),
        ("source-offset", str(letter.offset).encode()),
        ("error-field", letter.field.encode()),
        ("error-rule", letter.rule.encode()),
        ("error", letter.error.encode()),
    ]
    key = base64.b64decode(letter.key_b64) or None
    return dlq_topic(letter.source_topic), key, base64.b64decode(letter.value_b64), headers


def _plain_state(ledger: Ledger, n: Notification) -> str:
    """The event's state as JSON text (decrypted and decompressed if need be)."""
    data = n.state
    if ledger.mapper.cipher is not None:
        data = ledger.mapper.cipher.decrypt(data)
    if ledger.mapper.compressor is not None:
        data = ledger.mapper.compressor.decompress(data)
    return data.decode("utf-8")


class CheckedProducer:
    """A KafkaProducer whose ``flush()`` raises if any record sent since it was last
    flushed was not acknowledged (``KafkaTimeoutError``) or failed (its error)."""

    def __init__(self, producer: KafkaProducer) -> None:
        self.producer = producer
        self.futures: list[Any] = []

    def send(self, *args: Any, **kwargs: Any) -> Any:
        future = self.producer.send(*args, **kwargs)
        self.futures.append(future)
        return future

    def flush(self) -> None:
        futures, self.futures = self.futures, []
        self.producer.flush(timeout=2 * KAFKA_CALL_MS / 1000)
        for future in futures:
            if not future.is_done:
                raise KafkaTimeoutError("a record was not acknowledged by the broker in time")
            if future.failed():
                raise future.exception

    def close(self) -> None:
        self.producer.close(timeout=1.0)


class LogPublisher:
    """Publishes selected stored events to Kafka, resuming from its stored position.

    ``topics`` (event topics, e.g. only ``DeadLetter.Recorded``) narrows what is read
    from the store; the position still moves to the end of the log each time."""

    def __init__(
        self, ledger: Ledger, bootstrap: str, name: str, route: Route, topics: Sequence[str] = ()
    ) -> None:
        self.ledger = ledger
        self.name = f"publisher:{name}"
        self.route = route
        self.topics = tuple(topics)
        self.bootstrap = bootstrap
        self._producer: CheckedProducer | None = None

    @property
    def producer(self) -> CheckedProducer:
        """Every wait bounded (a dead broker must not hold the process) and a send that
        failed raised at the flush, so that the stored position never moves past a
        record the broker did not take."""
        if self._producer is None:
            self._producer = CheckedProducer(
                KafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    linger_ms=5,
                    max_block_ms=KAFKA_CALL_MS,
                    request_timeout_ms=KAFKA_CALL_MS,
                    delivery_timeout_ms=2 * KAFKA_CALL_MS,
                )
            )
        return self._producer

    def publish_new(self) -> int:
        """Publish everything after the stored position; return how many were sent."""
        sent = 0
        position = self.ledger.max_tracking_id(self.name) or 0
        end = self.ledger.recorder.max_notification_id() or 0
        while position < end:
            page = self.ledger.recorder.select_notifications(
                start=position + 1, limit=PAGE, stop=end, topics=self.topics
            )
            for notification in page:
                routed = self.route(self.ledger, notification)
                if routed is not None:
                    topic, key, value, headers = routed
                    self.producer.send(topic, key=key, value=value, headers=headers)
                    sent += 1
            if sent:
                self.producer.flush()  # acknowledged before the position moves on
            # A short page is the last one up to ``end`` (with ``topics``, the rows
            # in between were of other topics): the position moves to ``end``.
            position = page[-1].id if len(page) == PAGE else end
            try:
                self.ledger.recorder.insert_tracking(Tracking(self.name, position))  # type: ignore[attr-defined]
            except IntegrityError:
                # Another publisher on the same store (a second consumer of the group)
                # has moved the position further: at least once, so carry on from there.
                position = max(position, self.ledger.max_tracking_id(self.name) or 0)
        return sent

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()

"""The Kafka way in: a consumer-group member that applies messages exactly once in effect.

Per partition, records are decoded with the same decoder as ``rmledger ingest`` and
applied in batches. The partition's *watermark* (the lowest offset not yet finished)
is stored as a tracking record in the same transaction as the events, and committed
to Kafka afterwards; on (re)assignment the consumer seeks to the stored watermark
when it is ahead of the committed offset, so a crash between store and commit
redelivers nothing that was applied. Anything redelivered below it for another
reason is recognised by its business id as a duplicate and changes nothing.

A message whose dependency has not arrived yet (a posting before its client's
registration, a handover before the assignment it moves) is held, with every later
message of its key, and retried until it applies or ``retry_seconds`` pass; then it
is dead-lettered. Malformed messages and messages breaking a rule are dead-lettered
at once: stored as a DeadLetter in the same transaction, then published to
``<topic>.dlq`` by the dead-letter publisher.
"""

from __future__ import annotations

import base64
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

import attrs
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener

from consumers.decoder import decode_object, message_id_of, parse_json
from consumers.publisher import LogPublisher, dead_letter_route
from domain.errors import RuleBroken
from domain.ledger import APPLIED, DUPLICATE, HELD, Ledger, Outcome
from domain.messages import Message
from domain.registry import DeadLetter

log = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 30.0
DEFAULT_MAX_POLL_RECORDS = 5000


def tracking_name(topic: str, partition: int) -> str:
    """The tracking record name of one partition in the event store."""
    return f"kafka:{topic}:{partition}"


@attrs.define
class Pending:
    """A record waiting in its partition: decoded, and held since ``held_since`` if held."""

    offset: int
    key: bytes | None
    value: bytes
    message: Message
    held_since: float | None = None


@attrs.define
class ConsumeStats:
    """Running counts, shown as progress and returned at the end."""

    consumed: int = 0
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    held: int = 0
    lag: int = 0

    def line(self) -> str:
        return (f"consumed {self.consumed}  applied {self.applied}  duplicates {self.duplicates}  "
                f"dead-lettered {self.dead_lettered}  held {self.held}  lag {self.lag}")


class PartitionWork:
    """The held records of one partition and the offsets finished so far."""

    def __init__(self, tp: TopicPartition) -> None:
        self.tp = tp
        self.pending: list[Pending] = []  # held records, in offset order
        self.next_offset: int | None = None  # one past the last record seen
        self.stored_mark: int | None = None  # the watermark last stored with events

    def watermark(self) -> int | None:
        """The lowest offset not finished: the first held record, or one past the last seen."""
        return self.pending[0].offset if self.pending else self.next_offset


class LedgerConsumer:
    """Consumes the input topics into a ledger. ``run()`` until stopped or idle."""

    def __init__(
        self,
        ledger: Ledger,
        bootstrap: str,
        topics: list[str],
        group: str = "rmledger",
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        max_poll_records: int = DEFAULT_MAX_POLL_RECORDS,
        session_timeout_ms: int = 10000,
        on_progress: Callable[[ConsumeStats], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ledger = ledger
        self.topics = topics
        self.retry_seconds = retry_seconds
        self.on_progress = on_progress
        self.clock = clock
        self.stats = ConsumeStats()
        self.work: dict[TopicPartition, PartitionWork] = {}
        self.stopping = False
        self.newly_assigned: set[TopicPartition] = set()
        self.newly_revoked: set[TopicPartition] = set()
        self.joined = False  # idleness counts only once the group has given us partitions
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,  # offsets are committed after the events are stored
            auto_offset_reset="earliest",
            max_poll_records=max_poll_records,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=max(1000, session_timeout_ms // 3),
            client_id=f"rmledger-{group}",
        )
        self.dead_letters = LogPublisher(ledger, bootstrap, "dead-letters", dead_letter_route)

    # -- group membership ---------------------------------------------------------------

    # kafka-python runs rebalance callbacks on its network thread, where no blocking
    # call (committed(), commit(), seek()) is allowed: the callbacks only note the
    # change, and the main loop acts on it between polls.

    def _take_assignment(self) -> None:
        while self.newly_revoked:
            self.work.pop(self.newly_revoked.pop(), None)  # held records go to the new owner
        while self.newly_assigned:
            tp = self.newly_assigned.pop()
            work = self.work[tp] = PartitionWork(tp)
            work.stored_mark = self.ledger.max_tracking_id(tracking_name(tp.topic, tp.partition))
            committed = self.consumer.committed(tp)
            if work.stored_mark is not None and (committed is None or work.stored_mark > committed):
                # Stored but not committed (a crash between the two): start after it.
                self.consumer.seek(tp, work.stored_mark)

    # -- the loop -----------------------------------------------------------------------

    def stop(self, *_: Any) -> None:
        """Finish the batch in hand, commit, and leave (SIGTERM/SIGINT)."""
        self.stopping = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self, until_idle: float | None = None, poll_ms: int = 500) -> ConsumeStats:
        """Consume until ``stop()``, or until nothing arrived for ``until_idle`` seconds
        and nothing is held."""
        owner = self

        class Listener(ConsumerRebalanceListener):  # type: ignore[misc]
            def on_partitions_revoked(self, revoked: Any) -> None:
                owner.newly_revoked.update(revoked)
                owner.newly_assigned.difference_update(revoked)

            def on_partitions_assigned(self, assigned: Any) -> None:
                owner.joined = True
                owner.newly_assigned.update(assigned)

        self.consumer.subscribe(self.topics, listener=Listener())
        last_activity = self.clock()
        try:
            while not self.stopping:
                batches = self.consumer.poll(timeout_ms=poll_ms)
                self._take_assignment()
                received = sum(len(records) for records in batches.values())
                for tp, records in batches.items():
                    if tp in self.work:
                        self._process(tp, records)
                for tp, work in list(self.work.items()):
                    if work.pending and tp not in batches:
                        self._process(tp, [])  # retry what is held
                self._commit(list(self.work))
                self.dead_letters.publish_new()
                if received or not self.joined:
                    last_activity = self.clock()
                self._report()
                held = sum(len(w.pending) for w in self.work.values())
                idle = until_idle is not None and self.clock() - last_activity >= until_idle
                if idle and not held and self._caught_up():
                    break
        finally:
            self._commit(list(self.work))
            self.dead_letters.publish_new()
            self.dead_letters.close()
            self.consumer.close(autocommit=False)
        return self.stats

    # The lag comes from the high-water marks of fetch responses, not end_offsets():
    # some Kafka-protocol brokers (Tansu 0.6) answer ListOffsets LATEST with the
    # start of the last record batch, which would make a consumer stop too early.

    def _lag(self) -> int | None:
        """Records behind the high-water marks of the assigned partitions (None: unknown yet)."""
        lag = 0
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is None:
                return None
            lag += max(0, highwater - self.consumer.position(tp))
        return lag

    def _caught_up(self) -> bool:
        return not self.consumer.assignment() or self._lag() == 0

    def _report(self) -> None:
        if self.on_progress:
            self.stats.lag = self._lag() or 0
        self.stats.held = sum(len(w.pending) for w in self.work.values())
        if self.on_progress:
            self.on_progress(self.stats)

    # -- one partition's batch ------------------------------------------------------------

    def _process(self, tp: TopicPartition, records: list[Any]) -> None:
        work = self.work.setdefault(tp, PartitionWork(tp))
        candidates = list(work.pending)  # held records first: they came earlier
        letters: list[DeadLetter] = []
        for record in records:
            if work.stored_mark is not None and record.offset < work.stored_mark:
                continue  # finished before a restart or rebalance: stored, not yet committed
            self.stats.consumed += 1
            work.next_offset = record.offset + 1
            obj: Any = None
            try:
                obj = parse_json(record.value)
                candidates.append(Pending(record.offset, record.key, record.value, decode_object(obj)))
            except RuleBroken as error:
                letters.append(self._letter(tp, record.offset, record.key, record.value,
                                            message_id_of(obj) or "", error))
        if not candidates and not letters:
            return
        now = self.clock()
        keys = [(c.key or b"").decode("utf-8", "replace") for c in candidates]
        lettered: dict[int, Aggregate] = {}

        def before_save(outcomes: list[Outcome]) -> tuple[list[Aggregate], Tracking | None]:
            lettered.clear()
            blocked: set[str] = set()
            for index, outcome in enumerate(outcomes):
                if outcome.error is None:
                    continue
                item = candidates[index]
                if outcome.status == HELD:
                    # Only the first held record of a key has met its missing dependency
                    # itself; those behind it wait their turn, however long.
                    first_of_key = keys[index] not in blocked
                    blocked.add(keys[index])
                    waited = now - (item.held_since if item.held_since is not None else now)
                    if not first_of_key or waited < self.retry_seconds:
                        continue
                lettered[index] = self._letter(tp, item.offset, item.key, item.value, item.message.id, outcome.error)
            still_held = [c.offset for i, c in enumerate(candidates) if outcomes[i].status == HELD and i not in lettered]
            mark = min(still_held) if still_held else work.next_offset
            if mark is None or (work.stored_mark is not None and mark <= work.stored_mark):
                return list(lettered.values()), None
            name = tracking_name(tp.topic, tp.partition)
            return list(lettered.values()), Tracking(application_name=name, notification_id=mark)

        outcomes = self.ledger.apply_batch(
            [c.message for c in candidates], extra=letters, keys=keys, before_save=before_save
        )
        self.stats.dead_lettered += len(letters) + len(lettered)
        work.pending = []
        for index, (item, outcome) in enumerate(zip(candidates, outcomes, strict=True)):
            if outcome.status == APPLIED:
                self.stats.applied += 1
            elif outcome.status == DUPLICATE:
                self.stats.duplicates += 1
            elif outcome.status == HELD and index not in lettered:
                if item.held_since is None:
                    item.held_since = now
                work.pending.append(item)
        mark = work.watermark()
        if mark is not None and (work.stored_mark is None or mark > work.stored_mark):
            work.stored_mark = mark

    @staticmethod
    def _letter(tp: TopicPartition, offset: int, key: bytes | None, value: bytes,
                message_id: str, error: RuleBroken) -> DeadLetter:
        return DeadLetter(
            source_topic=tp.topic, partition=tp.partition, offset=offset,
            key_b64=base64.b64encode(key or b"").decode(), value_b64=base64.b64encode(value).decode(),
            message_id=message_id, field=error.field or "", rule=error.rule, error=error.describe(),
        )

    def _commit(self, partitions: list[TopicPartition]) -> None:
        offsets = {}
        for tp in partitions:
            work = self.work.get(tp)
            mark = work.watermark() if work else None
            if mark is not None:
                offsets[tp] = OffsetAndMetadata(mark, "", -1)
        if offsets:
            self.consumer.commit(offsets)


__all__ = ["APPLIED", "DUPLICATE", "ConsumeStats", "LedgerConsumer", "tracking_name"]

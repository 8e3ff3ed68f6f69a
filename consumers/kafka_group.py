"""Staying in the consumer group: the rebalance callbacks, taking a new assignment
(seeking each partition to its stored watermark), connecting and subscribing,
knowing whether the member is in its group, and leaving and joining again when it
has been out too long. A mixin of ``LedgerConsumer``."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError

from consumers.group_watch import Backoff, broker_reachable
from consumers.kafka_records import PartitionWork, tracking_name
from consumers.publisher import DEAD_LETTER_TOPIC, KAFKA_CALL_MS
from domain.ledger import Ledger

# One logger for the whole consumer, whichever module a line comes from.
log = logging.getLogger("consumers.kafka_consumer")


class GroupUnavailable(Exception):
    """With ``until_idle``: the consumer stayed out of its group (no broker, or a join
    that does not complete) for twice the join timeout, a rejoin included."""


class Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Notes rebalances for the main loop (kafka-python calls this on its network
    thread, where no blocking call is allowed)."""

    def __init__(self, owner: GroupMembership) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.owner.newly_revoked.update(revoked)
        self.owner.newly_assigned.difference_update(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.owner.joined = True
        self.owner.assignments += 1
        self.owner.generation_started = time.monotonic()
        self.owner.newly_assigned.update(assigned)


class GroupMembership:
    """Joins the group, takes assignments, and rejoins when out of it too long."""

    # Set by LedgerConsumer.__init__ (and the rebalance callbacks).
    ledger: Ledger
    bootstrap: str
    group: str
    topics: list[str]
    settings: dict[str, Any]
    on_notice: Callable[[str], None] | None
    work: dict[TopicPartition, PartitionWork]
    newly_assigned: set[TopicPartition]
    newly_revoked: set[TopicPartition]
    revoked: set[TopicPartition]
    joined: bool
    joins: int
    assignments: int
    generation_started: float
    join_timeout: float
    out_since: float | None
    last_notice: float
    backoff: Backoff
    _consumer: KafkaConsumer | None

    def _new_consumer(self) -> KafkaConsumer:
        """A KafkaConsumer with this member's settings (a new member id each time)."""
        return KafkaConsumer(**self.settings)

    def _notice(self, text: str) -> None:
        if self.on_notice is not None:
            self.on_notice(text)
        else:
            log.warning("%s", text)

    def _poll_timeout(self) -> None:
        self._notice(
            f"no poll within the rebalance timeout ({self.settings['max_poll_interval_ms']} ms): "
            "kafka-python left the group and joins again (raise --rebalance-timeout-ms)"
        )

    def _joining(self) -> None:
        self.joins += 1
        self._notice(f"joining group {self.group} (round {self.joins})")

    # -- group membership ---------------------------------------------------------------

    # kafka-python runs rebalance callbacks on its network thread, where no blocking
    # call (committed(), commit(), seek()) is allowed: the callbacks only note the
    # change, and the main loop acts on it between polls.

    def _take_assignment(self) -> set[TopicPartition]:
        """Act on the rebalance callbacks; return the partitions (re)assigned just now."""
        while self.newly_revoked:
            tp = self.newly_revoked.pop()
            self.work.pop(tp, None)  # held records go to the new owner
            self.revoked.add(tp)
        assigned: list[PartitionWork] = []
        while self.newly_assigned:
            tp = self.newly_assigned.pop()
            self.revoked.discard(tp)
            work = self.work[tp] = PartitionWork(tp)
            assigned.append(work)
            work.stored_mark = self.ledger.max_tracking_id(tracking_name(tp.topic, tp.partition))
            try:
                committed = self.consumer.committed(tp, timeout_ms=KAFKA_CALL_MS)
            except KafkaError as error:
                # The stored watermark is what counts; the committed offset is only
                # ever a stored one (or the offset of another store, read again and
                # recognised by message id).
                log.info(
                    "committed offset of %s unknown (%s); starting from the stored watermark",
                    tp,
                    error,
                )
                committed = None
            # Always start again from the watermark: stored but not committed (a crash
            # between the two) or committed. Never from the position in memory: a
            # partition kept across a rebalance keeps its fetch position (kafka-python
            # 3), which is past the held records just dropped with its work.
            marks = [mark for mark in (work.stored_mark, committed) if mark is not None]
            try:
                if marks:
                    self.consumer.seek(tp, max(marks))
                else:
                    self.consumer.seek_to_beginning(tp)
            except ValueError:
                # Taken away since it was assigned (kafka-python's network thread drops
                # the assignment when the session expires, as when the broker goes):
                # its revocation is noted, and the next call drops its work.
                log.info("%s was revoked before its seek to the watermark", tp)
        if any(work.stored_mark is not None for work in assigned):
            self._load_lettered([work for work in assigned if work.stored_mark is not None])
        return {work.tp for work in assigned}

    def _load_lettered(self, assigned: list[PartitionWork]) -> None:
        """Note the dead letters stored at or after each partition's watermark."""
        by_tp = {(w.tp.topic, w.tp.partition): w for w in assigned}
        position = 0
        while True:
            page = self.ledger.recorder.select_notifications(
                start=position + 1, limit=1000, topics=[DEAD_LETTER_TOPIC]
            )
            for notification in page:
                letter: Any = self.ledger.mapper.to_domain_event(notification)
                work = by_tp.get((letter.source_topic, letter.partition))
                if work is not None and letter.offset >= (work.stored_mark or 0):
                    work.lettered.add(letter.offset)
            if len(page) < 1000:
                return
            position = page[-1].id

    # -- staying in the group -------------------------------------------------------------

    @property
    def consumer(self) -> KafkaConsumer:
        """The current KafkaConsumer (a new one after each rejoin)."""
        if self._consumer is None:
            raise KafkaError("not connected to a broker")
        return self._consumer

    @consumer.setter
    def consumer(self, value: KafkaConsumer) -> None:  # a test may read through a wrapper
        self._consumer = value

    def _connect(self) -> bool:
        """Make a KafkaConsumer and subscribe it; False if no broker answered."""
        try:
            self._consumer = self._new_consumer()
        except KafkaError as error:  # NoBrokersAvailable within bootstrap_timeout_ms
            log.info("no broker: %s", error)
            return False
        self._subscribe()
        return True

    def _subscribe(self) -> None:
        self.consumer.subscribe(self.topics, listener=Listener(self))

    def _in_group(self) -> bool:
        """Whether this member has a known coordinator and has completed its last join.
        kafka-python 3.0.12 has no public call for this: its coordinator's state is read."""
        if self._consumer is None:
            return False
        coordinator = self._consumer._coordinator
        if not self.joined or coordinator.rebalance_in_progress() or coordinator.need_rejoin():
            return False
        return not coordinator.coordinator_unknown()

    def _watch_group(self, until_idle: float | None) -> None:
        """Out of the group for ``join_timeout``: say why, leave and join again;
        with ``until_idle``, give up after twice that. Wall time, not ``self.clock``
        (which tests drive by hand for settling and retries)."""
        now = time.monotonic()
        if self._in_group():
            self.out_since = None
            self.backoff.reset()
            return
        if self.out_since is None:
            self.out_since = self.last_notice = now
        out = now - self.out_since
        give_up = until_idle is not None and out >= 2 * self.join_timeout
        if not give_up and not self.backoff.due(now - self.last_notice):
            return
        self.last_notice = now
        if broker_reachable(self.bootstrap):
            why = "the broker answers, but the group join has not completed"
        else:
            why = f"no broker answers at {self.bootstrap}"
        if give_up:
            raise GroupUnavailable(
                f"not in group {self.group} for {out:.0f} s: {why}; giving up (--until-idle)"
            )
        self._notice(
            f"not in group {self.group} for {out:.0f} s: {why}; leaving and joining again "
            f"with a new member id (next notice in {self.backoff.wait:.0f} s)"
        )
        self._rejoin()

    def _rejoin(self) -> None:
        """Leave the group (bounded) and join again as a new member: a fresh member id
        and generation, whatever state the broker keeps for the old one."""
        old, self._consumer = self._consumer, None
        if old is not None:
            with contextlib.suppress(Exception):
                old.close(autocommit=False, timeout_ms=KAFKA_CALL_MS)
        # As after a revocation: held records are read again from the stored watermarks.
        self.revoked.update(self.work)
        self.revoked.update(self.newly_assigned)
        self.work.clear()
        self.newly_assigned.clear()
        self.newly_revoked.clear()
        self.joined = False
        self._connect()

"""The Kafka way in: a consumer-group member that applies messages exactly once in effect.

Per partition, records are decoded with the same decoder as ``rmledger ingest`` and
applied in batches. The partition's *watermark* (the lowest offset not yet finished)
is stored as a tracking record in the same transaction as the events, and committed
to Kafka afterwards; on every (re)assignment the consumer seeks to the later of the
stored watermark and the committed offset, so a crash between store and commit
redelivers nothing that was applied. What is read again after the watermark (the
records behind a held one) is recognised by its business id as a duplicate and
changes nothing, and a record already dead-lettered is skipped (docs/kafka.md).

A message that breaks a business rule (a posting before its client's registration,
a handover before the assignment it moves, a release before the handover filing that
gives the manager the client) is held, with every later message of its key, and
retried until it applies or ``retry_seconds`` pass; then it is dead-lettered with its
last error. Malformed messages and id conflicts are dead-lettered at once: stored as a
DeadLetter in the same transaction, then published to ``<topic>.dlq`` by the
dead-letter publisher.

Some messages close a door when they succeed: a departure (no client can be given to
the manager afterwards), a handover opening (its clients can be neither released nor
put in another handover), a filing (the clients' primary moves) and a month close (no
award for the month). Applied as soon
as they are consumed they could succeed *before* a message that comes earlier in
business order on another topic, which would then fail for good. They are therefore
*settled*: held for ``settle_seconds`` after they are read; then the high-water marks
of the owned partitions are noted, and once every owned partition has been read up
to those marks and nothing else held can be applied, they are applied one at a time,
in business-date order (docs/kafka.md, "Ordering across families"). The marks are
fixed when noted, so a continuous feed or a long backlog delays a settling record
only until what was there at that moment is read, never indefinitely.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError

from consumers.decisions import (
    FINISHED,
    LETTERED,
    advances,
    dead_letter_indexes,
    intake,
    kept_back,
    still_held,
    watermark,
)
from consumers.decoder import decode_object, message_id_of, parse_json
from consumers.group_watch import Backoff, JoinNotices, StopDeadline, broker_reachable
from consumers.publisher import DEAD_LETTER_TOPIC, KAFKA_CALL_MS, LogPublisher, dead_letter_route
from domain import messages as m
from domain.errors import RuleBroken
from domain.ledger import APPLIED, DUPLICATE, Ledger, Outcome
from domain.messages import Message
from domain.registry import DeadLetter

log = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 30.0
DEFAULT_MAX_POLL_RECORDS = 5000
# A settling record waits at least this long after it was read before the high-water
# marks it must be read up to are noted: records produced just before it to another
# topic may land on the broker a little after it (a producer has several requests in
# flight), and the high-water marks the consumer knows may be that much behind.
DEFAULT_SETTLE_SECONDS = 1.0
DEFAULT_SESSION_TIMEOUT_MS = 10000
# How long a member may be out of the group (starting, joining, rebalancing, or
# without a broker) before it says so and leaves and rejoins with a new member id.
# It covers the worst ordinary case on Tansu with the default session: a member
# SIGKILLed in a join stays in the group for its session timeout (10 s), then a join
# round is held for half a session (5 s), sometimes twice.
DEFAULT_JOIN_TIMEOUT = 30.0
# Sent as the rebalance timeout: how long a broker waits for the members of a group
# to rejoin. kafka-python's default (300 s) is what a restart waits for on Kafka when
# the member it replaces died in a join. It is also the longest the loop may go between
# two polls before kafka-python leaves the group: a poll stores at most
# max_poll_records, but retrying thousands of held records while settling takes
# longer on a loaded machine, so it is not cut to the join timeout.
DEFAULT_REBALANCE_TIMEOUT_MS = 60000
DEFAULT_STOP_SECONDS = 10.0


class GroupUnavailable(Exception):
    """With ``until_idle``: the consumer stayed out of its group (no broker, or a join
    that does not complete) for twice the join timeout, a rejoin included."""


# Messages whose success closes a door on others, with the business date that orders
# them: applied only once the consumer has settled (see the module docstring).
SETTLED_TYPES: dict[type[Message], Callable[[Any], date]] = {
    m.ManagerDeparted: lambda msg: msg.departed_on,
    m.HandoverOpened: lambda msg: msg.opened_on,
    m.HandoverFiled: lambda msg: msg.filed_on,
    # A month close: no award for the month after it. A feed sends it once the month's
    # messages are consumed; settling also spares an award read just before it.
    m.PeriodClosed: lambda msg: msg.closed_on,
}


def settles(message: Message) -> bool:
    """Whether ``message`` is applied only once the consumer has caught up (SETTLED_TYPES)."""
    return type(message) in SETTLED_TYPES


def tracking_name(topic: str, partition: int) -> str:
    """The tracking record name of one partition in the event store."""
    return f"kafka:{topic}:{partition}"


@attrs.define
class Pending:
    """A record waiting in its partition: decoded, and held since ``held_since`` once the
    ledger held it (None while it waits to settle, or behind one that does)."""

    offset: int
    key: bytes | None
    value: bytes
    message: Message
    held_since: float | None = None
    read_at: float = 0.0  # when it was read: a settling record waits settle_seconds from here
    # A settling record only: the high-water mark of each owned partition, noted once it
    # has waited settle_seconds (None per partition: not fetched yet, noted when it is).
    # It is released once every owned partition's position has reached its mark.
    settle_marks: dict[TopicPartition, int | None] | None = None


@attrs.frozen
class Malformed:
    """A record to dead-letter with its error: malformed, or failed for good."""

    offset: int
    key: bytes | None
    value: bytes
    message_id: str  # "" when the record has none that can be read
    error: RuleBroken


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
        return (
            f"consumed {self.consumed}  applied {self.applied}  duplicates {self.duplicates}  "
            f"dead-lettered {self.dead_lettered}  held {self.held}  lag {self.lag}"
        )


class PartitionRevoked(Exception):
    """The partition was taken away while its batch was being applied."""


class PartitionWork:
    """The held records of one partition and the offsets finished so far."""

    def __init__(self, tp: TopicPartition) -> None:
        self.tp = tp
        self.pending: list[Pending] = []  # held records, in offset order
        self.next_offset: int | None = None  # one past the last record seen
        self.stored_mark: int | None = None  # the watermark last stored with events
        # Offsets at or after the stored watermark that were dead-lettered before (a
        # malformed record behind a held one, then a restart): finished, never applied.
        self.lettered: set[int] = set()

    def watermark(self) -> int | None:
        """The lowest offset not finished: the first held record, or one past the last seen."""
        return watermark((p.offset for p in self.pending), self.next_offset)


@attrs.define
class Batch:
    """One partition's records on their way to the ledger in one transaction, and what
    was decided for them (set again each time the ledger redoes the batch)."""

    work: PartitionWork
    candidates: list[Pending]  # applied now, in offset order
    kept: list[Pending]  # kept back to settle (kept_back)
    malformed: list[Malformed]
    now: float
    keys: list[str] = attrs.field(init=False)  # the ledger's hold keys, one per candidate
    lettered: set[int] = attrs.Factory(set)  # indexes of candidates dead-lettered
    letters: list[DeadLetter] = attrs.Factory(list)  # the dead letters stored

    def __attrs_post_init__(self) -> None:
        self.keys = [(c.key or b"").decode("utf-8", "replace") for c in self.candidates]


class Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Notes rebalances for the main loop (kafka-python calls this on its network
    thread, where no blocking call is allowed)."""

    def __init__(self, owner: LedgerConsumer) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.owner.newly_revoked.update(revoked)
        self.owner.newly_assigned.difference_update(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.owner.joined = True
        self.owner.assignments += 1
        self.owner.generation_started = time.monotonic()
        self.owner.newly_assigned.update(assigned)


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
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        session_timeout_ms: int = DEFAULT_SESSION_TIMEOUT_MS,
        on_progress: Callable[[ConsumeStats], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        join_timeout: float = DEFAULT_JOIN_TIMEOUT,
        rebalance_timeout_ms: int = DEFAULT_REBALANCE_TIMEOUT_MS,
        instance_id: str | None = None,
        stop_seconds: float = DEFAULT_STOP_SECONDS,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.bootstrap = bootstrap
        self.group = group
        self.topics = topics
        self.retry_seconds = retry_seconds
        self.settle_seconds = settle_seconds
        self.on_progress = on_progress
        self.clock = clock
        self.stats = ConsumeStats()
        self.work: dict[TopicPartition, PartitionWork] = {}
        self.stopping = False
        self.newly_assigned: set[TopicPartition] = set()
        self.newly_revoked: set[TopicPartition] = set()
        self.revoked: set[TopicPartition] = set()
        self.joined = False  # idleness counts only once the group has given us partitions
        self.join_timeout = join_timeout
        self.on_notice = on_notice
        self.deadline = StopDeadline(stop_seconds)
        self.settings: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "group_id": group,
            "enable_auto_commit": False,  # offsets are committed after the events are stored
            "auto_offset_reset": "earliest",
            "max_poll_records": max_poll_records,
            "session_timeout_ms": session_timeout_ms,
            "heartbeat_interval_ms": max(100, session_timeout_ms // 3),
            "max_poll_interval_ms": rebalance_timeout_ms,
            "request_timeout_ms": max(KAFKA_CALL_MS, session_timeout_ms + 5000),
            # A broker that is down at start: the constructor gives up after this and
            # the loop tries again (and says so), instead of blocking for 30 s.
            "bootstrap_timeout_ms": KAFKA_CALL_MS,
            "client_id": f"rmledger-{group}",
        }
        if instance_id:
            self.settings["group_instance_id"] = instance_id  # static membership (KIP-345)
        self.generation_started = 0.0  # when the last join gave this member its partitions
        self.assignments = self.reported = 0  # joins completed, and said on stderr
        self.started = time.monotonic()
        # How long a generation must last before --until-idle may count the member as
        # caught up: long enough for a member that died in the join to be noticed. Tansu
        # may complete a join round with a member that died in the previous one and give
        # it partitions; they come back only when its session expires (docs/kafka.md).
        self.generation_settles = (
            session_timeout_ms + self.settings["heartbeat_interval_ms"]
        ) / 1000 + 1
        self.out_since: float | None = None  # when this member was last seen out of its group
        self.rejoined_at: float | None = None
        self.backoff = Backoff(join_timeout)
        self.joins = 0  # JoinGroup rounds started (kafka-python's own log record)
        self.join_notices = JoinNotices(group, self._joining, self._poll_timeout)
        self._consumer: KafkaConsumer | None = None
        self.last_notice = 0.0
        with contextlib.suppress(KafkaError):  # no broker yet: run() tries again, and says so
            self._consumer = self._new_consumer()
        self.dead_letters = LogPublisher(
            ledger, bootstrap, "dead-letters", dead_letter_route, topics=[DEAD_LETTER_TOPIC]
        )

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
            if marks:
                self.consumer.seek(tp, max(marks))
            else:
                self.consumer.seek_to_beginning(tp)
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

    # -- the loop -----------------------------------------------------------------------

    def stop(self, *_: Any) -> None:
        """Finish the batch in hand, commit, and leave (SIGTERM/SIGINT)."""
        self.stopping = True

    def _signalled(self, *_: Any) -> None:
        # Stop as soon as the loop sees it (every poll, at most poll_ms apart, is
        # bounded); the deadline ends the process if something does not return.
        self.stop()
        self.deadline.arm()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._signalled)
        signal.signal(signal.SIGINT, self._signalled)

    def run(self, until_idle: float | None = None, poll_ms: int = 500) -> ConsumeStats:
        """Consume until ``stop()``, or until nothing arrived for ``until_idle`` seconds
        and nothing is held.

        Out of its group (no broker, a join that does not complete) for ``join_timeout``
        seconds, it says so (``on_notice``), leaves and joins again with a new member id,
        and says so again at doubling intervals. With ``until_idle`` it gives up after
        twice ``join_timeout`` out of the group: ``GroupUnavailable``."""
        self.join_notices.install()
        last_activity = self.clock()
        self.out_since = self.last_notice = time.monotonic()  # starting counts as out of the group
        try:
            if self._consumer is not None:
                self._subscribe()
            while not self.stopping:
                if self._consumer is None and not self._connect():
                    time.sleep(poll_ms / 1000)  # no broker at start: tried again below
                    self._watch_group(until_idle)
                    continue
                batches = self.consumer.poll(timeout_ms=poll_ms)
                fresh = self._take_assignment()
                if self.reported != self.assignments:
                    self.reported = self.assignments
                    self._notice(
                        f"in group {self.group}: {len(self.consumer.assignment())} partitions, "
                        f"{time.monotonic() - self.started:.1f} s after start"
                    )
                received = sum(len(records) for records in batches.values())
                for tp, records in batches.items():
                    # Records of a partition assigned in this very poll came from before
                    # the seek to its watermark: they are fetched again from there.
                    if tp in self.work and tp not in fresh:
                        self._process(tp, records)
                for tp, work in list(self.work.items()):
                    if work.pending and tp not in batches:
                        self._process(tp, [])  # retry what is held
                self._settle()
                in_group = self._in_group()
                if in_group:
                    self._commit(list(self.work))
                    self._publish_dead_letters()
                if received or not self.joined:
                    last_activity = self.clock()
                self._report()
                held = sum(len(w.pending) for w in self.work.values())
                idle = until_idle is not None and self.clock() - last_activity >= until_idle
                settled = time.monotonic() - self.generation_started >= self.generation_settles
                if idle and in_group and settled and not held and self._caught_up():
                    break
                self._watch_group(until_idle)
        finally:
            self.join_notices.remove()
            if self._consumer is not None:
                in_group = self._in_group()
                if in_group:  # with no broker or no group, every call here would wait for nothing
                    self._commit(list(self.work))
                    self._publish_dead_letters()
                with contextlib.suppress(Exception):
                    self._consumer.close(
                        autocommit=False, timeout_ms=KAFKA_CALL_MS if in_group else 1000
                    )
            with contextlib.suppress(Exception):
                self.dead_letters.close()
            self.deadline.disarm()
        return self.stats

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

    def _publish_dead_letters(self) -> None:
        try:
            self.dead_letters.publish_new()
        except KafkaError as error:
            # Stored, so not lost: published once the broker takes them (the position
            # moves only after every record of a page is acknowledged).
            log.info("dead letters not published yet: %s", error)

    def _finished(self) -> int:
        return self.stats.applied + self.stats.duplicates + self.stats.dead_lettered

    def _settling_heads(self) -> list[tuple[date, str, int, int, Pending]]:
        """The settling records that are first of their key in their partition (a
        settling record behind a held one of its key waits for it), in the order they
        are let go: business date, then topic, partition and offset. Every one is
        listed, whether it has waited ``settle_seconds`` or not, so that one read a
        moment later cannot be overtaken by a later-dated one that happens to be due."""
        heads: list[tuple[date, str, int, int, Pending]] = []
        for tp, work in self.work.items():
            seen: set[bytes | None] = set()
            for item in work.pending:
                if item.key in seen:
                    continue
                seen.add(item.key)
                if settles(item.message):
                    day = SETTLED_TYPES[type(item.message)](item.message)
                    heads.append((day, tp.topic, tp.partition, item.offset, item))
        heads.sort(key=lambda head: head[:4])
        return heads

    def _note_settle_marks(self) -> None:
        """Note the high-water marks for every settling record that has just waited
        ``settle_seconds`` (heads or not: a record's marks are those of when it became
        due, not of when it reached the head of its key)."""
        now = self.clock()
        assignment = self.consumer.assignment()
        for work in self.work.values():
            for item in work.pending:
                if (
                    settles(item.message)
                    and item.settle_marks is None
                    and now - item.read_at >= self.settle_seconds
                ):
                    item.settle_marks = {tp: self.consumer.highwater(tp) for tp in assignment}

    def _releasable(self, item: Pending) -> bool:
        """Whether a settling record may be let go: it has waited ``settle_seconds``
        and every partition owned now has been read up to the high-water mark noted
        for it then (a partition with no mark yet, not fetched then or assigned since,
        is held to its first known one). A partition no longer owned does not count:
        its records are its new owner's."""
        if item.settle_marks is None:
            return False
        marks = item.settle_marks
        for tp in self.consumer.assignment():
            mark = marks.get(tp)
            if mark is None:
                mark = self.consumer.highwater(tp)
                if mark is None:
                    return False
                marks[tp] = mark
            position = self._position(tp)
            if position is None or position < mark:
                return False
        return True

    def _settle(self) -> None:
        """Apply what waits to settle, once it may go (``_releasable``).

        Settling records go in business-date order (``_settling_heads``). If the
        earliest cannot go yet, nothing goes: a later-dated one must not close a door
        on it. Otherwise everything else held is first retried until nothing more
        applies (a release that waited for a filing, an assignment that waited for its
        client); then the earliest that applies is let go, alone, because it may close
        a door on the others; and again, until none applies or the next is not
        releasable. A settling record that fails is held like any other (the next
        one is tried) and dead-lettered once its retry time is up."""
        self._note_settle_marks()
        while True:
            heads = self._settling_heads()
            if not heads or not self._releasable(heads[0][4]):
                return
            before = -1
            while before != self._finished():
                before = self._finished()
                for tp, work in list(self.work.items()):
                    if any(not settles(p.message) for p in work.pending):
                        self._process(tp, [])
            let_go = False
            for _, topic, partition, offset, item in self._settling_heads():
                if not self._releasable(item):
                    return  # stop, not skip: business-date order comes first
                before = self._finished()
                self._process(TopicPartition(topic, partition), [], release=offset)
                if self._finished() > before:
                    let_go = True
                    break
            if not let_go:
                return

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
            position = self._position(tp)
            if position is None:
                return None
            lag += max(0, highwater - position)
        return lag

    def _position(self, tp: TopicPartition) -> int | None:
        """The fetch position of an owned partition (None: not known in time)."""
        try:
            position: int | None = self.consumer.position(tp, timeout_ms=KAFKA_CALL_MS)
        except KafkaError:
            return None
        return position

    def _caught_up(self) -> bool:
        """Whether every assigned partition is read to its last fetched high-water mark."""
        return not self.consumer.assignment() or self._lag() == 0

    def _report(self) -> None:
        # Always counted, whether progress is shown or not: the final line says it.
        lag = self._lag()
        if lag is not None:
            self.stats.lag = lag
        self.stats.held = sum(len(w.pending) for w in self.work.values())
        if self.on_progress:
            self.on_progress(self.stats)

    # -- one partition's batch ------------------------------------------------------------

    def _process(self, tp: TopicPartition, records: list[Any], release: int | None = None) -> None:
        """Apply one partition's held records and new ``records`` in one transaction.

        Records that settle (SETTLED_TYPES) are kept back, with every later record of
        their key, except the one at offset ``release``, which ``_settle`` lets go."""
        work = self.work.setdefault(tp, PartitionWork(tp))
        read, malformed = self._read(work, records)
        waiting = work.pending + read  # held records first: they came earlier
        keep = kept_back([(p.key, p.offset, settles(p.message)) for p in waiting], release)
        kept = [item for item, k in zip(waiting, keep, strict=True) if k]
        candidates = [item for item, k in zip(waiting, keep, strict=True) if not k]
        if not candidates and not malformed:
            work.pending = kept
            return
        batch = Batch(work, candidates, kept, malformed, now=self.clock())
        try:
            outcomes = self.ledger.apply_batch(
                [c.message for c in candidates],
                keys=batch.keys,
                before_save=lambda outcomes: self._decide(batch, outcomes),
            )
        except PartitionRevoked:
            log.info("%s was revoked during a batch; the batch was not stored", tp)
            self.work.pop(tp, None)
            return
        self._account(batch, outcomes)

    def _read(
        self, work: PartitionWork, records: list[Any]
    ) -> tuple[list[Pending], list[Malformed]]:
        """Decode the records not finished before (``intake``); the malformed ones
        come back apart, to be dead-lettered."""
        read: list[Pending] = []
        malformed: list[Malformed] = []
        for record in records:
            decision = intake(record.offset, work.stored_mark, work.lettered)
            if decision == FINISHED:
                continue
            self.stats.consumed += 1
            work.next_offset = record.offset + 1
            if decision == LETTERED:
                continue
            obj: Any = None
            try:
                obj = parse_json(record.value)
                message = decode_object(obj)
            except RuleBroken as error:
                id_ = message_id_of(obj) or ""
                malformed.append(Malformed(record.offset, record.key, record.value, id_, error))
                continue
            read.append(
                Pending(record.offset, record.key, record.value, message, read_at=self.clock())
            )
        return read, malformed

    def _decide(
        self, batch: Batch, outcomes: list[Outcome]
    ) -> tuple[list[Aggregate], Tracking | None]:
        """The ledger's ``before_save``: the dead letters to store with the batch's
        events, and the partition's new watermark (None: it does not move).

        Called again when the batch is redone: everything is built afresh here (an
        aggregate handed over once has given up its events)."""
        tp, work = batch.work.tp, batch.work
        if tp in self.newly_revoked or tp in self.revoked:
            # Revoked while this batch was being applied: the new owner starts from
            # the stored watermark, so store nothing (the fence against a zombie).
            raise PartitionRevoked(tp)
        held_since = [c.held_since for c in batch.candidates]
        batch.lettered = dead_letter_indexes(
            outcomes, batch.keys, held_since, batch.now, self.retry_seconds
        )
        failed = []
        for index, item in enumerate(batch.candidates):
            error = outcomes[index].error
            if index in batch.lettered and error is not None:  # only failures are lettered
                failed.append(Malformed(item.offset, item.key, item.value, item.message.id, error))
        letters = (self._new_letter(tp, bad) for bad in [*batch.malformed, *failed])
        batch.letters = [letter for letter in letters if letter is not None]
        held = [batch.candidates[i].offset for i in still_held(outcomes, batch.lettered)]
        mark = watermark([*held, *(k.offset for k in batch.kept)], work.next_offset)
        if mark is None or not advances(mark, work.stored_mark):
            return list(batch.letters), None
        name = tracking_name(tp.topic, tp.partition)
        if not advances(mark, self.ledger.max_tracking_id(name)):
            return list(batch.letters), None
        return list(batch.letters), Tracking(application_name=name, notification_id=mark)

    def _account(self, batch: Batch, outcomes: list[Outcome]) -> None:
        """Count what the stored batch did and keep what is still held."""
        self.stats.dead_lettered += len(batch.letters)
        self.stats.applied += sum(1 for o in outcomes if o.status == APPLIED)
        self.stats.duplicates += sum(1 for o in outcomes if o.status == DUPLICATE)
        pending = list(batch.kept)
        for index in still_held(outcomes, batch.lettered):
            item = batch.candidates[index]
            if item.held_since is None:
                item.held_since = batch.now
            pending.append(item)
        work = batch.work
        work.pending = sorted(pending, key=lambda item: item.offset)
        mark = work.watermark()
        if mark is not None and advances(mark, work.stored_mark):
            work.stored_mark = mark

    def _new_letter(self, tp: TopicPartition, bad: Malformed) -> DeadLetter | None:
        """The dead letter of a record, or None if it was stored before: a record after
        the watermark may have been dead-lettered already (by this consumer before a
        restart, or by the previous owner of the partition); its dead letter has a
        deterministic id, so it is stored once and never again."""
        if self.ledger.has_aggregate(DeadLetter.create_id(tp.topic, tp.partition, bad.offset)):
            return None
        return DeadLetter(
            source_topic=tp.topic,
            partition=tp.partition,
            offset=bad.offset,
            key_b64=base64.b64encode(bad.key or b"").decode(),
            value_b64=base64.b64encode(bad.value).decode(),
            message_id=bad.message_id,
            field=bad.error.field or "",
            rule=bad.error.rule,
            error=bad.error.describe(),
        )

    def _commit(self, partitions: list[TopicPartition]) -> None:
        offsets = {}
        for tp in partitions:
            work = self.work.get(tp)
            # The stored watermark, not the one in memory: an offset is committed only
            # once it is stored with the events (a partition whose first record waits
            # to settle has stored nothing yet, and commits nothing).
            mark = work.stored_mark if work else None
            if mark is not None:
                offsets[tp] = OffsetAndMetadata(mark, "", -1)
        if not offsets:
            return
        try:
            self.consumer.commit(offsets, timeout_ms=KAFKA_CALL_MS)
        except KafkaError as error:
            # A rebalance under way, or this member was dropped from the group: the
            # watermark stored with the events is what counts, so this is not fatal.
            log.info("offset commit failed (%s); the stored watermarks stand", error)


__all__ = ["APPLIED", "DUPLICATE", "ConsumeStats", "LedgerConsumer", "tracking_name"]

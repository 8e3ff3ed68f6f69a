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

The parts are mixins of ``LedgerConsumer``, one module each: ``kafka_records`` (what
is kept per partition), ``kafka_batch`` (one partition's batch), ``kafka_settle``
(settling, lag) and ``kafka_group`` (group membership).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaError

from consumers.group_watch import Backoff, JoinNotices, StopDeadline
from consumers.kafka_group import GroupUnavailable
from consumers.kafka_records import ConsumeStats, PartitionWork, tracking_name
from consumers.kafka_settle import Settling
from consumers.publisher import DEAD_LETTER_TOPIC, KAFKA_CALL_MS, LogPublisher, dead_letter_route
from domain.ledger import APPLIED, DUPLICATE, Ledger

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


class LedgerConsumer(Settling):
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
                batches = self._poll(poll_ms)
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

    def _poll(self, poll_ms: int) -> dict[TopicPartition, list[Any]]:
        """One poll; nothing read if it failed. kafka-python 3.0.12 lets some errors of
        a broker that has just gone away out of poll() instead of returning nothing (a
        coordinator lookup refused, then the metadata refresh refused too, raises
        KafkaConnectionError). The member is then out of its group, which
        ``_watch_group`` says and bounds like any other way out of it: one path, not a
        traceback or an exit that depends on the moment the broker went."""
        try:
            batches: dict[TopicPartition, list[Any]] = self.consumer.poll(timeout_ms=poll_ms)
        except KafkaError as error:
            log.info("poll failed (%s); out of the group until it answers again", error)
            return {}
        return batches

    def _publish_dead_letters(self) -> None:
        try:
            self.dead_letters.publish_new()
        except KafkaError as error:
            # Stored, so not lost: published once the broker takes them (the position
            # moves only after every record of a page is acknowledged).
            log.info("dead letters not published yet: %s", error)

    def _report(self) -> None:
        # Always counted, whether progress is shown or not: the final line says it.
        lag = self._lag()
        if lag is not None:
            self.stats.lag = lag
        self.stats.held = sum(len(w.pending) for w in self.work.values())
        if self.on_progress:
            self.on_progress(self.stats)

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


__all__ = [
    "APPLIED",
    "DEFAULT_JOIN_TIMEOUT",
    "DEFAULT_MAX_POLL_RECORDS",
    "DEFAULT_REBALANCE_TIMEOUT_MS",
    "DEFAULT_RETRY_SECONDS",
    "DEFAULT_SESSION_TIMEOUT_MS",
    "DEFAULT_SETTLE_SECONDS",
    "DEFAULT_STOP_SECONDS",
    "DUPLICATE",
    "ConsumeStats",
    "GroupUnavailable",
    "LedgerConsumer",
    "tracking_name",
]

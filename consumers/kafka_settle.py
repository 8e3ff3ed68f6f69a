"""Settling: the records whose success closes a door on others (``SETTLED_TYPES``)
wait until every owned partition has been read up to the high-water marks noted
once they have waited ``settle_seconds``, then go one at a time in business-date
order; and the lag that says when the consumer has caught up. A mixin of
``LedgerConsumer`` (see the module docstring of ``consumers.kafka_consumer``)."""

from __future__ import annotations

from datetime import date

from kafka import TopicPartition
from kafka.errors import KafkaError

from consumers.kafka_batch import PartitionBatches
from consumers.kafka_group import GroupMembership
from consumers.kafka_records import SETTLED_TYPES, Pending, settles
from consumers.publisher import KAFKA_CALL_MS


class Settling(GroupMembership, PartitionBatches):
    """Lets settling records go once the owned partitions are read far enough."""

    settle_seconds: float  # set by LedgerConsumer.__init__

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
                    item.settle_marks = {tp: self._highwater(tp) for tp in assignment}

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
                mark = self._highwater(tp)
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
            highwater = self._highwater(tp)
            if highwater is None:
                return None
            position = self._position(tp)
            if position is None:
                return None
            lag += max(0, highwater - position)
        return lag

    def _highwater(self, tp: TopicPartition) -> int | None:
        """The last fetched high-water mark of a partition (None: unknown, or no longer
        owned: kafka-python's network thread may take a partition away, as when the
        broker goes, between ``assignment()`` and this call)."""
        try:
            highwater: int | None = self.consumer.highwater(tp)
        except KafkaError:
            return None
        return highwater

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

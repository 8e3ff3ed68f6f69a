"""One partition's batch: decode the records read (``_read``), apply them with the
held ones in one transaction, deciding there which to dead-letter and how far the
watermark moves (``_decide``), then count the outcome and keep what is still held
(``_account``). A mixin of ``LedgerConsumer``."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from kafka import TopicPartition

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
from consumers.kafka_records import (
    Batch,
    ConsumeStats,
    Malformed,
    PartitionRevoked,
    PartitionWork,
    Pending,
    settles,
    tracking_name,
)
from domain.errors import RuleBroken
from domain.ledger import APPLIED, DUPLICATE, Ledger, Outcome
from domain.registry import DeadLetter

# One logger for the whole consumer, whichever module a line comes from.
log = logging.getLogger("consumers.kafka_consumer")


class PartitionBatches:
    """Applies a partition's records to the ledger in batches, exactly once in effect."""

    # Set by LedgerConsumer.__init__ (and the rebalance callbacks).
    ledger: Ledger
    stats: ConsumeStats
    work: dict[TopicPartition, PartitionWork]
    clock: Callable[[], float]
    retry_seconds: float
    newly_revoked: set[TopicPartition]
    revoked: set[TopicPartition]

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

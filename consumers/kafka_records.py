"""What the Kafka consumer keeps per partition: records waiting (``Pending``), records
to dead-letter (``Malformed``), the partition's held records and watermark
(``PartitionWork``), a batch on its way to the ledger (``Batch``), the running counts
(``ConsumeStats``), and which messages settle (``SETTLED_TYPES``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
from kafka import TopicPartition

from consumers.decisions import watermark
from domain import messages as m
from domain.errors import RuleBroken
from domain.messages import Message
from domain.registry import DeadLetter

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

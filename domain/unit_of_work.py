"""The unit of work of one batch: what the ledger loads, changes and stores together.

Every message of a batch sees the changes of the messages before it; facts
(postings, balances, activities, adjustments) are written as bare created events,
keyed by their message id, without loading anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.errors import DependencyMissing, DomainRuleBroken
from domain.facts import MESSAGE_KIND, Activity, Adjustment, BalanceReport, Posting
from domain.ids import aggregate_id

if TYPE_CHECKING:  # the ledger imports this module
    from domain.ledger import Ledger

A = TypeVar("A", bound=Aggregate)

# The name given to each fact's created event by its ``@event`` decorator.
CREATED_EVENT_NAMES: dict[type[Aggregate], str] = {
    Posting: "Booked",
    BalanceReport: "Reported",
    Activity: "Recorded",
    Adjustment: "Recorded",
}


class UnitOfWork:
    """The aggregates loaded and changed by one batch, so that later messages of the
    batch see the changes of earlier ones, and all are saved together."""

    def __init__(self, ledger: Ledger, optimistic: bool) -> None:
        self.ledger = ledger
        self.optimistic = optimistic
        self.aggregates: dict[UUID, Aggregate] = {}
        self.missing: set[UUID] = set()
        self.touched: dict[UUID, int] = {}
        self.new_clients: set[str] = set()
        self.new_managers: set[str] = set()
        self.events: list[Any] = []
        # Created events of facts (postings, balances, ...) made in this batch, by id.
        # Facts are written as bare created events: building an aggregate object for
        # each would cost more than storing it, and nothing reads it unless a later
        # message of the batch (a reversal, a duplicate) asks for it.
        self.facts: dict[UUID, Any] = {}
        self._last_fact_id: tuple[str, UUID] = ("", aggregate_id(MESSAGE_KIND, ""))

    def begin_message(self) -> None:
        self.touched = {}

    def end_message(self) -> None:
        """Take the events of the message just applied, in the order they happened,
        so the log keeps message order across aggregates (a reversal recorded after a
        period close must stay after it)."""
        new = [e for i in self.touched for e in self.aggregates[i].collect_events()]
        new.sort(key=lambda e: e.timestamp)
        self.events += new

    def _touch(self, aggregate: Aggregate) -> None:
        self.touched.setdefault(aggregate.id, len(aggregate._pending_events))

    def changed_by_failed_message(self) -> bool:
        return any(
            len(self.aggregates[i]._pending_events) > n
            for i, n in self.touched.items()
            if i in self.aggregates
        )

    def get(self, cls: type[A], kind: str, source_id: str, *, from_store: bool = True) -> A | None:
        """The aggregate for ``source_id``, from this batch or the store, or None."""
        aggregate_uuid = aggregate_id(kind, source_id)
        found = self.aggregates.get(aggregate_uuid)
        if found is None and aggregate_uuid in self.facts:
            found = self.facts[aggregate_uuid].mutate(None)
            self.aggregates[aggregate_uuid] = found
        if found is None and from_store and aggregate_uuid not in self.missing:
            try:
                found = self.ledger.repository.get(aggregate_uuid)
            except AggregateNotFoundError:
                self.missing.add(aggregate_uuid)
                return None
            self.aggregates[aggregate_uuid] = found
        if found is not None:
            if not isinstance(found, cls):
                raise TypeError(
                    f"{aggregate_uuid} is a {type(found).__name__}, not a {cls.__name__}"
                )
            self._touch(found)
        return found  # type: ignore[return-value]

    def add(self, aggregate: Aggregate) -> None:
        """A new aggregate created by the current message."""
        self.touched.setdefault(aggregate.id, 0)
        self.aggregates[aggregate.id] = aggregate
        self.missing.discard(aggregate.id)

    def add_fact(self, cls: type[Aggregate], message_id: str, /, **fields: Any) -> None:
        """Record a fact keyed by its message id as its created event, without loading anything."""
        event_class = getattr(cls, CREATED_EVENT_NAMES[cls])
        event = event_class(
            originator_topic=get_topic(cls),
            originator_id=self._fact_id(message_id),
            originator_version=cls.INITIAL_VERSION,
            timestamp=event_class.create_timestamp(),
            **fields,
        )
        self.facts[event.originator_id] = event
        self.missing.discard(event.originator_id)
        self.events.append(event)

    def _fact_id(self, message_id: str) -> UUID:
        """The id of the fact for ``message_id``; the last one is kept, because the
        duplicate check and the creation of the same fact both ask (uuid5 is not free)."""
        if self._last_fact_id[0] != message_id:
            self._last_fact_id = (message_id, aggregate_id(MESSAGE_KIND, message_id))
        return self._last_fact_id[1]

    def fact_hash(self, message_id: str, *, from_store: bool | None = None) -> str | None:
        """The content hash of what was applied under ``message_id`` in this batch, or
        in the store (looked up unless optimistic)."""
        aggregate_uuid = self._fact_id(message_id)
        event = self.facts.get(aggregate_uuid)
        if event is not None:
            return str(event.content_hash)
        stored = self.aggregates.get(aggregate_uuid)
        if stored is None and (not self.optimistic if from_store is None else from_store):
            stored = self.get(Aggregate, MESSAGE_KIND, message_id)
        return None if stored is None else str(stored.content_hash)  # type: ignore[attr-defined]

    def require(
        self, cls: type[A], kind: str, source_id: str, field: str, what: str | None = None
    ) -> A:
        """The aggregate, or a DependencyMissing error naming the field."""
        found = self.get(Aggregate, kind, source_id)
        if found is None or not isinstance(found, cls):
            what = what or kind
            raise DependencyMissing(
                field, f"unknown_{what}", f"no {what} {source_id!r} is known", source_id
            )
        return found

    def require_new(self, cls: type[Aggregate], kind: str, source_id: str, already: str) -> None:
        """Refuse a second start of the ``kind`` ``source_id`` (each id starts once): a
        DomainRuleBroken ``<kind>_exists`` on the field ``<kind>_id``, saying it is
        already ``already`` (registered, hired, open)."""
        if self.get(cls, kind, source_id) is not None:
            raise DomainRuleBroken(
                f"{kind}_id",
                f"{kind}_exists",
                f"{kind} {source_id} is already {already}",
                source_id,
            )

    def require_exists(self, kind: str, source_id: str, field: str) -> None:
        """Like ``require`` for clients and managers, without loading them when known."""
        known = self.ledger.known_clients if kind == "client" else self.ledger.known_managers
        new = self.new_clients if kind == "client" else self.new_managers
        if source_id in known or source_id in new:
            return
        aggregate_uuid = aggregate_id(kind, source_id)
        if aggregate_uuid in self.aggregates or self.ledger.has_aggregate(aggregate_uuid):
            known.add(source_id)
            return
        raise DependencyMissing(
            field, f"unknown_{kind}", f"no {kind} {source_id!r} is known", source_id
        )

"""The access log's group commit (scripts/web/access_writer.py) on a real ledger, SQLite
and PostgreSQL: many requests recording at once each return once their line is
stored, and every line is stored once, as given; a line the store refuses fails its
own request only; ``stop()`` stores what is waiting and refuses what comes after.

The store is the ledger's own ``record_accesses``, seen through ``Store``, which
notes each batch and can hold the first one (so that the lines of other requests
gather behind it); what was stored is read back from the read model's access log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.access_log import OUTCOMES, AccessEntry
from domain.errors import RuleBroken
from domain.ledger import Ledger
from projections.audit.accounts import access_log_rows
from projections.readmodel.loader import ReadModel
from scripts.web.access_writer import AccessLogWriter
from tests import builders as b

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RECORDED = "domain.access_log:AccessRecord.Recorded"


def entry(i: int, outcome: str | None = None) -> AccessEntry:
    """The i-th request's line: each field its own."""
    return AccessEntry(
        None if i == 0 else f"user{i:02d}",
        f"GET /api/v1/statements/M{i}",
        f"manager M{i} 2026-02",
        outcome or OUTCOMES[i % len(OUTCOMES)],
        f"reason {i}",
        AT + timedelta(seconds=i),
    )


def as_row(line: AccessEntry) -> tuple[Any, ...]:
    return (line.username, line.action, line.target, line.outcome, line.reason, line.at)


class Store:
    """``ledger.record_accesses``, noting the targets of each batch it is given; with
    ``hold_first``, the first batch waits (after ``entered``) until ``release``."""

    def __init__(self, ledger: Ledger, hold_first: bool = False) -> None:
        self.ledger = ledger
        self.hold_first = hold_first
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, lines: Sequence[AccessEntry]) -> list[UUID]:
        self.batches.append([line.target for line in lines])
        if self.hold_first and len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(timeout=60), "the test never let the first batch go"
        return self.ledger.record_accesses(lines)


@pytest.fixture
def stores(ledger: Ledger) -> Any:
    """Writers made by the test, stopped (their held batches let go) at its end."""
    made: list[tuple[AccessLogWriter, Store]] = []

    def make(hold_first: bool = False) -> tuple[AccessLogWriter, Store]:
        store = Store(ledger, hold_first)
        writer = AccessLogWriter(store)
        made.append((writer, store))
        return writer, store

    yield make
    for writer, store in made:
        store.release.set()
        writer.stop()


def stored(ledger: Ledger, directory: Path) -> list[tuple[Any, ...]]:
    """The access log as the read model holds it, in the order decided."""
    with ReadModel(directory / "read_model.duckdb") as rm:
        rm.catch_up(ledger)
        rows = access_log_rows(rm.conn)
    fields = ("username", "action", "target", "outcome", "reason", "decided_at")
    return sorted((tuple(r[f] for f in fields) for r in rows), key=lambda row: row[5])


def recorded_events(ledger: Ledger) -> int:
    return sum(1 for n in b.notifications(ledger) if n.topic == RECORDED)


def waiting(writer: AccessLogWriter, lines: int) -> None:
    """Wait until ``lines`` lines wait for the writer (each hand-in notifies)."""
    with writer._wake:
        assert writer._wake.wait_for(lambda: len(writer._waiting) == lines, timeout=60)


def recording(
    writer: AccessLogWriter,
    line: AccessEntry,
    outcomes: dict[str, BaseException | None],
    together: threading.Barrier | None = None,
) -> threading.Thread:
    """A thread handing ``line`` to ``writer`` (after the others at ``together``), its
    outcome put in ``outcomes`` under the line's target."""

    def run() -> None:
        if together is not None:
            together.wait(timeout=60)
        try:
            writer.record(line)
        except BaseException as error:
            outcomes[line.target] = error
        else:
            outcomes[line.target] = None

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_twenty_requests_at_once_all_return_and_every_line_is_stored_once(
    ledger: Ledger, stores: Any, tmp_path: Path
) -> None:
    writer, store = stores()
    lines = [entry(i) for i in range(20)]
    together = threading.Barrier(20)
    outcomes: dict[str, BaseException | None] = {}
    threads = [recording(writer, line, outcomes, together) for line in lines]
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert outcomes == {line.target: None for line in lines}
    assert stored(ledger, tmp_path) == [as_row(line) for line in lines]
    assert recorded_events(ledger) == 20
    # However the lines were grouped, each was in exactly one batch, all stored.
    assert sorted(t for batch in store.batches for t in batch) == sorted(
        line.target for line in lines
    )
    assert writer.batches == len(store.batches)


def test_a_refused_line_fails_its_own_request_only(
    ledger: Ledger, stores: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer, store = stores(hold_first=True)
    lines = [entry(i) for i in range(20)]
    bad = lines[7] = entry(7, outcome="maybe")  # the ledger refuses an unknown outcome
    outcomes: dict[str, BaseException | None] = {}
    threads = [recording(writer, lines[0], outcomes)]
    assert store.entered.wait(timeout=60)
    threads += [recording(writer, line, outcomes) for line in lines[1:]]
    waiting(writer, 19)  # they gather behind the held first line: one batch of 19
    with caplog.at_level(logging.WARNING, logger="rmledger.web"):
        store.release.set()
        for thread in threads:
            thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    error = outcomes.pop(bad.target)
    assert isinstance(error, RuleBroken)
    assert (error.field, error.rule, error.text) == (
        "outcome",
        "unknown_outcome",
        "'maybe' is not an outcome; outcomes: allowed, forbidden, not_found, unauthenticated",
    )
    assert outcomes == {line.target: None for line in lines if line is not bad}
    good = [line for line in lines if line is not bad]
    assert stored(ledger, tmp_path) == [as_row(line) for line in good]
    assert recorded_events(ledger) == 19
    # The first line alone, the 19 gathered behind it refused together, then each alone.
    first, gathered, *alone = store.batches
    assert first == [lines[0].target]
    assert sorted(gathered) == sorted(line.target for line in lines[1:])
    assert alone == [[target] for target in gathered]
    assert writer.batches == 1 + 18
    assert [r.getMessage() for r in caplog.records] == [
        f"a batch of 19 access-log lines was refused ({error}); one by one"
    ]


def test_stop_stores_what_is_waiting_and_refuses_what_comes_after(
    ledger: Ledger, stores: Any, tmp_path: Path
) -> None:
    writer, store = stores(hold_first=True)
    lines = [entry(i) for i in range(4)]
    outcomes: dict[str, BaseException | None] = {}
    threads = [recording(writer, lines[0], outcomes)]
    assert store.entered.wait(timeout=60)
    threads += [recording(writer, line, outcomes) for line in lines[1:3]]
    waiting(writer, 2)
    stopping = threading.Thread(target=writer.stop)
    stopping.start()
    with writer._wake:  # stop() says so under the writer's condition
        assert writer._wake.wait_for(lambda: writer._stopping, timeout=60)
    with pytest.raises(RuntimeError) as refused:
        writer.record(lines[3])
    assert str(refused.value) == "the access log's writer has stopped"
    store.release.set()
    for thread in [*threads, stopping]:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in [*threads, stopping])
    assert not writer._thread.is_alive()

    assert outcomes == {line.target: None for line in lines[:3]}
    assert stored(ledger, tmp_path) == [as_row(line) for line in lines[:3]]
    assert recorded_events(ledger) == 3
    assert store.batches[0] == [lines[0].target]
    assert sorted(store.batches[1]) == sorted(line.target for line in lines[1:3])
    assert len(store.batches) == 2
    # Stopped: still refused, and nothing more is stored.
    with pytest.raises(RuntimeError, match="^the access log's writer has stopped$"):
        writer.record(lines[3])
    assert recorded_events(ledger) == 3

"""A store written before the aggregates' commands checked their own rules (issue 15)
reads the same, and the same messages store the same events now.

``tests/old_stores/handover_history.jsonl`` holds the events, as stored (topic and
state bytes), that the ledger of commit 0e38e05 wrote for HISTORY: assignments, a
release, loan classifications and a two-client handover whose filing ends the
incoming manager's backup role. Event topics and stored attributes are part of the
store: renaming an aggregate's event method must change neither."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.client import Holding
from domain.ledger import APPLIED, DUPLICATE, Ledger
from tests import builders as b
from tests.paths import ROOT

OLD_STORE = ROOT / "tests" / "old_stores" / "handover_history.jsonl"

HISTORY: list[b.Wire] = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.assign("C1", "M2", "backup"),
    b.assign("C2", "M1"),
    b.assign("C3", "M1"),
    b.release("C2", "M1", effective_on="2025-03-01"),
    b.classify("L1", "C1", "normal", "100000.00", "2025-03-31"),
    b.classify("L1", "C1", "substandard", "90000.00", "2025-06-30"),
    b.open_handover("H1", "M1", "M2", ["C1", "C3"]),
    *b.completed("H1"),
    b.file_handover("H1"),
]


def old_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in OLD_STORE.read_text(encoding="utf-8").splitlines()]


def load_old_store(ledger: Ledger) -> None:
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=UUID(e["originator_id"]),
                originator_version=e["originator_version"],
                topic=e["topic"],
                state=e["state"].encode(),
            )
            for e in old_events()
        ]
    )


def without_timestamp(state: bytes | str) -> dict[str, Any]:
    # The time of writing differs between two runs; everything else is the same.
    fields: dict[str, Any] = json.loads(state)
    fields.pop("timestamp")
    return fields


def test_the_same_messages_store_the_same_topics_and_attributes_as_before(ledger: Ledger) -> None:
    b.given(ledger, *HISTORY)
    stored = [
        (n.topic, n.originator_version, without_timestamp(n.state)) for n in b.notifications(ledger)
    ]
    before = [
        (e["topic"], e["originator_version"], without_timestamp(e["state"])) for e in old_events()
    ]
    assert stored == before


def test_a_store_written_before_reads_the_same(ledger: Ledger) -> None:
    load_old_store(ledger)
    c1, c2, c3 = (b.state(ledger, "client", c) for c in ("C1", "C2", "C3"))
    filed = date(2025, 6, 4)
    assert (c1.primary, c1.backup, c1.open_handover) == (
        Holding("M2", "inherited", filed),
        None,
        None,
    )
    assert c1.last_change == {"primary": filed, "backup": filed}
    assert c1.first_served_on == date(2025, 1, 10)
    assert (c2.primary, c2.last_change) == (None, {"primary": date(2025, 3, 1)})
    assert c3.primary == Holding("M2", "inherited", filed)
    handover = b.state(ledger, "handover", "H1")
    assert (handover.filed_on, handover.record) == (filed, ("DOC-H1", date(2025, 6, 3)))
    assert handover.witnesses == {
        "sub_branch_lead": ("LEAD1", date(2025, 6, 2)),
        "wealth_centre_head": ("HEAD1", date(2025, 6, 2)),
    }
    assert b.state(ledger, "loan", "L1").version == 3  # registered, classified twice
    assert b.state(ledger, "manager", "M1").book == {}
    assert b.state(ledger, "manager", "M2").book == {"C1": {"primary"}, "C3": {"primary"}}


def test_a_store_written_before_takes_new_messages_and_knows_its_old_ones(ledger: Ledger) -> None:
    load_old_store(ledger)
    assert [o.status for o in b.send(ledger, *HISTORY)] == [DUPLICATE] * len(HISTORY)
    assert b.rejected(ledger, b.release("C1", "M1", effective_on="2025-07-01")).rule == (
        "not_holding_role"
    )
    release = b.release("C1", "M2", effective_on="2025-07-01")
    assert b.applied_events(ledger, release) == [
        "Client.Released",
        "Manager.ClientGivenUp",
        "Receipt.Applied",
    ]
    assert [o.status for o in b.send(ledger, b.classify("L1", "C1", as_of="2025-09-30"))] == [
        APPLIED
    ]

"""Duplicates, conflicts and batches (CONTRACTS.md §1): a message whose id was applied
with the same content changes nothing; the same id with different content is an
``id_conflict``; a rejected message leaves no trace while the rest of its batch is
applied; ingesting the same file twice, or in batches of any size, gives the same log."""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.jsonl import IngestSummary, ingest_files
from domain.errors import Conflict
from domain.ledger import APPLIED, DUPLICATE, REJECTED, Ledger
from tests import builders as b

HANDOVER_READY = [*b.bank(), b.assign("C1", "M1"), b.open_handover("H1", "M1", "M2", ["C1"])]

# message type -> (what must exist first, the message, a change to its content)
CASES: dict[str, tuple[list[b.Wire], b.Wire, dict[str, Any]]] = {
    "plan.published": ([], b.plan(), {"prepay_ratio": "0.60"}),
    "manager.hired": ([], b.hire("M1"), {"grade": "senior"}),
    "manager.grade_changed": ([b.hire("M1")], b.grade_change("M1", "senior", "2025-07-01"), {"reason": "appeal"}),
    "manager.departure_requested": ([b.hire("M1")], b.request_departure("M1"), {"kind": "transfer"}),
    "manager.departure_approved": (
        [b.hire("M1"), b.request_departure("M1")], b.approve("M1", "department_head"), {"approver_id": "DH-9"}
    ),
    "manager.departed": ([b.hire("M1"), *b.departure_approved("M1")], b.depart("M1"), {"departed_on": "2025-10-01"}),
    "client.registered": ([], b.register("C1"), {"name": "Another Name"}),
    "client.stage_changed": ([b.register("C1")], b.stage("C1", "active", "2025-02-01"), {"changed_on": "2025-02-02"}),
    "assignment.assigned": (b.bank(), b.assign("C1", "M1"), {"origin": "inherited"}),
    "assignment.released": ([*b.bank(), b.assign("C1", "M1")], b.release("C1", "M1"), {"effective_on": "2025-03-02"}),
    "handover.opened": ([*b.bank(), b.assign("C1", "M1")], b.open_handover("H1", "M1", "M2", ["C1"]), {"reason": "rotation"}),
    "handover.witnessed": (HANDOVER_READY, b.witness("H1", "LEAD1", "sub_branch_lead"), {"witnessed_on": "2025-06-05"}),
    "handover.record_signed": (HANDOVER_READY, b.sign("H1"), {"record_ref": "DOC-OTHER"}),
    "handover.filed": ([*HANDOVER_READY, *b.completed("H1")], b.file_handover("H1"), {"filed_on": "2025-06-05"}),
    "posting.booked": ([b.register("C1")], b.book("P1", "C1"), {"amount": "100.01"}),
    "posting.reversed": ([b.register("C1"), b.book("P1", "C1")], b.reverse("P1"), {"reason": "other reason"}),
    "activity.recorded": ([b.hire("M1")], b.activity("M1"), {"count": 4}),
    "loan.classified": ([b.register("C1")], b.classify("L1", "C1"), {"balance": "1.00"}),
    "balance.reported": ([b.register("C1")], b.report_balance("C1"), {"product": "fund"}),
    "adjustment.recorded": ([b.hire("M1")], b.adjust("M1", "2025-03", "award", "10.00"), {"reason": "other"}),
    "period.closed": ([], b.close("2025-03", "2025-04-01"), {"approved_by": "CFO2"}),
}
TYPES = sorted(CASES)


def test_every_message_type_has_a_duplicate_and_conflict_case() -> None:
    from domain.messages import MESSAGE_TYPES

    assert set(CASES) == set(MESSAGE_TYPES)


# -- duplicates and conflicts, message by message ------------------------------------------------------


@pytest.mark.parametrize("message_type", TYPES)
def test_a_message_sent_again_is_a_duplicate_and_stores_nothing(ledger: Ledger, message_type: str) -> None:
    world, message, _ = CASES[message_type]
    b.given(ledger, *world, message)
    b.duplicate(ledger, message)


@pytest.mark.parametrize("message_type", TYPES)
def test_the_same_id_with_different_content_is_a_conflict_and_stores_nothing(ledger: Ledger, message_type: str) -> None:
    world, message, change = CASES[message_type]
    b.given(ledger, *world, message)
    error = b.rejected(ledger, {**message, **change})
    assert isinstance(error, Conflict)
    assert error.describe() == f"id: id_conflict: message id {message['id']!r} was already applied with different content"


@pytest.mark.parametrize("message_type", TYPES)
def test_a_duplicate_and_a_conflict_in_the_same_batch_as_the_original(ledger: Ledger, message_type: str) -> None:
    world, message, change = CASES[message_type]
    b.given(ledger, *world)
    start = b.position(ledger)
    outcomes = b.send(ledger, message, message, {**message, **change})
    assert [o.status for o in outcomes] == [APPLIED, DUPLICATE, REJECTED]
    assert outcomes[2].error is not None and outcomes[2].error.rule == "id_conflict"
    alone = b.topics_since(ledger, start)
    assert alone and alone == _topics_of_applying_alone(ledger, world, message)


def _topics_of_applying_alone(ledger: Ledger, world: list[b.Wire], message: b.Wire) -> list[str]:
    """The events ``message`` stores on its own, measured in a scratch SQLite store."""
    with tempfile.TemporaryDirectory() as scratch:
        other = Ledger({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"{scratch}/e.sqlite"})
        try:
            b.given(other, *world)
            return b.applied_events(other, message)
        finally:
            other.close()


def test_the_same_content_with_its_fields_in_another_order_is_a_duplicate(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    b.duplicate(ledger, dict(reversed(list(b.hire("M1").items()))))


def test_a_changed_message_is_a_conflict_even_when_a_field_contains_a_control_character(ledger: Ledger) -> None:
    # The content hash must not let two different messages collide.
    b.given(ledger, b.hire("M1", name="Li\x1fbranch_id=BR01", branch_id="BR02"))
    error = b.rejected(ledger, b.hire("M1", name="Li", branch_id="BR01\x1fbranch_id=BR02"))
    assert error.rule == "id_conflict"


def test_a_message_cannot_reuse_the_id_of_a_posting(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.book("X-1", "C1"))
    error = b.rejected(ledger, b.hire("M1", id="X-1"))
    assert error.describe() == "id: id_conflict: message id 'X-1' was already applied with different content"


def test_a_rejected_message_is_not_remembered_and_can_be_applied_once_its_cause_is_gone(ledger: Ledger) -> None:
    assert b.rejected(ledger, b.book("P1", "C1")).rule == "unknown_client"
    b.given(ledger, b.register("C1"))
    assert b.applied_events(ledger, b.book("P1", "C1")) == ["Posting.Booked"]


def test_a_restarted_ledger_recognises_stored_facts_as_duplicates_and_conflicts(make_ledger: Any) -> None:
    first = make_ledger()
    b.given(first, b.register("C1"), b.book("P1", "C1", "100.00"))
    restarted = make_ledger()
    start = b.position(restarted)
    outcomes = b.send(
        restarted, b.book("P2", "C1"), b.book("P1", "C1", "100.00"), b.book("P1", "C1", "999.00"), b.book("P3", "C1")
    )
    assert [o.status for o in outcomes] == [APPLIED, DUPLICATE, REJECTED, APPLIED]
    assert b.topics_since(restarted, start) == ["Posting.Booked", "Posting.Booked"]
    assert b.state(restarted, "posting", "P1").amount == 100
    assert b.state(restarted, "posting", "P3").source_id == "P3"


def test_a_restarted_ledger_recognises_stored_messages_as_duplicates_and_conflicts(make_ledger: Any) -> None:
    b.given(make_ledger(), *b.bank(), b.assign("C1", "M1"))
    restarted = make_ledger()
    outcomes = b.send(restarted, b.assign("C1", "M1"), b.assign("C1", "M1", origin="inherited"), b.assign("C2", "M1"))
    assert [o.status for o in outcomes] == [DUPLICATE, REJECTED, APPLIED]


# -- a batch: the bad leave no trace, the good are applied ------------------------------------------------


def test_a_rejected_message_leaves_no_trace_while_the_rest_of_its_batch_is_applied(ledger: Ledger) -> None:
    outcomes = b.send(
        ledger,
        b.hire("M1"),
        b.assign("C1", "M9"),                      # unknown client and manager
        b.register("C1"),
        b.assign("C1", "M1"),
        b.assign("C1", "M1", "backup"),            # same manager in both roles
        b.book("P1", "C1", "50.00"),
        b.reverse("P9"),                           # unknown posting
    )
    assert [o.status for o in outcomes] == [APPLIED, REJECTED, APPLIED, APPLIED, REJECTED, APPLIED, REJECTED]
    assert [o.error.rule for o in outcomes if o.error] == ["unknown_client", "same_manager_both_roles", "unknown_posting"]
    assert b.topics_since(ledger, 0) == [
        "Manager.Hired", "Receipt.Applied",
        "Client.Registered", "Receipt.Applied",
        "Client.Assigned", "Manager.ClientTaken", "Receipt.Applied",
        "Posting.Booked",
    ]
    assert b.state(ledger, "client", "C1").backup is None


def test_a_rejected_handover_filing_moves_no_client_while_the_batch_goes_on(ledger: Ledger) -> None:
    b.given(ledger, *HANDOVER_READY, b.witness("H1", "LEAD1", "sub_branch_lead"))
    start = b.position(ledger)
    outcomes = b.send(ledger, b.file_handover("H1"), b.book("P1", "C1"))
    assert [o.status for o in outcomes] == [REJECTED, APPLIED]
    assert b.topics_since(ledger, start) == ["Posting.Booked"]
    assert b.state(ledger, "client", "C1").primary.manager_id == "M1"


# -- properties: ingesting twice, and in batches of any size --------------------------------------------------

MANAGERS = ["M1", "M2", "M3"]
CLIENTS = ["C1", "C2", "C3"]
START = date(2025, 1, 10)
MALFORMED = [
    "not json at all",
    '{"type": "posting.booked", "id": "PX", "client_id": "C1", "category": "fee_income", "amount": 1.5, "value_date": "2025-03-01"}',
    '{"type": "manager.hired", "id": "hire:M7"}',
    '{"type": "period.closed", "id": "close:bad", "period": "2025-02", "closed_on": "2025-02-30", "approved_by": "CFO"}',
]


@st.composite
def message_files(draw: st.DrawFn) -> list[str]:
    """JSON lines: hires and registrations first, then assignments going forward in
    time (never released), postings with repeated ids (duplicates or conflicts, some
    for an unknown client), reversals of those postings, copies of earlier lines, and
    malformed lines. Built so that a message rejected once stays rejected."""
    grades = st.sampled_from(["assistant", "junior", "senior"])
    messages: list[b.Wire] = [b.hire(m, draw(grades)) for m in MANAGERS] + [b.register(c) for c in CLIENTS]
    days = sorted(draw(st.lists(st.integers(0, 60), max_size=8)))
    for day in days:
        messages.append(b.assign(
            draw(st.sampled_from(CLIENTS)), draw(st.sampled_from(MANAGERS)), draw(st.sampled_from(["primary", "backup"])),
            (START + timedelta(days=day)).isoformat(),
        ))
    for _ in range(draw(st.integers(0, 10))):
        messages.append(b.book(
            draw(st.sampled_from(["P1", "P2", "P3", "P4"])), draw(st.sampled_from([*CLIENTS, "C9"])),
            draw(st.sampled_from(["10.00", "10.01", "2500.50"])), draw(st.sampled_from(["fee_income", "asset_cost"])),
        ))
    for _ in range(draw(st.integers(0, 4))):
        posting = draw(st.sampled_from(["P1", "P2", "P3", "P4", "P99"]))
        messages.append(b.reverse(posting, id=f"rev:{posting}:{draw(st.integers(0, 1))}"))
    lines = [json.dumps(message) for message in messages]
    for _ in range(draw(st.integers(0, 5))):
        source = draw(st.integers(0, len(lines) - 1))
        lines.insert(draw(st.integers(source + 1, len(lines))), lines[source])
    for bad in draw(st.lists(st.sampled_from(MALFORMED), max_size=2)):
        lines.insert(draw(st.integers(0, len(lines))), bad)
    return lines


def _sqlite(directory: str) -> Ledger:
    return Ledger({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"{directory}/events.sqlite"})


def _ingest(directory: str, path: Path, batch_size: int = 2000) -> IngestSummary:
    ledger = _sqlite(directory)
    try:
        return ingest_files(ledger, [path], batch_size)
    finally:
        ledger.close()


def _log(directory: str) -> list[Any]:
    ledger = _sqlite(directory)
    try:
        return b.notifications(ledger)
    finally:
        ledger.close()


def _without_timestamps(log: list[Any]) -> list[tuple[Any, ...]]:
    def body(state: bytes) -> dict[str, Any]:
        decoded = json.loads(state)
        decoded.pop("timestamp")
        return decoded

    return [(n.id, n.topic, n.originator_id, n.originator_version, body(n.state)) for n in log]


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@PROPERTY
@given(lines=message_files())
def test_ingesting_a_file_twice_changes_nothing(clean_environ: None, lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "messages.jsonl"
        path.write_text("\n".join(lines) + "\n")
        first = _ingest(directory, path)
        log = _log(directory)
        second = _ingest(directory, path)
        assert _log(directory) == log
        assert second.applied == 0
        assert second.duplicates == first.applied + first.duplicates
        assert [r.line for r in second.rejected] == [r.line for r in first.rejected]


@pytest.mark.slow
@PROPERTY
@given(lines=message_files(), batch_size=st.integers(1, 6))
def test_the_outcome_does_not_depend_on_the_batch_size(clean_environ: None, lines: list[str], batch_size: int) -> None:
    with tempfile.TemporaryDirectory() as one_batch, tempfile.TemporaryDirectory() as small_batches:
        path = Path(one_batch) / "messages.jsonl"
        path.write_text("\n".join(lines) + "\n")
        summary = _ingest(one_batch, path)
        assert _ingest(small_batches, path, batch_size) == summary
        assert _without_timestamps(_log(small_batches)) == _without_timestamps(_log(one_batch))

"""The loader reads the log in columns: on SQLite with its own SELECT, elsewhere
through ``select_notifications``; the pages must hold exactly what eventsourcing's
notifications hold, in the same order and with the same bounds."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pyarrow as pa

from domain.ledger import Ledger
from projections.readmodel.loader import LOADED_TOPICS, PERIOD_CLOSED, prepare_page
from projections.readmodel.log_pages import LogPage, read_log_page, uuid_text
from tests.builders import assign, bank, book, given
from tests.scenarios.helpers import apply, new_ledger, scenario


def test_a_page_of_the_log_holds_what_the_notifications_hold(ledger: Ledger) -> None:
    given(
        ledger,
        *bank(),
        assign("C2", "M2"),
        *(book(f"P{i}", "C2", f"{i + 1}.00") for i in range(30)),
    )
    notifications = ledger.recorder.select_notifications(start=1, limit=10_000)
    everything = LogPage.from_notifications(notifications)
    assert len(everything) == len(notifications) > 30

    assert read_log_page(ledger.recorder, 0, 10_000) == everything
    # After a position, a limit, and a stop: the same slice as the notifications give.
    after, stop = everything.positions[4], everything.positions[20]
    page = read_log_page(ledger.recorder, after, 7, stop)
    assert page == LogPage.from_notifications(notifications[5:12])
    page = read_log_page(ledger.recorder, after, 10_000, stop)
    assert page.positions == everything.positions[5:21]
    # Past the end: an empty page.
    assert len(read_log_page(ledger.recorder, everything.positions[-1], 10)) == 0
    # Originator ids as text, the state as the stored bytes.
    assert page.originator_ids[0] == str(notifications[5].originator_id)
    assert isinstance(page.states[0], bytes)


def test_plain_states_read_as_text_are_the_stored_bytes(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario("late_posting_reversal"))
    as_bytes = read_log_page(ledger.recorder, 0, 10_000)
    as_text = read_log_page(ledger.recorder, 0, 10_000, states_are_text=True)
    assert len(as_text) > 10
    assert as_text == as_bytes
    assert as_text.states == [
        n.state for n in ledger.recorder.select_notifications(start=1, limit=10_000)
    ]


def test_uuid_text_is_the_dashed_lower_case_form_of_each_stored_id() -> None:
    ids = [uuid4() for _ in range(5)]
    stored = [u.hex for u in ids[:3]] + [u.hex.upper() for u in ids[3:]]
    assert uuid_text(pa.array(stored, pa.string())).to_pylist() == [str(u) for u in ids]
    # A column with any other form (braces, dashes) goes through UUID itself.
    mixed = [ids[0].hex, "{" + str(ids[1]) + "}", str(ids[2]).upper()]
    assert uuid_text(pa.array(mixed, pa.string())).to_pylist() == [str(u) for u in ids[:3]]


def test_a_page_is_cut_after_each_period_close_and_split_by_loading_topic(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario("late_posting_reversal"))
    page = read_log_page(ledger.recorder, 0, 10_000)
    topics = page.topics
    closes = [i for i, topic in enumerate(topics) if topic == PERIOD_CLOSED]
    assert closes and closes[-1] < len(topics) - 1  # a close with events after it

    prepared = prepare_page(page, None, head=(page.last_position(), "0" * 64))
    assert prepared.chain_rows is None  # everything is at or before the given head
    assert [part.table.num_rows for part in prepared.parts] == [
        end - start
        for start, end in zip(
            [0] + [i + 1 for i in closes], [i + 1 for i in closes] + [len(topics)], strict=True
        )
    ]
    assert [part.closes_period for part in prepared.parts] == [True] * len(closes) + [False]
    start = 0
    for part in prepared.parts:
        expected = topics[start : start + part.table.num_rows]
        assert part.table.column("topic").to_pylist() == expected
        assert set(part.by_topic) == set(expected) & LOADED_TOPICS
        for topic, rows in part.by_topic.items():
            in_order = [
                p for p, t in zip(page.positions[start:], expected, strict=False) if t == topic
            ]
            assert rows.column("position").to_pylist() == in_order
        start += part.table.num_rows
    # The state is the stored JSON, as text.
    assert prepared.parts[0].table.column("state").to_pylist() == [
        s.decode() for s in page.states[: closes[0] + 1]
    ]

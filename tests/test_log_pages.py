"""The loader reads the log in columns: on SQLite with its own SELECT, elsewhere
through ``select_notifications``; the pages must hold exactly what eventsourcing's
notifications hold, in the same order and with the same bounds."""

from __future__ import annotations

from domain.ledger import Ledger
from projections.log_pages import LogPage, read_log_page
from tests.builders import assign, bank, book, given


def test_a_page_of_the_log_holds_what_the_notifications_hold(ledger: Ledger) -> None:
    given(ledger, *bank(), assign("C2", "M2"),
          *(book(f"P{i}", "C2", f"{i + 1}.00") for i in range(30)))
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

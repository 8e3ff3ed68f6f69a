"""What the loader changes in the process while it follows the log, and always puts
back: Python's cyclic garbage collector is paused (projections/readmodel/gc_pause.py), switched
back on after a catch-up, after a failed one, and never while another pause is still
running (a collector that was off before stays off); DuckDB's threads leave the
reading thread a core (projections/readmodel/duck.py) but while statements are issued, and are
set back after a catch-up, failed or not."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.ledger import Ledger
from projections.pay import statements as pay
from projections.readmodel import extensions
from projections.readmodel.duck import loading_threads
from projections.readmodel.gc_pause import collector_paused
from projections.readmodel.loader import ReadModel
from tests import builders as b
from tests.scenarios.helpers import apply, new_ledger, scenario


@pytest.fixture
def collector_on() -> Iterator[None]:
    """Every test starts with the collector on, and leaves it as it found it (a
    collector left off would keep the rest of the session's reference cycles, and
    with them PostgreSQL connection pools, alive)."""
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """An event store holding a scenario with a close, a late posting and a reversal."""
    ledger = new_ledger(tmp_path)
    try:
        apply(ledger, scenario("late_posting_reversal"))
        yield ledger
    finally:
        ledger.close()


def _fail(position: int) -> None:
    raise RuntimeError(f"stopped at {position}")


def test_catch_up_runs_with_the_collector_off_and_switches_it_back_on(
    tmp_path: Path,
    ledger: Ledger,
    collector_on: None,
) -> None:
    seen: list[bool] = []
    with ReadModel(tmp_path / "rm.duckdb") as rm:
        last = rm.catch_up(ledger, page_size=4, on_page=lambda _: seen.append(gc.isenabled()))
    assert last == b.position(ledger)
    assert len(seen) >= 2 and not any(seen)
    assert gc.isenabled()


def test_a_failing_catch_up_switches_the_collector_back_on(
    tmp_path: Path,
    ledger: Ledger,
    collector_on: None,
) -> None:
    with ReadModel(tmp_path / "rm.duckdb") as rm, pytest.raises(RuntimeError, match="stopped at 4"):
        rm.catch_up(ledger, page_size=4, on_page=_fail)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on: None) -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_comes_back_only_when_the_last_of_overlapping_pauses_ends(
    collector_on: None,
) -> None:
    inner_started, outer_may_end = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def other_thread() -> None:
        with collector_paused():
            inner_started.set()
            outer_may_end.wait(5)
        seen["after the other thread's pause"] = gc.isenabled()

    with collector_paused():
        thread = threading.Thread(target=other_thread)
        thread.start()
        assert inner_started.wait(5)
    seen["after the first pause, the other still running"] = gc.isenabled()
    outer_may_end.set()
    thread.join(5)
    assert seen == {
        "after the first pause, the other still running": False,
        "after the other thread's pause": True,
    }


def _threads(rm: ReadModel) -> int:
    row = rm.conn.execute("SELECT current_setting('threads')").fetchone()
    assert row is not None
    return int(row[0])


def test_duckdb_leaves_the_reading_thread_a_core_while_loading(
    tmp_path: Path, ledger: Ledger
) -> None:
    assert loading_threads() == max(1, (os.cpu_count() or 1) - 1)
    with ReadModel(tmp_path / "rm.duckdb") as rm:
        rm.conn.execute("SET threads = 5")
        seen: list[int] = []
        rm.catch_up(ledger, page_size=4, on_page=lambda _: seen.append(_threads(rm)))
        assert len(seen) >= 2 and set(seen) == {loading_threads()}
        assert _threads(rm) == 5

        rm.drop()
        rm._create()
        with pytest.raises(RuntimeError, match="stopped at 4"):
            rm.catch_up(ledger, page_size=4, on_page=_fail)
        assert _threads(rm) == 5


def test_statements_are_issued_with_duckdb_on_every_core(
    tmp_path: Path,
    ledger: Ledger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads_when_issuing: list[int] = []
    real = pay.issue_statements

    def recording(conn: Any, *args: Any) -> Any:
        row = conn.execute("SELECT current_setting('threads')").fetchone()
        threads_when_issuing.append(int(row[0]))
        return real(conn, *args)

    # The close action registered by pay (projections/readmodel/extensions.py), recorded.
    monkeypatch.setattr(extensions, "_close_actions", [recording])
    with ReadModel(tmp_path / "rm.duckdb") as rm:
        rm.conn.execute("SET threads = 5")
        rm.catch_up(ledger, page_size=4)
        closes = rm.conn.execute("SELECT count(*) FROM periods_closed").fetchone()
        assert _threads(rm) == 5
    assert closes is not None and closes[0] >= 1
    assert threads_when_issuing == [os.cpu_count() or 1] * closes[0]

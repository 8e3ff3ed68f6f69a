"""Benchmark the read model: rebuild against the raw read of the same notifications,
and one month's statements for every manager after catch-up.

    python -m scripts.bench.projections --events 2000000 --repeat 3 [--data-dir DIR]

Builds (once, cached in the data directory) an SQLite event store from
``scripts.bank.generate`` (or from generated postings if it is missing) with about
``--events`` events; then prints medians of ``--repeat`` rounds side by side, each
round running the raw read, the loader's read and a rebuild in turn.

The baseline ("raw read") is what the issue names: merely reading the notifications
from the store, through eventsourcing's ``select_notifications`` in the loader's page
size. The loader reads faster than that (``projections/readmodel/log_pages.py``), so its own
read into Arrow is printed too, with the rebuild's ratio to it, for whoever wants to
know how much of a rebuild is reading. A rebuild recomputes the hash chain and
compares the log with its seals (made at every close of the store built here).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

from consumers.decoder import decode_object
from domain.ledger import Ledger
from domain.seal import Sealer
from domain.store import ledger_env
from projections.pay.statements import statements
from projections.readmodel.loader import DEFAULT_PAGE_SIZE, ReadModel, state_decoder
from projections.readmodel.log_pages import read_log_page


def messages(target_events: int) -> Iterator[dict[str, Any]]:
    """About ``target_events`` events' worth of messages: the synthetic bank writes
    1.02 to 1.03 events per message (a fact is one event; other messages add a
    receipt), measured on its medium and large sizes."""
    try:
        from scripts.bank.generate import generate

        yield from generate(7, str(int(target_events / 1.025)))
        return
    except ImportError:
        pass
    yield {
        "type": "manager.hired",
        "id": "h1",
        "manager_id": "M1",
        "name": "M",
        "branch_id": "B",
        "grade": "junior",
        "hired_on": "2024-01-01",
    }
    yield {
        "type": "client.registered",
        "id": "c1",
        "client_id": "C1",
        "kind": "personal",
        "branch_id": "B",
        "registered_on": "2024-01-01",
        "name": "C",
        "id_number": "X1234",
    }
    yield {
        "type": "assignment.assigned",
        "id": "a1",
        "client_id": "C1",
        "manager_id": "M1",
        "role": "primary",
        "origin": "acquired",
        "effective_on": "2024-01-01",
    }
    for i in range(target_events):
        yield {
            "type": "posting.booked",
            "id": f"p{i}",
            "client_id": "C1",
            "category": "fee_income",
            "amount": f"{i % 1000 + 1}.00",
            "value_date": f"2025-{i % 12 + 1:02d}-10",
        }


# A fixed key: the store is sealed at every close, as a real one is, so that a rebuild
# compares the log with its seals (docs/tamper-evidence.md).
BENCH_SEAL_KEY = bytes.fromhex("5e" * 32)


def build_store(directory: Path, target_events: int) -> Ledger:
    ledger = Ledger(ledger_env(directory, {}), sealer=Sealer.of(BENCH_SEAL_KEY))
    if ledger.recorder.max_notification_id():
        return ledger
    started = time.perf_counter()
    batch = []
    for message in messages(target_events):
        batch.append(decode_object(message))
        if len(batch) >= 5000:
            ledger.apply_batch(batch)
            batch = []
    if batch:
        ledger.apply_batch(batch)
    print(f"built the store in {time.perf_counter() - started:.0f} s")
    return ledger


def raw_read(ledger: Ledger, page_size: int = DEFAULT_PAGE_SIZE) -> int:
    """Merely read every notification, in the loader's pages."""
    last, count = 0, 0
    while True:
        page = ledger.recorder.select_notifications(
            start=last + 1, limit=page_size, inclusive_of_start=True
        )
        if not page:
            return count
        count += len(page)
        last = page[-1].id


def loader_read(ledger: Ledger, page_size: int = DEFAULT_PAGE_SIZE) -> int:
    """Read every notification as the loader's reading thread does (columns, Arrow),
    without loading anything: the part of a rebuild that reading alone costs."""
    plain = state_decoder(ledger) is None
    last, count = 0, 0
    while True:
        page = read_log_page(ledger.recorder, last, page_size, states_are_text=plain)
        if not len(page):
            return count
        count += len(page)
        last = page.last_position()


def timed(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, float, Any]]:
    """Medians of ``repeat`` rounds, each round running every one of ``runs`` once in
    turn (so that the machine getting slower or faster mid-way weighs on all of them
    alike, not on whichever ran last): per name, wall seconds, CPU seconds of the whole
    process (user and system, every thread: DuckDB's and the reading thread too), and
    the last result."""
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, run in runs.items():
            cpu = _cpu_seconds()
            started = time.perf_counter()
            results[name] = run()
            walls[name].append(time.perf_counter() - started)
            cpus[name].append(_cpu_seconds() - cpu)
    return {
        name: (statistics.median(walls[name]), statistics.median(cpus[name]), results[name])
        for name in runs
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class TimedConnection:
    """A DuckDB connection that adds up, per kind of statement (its first three words:
    ``INSERT INTO events``, ``COMMIT``...), the seconds the loader's thread spends in
    it, and in registering Arrow tables. For ``--breakdown`` only."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    def _timed(self, kind: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            self.seconds[kind] += time.perf_counter() - started
            self.calls[kind] += 1

    def execute(self, sql: str, *params: Any) -> Any:
        return self._timed(" ".join(sql.split()[:3]), lambda: self.conn.execute(sql, *params))

    def register(self, name: str, table: Any) -> Any:
        return self._timed("(registering an Arrow table)", lambda: self.conn.register(name, table))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


class BreakdownReadModel(ReadModel):
    """A read model whose loading is timed statement by statement (``TimedConnection``),
    and whose statement issuing at each close is timed as a whole (SQL and pay rules)."""

    ISSUING = "(issuing statements at closes, all of it)"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.timed = TimedConnection(self.conn)
        self.conn = self.timed  # type: ignore[assignment]

    def _issue(self, closing_position: int) -> None:
        self.timed._timed(
            self.ISSUING, lambda: super(BreakdownReadModel, self)._issue(closing_position)
        )


def breakdown(ledger: Ledger, rm_path: Path) -> None:
    """One more rebuild, printing where the loader's thread spends its time."""
    rm = BreakdownReadModel(rm_path)
    try:
        started = time.perf_counter()
        rm.rebuild(ledger)
        wall = time.perf_counter() - started
    finally:
        rm.close()
    seconds, calls = rm.timed.seconds, rm.timed.calls
    in_duckdb = sum(v for k, v in seconds.items() if k != BreakdownReadModel.ISSUING)
    print(
        f"where a rebuild's loading thread spends its time (one rebuild, {wall:.2f} s; "
        f"in DuckDB calls {in_duckdb:.2f} s, the rest is Python and waiting for the reading thread):"
    )
    for kind, spent in sorted(seconds.items(), key=lambda item: -item[1])[:12]:
        print(f"  {spent:7.2f} s  {calls[kind]:5,} calls  {kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="one more rebuild, timed statement by statement on the loading thread",
    )
    args = parser.parse_args()
    directory = args.data_dir or Path(f"var/bench-projections-{args.events}")
    directory.mkdir(parents=True, exist_ok=True)
    ledger = build_store(directory, args.events)
    events = ledger.recorder.max_notification_id() or 0
    rm_path = directory / "read_model.duckdb"

    def rebuild() -> int:
        with ReadModel(rm_path) as rm:
            return rm.rebuild(ledger)

    log = timed(
        {
            "raw": lambda: raw_read(ledger),
            "columns": lambda: loader_read(ledger),
            "rebuild": rebuild,
        },
        args.repeat,
    )
    (read_s, read_cpu, count), (columns_s, columns_cpu, _) = log["raw"], log["columns"]
    rebuild_s, rebuild_cpu, _ = log["rebuild"]
    rm = ReadModel(rm_path)
    rm.catch_up(ledger)
    closed = rm.conn.execute("SELECT count(*) FROM periods_closed").fetchone()
    latest = rm.conn.execute("SELECT max(strftime(value_date, '%Y-%m')) FROM postings").fetchone()
    month = latest[0] if latest else "2026-01"
    pay = timed(
        {
            "issued": lambda: statements(rm, month),
            "restated": lambda: statements(rm, month, restated=True),
        },
        args.repeat,
    )
    (month_s, _, rows), (restated_s, _, _) = pay["issued"], pay["restated"]
    rm.close()

    print(
        f"events in the log: {count:,} (last position {events:,}); months closed: {closed[0] if closed else 0}"
    )
    print(
        f"medians of {args.repeat} rounds, each running the raw read, the loader read and a rebuild in turn"
    )
    print(f"{'':34} {'seconds':>9} {'events/s':>12} {'vs raw read':>12} {'CPU s':>8}")
    print(
        f"{'raw read (select_notifications)':34} {read_s:9.2f} {count / read_s:12,.0f} {1:12.2f} "
        f"{read_cpu:8.2f}"
    )
    print(
        f"{'  the loader read into Arrow':34} {columns_s:9.2f} {count / columns_s:12,.0f} "
        f"{columns_s / read_s:12.2f} {columns_cpu:8.2f}"
    )
    print(
        f"{'rebuild (drop + replay)':34} {rebuild_s:9.2f} {count / rebuild_s:12,.0f} "
        f"{rebuild_s / read_s:12.2f} {rebuild_cpu:8.2f}"
    )
    print(f"{'  rebuild / the loader read':34} {'':9} {'':12} {rebuild_s / columns_s:12.2f}")
    print(f"{'statements ' + str(month) + ' (' + str(len(rows)) + ' managers)':34} {month_s:9.2f}")
    print(f"{'  restated':34} {restated_s:9.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"peak memory of this process (all of the above; the rebuild is the largest): {peak:,} MiB"
    )
    print(
        f"aims: rebuild >= 130,000 events/s ({'met' if count / rebuild_s >= 130_000 else 'NOT met'}), "
        f"<= 1.5x raw read ({'met' if rebuild_s / read_s <= 1.5 else 'NOT met'}), "
        f"a month's statements < 1 s ({'met' if month_s < 1 else 'NOT met'})"
    )
    print(
        f"CPU s: user and system time of every thread of this process ({os.cpu_count()} cores here)"
    )
    if args.breakdown:
        breakdown(ledger, rm_path)


if __name__ == "__main__":
    main()

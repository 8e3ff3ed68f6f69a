"""Benchmark the audits on a data directory (e.g. a generated bank of 2,000,000 events).

    python -m scripts.bank.generate --seed 7 --size 1840000 --out big.jsonl
    rmledger --data-dir var-big ingest big.jsonl
    python -m scripts.bench.audit --data-dir var-big [--manager ID] [--runs 7] [--scan]

Catches the read model up (timed once), then prints the median of ``--runs`` runs of:

- ``audit history`` of one manager (read model, SQL) — target < 200 ms;
- the departure audit of one departing manager — target < 2 s;
- the same history reconstructed by replaying that manager's aggregates through
  eventsourcing (the manager, every client it ever held, its handovers), and the ratio;
- with ``--scan``, once: the postings credited to it found by decoding the whole
  notification log in Python (what the read model saves).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from domain.ids import aggregate_id
from domain.ledger import Ledger
from domain.store import data_dir, ledger_env
from projections.audit.departure import departure_audit
from projections.audit.history import manager_history
from projections.audit.views import create_audit_views
from projections.readmodel.chain import catch_up_chain


def median_ms(run: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def pick_managers(conn: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The manager with the most assignment changes, and the departing manager with the most."""
    busiest = conn.execute(
        "SELECT manager_id FROM assignment_changes GROUP BY ALL ORDER BY count(*) DESC, "
        "manager_id LIMIT 1"
    ).fetchone()
    leaving = conn.execute(
        "SELECT r.manager_id FROM departure_requests r JOIN assignment_changes a USING "
        "(manager_id) GROUP BY ALL ORDER BY count(*) DESC, r.manager_id LIMIT 1"
    ).fetchone()
    assert busiest is not None, "the read model holds no assignments"
    return str(busiest[0]), str(leaving[0] if leaving else busiest[0])


def replay(ledger: Ledger, manager_id: str) -> dict[str, Any]:
    """The manager's history from its aggregates: replayed through the repository."""
    manager: Any = ledger.repository.get(aggregate_id("manager", manager_id))
    events = ledger.recorder.select_events(aggregate_id("manager", manager_id))
    clients: set[str] = set()
    handovers: set[str] = set()
    for stored in events:
        event = ledger.mapper.to_domain_event(stored)
        client = getattr(event, "client_id", None)
        if client:
            clients.add(client)
        reference = getattr(event, "reference", "")
        if (
            isinstance(reference, str)
            and reference
            and not reference.startswith(("assign", "release"))
        ):
            handovers.add(reference)
    replayed: dict[str, Any] = {
        c: ledger.repository.get(aggregate_id("client", c)) for c in sorted(clients)
    }
    found_handovers: dict[str, Any] = {}
    for h in sorted(handovers):
        try:
            found_handovers[h] = ledger.repository.get(aggregate_id("handover", h))
        except Exception:  # noqa: BLE001 - a reference that is a message id, not a handover
            continue
    return {"manager": manager, "clients": replayed, "handovers": found_handovers}


def scan_postings(ledger: Ledger, clients: set[str], page: int = 20_000) -> int:
    """Postings of ``clients`` found by decoding every notification of the log."""
    found, start = 0, 0
    while True:
        notes = ledger.recorder.select_notifications(
            start=start, limit=page, inclusive_of_start=False
        )
        if not notes:
            return found
        for n in notes:
            if n.topic.endswith("Posting.Booked"):
                event = ledger.mapper.to_domain_event(n)
                if getattr(event, "client_id", None) in clients:
                    found += 1
        start = notes[-1].id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--manager", default=None, help="manager for the history (default: the busiest)"
    )
    parser.add_argument("--departing", default=None, help="manager for the departure audit")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--scan", action="store_true", help="also time a full decode of the log, once"
    )
    args = parser.parse_args(argv)

    from projections.readmodel.loader import ReadModel

    directory = data_dir(args.data_dir)
    ledger = Ledger(ledger_env(Path(directory)))
    start = time.perf_counter()
    model = ReadModel(directory / "read_model.duckdb")
    position = model.catch_up(ledger)
    loaded = time.perf_counter() - start
    conn = model.conn
    start = time.perf_counter()
    catch_up_chain(conn, ledger.recorder)
    chained = time.perf_counter() - start
    create_audit_views(conn)
    events = conn.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
    busiest, leaving = pick_managers(conn)
    manager = args.manager or busiest
    departing = args.departing or leaving
    print(
        f"read model: {events:,} events at position {position:,}; catch-up {loaded:.1f} s, "
        f"hash chain {chained:.1f} s"
    )

    history_ms, history = median_ms(lambda: manager_history(conn, manager), args.runs)
    print(
        f"audit history --manager {manager}: median {history_ms:.1f} ms over {args.runs} runs "
        f"({len(history['facts'])} facts, {len(history['credits'])} credits)  target < 200 ms"
    )
    core_ms, _ = median_ms(lambda: manager_history(conn, manager, restated=False), args.runs)
    print(
        f"audit history --manager {manager} --no-restated (without the pay rules): median {core_ms:.1f} ms"
    )
    departure_ms, report = median_ms(lambda: departure_audit(conn, departing), args.runs)
    print(
        f"audit departure --manager {departing}: median {departure_ms:.1f} ms over {args.runs} runs "
        f"({len(report['book'])} clients, {len(report['findings'])} findings, sha256 {report['sha256'][:12]}…)"
        "  target < 2000 ms"
    )
    replay_ms, replayed = median_ms(lambda: replay(ledger, manager), args.runs)
    print(
        f"replay through eventsourcing (manager + {len(replayed['clients'])} clients + "
        f"{len(replayed['handovers'])} handovers, no postings): median {replay_ms:.1f} ms; "
        f"replay / read model = {replay_ms / history_ms:.2f} (the replay has no postings: see --scan)"
    )
    if args.scan:
        start = time.perf_counter()
        found = scan_postings(ledger, set(replayed["clients"]))
        scan_s = time.perf_counter() - start
        print(
            f"postings of those clients by decoding the whole log: {found:,} in {scan_s:.1f} s; "
            f"(replay + scan) / read model = {(replay_ms + scan_s * 1000) / history_ms:.0f}x"
        )
    model.close()


if __name__ == "__main__":
    main()

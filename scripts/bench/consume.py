"""Consume benchmark: postings/s from a Kafka topic to stored events (SQLite), beside
the rate at which the same process merely reads and decodes the topic.

    python -m scripts.bench.consume --postings 200000 --runs 3 [--bootstrap HOST:PORT]

Without ``--bootstrap`` a Tansu broker is started for the run (scripts/bench/kafka_broker.py).
The postings (for 1,000 clients, keyed by client) are produced once to a fresh
``<prefix>.postings`` topic of ``--partitions`` partitions. Each run then:

* reads: a plain ``KafkaConsumer`` with ``assign()`` (no group) reads every record
  from offset 0 and decodes it with the contract decoder, nothing else;
* consumes: a ``LedgerConsumer`` in a new group applies every record to a fresh
  SQLite store holding the 1,000 clients (registered beforehand, outside the timing),
  until every posting is stored. Its clock starts when the group has assigned the
  partitions (Tansu's slow group join is left out) and stops when the last batch
  is stored.

Prints the median of each; the ratio says how much of the time is the ledger's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from consumers.decoder import decode_object, parse_json
from consumers.kafka_consumer import DEFAULT_MAX_POLL_RECORDS, ConsumeStats, LedgerConsumer
from consumers.producer import produce_messages
from domain.ledger import Ledger, apply_all
from domain.store import ledger_env
from scripts.bench.soak_consumer import broker_for

CLIENTS = 1000


def registrations() -> list[dict[str, Any]]:
    return [
        {
            "type": "client.registered",
            "id": f"reg-{c}",
            "client_id": f"C{c}",
            "kind": "personal",
            "branch_id": "B1",
            "registered_on": "2025-01-01",
            "name": f"Client {c}",
            "id_number": f"ID{c:08d}",
        }
        for c in range(CLIENTS)
    ]


def postings(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {
            "type": "posting.booked",
            "id": f"post-{i}",
            "client_id": f"C{i % CLIENTS}",
            "category": "loan_interest",
            "amount": f"{100 + i % 900}.{i % 100:02d}",
            "value_date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }


def read_rate(
    bootstrap: str, topic: str, partitions: int, count: int, max_poll_records: int
) -> float:
    """Records/s read and decoded by a bare KafkaConsumer (no group, no ledger)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=max_poll_records
    )
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen = 0
    started = time.perf_counter()
    while seen < count:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                decode_object(parse_json(record.value))
            seen += len(records)
    elapsed = time.perf_counter() - started
    consumer.close()
    return count / elapsed


class TimedConsumer(LedgerConsumer):
    """Notes when the group first assigned partitions."""

    assigned_at: float | None = None

    def _take_assignment(self) -> set[TopicPartition]:
        fresh = super()._take_assignment()
        if fresh and self.assigned_at is None:
            self.assigned_at = time.perf_counter()
        return fresh


def consume_rate(
    bootstrap: str, topic: str, count: int, max_poll_records: int, session_timeout_ms: int
) -> float:
    """Postings/s from the topic to stored events, in a fresh store with the clients registered."""
    directory = Path(tempfile.mkdtemp(prefix="rmledger-bench-consume-"))
    ledger = Ledger(ledger_env(directory, {}))
    apply_all(ledger, [decode_object(m) for m in registrations()])
    done = threading.Event()
    finished_at: list[float] = []

    def progress(stats: ConsumeStats) -> None:
        if stats.applied + stats.duplicates + stats.dead_lettered >= count and not finished_at:
            finished_at.append(time.perf_counter())
            done.set()

    consumer = TimedConsumer(
        ledger,
        bootstrap,
        [topic],
        group=f"bench-{uuid.uuid4().hex[:8]}",
        max_poll_records=max_poll_records,
        session_timeout_ms=session_timeout_ms,
        on_progress=progress,
    )
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    if not done.wait(timeout=1800):
        raise RuntimeError(f"not every posting was stored: {consumer.stats}")
    consumer.stop()
    thread.join(60)
    stats = consumer.stats
    assert stats.applied == count and stats.dead_lettered == 0, stats
    assert consumer.assigned_at is not None
    ledger.close()
    shutil.rmtree(directory, ignore_errors=True)
    return count / (finished_at[0] - consumer.assigned_at)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postings", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument(
        "--bootstrap", default=None, help="HOST:PORT (default: start a Tansu broker)"
    )
    parser.add_argument("--max-poll-records", type=int, default=DEFAULT_MAX_POLL_RECORDS)
    parser.add_argument("--session-timeout-ms", type=int, default=2000)
    args = parser.parse_args(argv)

    with broker_for(args.bootstrap) as bootstrap:
        from scripts.bench.kafka_broker import create_topic

        prefix = f"bench{uuid.uuid4().hex[:8]}"
        topic = f"{prefix}.postings"
        create_topic(bootstrap, topic, args.partitions)
        started = time.perf_counter()
        produce_messages(bootstrap, postings(args.postings), prefix=prefix)
        print(
            f"produced {args.postings} postings to {topic} ({args.partitions} partitions) "
            f"in {time.perf_counter() - started:.1f}s"
        )
        reads, consumes = [], []
        for run in range(1, args.runs + 1):
            reads.append(
                read_rate(bootstrap, topic, args.partitions, args.postings, args.max_poll_records)
            )
            consumes.append(
                consume_rate(
                    bootstrap, topic, args.postings, args.max_poll_records, args.session_timeout_ms
                )
            )
            print(
                f"run {run}: read+decode {reads[-1]:,.0f}/s   consume to store {consumes[-1]:,.0f}/s"
            )
    read, consume = statistics.median(reads), statistics.median(consumes)
    print(f"\nmedian of {args.runs} runs, {args.postings:,} postings, SQLite:")
    print(f"  read + decode only:        {read:>10,.0f} messages/s")
    print(
        f"  consume to stored events:  {consume:>10,.0f} messages/s  ({consume / read:.0%} of reading)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

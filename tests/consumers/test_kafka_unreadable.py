"""Issue 2 on the Kafka way in: records the JSON parser cannot read (an integer too
long to convert, nesting too deep), a field given twice and amounts or counts beyond
the limits are dead-lettered with their rule, and the partition goes on: the good
records after them are applied. Against a real Kafka-protocol broker."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from consumers.decoder import MAX_INTEGER_DIGITS
from consumers.kafka_consumer import LedgerConsumer
from consumers.producer import produce_messages
from scripts.bench.soak_consumer import create_topics, open_ledger, read_dlq
from tests import builders as b

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

DIGITS = MAX_INTEGER_DIGITS + 1


def test_unreadable_and_out_of_range_records_are_dead_lettered_and_the_partition_goes_on(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    topics = create_topics(kafka_bootstrap, prefix, 1)
    huge = b"1" * DIGITS
    deep = b"[" * 30_000
    oversized = (
        b'{"type": "posting.booked", "reason": "' + b"x" * 70_000 + b'"}'
    )  # over 64 KiB: not parsed
    repeated = (
        json.dumps(b.book("P3", "C1", "30.00"))
        .replace('"amount": "30.00"', '"amount": "30.00", "amount": "3000000.00"')
        .encode()
    )
    too_large = json.dumps(b.book("P4", "C1", "100000000000000000.00")).encode()
    items: list[dict[str, Any] | bytes] = [
        b.register("C1"),
        huge,
        b.book("P1", "C1", "10.00"),
        deep,
        b.book("P2", "C1", "20.00"),
        repeated,
        too_large,
        oversized,
        b.book("P5", "C1", "50.00"),
    ]
    produce_messages(kafka_bootstrap, items, prefix=prefix)

    ledger = open_ledger(tmp_path)
    stats = LedgerConsumer(
        ledger,
        kafka_bootstrap,
        topics,
        group=f"g{uuid.uuid4().hex[:10]}",
        retry_seconds=10.0,
        session_timeout_ms=2000,
    ).run(until_idle=1.5)
    assert (stats.applied, stats.dead_lettered) == (4, 5)
    assert [b.state(ledger, "posting", p).amount for p in ("P1", "P2", "P5")] == [
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("50.00"),
    ]

    letters = {r.value: dict(r.headers) for r in read_dlq(kafka_bootstrap, topics)}
    assert {value: (h["error-field"], h["error"].decode()) for value, h in letters.items()} == {
        huge: (
            b"",
            f"invalid_json: not valid JSON (an integer of {DIGITS} digits; at most 4300 are read)",
        ),
        deep: (b"", "invalid_json: not valid JSON (arrays or objects nested too deeply to read)"),
        repeated: (
            b"amount",
            "amount: duplicate_field: 'amount' is given more than once in one object "
            "(a repeated field is rejected, never resolved by taking one of the values)",
        ),
        too_large: (
            b"amount",
            "amount: amount_too_large: '100000000000000000.00' has 18 digits before the point; "
            "at most 13 are allowed (the size must be below 10,000,000,000,000)",
        ),
        oversized: (
            b"",
            "message_too_large: the message has 70,040 bytes; one message is at most 65,536 bytes "
            "(64 KiB)",
        ),
    }

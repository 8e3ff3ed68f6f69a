"""Produce contract messages to their topics (for tests, the generator and feeds)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from consumers.topics import DEFAULT_PREFIX, key_of, topic_for


def produce_messages(
    bootstrap: str, messages: Iterable[dict[str, Any] | bytes], prefix: str = DEFAULT_PREFIX
) -> int:
    """Send each message to its family's topic, keyed by its entity; return the count.

    A raw line that is not a JSON object with a known ``type`` goes to the postings
    topic unkeyed (so that malformed input can be fed to the dead-letter path)."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=10, batch_size=256 * 1024
    )
    count = 0
    try:
        for message in messages:
            raw = message if isinstance(message, bytes) else json.dumps(message).encode()
            topic, key = _route(raw)
            producer.send(topic(prefix), key=key, value=raw)
            count += 1
        producer.flush()
    finally:
        producer.close()
    return count


def produce_file(bootstrap: str, path: Path, prefix: str = DEFAULT_PREFIX) -> int:
    """Produce every non-blank line of a JSON Lines file."""
    with path.open("rb") as handle:
        return produce_messages(
            bootstrap, (line.rstrip(b"\n") for line in handle if line.strip()), prefix
        )


def _route(raw: bytes) -> tuple[Any, bytes | None]:
    try:
        obj = json.loads(raw)
        message_type = obj["type"]
        topic_for(message_type)
        key = key_of(obj)
        return (lambda prefix: topic_for(message_type, prefix)), key.encode() if key else None
    except Exception:  # malformed on purpose: route it where a consumer will dead-letter it
        return (lambda prefix: f"{prefix}.postings"), None

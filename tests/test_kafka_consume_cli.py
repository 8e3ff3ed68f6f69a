"""`rmledger consume` as a process against the real broker: graceful shutdown on
SIGTERM, and the progress and lag it reports (docs/kafka.md)."""

from __future__ import annotations

import re
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from consumers.kafka_consumer import tracking_name
from consumers.producer import produce_messages
from scripts.generate import generate
from scripts.soak_consumer import (
    census,
    consume_command,
    create_topics,
    exactly_once_problems,
    open_ledger,
    start_consumer,
    wait_for_progress,
)

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

SESSION_MS = 6000
LINE = re.compile(r"consumed (\d+)  applied (\d+)  duplicates (\d+)  dead-lettered (\d+)  held (\d+)  lag (\d+)")


def month_messages() -> list[dict[str, Any]]:
    """A generated bank without its month closes: produced in bulk, a close could be
    consumed before an award of its month (a feed sends a close once the month is
    consumed, docs/kafka.md), and that is not what these tests are about."""
    return [m for m in generate(5, "12000") if m["type"] != "period.closed"]


def stats_of(line: str) -> dict[str, int]:
    found = LINE.search(line)
    assert found, f"not a stats line: {line!r}"
    names = ("consumed", "applied", "duplicates", "dead_lettered", "held", "lag")
    return dict(zip(names, map(int, found.groups()), strict=True))


def test_sigterm_stops_after_the_batch_in_hand_commits_and_a_restart_applies_the_rest_once(
        kafka_bootstrap: str, tmp_path: Path) -> None:
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
    command = consume_command(tmp_path, kafka_bootstrap, group, prefix, retry_seconds=60,
                              session_timeout_ms=SESSION_MS)
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

    reader = KafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
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

    again = subprocess.run(consume_command(tmp_path, kafka_bootstrap, group, prefix, until_idle=2,
                                           retry_seconds=60, session_timeout_ms=SESSION_MS),
                           capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    found = census(ledger)
    assert exactly_once_problems(found, {m["id"] for m in messages}, set()) == []
    assert found.letters == []
    assert sum(found.applied.values()) == len(messages)
    # The restart read from the committed offsets: it applied only what the first left.
    assert stats_of(again.stdout)["applied"] == len(messages) - stopped["applied"]


def test_progress_lines_show_the_lag_off_a_terminal_and_the_final_line_says_lag_0(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    """With stderr not a terminal, `rmledger consume` logs a progress line every
    ``--progress-seconds`` (0 here: every poll). 12,000 messages already on the topics
    are more than one poll takes (5,000 records), so a line shows the backlog as
    lag, and consumed + lag never exceeds what is there; after draining with
    --until-idle the final line (stdout) says every record was consumed, lag 0."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    create_topics(kafka_bootstrap, prefix, 1)
    messages = month_messages()
    total = produce_messages(kafka_bootstrap, messages, prefix=prefix)
    command = consume_command(tmp_path, kafka_bootstrap, f"{prefix}-group", prefix, until_idle=2,
                              retry_seconds=60, session_timeout_ms=SESSION_MS) + ["--progress-seconds", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    progress = [stats_of(line) for line in done.stderr.splitlines() if line.startswith("progress: ")]
    assert progress, done.stderr[-2000:]
    assert all(p["consumed"] + p["lag"] <= total for p in progress)
    behind = [p for p in progress if p["lag"] > 0]
    assert behind, f"no progress line showed a lag: {progress[:5]}"
    assert any(p["consumed"] + p["lag"] == total for p in behind)  # the lag is the backlog, exactly
    final = stats_of(done.stdout.strip().splitlines()[-1])
    assert (final["consumed"], final["applied"], final["lag"], final["held"]) == (total, total, 0, 0)

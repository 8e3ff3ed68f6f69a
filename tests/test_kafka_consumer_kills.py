"""`rmledger consume` processes SIGKILLed at random points lose and duplicate nothing.

A generated bank with bad messages mixed in is produced to 3-partition topics; the
store is then checked message by message (scripts/soak_consumer.py): every good
message applied exactly once (Receipt or fact events counted per message id) and
never dead-lettered (the retry time, 10 s, is long enough for any dependency on
another partition); every bad message dead-lettered exactly once and never applied;
every dead letter on its ``.dlq`` topic with its bytes and error.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from consumers.producer import produce_messages
from scripts.soak_consumer import (
    census,
    consume_command,
    create_topics,
    dlq_problems,
    exactly_once_problems,
    kill,
    open_ledger,
    read_dlq,
    scenario,
    soak,
    start_consumer,
    wait_for_progress,
)

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

SESSION_MS = 2000  # a SIGKILLed member holds up the group for its session timeout


def test_a_consumer_killed_ten_times_applies_every_message_exactly_once(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    """Ten `rmledger consume` processes on one group and store, each SIGKILLed 0-0.6 s
    after it stored its first batch (a fifth of them timed from their start, so
    they may die during start-up or the group join), then one run to idle."""
    result = soak(kafka_bootstrap, kills=10, size="30000", partitions=3, min_delay=0.0, max_delay=0.6,
                  session_timeout_ms=SESSION_MS, data_dir=tmp_path, verbose=True)
    print(f"soak: {result}")
    assert result.problems == []
    assert result.killed_while_consuming >= 5, "most kills should land while batches are being stored"
    assert (result.dead_lettered, result.good_dead_lettered) == (result.bad, 0)
    assert result.applied == result.messages - result.bad


def test_two_consumers_in_one_group_one_killed_mid_stream(kafka_bootstrap: str, tmp_path: Path) -> None:
    """Two members of one group share the partitions; one is SIGKILLed while the
    stream is still being consumed; the other takes its partitions over (from the
    watermarks stored with the events) and finishes; exactly once."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    group = f"{prefix}-group"
    topics = create_topics(kafka_bootstrap, prefix, 3)
    chosen = scenario(5, "40000", uuid.uuid4().hex[:6])
    produce_messages(kafka_bootstrap, chosen.items, prefix=prefix)

    ledger = open_ledger(tmp_path)
    log = tmp_path / "consume.log"
    first = start_consumer(consume_command(tmp_path, kafka_bootstrap, group, prefix,
                                           session_timeout_ms=SESSION_MS), log)
    second: subprocess.Popen[bytes] | None = None
    try:
        assert wait_for_progress(ledger, 0, first, timeout=60), "the first member stored nothing"
        second = subprocess.Popen(consume_command(tmp_path, kafka_bootstrap, group, prefix, until_idle=8,
                                                  session_timeout_ms=SESSION_MS),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(3.0)  # the group rebalances: both members hold partitions
        assert first.poll() is None and second.poll() is None
        at_kill = ledger.recorder.max_notification_id() or 0
        kill(first)
        out, _ = second.communicate(timeout=300)
        assert second.returncode == 0, out.decode()
    finally:
        kill(first)
        if second is not None and second.poll() is None:
            kill(second)

    found = census(ledger)
    print(f"events at the kill: {at_kill}, at the end: {found.events}; survivor: {out.decode().strip()}")
    assert at_kill < found.events, "the first member was killed after the stream was consumed"
    assert exactly_once_problems(found, chosen.good_ids, chosen.bad_values) == []
    assert set(found.applied) == chosen.good_ids  # every good message applied, none dead-lettered
    assert dlq_problems(found, read_dlq(kafka_bootstrap, topics)) == []

"""`rmledger consume` processes SIGKILLed at random points lose and duplicate nothing.

A generated bank with bad messages mixed in is produced to 3-partition topics; the
store is then checked message by message (scripts/bench/soak_consumer.py): every good
message applied exactly once (Receipt or fact events counted per message id) and
never dead-lettered (the retry time, 10 s, is long enough for any dependency on
another partition); every bad message dead-lettered exactly once and never applied;
every dead letter on its ``.dlq`` topic with its bytes and error.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from consumers.producer import produce_messages
from scripts.bench.kafka_broker import describe_group
from scripts.bench.soak_consumer import (
    bad_messages,
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
)
from tests import builders as b

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

SESSION_MS = 2000  # a SIGKILLed member holds up the group for its session timeout


def test_a_consumer_killed_ten_times_applies_every_message_exactly_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Ten `rmledger consume` processes on one group and store, each SIGKILLed 0-0.6 s
    after it stored its first batch (a fifth of them timed from their start, so
    they may die during start-up or the group join), then one run to idle."""
    result = soak(
        kafka_bootstrap,
        kills=10,
        size="30000",
        partitions=3,
        min_delay=0.0,
        max_delay=0.6,
        session_timeout_ms=SESSION_MS,
        data_dir=tmp_path,
        verbose=True,
    )
    print(f"soak: {result}")
    assert result.problems == []
    assert result.killed_while_consuming >= 5, (
        "most kills should land while batches are being stored"
    )
    assert (result.dead_lettered, result.good_dead_lettered) == (result.bad, 0)
    assert result.applied == result.messages - result.bad


PROGRESS = ["--progress-seconds", "0.2"]  # a progress line on stderr this often
PROGRESS_LINE = re.compile(
    r"^progress: consumed (\d+)  applied \d+  duplicates \d+  dead-lettered \d+  "
    r"held (\d+)  lag (\d+)$",
    re.MULTILINE,
)


def progress_of(log: Path) -> list[tuple[int, int, int]]:
    """(consumed, held, lag) of every progress line one consumer process has logged so far."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return [(int(c), int(h), int(g)) for c, h, g in PROGRESS_LINE.findall(text)]


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    processes: tuple[subprocess.Popen[bytes], ...],
    logs: tuple[Path, ...],
) -> None:
    """Wait until ``condition()``; fail with ``what`` and the processes' logs if one of
    them exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while not condition():
        exited = any(p.poll() is not None for p in processes)
        if exited or time.monotonic() > deadline:
            tails = "\n".join(
                f"--- {log.name}:\n{log.read_text(errors='replace')[-1500:]}" for log in logs
            )
            pytest.fail(
                f"{what}: {'a consumer exited' if exited else f'not within {timeout:.0f}s'}\n{tails}"
            )
        time.sleep(0.1)


def more_postings(clients: list[str], count: int, tag: str) -> list[dict[str, Any]]:
    """``count`` postings for known clients (in the open month after the generated
    year), every 50th one reversed: keyed by the posting, the reversal may land on
    another partition than its posting, and then waits for it."""
    messages: list[dict[str, Any]] = []
    for i in range(count):
        posting = b.book(
            f"more-{tag}-{i}",
            clients[i % len(clients)],
            f"{1 + i % 997}.{i % 100:02d}",
            value_date="2026-01-05",
        )
        messages.append(posting)
        if i % 50 == 49:
            messages.append(b.reverse(posting["id"]))
    return messages


def test_two_consumers_in_one_group_one_killed_mid_stream(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Two members of one group share the partitions; one is SIGKILLed while the
    stream is still being consumed; the other takes its partitions over (from the
    watermarks stored with the events) and finishes; exactly once.

    That both members hold partitions before the kill is proved, not assumed: the
    broker lists the group as Stable with exactly these two members, each process
    then logs a progress line, the second stream is produced only after that, and
    both processes log that they consumed more (a member consumes only records of
    partitions it holds), while the group still has the same two members. Without
    that, a late join would make this a restart test of one consumer.

    The generated bank (with bad messages) is consumed first by one member alone:
    its month closes, departures and handover filings settle on what a member owns,
    so several members need a feed that sends them after what precedes them is
    consumed (docs/kafka.md, "Ordering across families"); a bulk-produced bank does
    not. What two members share, and what the kill interrupts, is a second stream of
    postings, reversals and bad messages, which closes no door. The session timeout
    stays at 2 s, not 6: after the kill, a reversal held by the survivor may wait for
    its posting on the dead member's partitions for the session timeout and a join,
    and must not reach the 10 s retry time."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    group = f"{prefix}-group"
    topics = create_topics(kafka_bootstrap, prefix, 3)
    tag = uuid.uuid4().hex[:6]
    bank = scenario(5, "20000", tag)
    clients = sorted(
        m["client_id"]
        for m in bank.items
        if isinstance(m, dict) and m["type"] == "client.registered"
    )
    more = more_postings(clients, 20000, tag)
    bad = bad_messages(f"{tag}-more")
    second_stream: list[dict[str, Any] | bytes] = [*more[:10000], *bad, *more[10000:]]
    produce_messages(kafka_bootstrap, bank.items, prefix=prefix)

    ledger = open_ledger(tmp_path)
    logs = (tmp_path / "first.log", tmp_path / "second.log")
    command = consume_command(
        tmp_path, kafka_bootstrap, group, prefix, session_timeout_ms=SESSION_MS
    )
    first = start_consumer(command + PROGRESS, logs[0])
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_until(
            lambda: any(c >= len(bank.items) and h == g == 0 for c, h, g in progress_of(logs[0])),
            120,
            "the first member did not consume the bank",
            (first,),
            logs[:1],
        )
        second = start_consumer(
            consume_command(
                tmp_path,
                kafka_bootstrap,
                group,
                prefix,
                until_idle=10,
                session_timeout_ms=SESSION_MS,
            )
            + PROGRESS,
            logs[1],
        )
        both = (first, second)
        members: list[str] = []

        def two_members() -> bool:
            nonlocal members
            state, members = describe_group(kafka_bootstrap, group)
            return state == "Stable" and len(members) == 2

        wait_until(two_members, 60, "the group never became Stable with two members", both, logs)
        # A progress line from each process written after that: the counts to beat.
        lines = [len(progress_of(log)) for log in logs]
        wait_until(
            lambda: all(len(progress_of(log)) > n for log, n in zip(logs, lines, strict=True)),
            30,
            "no progress line after the group became Stable",
            both,
            logs,
        )
        before = [progress_of(log)[-1][0] for log in logs]
        produce_messages(kafka_bootstrap, second_stream, prefix=prefix)
        wait_until(
            lambda: all(progress_of(log)[-1][0] > n for log, n in zip(logs, before, strict=True)),
            60,
            "a member consumed nothing of the second stream",
            both,
            logs,
        )
        assert describe_group(kafka_bootstrap, group) == ("Stable", members), (
            "the group changed meanwhile"
        )
        during = [progress_of(log)[-1][0] for log in logs]
        at_kill = ledger.recorder.max_notification_id() or 0
        kill(first)
        assert second.wait(timeout=300) == 0, logs[1].read_text(errors="replace")[-3000:]
    finally:
        kill(first)
        if second is not None and second.poll() is None:
            kill(second)

    found = census(ledger)
    survivor = logs[1].read_text(errors="replace").strip().splitlines()[-1]
    print(
        f"consumed before / during the second stream: {before} / {during}; events at the kill: {at_kill}, "
        f"at the end: {found.events}; survivor: {survivor}"
    )
    assert at_kill < found.events, "the first member was killed after the stream was consumed"
    good_ids = bank.good_ids | {m["id"] for m in more}
    assert exactly_once_problems(found, good_ids, bank.bad_values | set(bad)) == []
    assert set(found.applied) == good_ids  # every good message applied, none dead-lettered
    assert dlq_problems(found, read_dlq(kafka_bootstrap, topics)) == []

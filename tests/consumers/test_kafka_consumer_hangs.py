"""`rmledger consume` never hangs (docs/kafka.md, "Never hanging"): SIGKILLed in the
middle of group joins, a restarted consumer is in its group and consuming within the
documented bound, and the store is the one `rmledger ingest` makes of the same
messages; SIGTERM during a join or a poll stops it; a broker that goes away is said on
stderr, and `--until-idle` then exits with status 4.

The kill point is the consumer's own stderr line "joining group G", written when
kafka-python starts a JoinGroup round; the kill lands right then, or a moment later,
while the broker holds the round (half a session on Tansu)."""

from __future__ import annotations

import random
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from consumers.producer import produce_messages
from scripts.bank.generate import generate
from scripts.bench.kafka_broker import KafkaBroker
from scripts.bench.soak_consumer import (
    census,
    consume_command,
    create_topics,
    kill,
    open_ledger,
    start_consumer,
)
from tests.consumers.compare import assert_consumed_equals_ingested, ingested_store

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

SESSION_MS = 2000
JOIN_TIMEOUT = 10.0
# The bound a restarted consumer is held to: a join round that completes takes a session
# timeout (the dead member's) and half a session on Tansu; one that does not is left
# after JOIN_TIMEOUT and a new member joins. Generous on purpose: a busy machine.
BOUND = 2 * JOIN_TIMEOUT + 20
JOINING = "rmledger consume: joining group"


def bank() -> list[dict[str, Any]]:
    """A generated bank without month closes and the disputes that wait for them
    (produced in bulk, a close could be read before an award of its month; a feed
    sends it once the month is consumed)."""
    closing = ("period.closed", "dispute.opened", "dispute.resolved")
    return [m for m in generate(3, "6000") if m["type"] not in closing]


def command(
    data_dir: Path,
    bootstrap: str,
    group: str,
    prefix: str,
    *extra: str,
    until_idle: float | None = None,
) -> list[str]:
    return consume_command(
        data_dir, bootstrap, group, prefix, until_idle=until_idle, session_timeout_ms=SESSION_MS
    ) + ["--join-timeout", str(JOIN_TIMEOUT), *extra]


def wait_for_line(
    log: Path, text: str, process: subprocess.Popen[bytes], timeout: float, after: int = 0
) -> int:
    """Wait until ``log`` has a line with ``text`` past character ``after``; return
    where it ends. Fails with the log if the process exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        content = log.read_text(errors="replace") if log.exists() else ""
        found = content.find(text, after)
        if found >= 0:
            return content.find("\n", found) + 1 or len(content)
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no {text!r} line (exit {process.poll()}):\n{content[-3000:]}")
        time.sleep(0.02)


def stopped_within(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        kill(process)
        return None


@pytest.mark.slow
def test_killed_during_joins_again_and_again_then_a_restart_consumes_it_all_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Given a bank on 3-partition topics, when five consumers are SIGKILLed in turn,
    each when it starts a group join or up to a second into it, then a consumer started
    after them is in the group and storing events within the bound, runs to idle with
    status 0, and the store is the one `rmledger ingest` makes of the same messages:
    every message applied once, none dead-lettered, the same events, the same
    statements."""
    messages = bank()
    prefix = f"h{uuid.uuid4().hex[:10]}"
    group = f"{prefix}-group"
    create_topics(kafka_bootstrap, prefix, 3)
    produce_messages(kafka_bootstrap, messages, prefix=prefix)
    rng = random.Random(11)
    consumed_dir = tmp_path / "consumed"
    log = tmp_path / "consume.log"
    ledger = open_ledger(consumed_dir)
    kills_in_join = 0
    for _ in range(5):
        process = start_consumer(command(consumed_dir, kafka_bootstrap, group, prefix), log)
        try:
            position = log.stat().st_size if log.exists() else 0
            wait_for_line(log, JOINING, process, timeout=BOUND, after=position)
            time.sleep(rng.choice([0.0, rng.uniform(0.0, 1.0)]))
        finally:
            kill(process)
        kills_in_join += 1

    before = ledger.recorder.max_notification_id() or 0
    started = time.monotonic()
    final = start_consumer(command(consumed_dir, kafka_bootstrap, group, prefix, until_idle=3), log)
    try:
        while (ledger.recorder.max_notification_id() or 0) == before and final.poll() is None:
            assert time.monotonic() - started < BOUND, log.read_text(errors="replace")[-3000:]
            time.sleep(0.05)
        consuming_after = time.monotonic() - started
        assert final.wait(timeout=300) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        kill(final)
    print(
        f"{kills_in_join} kills in joins; the restart stored its first batch after {consuming_after:.1f}s"
    )

    assert_consumed_equals_ingested(ledger, ingested_store(messages, tmp_path), messages, tmp_path)


def test_sigterm_during_a_join_and_during_polls_stops_the_consumer(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Given a consumer that has just logged that it is joining its group, when it gets
    SIGTERM, then it exits with status 0 (well within a minute: the bound asserted is
    generous, the stop deadline is 10 s). Likewise one that is polling an idle group."""
    prefix = f"s{uuid.uuid4().hex[:10]}"
    group = f"{prefix}-group"
    create_topics(kafka_bootstrap, prefix, 3)
    produce_messages(kafka_bootstrap, bank()[:2000], prefix=prefix)
    for when in ("joining", "polling"):
        log = tmp_path / f"{when}.log"
        process = start_consumer(
            command(tmp_path / when, kafka_bootstrap, group, prefix, "--progress-seconds", "0.2"),
            log,
        )
        try:
            end = wait_for_line(log, JOINING, process, timeout=BOUND)
            if when == "polling":
                wait_for_line(log, "progress: consumed", process, timeout=BOUND, after=end)
                time.sleep(1.0)
            process.send_signal(signal.SIGTERM)
            status = stopped_within(process, 60)
        finally:
            kill(process)
        assert status == 0, f"{when}: exit {status}\n{log.read_text(errors='replace')[-3000:]}"


def test_a_broker_that_goes_away_is_said_on_stderr_and_until_idle_exits_non_zero(
    tmp_path: Path,
) -> None:
    """Given a consumer in its group on a broker of its own, when the broker stops,
    then the consumer says on stderr that no broker answers (a few lines, not one per
    poll) and, run with --until-idle, exits with status 4 after twice the join timeout;
    and one sent SIGTERM while its broker is gone exits too."""
    with KafkaBroker() as broker:
        bootstrap = broker.bootstrap_servers
        prefix = f"g{uuid.uuid4().hex[:10]}"
        group = f"{prefix}-group"
        create_topics(bootstrap, prefix, 1)
        produce_messages(bootstrap, bank()[:500], prefix=prefix)
        logs = (tmp_path / "idle.log", tmp_path / "term.log")
        idle = start_consumer(
            command(
                tmp_path / "a",
                bootstrap,
                group,
                prefix,
                "--progress-seconds",
                "0.2",
                "--join-timeout",
                "3",
                until_idle=600,
            ),
            logs[0],
        )
        term = start_consumer(
            command(
                tmp_path / "b",
                bootstrap,
                f"{group}-2",
                prefix,
                "--progress-seconds",
                "0.2",
                "--join-timeout",
                "3",
            ),
            logs[1],
        )
        try:
            for process, log in zip((idle, term), logs, strict=True):
                wait_for_line(log, "progress: consumed 5", process, timeout=BOUND)
            broker.stop()
            wait_for_line(logs[1], "no broker answers", term, timeout=60)
            term.send_signal(signal.SIGTERM)
            term_status = stopped_within(term, 60)
            idle_status = stopped_within(idle, 120)
        finally:
            kill(idle)
            kill(term)
    text = logs[0].read_text(errors="replace")
    assert idle_status == 4, text[-3000:]
    assert term_status in (0, 3), logs[1].read_text(errors="replace")[-3000:]
    notices = [
        line for line in text.splitlines() if line.startswith("rmledger consume: not in group")
    ]
    assert f"no broker answers at {bootstrap}" in notices[0]
    assert notices[-1].endswith("giving up (--until-idle)")
    assert len(notices) <= 4, notices


def test_a_static_member_killed_in_a_join_is_replaced_by_its_restart(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Given consumers with one --instance-id (static membership), when the first is
    SIGKILLed as it starts its group join, then its restart under the same id is in
    the group within the bound and applies every message once."""
    messages = bank()[:1500]
    prefix = f"i{uuid.uuid4().hex[:10]}"
    group = f"{prefix}-group"
    create_topics(kafka_bootstrap, prefix, 3)
    produce_messages(kafka_bootstrap, messages, prefix=prefix)
    log = tmp_path / "consume.log"
    static = ("--instance-id", f"{prefix}-1")
    first = start_consumer(command(tmp_path, kafka_bootstrap, group, prefix, *static), log)
    try:
        wait_for_line(log, JOINING, first, timeout=BOUND)
    finally:
        kill(first)
    size = log.stat().st_size
    restart = start_consumer(
        command(tmp_path, kafka_bootstrap, group, prefix, *static, until_idle=2), log
    )
    try:
        wait_for_line(log, "rmledger consume: in group", restart, timeout=BOUND, after=size)
        assert restart.wait(timeout=300) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        kill(restart)
    found = census(open_ledger(tmp_path))
    assert found.letters == []
    assert found.applied == {m["id"]: 1 for m in messages}

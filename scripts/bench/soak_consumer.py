"""Soak the Kafka consumer: SIGKILL it again and again, then check exactly-once.

    python -m scripts.bench.soak_consumer --kills 100 --bootstrap HOST:PORT
    python -m scripts.bench.soak_consumer --kills 30            # starts its own Tansu broker

A generated bank (``--size``, default 20000 messages) with bad messages mixed in is
produced to fresh topics (``--partitions`` each). Then a ``rmledger consume`` process
is started and SIGKILLed after a random delay, ``--kills`` times; finally one runs
until idle. The store must then hold every message exactly once: each good message
applied once and never dead-lettered (the retry time is long enough for what it waits
for), each bad message dead-lettered once and never applied, and every dead letter on
its ``.dlq`` topic.

The helpers here (the scenario with bad messages, the consumer process) and those of
``scripts.bench.soak_census`` (the store census and the checks) are also used by
``tests/consumers/test_kafka_consumer*.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from consumers.producer import produce_messages
from consumers.topics import default_topics, dlq_topic, topic_for
from domain.ledger import Ledger
from domain.store import ledger_env
from scripts.bank.generate import generate

# The census and checks are also imported from here, as before they had a module.
from scripts.bench.soak_census import (  # noqa: F401
    FACT_ID_FIELDS,
    RECEIPT_TOPIC,
    Census,
    census,
    dlq_problems,
    exactly_once_problems,
    read_dlq,
)

RMLEDGER = str(Path(sys.executable).parent / "rmledger")

# -- the scenario ------------------------------------------------------------------------


@attrs.define
class Scenario:
    """What is produced: good messages (by id) and bad ones (by their exact bytes)."""

    items: list[dict[str, Any] | bytes]
    good_ids: set[str]
    bad_values: set[bytes]


def bad_messages(tag: str) -> list[bytes]:
    """Messages that must all be dead-lettered: malformed, or breaking a rule for good.
    ``tag`` makes each one's bytes unique to the run."""

    def enc(obj: dict[str, Any]) -> bytes:
        return json.dumps(obj).encode()

    return [
        f"not json {tag}".encode(),  # invalid_json
        f'["a list", "{tag}"]'.encode(),  # not_an_object
        enc({"type": "posting.teleported", "id": f"bad-type-{tag}"}),  # unknown_type
        enc(
            {
                "type": "posting.booked",
                "id": f"bad-float-{tag}",
                "client_id": "C000001",
                "category": "fee_income",
                "amount": 12.5,
                "value_date": "2025-01-15",
            }
        ),  # wrong_type: a float
        enc(
            {
                "type": "client.registered",
                "id": f"bad-field-{tag}",
                "client_id": f"CX-{tag}",
                "kind": "personal",
                "branch_id": "B01",
                "registered_on": "2025-01-02",
                "name": "X",
                "id_number": "110101199001011234",
                "nickname": "x",
            }
        ),  # unknown_field
        enc(
            {
                "type": "posting.booked",
                "id": f"bad-date-{tag}",
                "client_id": "C000001",
                "category": "fee_income",
                "amount": "10.00",
                "value_date": "2025-02-30",
            }
        ),  # invalid_date
        # A posting for a client that never arrives: held, then dead-lettered after the retry time.
        enc(
            {
                "type": "posting.booked",
                "id": f"bad-orphan-{tag}",
                "client_id": f"NOBODY-{tag}",
                "category": "fee_income",
                "amount": "10.00",
                "value_date": "2025-01-15",
            }
        ),
        # A compliance adjustment of 0 for a manager hired at the start: a broken rule.
        enc(
            {
                "type": "adjustment.recorded",
                "id": f"bad-zero-{tag}",
                "manager_id": "M0001",
                "period": "2025-01",
                "kind": "compliance",
                "amount": "0.00",
                "reason": "none",
            }
        ),
    ]


def scenario(seed: int = 7, size: str = "20000", tag: str = "x", bad_every: int = 0) -> Scenario:
    """A generated bank with the bad messages of ``bad_messages(tag)`` mixed in: one
    after every ``bad_every`` good messages (0: all of them in the middle)."""
    good = list(generate(seed, size))
    bad = bad_messages(tag)
    items: list[dict[str, Any] | bytes] = []
    spacing = bad_every or max(1, len(good) // (2 * len(bad)))
    start = len(good) // 4 if not bad_every else spacing
    pending = list(bad)
    for index, message in enumerate(good):
        items.append(message)
        if pending and index >= start and (index - start) % spacing == 0:
            items.append(pending.pop(0))
    items += pending
    return Scenario(items, {m["id"] for m in good}, set(bad))


# -- the consumer as a process ----------------------------------------------------------------


# Long enough for a record held for a dependency on another partition to see it read,
# even across kills and restarts, so that no good message is dead-lettered; the one
# orphan of bad_messages() makes the final run wait this long once.
SOAK_RETRY_SECONDS = 10.0


def consume_command(
    data_dir: Path,
    bootstrap: str,
    group: str,
    prefix: str,
    until_idle: float | None = None,
    retry_seconds: float = SOAK_RETRY_SECONDS,
    session_timeout_ms: int = 6000,
    join_timeout: float | None = None,
) -> list[str]:
    command = [
        RMLEDGER,
        "--data-dir",
        str(data_dir),
        "consume",
        "--bootstrap",
        bootstrap,
        "--group",
        group,
        "--prefix",
        prefix,
        "--retry-seconds",
        str(retry_seconds),
        "--session-timeout-ms",
        str(session_timeout_ms),
    ]
    if join_timeout is not None:
        command += ["--join-timeout", str(join_timeout)]
    if until_idle is not None:
        command += ["--until-idle", str(until_idle)]
    return command


def start_consumer(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "RMLEDGER_DATA_DIR"}
    with log.open("ab") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL one consumer process we started, and reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def create_topics(bootstrap: str, prefix: str, partitions: int) -> list[str]:
    """The input topics (``partitions`` each) and their .dlq topics (one each)."""
    from scripts.bench.kafka_broker import create_topic

    topics = default_topics(prefix)
    for topic in topics:
        create_topic(bootstrap, topic, partitions)
        create_topic(bootstrap, dlq_topic(topic), 1)
    return topics


def open_ledger(data_dir: Path) -> Ledger:
    env = ledger_env(data_dir, {"PERSISTENCE_MODULE": "eventsourcing.sqlite"})
    return Ledger(env)


# -- the soak ----------------------------------------------------------------------------------


@attrs.define
class SoakResult:
    kills: int
    messages: int
    bad: int
    applied: int
    dead_lettered: int
    good_dead_lettered: int
    events: int
    seconds: float
    kill_seconds: float
    final_seconds: float
    problems: list[str]
    killed_while_consuming: int
    killed_in_join: int = 0
    # For every run killed only after its first stored batch (each follows a kill, many a
    # kill in a join): seconds from its start to its "in group" line (consuming again),
    # and to its first stored batch.
    restart_seconds: list[float] = attrs.Factory(list)
    first_batch_seconds: list[float] = attrs.Factory(list)


JOINING = "rmledger consume: joining group"
IN_GROUP = "rmledger consume: in group"


def wait_for_line(
    log: Path, text: str, after: int, process: subprocess.Popen[bytes], timeout: float
) -> bool:
    """Wait until the consumer logs ``text`` past byte ``after`` of ``log``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with log.open("rb") as handle:
            handle.seek(after)
            if text.encode() in handle.read():
                return True
        time.sleep(0.01)
    return False


def wait_for_progress(
    ledger: Ledger, before: int, process: subprocess.Popen[bytes], timeout: float
) -> bool:
    """Wait until the consumer process has stored something (or exited, or ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if (ledger.recorder.max_notification_id() or 0) > before:
            return True
        time.sleep(0.02)
    return False


def soak(
    bootstrap: str,
    kills: int,
    size: str = "20000",
    seed: int = 7,
    partitions: int = 3,
    min_delay: float = 0.0,
    max_delay: float = 1.0,
    session_timeout_ms: int = 2000,
    data_dir: Path | None = None,
    verbose: bool = True,
    rng_seed: int | None = None,
    startup_kills: float = 0.2,
    join_kills: float = 0.0,
    join_timeout: float = 10.0,
    retry_seconds: float = SOAK_RETRY_SECONDS,
) -> SoakResult:
    """Produce, kill ``kills`` consumers at random moments, run to idle, check.

    Each consumer is killed ``min_delay``..``max_delay`` seconds after it stored its
    first batch, or (a ``startup_kills`` share of them) after it was started, or (a
    ``join_kills`` share) when it logs that it starts a group join or up to half a
    session later, while the broker holds the join round. A run that stores nothing
    within twice ``join_timeout`` and 10 s is a problem: the consumer must be consuming
    again within that bound whatever the previous one was killed in."""
    rng = random.Random(rng_seed)
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    prefix = f"soak{tag.replace('-', '')[-10:]}"
    group = f"{prefix}-group"
    work = Path(data_dir or tempfile.mkdtemp(prefix="rmledger-soak-"))
    log = work / "consume.log"
    say = print if verbose else (lambda *_a, **_k: None)

    topics = create_topics(bootstrap, prefix, partitions)
    chosen = scenario(seed, size, tag)
    started = time.monotonic()
    produce_messages(bootstrap, chosen.items, prefix=prefix)
    say(
        f"produced {len(chosen.items)} messages ({len(chosen.bad_values)} bad) to {prefix}.* "
        f"in {time.monotonic() - started:.1f}s; store {work}"
    )

    command = consume_command(
        work,
        bootstrap,
        group,
        prefix,
        session_timeout_ms=session_timeout_ms,
        join_timeout=join_timeout,
        retry_seconds=retry_seconds,
    )
    bound = 2 * join_timeout + 10
    kill_started = time.monotonic()
    while_consuming = 0
    in_join = 0
    restarts: list[float] = []
    first_batches: list[float] = []
    late: list[str] = []
    ledger = open_ledger(work)
    try:
        for number in range(1, kills + 1):
            before = ledger.recorder.max_notification_id() or 0
            log_size = log.stat().st_size if log.exists() else 0
            process = start_consumer(command, log)
            run_started = time.monotonic()
            # Most kills land while the consumer is storing: the delay counts from its
            # first stored batch. Some (``startup_kills``) count from the start, so they
            # may land during start-up or the group join as well; some (``join_kills``)
            # from the moment it logs that it starts a join.
            draw = rng.random()
            delay = rng.uniform(min_delay, max_delay)
            if draw < join_kills:
                joining = wait_for_line(log, JOINING, log_size, process, timeout=bound)
                since = "it logged joining" if joining else f"{bound:.0f}s without a join (?)"
                delay = rng.choice([0.0, rng.uniform(0.0, session_timeout_ms / 2000)])
                in_join += joining
            elif draw < join_kills + startup_kills:
                since = "start"
            else:
                if wait_for_line(log, IN_GROUP, log_size, process, timeout=bound):
                    restarts.append(time.monotonic() - run_started)
                else:
                    late.append(
                        f"run {number} was not in its group within {bound:.0f}s of its start"
                    )
                if wait_for_progress(ledger, before, process, timeout=bound):
                    since = "its first batch"
                    first_batches.append(time.monotonic() - run_started)
                else:
                    since = f"{bound:.0f}s without a batch"
            time.sleep(delay)
            kill(process)
            after = ledger.recorder.max_notification_id() or 0
            while_consuming += after > before
            say(
                f"kill {number}/{kills} {delay:.2f}s after {since} "
                f"({time.monotonic() - run_started:.1f}s in all): events {before} -> {after}"
            )
        kill_seconds = time.monotonic() - kill_started
        final_started = time.monotonic()
        final = subprocess.run(
            consume_command(
                work,
                bootstrap,
                group,
                prefix,
                until_idle=3,
                session_timeout_ms=session_timeout_ms,
                join_timeout=join_timeout,
                retry_seconds=retry_seconds,
            ),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        final_seconds = time.monotonic() - final_started
        if final.returncode != 0:
            raise RuntimeError(
                f"final consumer failed ({final.returncode}): {final.stderr[-2000:]}"
            )
        say(f"final run to idle: {final_seconds:.1f}s: {final.stdout.strip()}")
        found = census(ledger)
        problems = exactly_once_problems(found, chosen.good_ids, chosen.bad_values)
        problems += dlq_problems(found, read_dlq(bootstrap, topics))
        problems += late
    finally:
        ledger.close()
    bad_letters = sum(1 for x in found.letters if x["value"] in chosen.bad_values)
    return SoakResult(
        kills=kills,
        messages=len(chosen.items),
        bad=len(chosen.bad_values),
        applied=sum(found.applied.values()),
        dead_lettered=len(found.letters),
        good_dead_lettered=len(found.letters) - bad_letters,
        events=found.events,
        seconds=time.monotonic() - started,
        kill_seconds=kill_seconds,
        final_seconds=final_seconds,
        problems=problems,
        killed_while_consuming=while_consuming,
        killed_in_join=in_join,
        restart_seconds=restarts,
        first_batch_seconds=first_batches,
    )


@contextlib.contextmanager
def broker_for(bootstrap: str | None) -> Iterator[str]:
    """The given broker, or a Tansu started for the run."""
    if bootstrap:
        yield bootstrap
        return
    from scripts.bench.kafka_broker import running_broker

    with running_broker() as broker:
        yield broker.bootstrap_servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument(
        "--bootstrap", default=None, help="HOST:PORT (default: start a Tansu broker)"
    )
    parser.add_argument(
        "--size",
        default=None,
        help="generator size: tiny, small, or a message count (default: 4000 per kill, at least 20000)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument(
        "--min-delay", type=float, default=0.0, help="seconds before a kill, at least"
    )
    parser.add_argument(
        "--max-delay", type=float, default=1.0, help="seconds before a kill, at most"
    )
    parser.add_argument(
        "--startup-kills",
        type=float,
        default=0.2,
        help="share of kills timed from the process start rather than from its first batch",
    )
    parser.add_argument(
        "--join-kills",
        type=float,
        default=0.3,
        help="share of kills timed from the consumer's 'joining group' line (0 to half a session)",
    )
    parser.add_argument(
        "--join-timeout", type=float, default=10.0, help="rmledger consume --join-timeout"
    )
    parser.add_argument(
        "--retry-seconds",
        type=float,
        default=SOAK_RETRY_SECONDS,
        help="rmledger consume --retry-seconds: more on a loaded machine, where a partition "
        "can fall further behind the others",
    )
    parser.add_argument("--session-timeout-ms", type=int, default=2000)
    parser.add_argument("--rng-seed", type=int, default=None, help="seed of the kill timings")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    with broker_for(args.bootstrap) as bootstrap:
        size = args.size or str(max(20000, 4000 * args.kills))
        result = soak(
            bootstrap,
            args.kills,
            size,
            args.seed,
            args.partitions,
            args.min_delay,
            args.max_delay,
            args.session_timeout_ms,
            args.data_dir,
            rng_seed=args.rng_seed,
            startup_kills=args.startup_kills,
            join_kills=args.join_kills,
            join_timeout=args.join_timeout,
            retry_seconds=args.retry_seconds,
        )
    print(
        f"\nkills: {result.kills} ({result.killed_while_consuming} while events were being stored, "
        f"{result.killed_in_join} in a group join)"
    )
    for what, seconds in (
        ("in group again", result.restart_seconds),
        ("first stored batch", result.first_batch_seconds),
    ):
        if seconds:
            times = sorted(seconds)
            print(
                f"restarts, start to {what}: {len(times)}; median {times[len(times) // 2]:.1f}s, "
                f"max {times[-1]:.1f}s (bound for 'in group': {2 * args.join_timeout + 10:.0f}s)"
            )
    print(f"messages produced: {result.messages} ({result.bad} bad)")
    print(
        f"applied: {result.applied}  dead-lettered: {result.dead_lettered} "
        f"({result.bad} bad + {result.good_dead_lettered} good ones, which must be 0)"
    )
    print(f"events stored: {result.events}")
    print(
        f"time: {result.seconds:.1f}s (kill phase {result.kill_seconds:.1f}s, final run {result.final_seconds:.1f}s)"
    )
    if result.problems:
        print(f"EXACTLY-ONCE VIOLATED: {len(result.problems)} problem(s)")
        for problem in result.problems[:50]:
            print(f"  {problem}")
        return 1
    print(
        "exactly once: every good message applied once, every bad one dead-lettered once, "
        "every dead letter on its .dlq topic"
    )
    return 0


__all__ = [
    "Census",
    "Scenario",
    "census",
    "dlq_problems",
    "exactly_once_problems",
    "scenario",
    "soak",
    "topic_for",
]

if __name__ == "__main__":
    sys.exit(main())

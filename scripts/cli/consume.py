"""rmledger subcommands for Kafka: consume (the way in) and publish (the way out)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

import click

from consumers.kafka_consumer import (
    DEFAULT_JOIN_TIMEOUT,
    DEFAULT_REBALANCE_TIMEOUT_MS,
    DEFAULT_RETRY_SECONDS,
    DEFAULT_SESSION_TIMEOUT_MS,
    DEFAULT_SETTLE_SECONDS,
    DEFAULT_STOP_SECONDS,
    ConsumeStats,
    GroupUnavailable,
    LedgerConsumer,
)
from consumers.publisher import LogPublisher, events_route
from consumers.topics import DEFAULT_PREFIX, EVENTS_TOPIC, default_topics
from scripts.cli.context import Context
from scripts.cli.options import HOST_PORT, IDENT, SECONDS

PROGRESS_SECONDS = 5.0
UNAVAILABLE_STATUS = 4  # --until-idle gave up: no broker, or a group join that does not complete


@click.command()
@click.option(
    "--bootstrap", type=HOST_PORT, required=True, help="Kafka bootstrap servers, HOST:PORT."
)
@click.option(
    "--group", type=IDENT, default="rmledger", show_default=True, help="Consumer group id."
)
@click.option(
    "--topics",
    type=IDENT,
    multiple=True,
    help="Topics to consume (repeat); default: every PREFIX.* input topic (thirteen).",
)
@click.option(
    "--prefix",
    type=IDENT,
    default=DEFAULT_PREFIX,
    show_default=True,
    help="Topic prefix of the default topics (PREFIX.postings, ...), when --topics is not given.",
)
@click.option(
    "--until-idle",
    type=SECONDS,
    default=None,
    help="Stop after the topics are drained and idle this long (seconds).",
)
@click.option(
    "--retry-seconds",
    type=SECONDS,
    default=DEFAULT_RETRY_SECONDS,
    show_default=True,
    help="How long a message breaking a rule is retried before it is dead-lettered.",
)
@click.option(
    "--settle-seconds",
    type=SECONDS,
    default=DEFAULT_SETTLE_SECONDS,
    show_default=True,
    help="How long a departure, handover opening or filing, or month close waits before it is "
    "applied; then it waits until every partition is read up to its high-water mark of "
    "that moment.",
)
@click.option(
    "--progress-seconds",
    type=SECONDS,
    default=PROGRESS_SECONDS,
    show_default=True,
    help="When stderr is not a terminal, log a progress line this often.",
)
@click.option(
    "--session-timeout-ms",
    type=click.IntRange(min=1000),
    default=DEFAULT_SESSION_TIMEOUT_MS,
    show_default=True,
    help="How soon the group notices a member that died (heartbeats every third of it).",
)
@click.option(
    "--join-timeout",
    type=click.FloatRange(min=1.0),
    default=DEFAULT_JOIN_TIMEOUT,
    show_default=True,
    help="Seconds out of the group (starting, joining, no broker) before saying so on stderr and "
    "joining again with a new member id; --until-idle gives up after twice this.",
)
@click.option(
    "--rebalance-timeout-ms",
    type=click.IntRange(min=1000),
    default=DEFAULT_REBALANCE_TIMEOUT_MS,
    show_default=True,
    help="How long the broker waits for the group's members to rejoin in a rebalance.",
)
@click.option(
    "--instance-id",
    default=None,
    help="Static group membership (group.instance.id): one stable id per consumer process, never two "
    "at once; a restarted process takes its old place without waiting for its session to end.",
)
@click.option(
    "--stop-seconds",
    type=click.FloatRange(min=0.0),
    default=DEFAULT_STOP_SECONDS,
    show_default=True,
    help="After SIGTERM or SIGINT, exit (status 3) if the consumer has not stopped within this long.",
)
@click.pass_obj
def consume(
    ctx: Context,
    bootstrap: str,
    group: str,
    topics: tuple[str, ...],
    prefix: str,
    until_idle: float | None,
    retry_seconds: float,
    settle_seconds: float,
    progress_seconds: float,
    session_timeout_ms: int,
    join_timeout: float,
    rebalance_timeout_ms: int,
    instance_id: str | None,
    stop_seconds: float,
) -> None:
    """Apply messages from Kafka, exactly once in effect, with dead-letter topics."""
    terminal = sys.stderr.isatty()
    # kafka-python's own warnings (a dead coordinator, a failed request) would repeat on
    # every retry; the consumer says what matters itself, one line at a time.
    logging.getLogger("kafka").addHandler(logging.NullHandler())
    logging.getLogger("kafka").propagate = False

    def notice(text: str) -> None:
        click.echo(f"{chr(10) if terminal else ''}rmledger consume: {text}", err=True)

    consumer = LedgerConsumer(
        ctx.ledger,
        bootstrap,
        list(topics) or default_topics(prefix),
        group=group,
        retry_seconds=retry_seconds,
        settle_seconds=settle_seconds,
        session_timeout_ms=session_timeout_ms,
        join_timeout=join_timeout,
        rebalance_timeout_ms=rebalance_timeout_ms,
        instance_id=instance_id,
        stop_seconds=stop_seconds,
        on_notice=notice,
        on_progress=progress_printer(terminal, progress_seconds),
    )
    consumer.install_signal_handlers()
    try:
        stats = consumer.run(until_idle=until_idle)
    except GroupUnavailable as error:
        notice(str(error))
        click.echo(consumer.stats.line())
        sys.exit(UNAVAILABLE_STATUS)
    click.echo(f"\n{stats.line()}" if terminal else stats.line())


def progress_printer(
    terminal: bool, every: float, clock: Callable[[], float] = time.monotonic
) -> Callable[[ConsumeStats], None]:
    """Progress on stderr: one line rewritten in place on a terminal; otherwise (a log
    file, a service manager) a full line at most every ``every`` seconds, so a log
    shows how far the consumer is and how far behind (lag) without a line per poll."""
    last = [clock()]

    def progress(stats: ConsumeStats) -> None:
        if terminal:
            click.echo(f"\r{stats.line()}", nl=False, err=True)
            return
        now = clock()
        if now - last[0] >= every:
            last[0] = now
            click.echo(f"progress: {stats.line()}", err=True)

    return progress


@click.command()
@click.option(
    "--bootstrap", type=HOST_PORT, required=True, help="Kafka bootstrap servers, HOST:PORT."
)
@click.option(
    "--topic", type=IDENT, default=EVENTS_TOPIC, show_default=True, help="The topic to publish to."
)
@click.pass_obj
def publish(ctx: Context, bootstrap: str, topic: str) -> None:
    """Publish stored events to rmledger.events in log order, resuming where it left off."""
    # The position is kept per topic, so publishing to another topic starts from the beginning.
    name = "events" if topic == EVENTS_TOPIC else f"events:{topic}"
    publisher = LogPublisher(ctx.ledger, bootstrap, name, events_route(topic))
    try:
        click.echo(f"published {publisher.publish_new()} events")
    finally:
        publisher.close()


COMMANDS: list[click.Command] = [consume, publish]

"""rmledger subcommands for Kafka: consume (the way in) and publish (the way out)."""

from __future__ import annotations

import sys

import click

from consumers.kafka_consumer import DEFAULT_RETRY_SECONDS, ConsumeStats, LedgerConsumer
from consumers.publisher import LogPublisher, events_route
from consumers.topics import DEFAULT_PREFIX, EVENTS_TOPIC, default_topics
from scripts.context import Context


@click.command()
@click.option("--bootstrap", required=True, help="Kafka bootstrap servers, HOST:PORT.")
@click.option("--group", default="rmledger", show_default=True, help="Consumer group id.")
@click.option("--topics", multiple=True, help="Topics to consume (repeat); default: all eleven PREFIX.* topics.")
@click.option("--prefix", default=DEFAULT_PREFIX, show_default=True,
              help="Topic prefix of the default topics (PREFIX.postings, ...), when --topics is not given.")
@click.option("--until-idle", type=float, default=None, help="Stop after the topics are drained and idle this long (seconds).")
@click.option("--retry-seconds", type=float, default=DEFAULT_RETRY_SECONDS, show_default=True,
              help="How long a message waiting for a dependency is retried before it is dead-lettered.")
@click.option("--session-timeout-ms", type=int, default=10000, show_default=True)
@click.pass_obj
def consume(ctx: Context, bootstrap: str, group: str, topics: tuple[str, ...], prefix: str,
            until_idle: float | None, retry_seconds: float, session_timeout_ms: int) -> None:
    """Apply messages from Kafka, exactly once in effect, with dead-letter topics."""

    def progress(stats: ConsumeStats) -> None:
        click.echo(f"\r{stats.line()}", nl=False, err=True)

    consumer = LedgerConsumer(ctx.ledger, bootstrap, list(topics) or default_topics(prefix), group=group,
                              retry_seconds=retry_seconds, session_timeout_ms=session_timeout_ms,
                              on_progress=progress if sys.stderr.isatty() else None)
    consumer.install_signal_handlers()
    stats = consumer.run(until_idle=until_idle)
    click.echo(f"\n{stats.line()}" if sys.stderr.isatty() else stats.line())


@click.command()
@click.option("--bootstrap", required=True, help="Kafka bootstrap servers, HOST:PORT.")
@click.option("--topic", default=EVENTS_TOPIC, show_default=True, help="The topic to publish to.")
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

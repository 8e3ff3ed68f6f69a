"""Whichever call into kafka-python is under way when the broker goes, the consumer
takes the same way out (docs/kafka.md, "Never hanging"): out of its group, said on
stderr, and with ``--until-idle`` ``GroupUnavailable`` (status 4 at the command line).

The broker is a real one, stopped in the test. What kafka-python raises then depends
on the moment: mostly poll() just returns nothing, but a coordinator lookup refused
and then a metadata refresh refused too raise KafkaConnectionError out of poll()
(seen under load), and a partition taken away by the network thread makes
highwater() raise. The real consumer is read through ``Refusing``, which, once the
broker is stopped, raises those errors from every call that can: the unlucky moment,
every time."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import IllegalStateError, KafkaConnectionError

from consumers.kafka_consumer import ConsumeStats, GroupUnavailable, LedgerConsumer
from consumers.producer import produce_messages
from scripts.bank.generate import generate
from scripts.bench.kafka_broker import KafkaBroker
from scripts.bench.soak_consumer import create_topics, open_ledger

pytestmark = [pytest.mark.kafka, pytest.mark.usefixtures("clean_environ")]

REFUSED = "KafkaConnectionError: 111 ECONNREFUSED"


class Refusing:
    """The real consumer until ``refuse()``; then its network calls raise what
    kafka-python raises when the broker has just gone at an unlucky moment."""

    def __init__(self, real: KafkaConsumer) -> None:
        self.real = real
        self.refused = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def refuse(self) -> None:
        self.refused = True

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.refused:
            raise KafkaConnectionError(REFUSED)
        return getattr(self.real, name)(*args, **kwargs)

    def poll(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("poll", *args, **kwargs)

    def commit(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("commit", *args, **kwargs)

    def committed(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("committed", *args, **kwargs)

    def position(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("position", *args, **kwargs)

    def highwater(self, tp: TopicPartition) -> Any:
        if self.refused:
            raise IllegalStateError("Partition is not assigned")
        return self.real.highwater(tp)


class BrokerGoesAway(LedgerConsumer):
    """A ``LedgerConsumer`` that stops ``broker`` once ``after`` records are consumed,
    and from then on reads through a refusing consumer."""

    def __init__(self, broker: KafkaBroker, after: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, on_progress=self._progress, **kwargs)
        self.broker = broker
        self.after = after
        self.refusing = Refusing(self.consumer)
        self.consumer = self.refusing  # type: ignore[assignment]

    def _progress(self, stats: ConsumeStats) -> None:
        if not self.refusing.refused and stats.consumed >= self.after:
            self.broker.stop()
            self.refusing.refuse()


def test_every_call_refused_when_the_broker_goes_ends_in_group_unavailable(
    tmp_path: Path,
) -> None:
    """Given a consumer in its group on a broker of its own, when the broker stops and
    every call into kafka-python (poll, commit, committed, position, highwater) raises
    from then on, then the consumer says it is out of its group because no broker
    answers, and run with --until-idle gives up with GroupUnavailable."""
    notices: list[str] = []
    with KafkaBroker() as broker:
        bootstrap = broker.bootstrap_servers
        prefix = f"r{uuid.uuid4().hex[:10]}"
        topics = create_topics(bootstrap, prefix, 1)
        messages = [m for m in generate(3, "6000") if m["type"] != "period.closed"][:200]
        produce_messages(bootstrap, messages, prefix=prefix)
        consumer = BrokerGoesAway(
            broker,
            50,
            open_ledger(tmp_path),
            bootstrap,
            topics,
            group=f"{prefix}-group",
            session_timeout_ms=2000,
            join_timeout=5.0,
            on_notice=notices.append,
        )
        with pytest.raises(GroupUnavailable) as raised:
            consumer.run(until_idle=600)
    assert consumer.refusing.refused
    assert str(raised.value).endswith(f"no broker answers at {bootstrap}; giving up (--until-idle)")
    out = [n for n in notices if n.startswith(f"not in group {prefix}-group")]
    assert all(f"no broker answers at {bootstrap}" in n for n in out), notices

"""``rmledger publish`` moves its stored position only past records the broker
acknowledged: when the broker has gone, publishing fails within a bound and the
position stays, so the next publish sends what was not taken."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from kafka.errors import KafkaError

from consumers.publisher import KAFKA_CALL_MS, LogPublisher, events_route
from domain.ledger import Ledger
from domain.store import ledger_env
from scripts.bench.kafka_broker import KafkaBroker
from tests import builders as b

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.usefixtures("clean_environ")]


def test_a_publish_to_a_broker_that_has_gone_fails_in_bounded_time_and_keeps_the_position(
    tmp_path: Path,
) -> None:
    ledger = Ledger(ledger_env(tmp_path / "var"))
    try:
        b.given(ledger, *b.bank())
        with KafkaBroker() as broker:
            publisher = LogPublisher(ledger, broker.bootstrap_servers, "gone", events_route())
            try:
                sent = publisher.publish_new()
                assert sent > 0
                published_to = ledger.max_tracking_id("publisher:gone")
                assert published_to == ledger.recorder.max_notification_id()
                b.given(ledger, b.hire("M9"))
                broker.stop()
                started = time.monotonic()
                with pytest.raises(KafkaError):
                    publisher.publish_new()
                # bounded: the flush and every wait of the producer are (generous for a busy machine)
                assert time.monotonic() - started < 20 * KAFKA_CALL_MS / 1000
                assert ledger.max_tracking_id("publisher:gone") == published_to
            finally:
                publisher.close()
    finally:
        ledger.close()

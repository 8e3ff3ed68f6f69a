"""Contract version 2 from Kafka (docs/kafka.md): the new families have their topics,
a branch consumed before its parent is held until the parent arrives, and a dispute
resolution that breaks a rule of the message alone is dead-lettered at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers.producer import produce_messages
from consumers.topics import default_topics, dlq_topic, key_of, topic_for
from scripts.bench.soak_consumer import census, create_topics, dlq_problems, read_dlq
from tests import builders as b
from tests.consumers.test_kafka_consumer import Running, fresh_ledger

pytestmark = [pytest.mark.usefixtures("clean_environ")]


def test_the_new_families_have_their_topics_and_keys() -> None:
    assert [
        topic_for(t)
        for t in (
            "period.close_approved",
            "branch.registered",
            "plan.acknowledged",
            "dispute.opened",
            "dispute.resolved",
        )
    ] == [
        "rmledger.periods",
        "rmledger.branches",
        "rmledger.plans",
        "rmledger.disputes",
        "rmledger.disputes",
    ]
    assert default_topics()[-2:] == ["rmledger.branches", "rmledger.disputes"]
    assert len(default_topics()) == 13
    # a dispute's opening and resolution share its key; a branch is keyed by itself
    assert (key_of(b.open_dispute("D1", "M1")), key_of(b.resolve_dispute("D1"))) == ("D1", "D1")
    assert (key_of(b.register_branch("BR02", "BR01")), key_of(b.sign_off("2025-01", "hr"))) == (
        "BR02",
        "2025-01",
    )


@pytest.mark.kafka
def test_a_sub_branch_waits_for_its_parent_and_a_final_rule_is_dead_lettered_at_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"v2{tmp_path.name[-8:].replace('_', '')}"
    topics = create_topics(kafka_bootstrap, prefix, 1)
    ledger = fresh_ledger(tmp_path)
    running = Running(ledger, kafka_bootstrap, topics, retry_seconds=120)
    produce_messages(
        kafka_bootstrap,
        [b.register_branch("BR01-1", "BR01"), b.resolve_dispute("D1", "rejected", "5.00")],
        prefix=prefix,
    )
    # the sub-branch is held; the rejected dispute with an amount is dead-lettered at once,
    # long before the 120 s retry time
    running.wait_for(lambda s: s.held == 1 and s.dead_lettered == 1, timeout=60)
    produce_messages(kafka_bootstrap, [b.register_branch("BR01")], prefix=prefix)
    running.wait_for(lambda s: s.applied == 2 and s.held == 0, timeout=60)
    running.stop()
    assert [b.state(ledger, "branch", x).parent_branch_id for x in ("BR01", "BR01-1")] == [
        None,
        "BR01",
    ]
    found = census(ledger)
    assert [(x["message_id"], x["rule"], x["field"]) for x in found.letters] == [
        ("resolve:D1:rejected", "amount_not_allowed_when_rejected", "amount")
    ]
    records = read_dlq(kafka_bootstrap, topics)
    assert [r.topic for r in records] == [dlq_topic(f"{prefix}.disputes")]
    assert dlq_problems(found, records) == []

"""A store made by consuming Kafka against the store `rmledger ingest` makes of the
same messages: the one comparison the Kafka consumer's tests share.

Both stores must hold every message applied exactly once, no dead letter, the same
events, and the same pay statements of every month (as issued and as restated), every
money field exact. Only ``issued_at_position`` may differ: `rmledger ingest` seals
after each close, the consumer after each batch holding a close, so the log positions
of what follows differ by the seals before them, and nothing else does.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.ledger import Ledger
from projections.pay import statements as pay
from projections.readmodel.loader import ReadModel
from scripts.bench.soak_consumer import census, open_ledger
from tests.stores import RMLEDGER

Statements = dict[tuple[str, bool], list[dict[str, Any]]]
# The one field allowed to differ between the two stores (see the module's docstring).
POSITION_FIELD = "issued_at_position"


def ingested_store(messages: list[dict[str, Any]], directory: Path, timeout: float = 300) -> Ledger:
    """The reference: ``rmledger ingest --json`` of ``messages`` as a JSON Lines file
    into the data directory ``directory / "ingested"``, every message applied."""
    jsonl = directory / "bank.jsonl"
    jsonl.write_text("".join(json.dumps(m) + "\n" for m in messages))
    data_dir = directory / "ingested"
    done = subprocess.run(
        [RMLEDGER, "--data-dir", str(data_dir), "ingest", "--json", str(jsonl)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["applied"] == len(messages)
    return open_ledger(data_dir)


def months_of(messages: list[dict[str, Any]]) -> list[str]:
    """Every month a message's business date falls in, in order."""
    dates = [
        v for m in messages for k, v in m.items() if k in ("value_date", "as_of", "effective_on")
    ]
    return sorted({d[:7] for d in dates})


def all_statements(store: Ledger, read_model: Path, periods: list[str]) -> Statements:
    """Every statement of ``periods``, as issued and as restated, from a read model at
    ``read_model`` caught up with ``store``."""
    rm = ReadModel(read_model)
    rm.catch_up(store)
    return {
        (period, restated): pay.statements(rm, period, restated=restated)
        for period in periods
        for restated in (False, True)
    }


def without_positions(statements: Statements) -> Statements:
    """The statements without ``issued_at_position``; every other field kept as it is."""
    return {
        key: [{k: v for k, v in s.items() if k != POSITION_FIELD} for s in sts]
        for key, sts in statements.items()
    }


def assert_consumed_equals_ingested(
    consumed: Ledger, ingested: Ledger, messages: list[dict[str, Any]], work: Path
) -> Statements:
    """Assert that ``consumed`` is the store ``ingested`` is of the same ``messages``
    (see the module's docstring); returns the ingested store's statements."""
    want, got = census(ingested), census(consumed)
    assert got.letters == []
    assert set(got.applied) == set(want.applied) == {m["id"] for m in messages}
    assert set(got.applied.values()) == {1}
    assert got.events == want.events

    periods = months_of(messages)
    expected = all_statements(ingested, work / "ingested.duckdb", periods)
    actual = all_statements(consumed, work / "consumed.duckdb", periods)
    assert sum(len(s) for s in expected.values()) > 0
    # Money stays exact: every money field is a Decimal on both sides, compared as is.
    for sts in (*expected.values(), *actual.values()):
        for s in sts:
            assert all(isinstance(s[f], Decimal) for f in pay.MONEY_FIELDS), s
    assert without_positions(actual) == without_positions(expected)
    return expected

"""How the disputes of the generated tiny bank (seed 7) stand on a day (docs/rules.md
R7.6): decided on their resolution day, overdue from the day ``dispute_days`` after
their opening (the days of the plan in force on the opening day) while still open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from consumers.jsonl import ingest_files
from domain.ledger import Ledger
from domain.store import ledger_env
from projections.audit.disputes import disputes_on
from projections.readmodel.loader import ReadModel
from scripts.bank.generate import write_jsonl


@pytest.fixture(scope="module")
def tiny_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadModel]:
    directory = tmp_path_factory.mktemp("tiny-bank")
    source = directory / "bank.jsonl"
    write_jsonl(source, seed=7, size="tiny")
    ledger = Ledger(ledger_env(directory, {}))
    assert not ingest_files(ledger, [source]).rejected
    model = ReadModel(directory / "read_model.duckdb")
    model.catch_up(ledger)
    yield model
    model.close()
    ledger.close()


def standing(model: ReadModel, day: date) -> list[tuple[str, str, Decimal | None, int, bool]]:
    return [
        (d["dispute_id"], d["outcome"], d["amount"], d["dispute_days"], d["overdue"])
        for d in disputes_on(model.conn, day)
    ]


def test_a_dispute_is_open_until_its_resolution_day(tiny_bank: ReadModel) -> None:
    # Opened in February, under the revision in force from 2025-02-01: 10 days.
    assert standing(tiny_bank, date(2025, 2, 1)) == []
    assert standing(tiny_bank, date(2025, 2, 13)) == [
        ("DSP00001", "rejected", None, 10, False),
        ("DSP00002", "open", None, 10, True),  # overdue since 02-12
        ("DSP00003", "open", None, 10, False),
    ]
    assert standing(tiny_bank, date(2025, 2, 14))[2] == (
        "DSP00003",
        "upheld",
        Decimal("1653.00"),
        10,
        False,
    )


def test_an_open_dispute_is_overdue_from_its_plans_dispute_days_after_opening(
    tiny_bank: ReadModel,
) -> None:
    # DSP00002 was opened on 2025-02-02 and is never decided: overdue from 02-12.
    assert standing(tiny_bank, date(2025, 2, 11))[1] == ("DSP00002", "open", None, 10, False)
    assert standing(tiny_bank, date(2025, 2, 12))[1] == ("DSP00002", "open", None, 10, True)
    # Opened in March, under the same revision: 10 days.
    assert standing(tiny_bank, date(2025, 3, 12))[3] == ("DSP00004", "rejected", None, 10, False)

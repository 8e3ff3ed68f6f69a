"""A store written before contract version 2 reads, takes new messages and rebuilds the
same (docs/contract.md C1.2: nothing valid in version 1 changes its meaning).

``tests/old_stores/v1_plan_and_close.jsonl`` holds the events, as stored, that the ledger
of commit 0bf7c8c (before version 2) wrote for HISTORY: a plan, a bank, a posting, a
compliance adjustment, January's close and a February posting. Its plan has neither
``close_approvals`` nor ``dispute_days``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.ledger import DUPLICATE, Ledger
from projections.readmodel.loader import ReadModel
from projections.readmodel.schema import TABLES
from tests import builders as b
from tests.paths import ROOT

OLD_STORE = ROOT / "tests" / "old_stores" / "v1_plan_and_close.jsonl"

HISTORY: list[b.Wire] = [
    b.plan("2025", "2025-01-01"),
    *b.bank(),
    b.assign("C1", "M1"),
    b.book("P1", "C1", "1000.00", value_date="2025-01-20"),
    b.adjust("M1", "2025-01", "compliance", "-50.00"),
    b.close("2025-01", "2025-01-31"),
    b.book("P2", "C1", "300.00", value_date="2025-02-03"),
]


def load_old_store(ledger: Ledger) -> None:
    events = [json.loads(line) for line in OLD_STORE.read_text(encoding="utf-8").splitlines()]
    ledger.recorder.insert_events(
        [
            StoredEvent(
                UUID(e["originator_id"]), e["originator_version"], e["topic"], e["state"].encode()
            )
            for e in events
        ]
    )


def test_an_old_plan_reads_with_no_sign_off_and_30_dispute_days(ledger: Ledger) -> None:
    load_old_store(ledger)
    plan = b.state(ledger, "plan", "2025")
    assert (plan.plan_version, plan.close_approvals, plan.dispute_days) == ("2025", (), 30)


def test_the_old_messages_are_duplicates_so_their_content_hashes_did_not_change(
    ledger: Ledger,
) -> None:
    load_old_store(ledger)
    assert [o.status for o in b.send(ledger, *HISTORY)] == [DUPLICATE] * len(HISTORY)


def test_an_old_store_takes_version_2_messages(ledger: Ledger) -> None:
    load_old_store(ledger)
    # February closes without a sign-off under the old plan; January's statement is disputed.
    b.given(
        ledger,
        b.close("2025-02", "2025-02-28"),
        b.open_dispute("D1", "M1", "2025-01"),
        b.acknowledge("M1", "2025"),
        b.register_branch("BR01"),
    )
    assert b.rejected(ledger, b.sign_off("2025-03", "finance")).rule == "role_not_required"


def _rows_without_recording_times(model: ReadModel) -> dict[str, list[Any]]:
    found = {}
    for name in TABLES:
        if name in ("events", "projection_state"):
            continue  # the stored JSON of a v2 plan has two more (null) fields; times differ
        columns = [
            c
            for (c,) in model.conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND column_name <> 'recorded_at' "
                "ORDER BY column_index",
                [name],
            ).fetchall()
        ]
        found[name] = model.conn.execute(
            f"SELECT {', '.join(columns)} FROM {name} ORDER BY ALL"
        ).fetchall()
    return found


def test_an_old_store_rebuilds_the_same_read_model_as_the_same_messages_sent_now(
    make_ledger: Any, tmp_path: Path
) -> None:
    old = make_ledger()
    load_old_store(old)
    now = Ledger(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "now.db")}
    )
    try:
        b.given(now, *HISTORY)
        with (
            ReadModel(tmp_path / "old.duckdb") as from_old,
            ReadModel(tmp_path / "now.duckdb") as from_now,
        ):
            from_old.catch_up(old)
            from_now.catch_up(now)
            old_rows, new_rows = (
                _rows_without_recording_times(from_old),
                _rows_without_recording_times(from_now),
            )
    finally:
        now.close()
    assert old_rows == new_rows
    assert [row[1:] for row in old_rows["plan_settings"]] == [
        ("default", date(2020, 1, 1), [], 30),
        ("2025", date(2025, 1, 1), [], 30),
    ]
    assert len(old_rows["statements_issued"]) == 3

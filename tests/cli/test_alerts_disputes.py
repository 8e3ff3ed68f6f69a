"""Overdue disputes in ``rmledger alerts`` (docs/rules.md R7.6): open ``dispute_days``
(30 under the default plan) after the opening, decided by ``--as-of``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import builders as b
from tests.cli_runs import ingest, run

pytestmark = pytest.mark.usefixtures("clean_environ")

BANK = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.close("2025-02", "2025-03-01"),
    b.open_dispute("D1", period="2025-02", opened_on="2025-03-05"),
    b.open_dispute("D2", manager_id="M2", period="2025-02", opened_on="2025-03-05"),
    b.resolve_dispute("D2", outcome="rejected", amount=None, resolved_on="2025-03-20"),
]


def overdue(data_dir: Path, as_of: str) -> list[dict[str, object]]:
    rows = json.loads(run(data_dir, "alerts", "--as-of", as_of, "--json"))
    return [r for r in rows if r["kind"] == "overdue_dispute"]


def test_a_dispute_open_30_days_after_its_opening_is_overdue(tmp_path: Path) -> None:
    # Given D1 opened on 2025-03-05 and still open, and D2 resolved within its days
    ingest(tmp_path, BANK)
    # When the alerts are asked for on the 29th day and on the 30th
    # Then D1 is overdue from 2025-04-04 (2025-03-05 + 30 days), D2 never
    assert overdue(tmp_path, "2025-04-03") == []
    assert overdue(tmp_path, "2025-04-04") == [
        {
            "kind": "overdue_dispute",
            "dispute_id": "D1",
            "manager_id": "M1",
            "period": "2025-02",
            "posting_id": None,
            "opened_on": "2025-03-05",
            "dispute_days": 30,
            "overdue_on": "2025-04-04",
            "position": overdue(tmp_path, "2025-04-04")[0]["position"],
        }
    ]
    text = run(tmp_path, "alerts", "--as-of", "2025-04-04")
    assert (
        "Overdue disputes (open past the days the plan in force at their opening allows)\n"
        "dispute  manager  month    opened on   days  overdue since\n"
    ) in text
    assert "D1       M1       2025-02  2025-03-05    30  2025-04-04\n" in text
    assert text.endswith("0 outflow episodes, 0 grade-fit mismatches, 1 overdue dispute\n")


def test_a_dispute_resolved_later_was_overdue_before_its_resolution(tmp_path: Path) -> None:
    # Given D1 resolved on 2025-04-10, after its 30 days
    ingest(tmp_path, [*BANK, b.resolve_dispute("D1", amount="10.00", resolved_on="2025-04-10")])
    # Then it is an alert on 2025-04-09, and none on 2025-04-10
    assert [r["dispute_id"] for r in overdue(tmp_path, "2025-04-09")] == ["D1"]
    assert overdue(tmp_path, "2025-04-10") == []

"""The read-model tables of contract version 2 (docs/read-model.md): branches,
period_approvals, plan_acknowledgements, disputes (opened, then resolved in place) and
plan_settings (a plan's sign-off roles and dispute days; defaults for the built-in plan
and for any plan that gives none); the same rows by catch-up page by page as at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.ledger import Ledger
from projections.readmodel.loader import ReadModel
from tests import builders as b

HISTORY = [
    b.plan("2025", "2025-01-01", close_approvals=["branch_head", "finance"], dispute_days=45),
    b.plan("2024", "2024-01-01"),
    *b.bank(),
    b.register_branch("BR01"),
    b.register_branch("BR01-1", "BR01", registered_on="2025-01-03"),
    b.acknowledge("M1", "2025"),
    b.sign_off("2025-01", "branch_head", "BH1"),
    b.sign_off("2025-01", "finance", "FIN1", "2025-02-02"),
    b.close("2025-01", "2025-02-02"),
    b.open_dispute("D1", "M1"),
    b.open_dispute("D2", "M2", claim="P1 was not credited to me"),
    b.resolve_dispute("D1", amount="-3.50"),
]


def rows(model: ReadModel, sql: str) -> list[tuple[Any, ...]]:
    return model.conn.execute(sql).fetchall()


def test_each_new_message_has_its_row(ledger: Ledger, tmp_path: Path) -> None:
    b.given(ledger, *HISTORY)
    with ReadModel(tmp_path / "rm.duckdb") as model:
        model.catch_up(ledger)
        assert rows(
            model,
            "SELECT version, effective_from, close_approvals, dispute_days FROM plan_settings "
            "ORDER BY position",
        ) == [
            ("default", date(2020, 1, 1), [], 30),
            ("2025", date(2025, 1, 1), ["branch_head", "finance"], 45),
            ("2024", date(2024, 1, 1), [], 30),
        ]
        assert rows(
            model,
            "SELECT branch_id, name, parent_branch_id, registered_on FROM branches ORDER BY position",
        ) == [
            ("BR01", "Branch BR01", None, date(2025, 1, 2)),
            ("BR01-1", "Branch BR01-1", "BR01", date(2025, 1, 3)),
        ]
        assert rows(
            model, "SELECT manager_id, version, acknowledged_on FROM plan_acknowledgements"
        ) == [("M1", "2025", date(2025, 1, 15))]
        assert rows(
            model,
            "SELECT period, role, approver_id, approved_on FROM period_approvals ORDER BY position",
        ) == [
            ("2025-01", "branch_head", "BH1", date(2025, 2, 1)),
            ("2025-01", "finance", "FIN1", date(2025, 2, 2)),
        ]
        assert rows(
            model,
            "SELECT dispute_id, manager_id, period, posting_id, claim, opened_on, outcome, amount, "
            "reason, resolved_by, resolved_on, resolved_position > opened_position, "
            "position = opened_position FROM disputes ORDER BY dispute_id",
        ) == [
            (
                "D1",
                "M1",
                "2025-01",
                None,
                "the fee of client C1 was credited to another manager",
                date(2025, 2, 5),
                "upheld",
                Decimal("-3.50"),
                "checked against the posting records",
                "PO-1",
                date(2025, 2, 20),
                True,
                True,
            ),
            (
                "D2",
                "M2",
                "2025-01",
                None,
                "P1 was not credited to me",
                date(2025, 2, 5),
                None,
                None,
                None,
                None,
                None,
                None,
                True,
            ),
        ]


def test_a_resolution_loaded_after_its_opening_updates_the_row(
    ledger: Ledger, tmp_path: Path
) -> None:
    b.given(ledger, *HISTORY)
    with ReadModel(tmp_path / "rm.duckdb") as model:
        model.catch_up(ledger)
        b.given(ledger, b.resolve_dispute("D2", "rejected", None, resolved_on="2025-02-21"))
        position = b.position(ledger)
        model.catch_up(ledger)
        assert rows(
            model,
            "SELECT outcome, amount, resolved_on, resolved_position FROM disputes "
            "WHERE dispute_id = 'D2'",
        ) == [("rejected", None, date(2025, 2, 21), position - 1)]


def test_the_new_tables_are_the_same_loaded_one_event_at_a_time(
    ledger: Ledger, tmp_path: Path
) -> None:
    b.given(ledger, *HISTORY)
    with (
        ReadModel(tmp_path / "whole.duckdb") as whole,
        ReadModel(tmp_path / "paged.duckdb") as paged,
    ):
        whole.catch_up(ledger)
        paged.catch_up(ledger, page_size=1)
        assert whole.table_hashes() == paged.table_hashes()

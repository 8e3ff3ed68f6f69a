"""Branches (docs/rules.md R11, registered once under a registered parent) and plan
acknowledgements (R7.7: each manager acknowledges each plan version once)."""

from __future__ import annotations

from datetime import date

from domain.ledger import Ledger
from tests import builders as b

# -- branches -------------------------------------------------------------------------------------


def test_a_branch_and_a_sub_branch_under_it_are_registered(ledger: Ledger) -> None:
    assert b.applied_events(ledger, b.register_branch("BR01")) == [
        "Branch.Registered",
        "Receipt.Applied",
    ]
    assert b.applied_events(ledger, b.register_branch("BR01-01", "BR01")) == [
        "Branch.Registered",
        "Receipt.Applied",
    ]
    sub = b.state(ledger, "branch", "BR01-01")
    assert (sub.name, sub.parent_branch_id, sub.registered_on) == (
        "Branch BR01-01",
        "BR01",
        date(2025, 1, 2),
    )
    assert b.state(ledger, "branch", "BR01").parent_branch_id is None


def test_a_branch_is_registered_once(ledger: Ledger) -> None:
    b.given(ledger, b.register_branch("BR01"))
    assert b.rejected(ledger, b.register_branch("BR01", id="branch:BR01:again")).describe() == (
        "branch_id: branch_exists: branch BR01 is already registered"
    )


def test_a_parent_branch_must_be_registered_first(ledger: Ledger) -> None:
    assert b.rejected(ledger, b.register_branch("BR01-01", "BR01")).describe() == (
        "parent_branch_id: parent_branch_unknown: no branch 'BR01' is registered to be the parent of BR01-01"
    )


def test_a_branch_cannot_be_its_own_parent(ledger: Ledger) -> None:
    assert b.rejected(ledger, b.register_branch("BR01", "BR01")).rule == "parent_branch_unknown"


def test_a_parent_registered_earlier_in_the_same_batch_counts(ledger: Ledger) -> None:
    b.given(ledger, b.register_branch("BR01"), b.register_branch("BR01-01", "BR01"))


# -- plan acknowledgements ----------------------------------------------------------------------------


def test_a_manager_acknowledges_a_published_plan(ledger: Ledger) -> None:
    b.given(ledger, b.plan("2025", "2025-01-01"), b.hire("M1"))
    assert b.applied_events(ledger, b.acknowledge("M1", "2025")) == [
        "Manager.PlanAcknowledged",
        "Receipt.Applied",
    ]
    assert b.state(ledger, "manager", "M1").plans_acknowledged == {"2025": date(2025, 1, 15)}


def test_the_built_in_default_plan_can_be_acknowledged(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.acknowledge("M1", "default"))


def test_a_manager_acknowledges_a_version_once(ledger: Ledger) -> None:
    b.given(ledger, b.plan("2025", "2025-01-01"), b.hire("M1"), b.acknowledge("M1", "2025"))
    assert b.rejected(
        ledger, b.acknowledge("M1", "2025", "2025-02-01", id="ack:again")
    ).describe() == (
        "version: already_acknowledged: manager M1 already acknowledged plan 2025 on 2025-01-15"
    )


def test_an_unpublished_version_is_not_acknowledged(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    assert b.rejected(ledger, b.acknowledge("M1", "2031")).describe() == (
        "version: unknown_plan_version: no plan '2031' is published"
    )


def test_an_unknown_manager_acknowledges_nothing(ledger: Ledger) -> None:
    b.given(ledger, b.plan("2025", "2025-01-01"))
    assert (
        b.rejected(ledger, b.acknowledge("M9", "2025")).describe()
        == "manager_id: unknown_manager: no manager 'M9' is known"
    )

"""Managers (docs/rules.md R3): hire, grade changes forward in time, a departure request,
three approvals in order, and departure only with an empty book."""

from __future__ import annotations

from datetime import date

from domain.errors import DependencyMissing, DomainRuleBroken
from domain.ledger import Ledger
from tests import builders as b

APPROVED = b.departure_approved("M1")


# -- hire ----------------------------------------------------------------------------------


def test_hiring_a_manager_stores_the_hire_and_its_receipt(ledger: Ledger) -> None:
    assert b.applied_events(ledger, b.hire("M1", grade="senior")) == [
        "Manager.Hired",
        "Receipt.Applied",
    ]
    manager = b.state(ledger, "manager", "M1")
    assert (manager.manager_id, manager.grade, manager.hired_on, manager.branch_id) == (
        "M1",
        "senior",
        date(2025, 1, 1),
        "BR01",
    )
    assert manager.book == {}


def test_a_manager_is_hired_only_once(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(ledger, b.hire("M1", id="hire:M1:again", grade="senior"))
    assert error.describe() == "manager_id: manager_exists: manager M1 is already hired"


# -- grade changes ------------------------------------------------------------------------------


def test_a_promotion_is_stored_and_becomes_the_grade(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    assert b.applied_events(ledger, b.grade_change("M1", "intermediate", "2025-07-01")) == [
        "Manager.GradeChanged",
        "Receipt.Applied",
    ]
    manager = b.state(ledger, "manager", "M1")
    assert (manager.grade, manager.grade_since) == ("intermediate", date(2025, 7, 1))


def test_a_grade_change_of_an_unknown_manager_is_rejected(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.grade_change("M9", "senior", "2025-07-01"))
    assert isinstance(error, DependencyMissing)
    assert error.describe() == "manager_id: unknown_manager: no manager 'M9' is known"


def test_a_grade_change_goes_forward_in_time(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.grade_change("M1", "intermediate", "2025-07-01"))
    error = b.rejected(ledger, b.grade_change("M1", "senior", "2025-06-30"))
    assert error.describe() == (
        "effective_on: not_forward_in_time: 2025-06-30 is before the manager's last grade change or hire on 2025-07-01"
    )


def test_a_grade_change_cannot_precede_the_hire(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(ledger, b.grade_change("M1", "senior", "2024-12-31"))
    assert error.describe() == (
        "effective_on: not_forward_in_time: 2024-12-31 is before the manager's last grade change or hire on 2025-01-01"
    )


def test_a_grade_change_to_the_same_grade_is_rejected(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(ledger, b.grade_change("M1", "junior", "2025-07-01"))
    assert error.describe() == "grade: grade_unchanged: manager M1 is already junior"


def test_a_demotion_on_the_same_day_as_a_promotion_is_forward_enough(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.grade_change("M1", "senior", "2025-07-01"))
    assert b.applied_events(
        ledger, b.grade_change("M1", "junior", "2025-07-01", id="grade:again")
    ) == ["Manager.GradeChanged", "Receipt.Applied"]


# -- departure request ----------------------------------------------------------------------------


def test_a_departure_request_is_stored(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    assert b.applied_events(ledger, b.request_departure("M1", kind="transfer")) == [
        "Manager.DepartureRequested",
        "Receipt.Applied",
    ]
    manager = b.state(ledger, "manager", "M1")
    assert (manager.departure_kind, manager.requested_on, manager.last_day) == (
        "transfer",
        date(2025, 9, 1),
        date(2025, 9, 30),
    )


def test_a_departure_is_requested_once(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.request_departure("M1"))
    error = b.rejected(ledger, b.request_departure("M1", id="leave:M1:again", kind="rotation"))
    assert (
        error.describe()
        == "manager_id: departure_already_requested: manager M1 already requested departure on 2025-09-01"
    )


def test_a_departure_cannot_be_requested_before_the_hire(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(
        ledger, b.request_departure("M1", requested_on="2024-12-01", last_day="2025-01-31")
    )
    assert (
        error.describe() == "requested_on: before_hire: 2024-12-01 is before the hire on 2025-01-01"
    )


def test_the_last_day_cannot_precede_the_request(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(
        ledger, b.request_departure("M1", requested_on="2025-09-01", last_day="2025-08-31")
    )
    assert (
        error.describe()
        == "last_day: last_day_before_request: 2025-08-31 is before the request on 2025-09-01"
    )


def test_a_departure_of_an_unknown_manager_is_rejected(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.request_departure("M9"))
    assert error.describe() == "manager_id: unknown_manager: no manager 'M9' is known"


# -- the three approvals, in order -----------------------------------------------------------------


def test_the_three_approvals_in_order_are_stored(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.request_departure("M1"))
    for role, day in (
        ("department_head", "2025-09-02"),
        ("rm_office", "2025-09-03"),
        ("hr", "2025-09-03"),
    ):
        assert b.applied_events(ledger, b.approve("M1", role, day)) == [
            "Manager.DepartureApproved",
            "Receipt.Applied",
        ]
    assert b.state(ledger, "manager", "M1").approvals == [
        ("department_head", "DEPARTMENT_HEAD-1", date(2025, 9, 2)),
        ("rm_office", "RM_OFFICE-1", date(2025, 9, 3)),
        ("hr", "HR-1", date(2025, 9, 3)),
    ]


def test_the_rm_office_cannot_approve_before_the_department_head(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.request_departure("M1"))
    error = b.rejected(ledger, b.approve("M1", "rm_office"))
    assert error.describe() == (
        "role: approval_out_of_order: department_head must approve before rm_office "
        "(order: department_head, rm_office, hr)"
    )


def test_hr_cannot_approve_before_the_rm_office(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.request_departure("M1"), b.approve("M1", "department_head"))
    error = b.rejected(ledger, b.approve("M1", "hr"))
    assert error.describe() == (
        "role: approval_out_of_order: rm_office must approve before hr (order: department_head, rm_office, hr)"
    )


def test_a_role_approves_only_once(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.request_departure("M1"), b.approve("M1", "department_head"))
    error = b.rejected(
        ledger, b.approve("M1", "department_head", id="approve:again", approver_id="DH-2")
    )
    assert (
        error.describe()
        == "role: already_approved: department_head has already approved this departure"
    )


def test_there_is_nothing_to_approve_without_a_request(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(ledger, b.approve("M1", "department_head"))
    assert (
        error.describe()
        == "manager_id: no_departure_request: manager M1 has no departure request to approve"
    )


def test_a_manager_cannot_approve_their_own_departure(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.request_departure("M1"))
    error = b.rejected(ledger, b.approve("M1", "department_head", approver_id="M1"))
    assert (
        error.describe()
        == "approver_id: self_approval: a manager cannot approve their own departure"
    )


def test_an_approval_cannot_precede_the_request(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.request_departure("M1"))
    error = b.rejected(ledger, b.approve("M1", "department_head", "2025-08-31"))
    assert error.describe() == (
        "approved_on: not_forward_in_time: 2025-08-31 is before the request or the previous approval on 2025-09-01"
    )


def test_an_approval_cannot_precede_the_previous_approval(ledger: Ledger) -> None:
    b.given(
        ledger,
        b.hire("M1"),
        b.request_departure("M1"),
        b.approve("M1", "department_head", "2025-09-10"),
    )
    error = b.rejected(ledger, b.approve("M1", "rm_office", "2025-09-09"))
    assert error.describe() == (
        "approved_on: not_forward_in_time: 2025-09-09 is before the request or the previous approval on 2025-09-10"
    )


# -- departed ----------------------------------------------------------------------------------------


def test_a_manager_with_three_approvals_and_no_clients_departs(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), *APPROVED)
    assert b.applied_events(ledger, b.depart("M1", "2025-09-30")) == [
        "Manager.Departed",
        "Receipt.Applied",
    ]
    assert b.state(ledger, "manager", "M1").departed_on == date(2025, 9, 30)


def test_a_manager_without_a_request_cannot_depart(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(ledger, b.depart("M1"))
    assert (
        error.describe()
        == "manager_id: approvals_missing: manager M1 lacks the approval of department_head, rm_office, hr"
    )


def test_a_manager_cannot_depart_before_hr_approves(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), *APPROVED[:3])
    error = b.rejected(ledger, b.depart("M1"))
    assert error.describe() == "manager_id: approvals_missing: manager M1 lacks the approval of hr"


def test_a_departure_cannot_precede_the_last_approval(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), *APPROVED)
    error = b.rejected(ledger, b.depart("M1", "2025-09-04"))
    assert (
        error.describe()
        == "departed_on: before_approval: 2025-09-04 is before the last approval on 2025-09-05"
    )


def test_a_manager_holding_clients_cannot_depart_and_every_client_held_is_named(
    ledger: Ledger,
) -> None:
    b.given(
        ledger,
        *b.bank(),
        b.register("C4"),
        b.assign("C3", "M1"),
        b.assign("C1", "M1"),
        b.assign("C2", "M2"),
        b.assign("C2", "M1", "backup"),
        b.assign("C4", "M2"),
        *APPROVED,
    )
    error = b.rejected(ledger, b.depart("M1"))
    assert isinstance(error, DomainRuleBroken)
    assert error.describe() == (
        "manager_id: clients_still_held: manager M1 still holds 3 client(s): C1 (primary), C2 (backup), C3 (primary)"
    )


def test_a_manager_who_released_every_client_can_depart(ledger: Ledger) -> None:
    b.given(
        ledger,
        *b.bank(),
        b.assign("C1", "M1"),
        b.assign("C2", "M2"),
        b.assign("C2", "M1", "backup"),
        b.release("C1", "M1", effective_on="2025-08-31"),
        b.release("C2", "M1", "backup", effective_on="2025-08-31"),
        *APPROVED,
    )
    assert b.applied_events(ledger, b.depart("M1")) == ["Manager.Departed", "Receipt.Applied"]


def test_a_manager_who_handed_over_every_client_can_depart(ledger: Ledger) -> None:
    b.given(
        ledger,
        *b.bank(),
        b.assign("C1", "M1"),
        b.assign("C2", "M1"),
        b.open_handover("H1", "M1", "M2", ["C1", "C2"]),
        *b.completed("H1"),
        b.file_handover("H1"),
        *APPROVED,
    )
    assert b.applied_events(ledger, b.depart("M1")) == ["Manager.Departed", "Receipt.Applied"]


def test_a_departed_manager_cannot_depart_again(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), *APPROVED, b.depart("M1"))
    error = b.rejected(ledger, b.depart("M1", "2025-10-31", id="departed:M1:again"))
    assert error.describe() == "manager_id: manager_departed: manager M1 departed on 2025-09-30"


def test_a_departed_manager_has_no_grade_changes(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), *APPROVED, b.depart("M1"))
    error = b.rejected(ledger, b.grade_change("M1", "senior", "2025-10-01"))
    assert error.describe() == "manager_id: manager_departed: manager M1 departed on 2025-09-30"


# -- a departed manager can be given no client --------------------------------------------------------


def test_a_departed_manager_cannot_be_made_primary(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), *APPROVED, b.depart("M1"))
    error = b.rejected(ledger, b.assign("C1", "M1", effective_on="2025-10-01"))
    assert (
        error.describe()
        == "manager_id: manager_departed: manager M1 departed on 2025-09-30 and can be given no client"
    )


def test_a_departed_manager_cannot_be_made_backup(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M2"), *APPROVED, b.depart("M1"))
    error = b.rejected(ledger, b.assign("C1", "M1", "backup", effective_on="2025-10-01"))
    assert (
        error.describe()
        == "manager_id: manager_departed: manager M1 departed on 2025-09-30 and can be given no client"
    )


def test_a_departed_manager_cannot_be_the_incoming_manager_of_a_handover(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M2"), *APPROVED, b.depart("M1"))
    error = b.rejected(ledger, b.open_handover("H1", "M2", "M1", ["C1"], opened_on="2025-10-01"))
    assert (
        error.describe()
        == "to_manager_id: manager_departed: manager M1 departed on 2025-09-30 and can be given no client"
    )


def test_a_manager_cannot_be_given_a_client_before_the_hire(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.hire("M4", hired_on="2025-03-01"))
    error = b.rejected(ledger, b.assign("C1", "M4", effective_on="2025-02-28"))
    assert (
        error.describe()
        == "effective_on: before_hire: 2025-02-28 is before manager M4 was hired on 2025-03-01"
    )

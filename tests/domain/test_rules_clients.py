"""Clients and assignments (docs/rules.md R4, R5): registration, lifecycle stages, one
primary and one backup who are different people, primaries only where none is in
force, and every role change forward in time."""

from __future__ import annotations

from datetime import date

from domain.client import Holding
from domain.errors import DependencyMissing
from domain.ledger import Ledger
from tests import builders as b

# -- registration and stages ---------------------------------------------------------------


def test_registering_a_client_stores_the_registration_and_its_receipt(ledger: Ledger) -> None:
    assert b.applied_events(ledger, b.register("C1", kind="corporate")) == [
        "Client.Registered",
        "Receipt.Applied",
    ]
    client = b.state(ledger, "client", "C1")
    assert (client.client_id, client.kind, client.registered_on, client.stage) == (
        "C1",
        "corporate",
        date(2025, 1, 5),
        "target",
    )
    assert (client.primary, client.backup, client.first_served_on) == (None, None, None)


def test_a_client_is_registered_only_once(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"))
    error = b.rejected(ledger, b.register("C1", id="reg:C1:again", name="Someone Else"))
    assert error.describe() == "client_id: client_exists: client C1 is already registered"


def test_a_stage_change_is_stored(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"))
    assert b.applied_events(ledger, b.stage("C1", "potential", "2025-02-01")) == [
        "Client.StageChanged",
        "Receipt.Applied",
    ]
    client = b.state(ledger, "client", "C1")
    assert (client.stage, client.stage_since) == ("potential", date(2025, 2, 1))


def test_a_stage_change_to_the_current_stage_is_rejected(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"))
    error = b.rejected(ledger, b.stage("C1", "target", "2025-02-01"))
    assert error.describe() == "stage: stage_unchanged: client C1 is already target"


def test_a_lost_client_comes_back_only_to_target(ledger: Ledger) -> None:
    b.given(
        ledger,
        b.register("C1"),
        b.stage("C1", "active", "2025-02-01"),
        b.stage("C1", "lost", "2025-05-01"),
    )
    error = b.rejected(ledger, b.stage("C1", "active", "2025-06-01"))
    assert (
        error.describe()
        == "stage: lost_only_to_target: a lost client can come back only to target, not active"
    )
    assert b.applied_events(ledger, b.stage("C1", "target", "2025-06-01")) == [
        "Client.StageChanged",
        "Receipt.Applied",
    ]


def test_a_stage_change_goes_forward_in_time(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.stage("C1", "active", "2025-02-01"))
    error = b.rejected(ledger, b.stage("C1", "dormant", "2025-01-31"))
    assert error.describe() == (
        "changed_on: not_forward_in_time: 2025-01-31 is before the client's last stage change or registration on 2025-02-01"
    )


def test_a_stage_change_of_an_unknown_client_is_rejected(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.stage("C9", "active", "2025-02-01"))
    assert isinstance(error, DependencyMissing)
    assert error.describe() == "client_id: unknown_client: no client 'C9' is known"


# -- assigning a primary --------------------------------------------------------------------------


def test_assigning_a_primary_stores_it_on_the_client_and_in_the_managers_book(
    ledger: Ledger,
) -> None:
    b.given(ledger, *b.bank())
    assert b.applied_events(ledger, b.assign("C1", "M1")) == [
        "Client.Assigned",
        "Manager.ClientTaken",
        "Receipt.Applied",
    ]
    client = b.state(ledger, "client", "C1")
    assert client.primary == Holding("M1", "acquired", date(2025, 1, 10))
    assert client.first_served_on == date(2025, 1, 10)
    assert b.state(ledger, "manager", "M1").book == {"C1": {"primary"}}


def test_a_client_of_an_unknown_manager_is_rejected(ledger: Ledger) -> None:
    b.given(ledger, *b.bank())
    error = b.rejected(ledger, b.assign("C1", "M9"))
    assert error.describe() == "manager_id: unknown_manager: no manager 'M9' is known"


def test_an_unknown_client_cannot_be_assigned(ledger: Ledger) -> None:
    b.given(ledger, *b.bank())
    error = b.rejected(ledger, b.assign("C9", "M1"))
    assert error.describe() == "client_id: unknown_client: no client 'C9' is known"


def test_a_primary_cannot_be_assigned_while_another_is_in_force(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"))
    error = b.rejected(ledger, b.assign("C1", "M2", effective_on="2025-04-01"))
    assert error.describe() == (
        "role: primary_in_force: client C1 already has M1 as primary since 2025-01-10 "
        "(move a client between managers with a handover)"
    )


def test_the_primary_cannot_be_assigned_a_second_time(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"))
    error = b.rejected(ledger, b.assign("C1", "M1", effective_on="2025-04-01", origin="inherited"))
    assert error.rule == "primary_in_force"


def test_a_released_client_can_be_given_a_new_primary(ledger: Ledger) -> None:
    b.given(
        ledger, *b.bank(), b.assign("C1", "M1"), b.release("C1", "M1", effective_on="2025-03-01")
    )
    assert b.applied_events(
        ledger, b.assign("C1", "M2", effective_on="2025-03-01", origin="inherited")
    ) == ["Client.Assigned", "Manager.ClientTaken", "Receipt.Applied"]
    assert b.state(ledger, "client", "C1").primary == Holding("M2", "inherited", date(2025, 3, 1))


def test_first_served_on_never_moves_later(ledger: Ledger) -> None:
    b.given(
        ledger,
        *b.bank(),
        b.assign("C1", "M1"),
        b.release("C1", "M1", effective_on="2025-03-01"),
        b.assign("C1", "M2", effective_on="2025-04-01"),
    )
    assert b.state(ledger, "client", "C1").first_served_on == date(2025, 1, 10)


# -- the backup ---------------------------------------------------------------------------------------


def test_assigning_a_backup_stores_it(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"))
    assert b.applied_events(ledger, b.assign("C1", "M2", "backup")) == [
        "Client.Assigned",
        "Manager.ClientTaken",
        "Receipt.Applied",
    ]
    assert b.state(ledger, "client", "C1").backup == Holding("M2", "acquired", date(2025, 1, 10))
    assert b.state(ledger, "manager", "M2").book == {"C1": {"backup"}}


def test_a_client_has_at_most_one_backup(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"), b.assign("C1", "M2", "backup"))
    error = b.rejected(ledger, b.assign("C1", "M3", "backup", effective_on="2025-02-01"))
    assert (
        error.describe()
        == "role: backup_in_force: client C1 already has M2 as backup since 2025-01-10"
    )


def test_the_primary_cannot_also_be_the_backup(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"))
    error = b.rejected(ledger, b.assign("C1", "M1", "backup"))
    assert error.describe() == (
        "manager_id: same_manager_both_roles: M1 already holds the other role for client C1; "
        "primary and backup must be different managers"
    )


def test_the_backup_cannot_become_primary_directly(ledger: Ledger) -> None:
    b.given(
        ledger,
        *b.bank(),
        b.assign("C1", "M1"),
        b.assign("C1", "M2", "backup"),
        b.release("C1", "M1", effective_on="2025-03-01"),
    )
    error = b.rejected(ledger, b.assign("C1", "M2", effective_on="2025-03-01"))
    assert error.describe() == (
        "manager_id: backup_cannot_become_primary: M2 already holds the other role for client C1; "
        "primary and backup must be different managers and the backup becomes primary only through a handover"
    )


def test_the_backup_cannot_take_the_primary_role_while_a_primary_is_in_force(
    ledger: Ledger,
) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"), b.assign("C1", "M2", "backup"))
    error = b.rejected(ledger, b.assign("C1", "M2", effective_on="2025-03-01"))
    assert error.rule == "primary_in_force"


def test_a_backup_may_serve_a_client_without_a_primary(ledger: Ledger) -> None:
    b.given(ledger, *b.bank())
    assert b.applied_events(ledger, b.assign("C1", "M2", "backup")) == [
        "Client.Assigned",
        "Manager.ClientTaken",
        "Receipt.Applied",
    ]


# -- forward in time ------------------------------------------------------------------------------------


def test_a_primary_cannot_be_assigned_before_the_last_change_of_that_role(ledger: Ledger) -> None:
    b.given(
        ledger, *b.bank(), b.assign("C1", "M1"), b.release("C1", "M1", effective_on="2025-03-01")
    )
    error = b.rejected(ledger, b.assign("C1", "M2", effective_on="2025-02-28"))
    assert error.describe() == (
        "effective_on: not_forward_in_time: 2025-02-28 is before the last change of client C1's primary role on 2025-03-01"
    )


def test_a_release_cannot_precede_the_assignment(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1", effective_on="2025-02-01"))
    error = b.rejected(ledger, b.release("C1", "M1", effective_on="2025-01-31"))
    assert error.describe() == (
        "effective_on: not_forward_in_time: 2025-01-31 is before the last change of client C1's primary role on 2025-02-01"
    )


def test_a_backup_change_cannot_go_back_in_time(ledger: Ledger) -> None:
    b.given(
        ledger,
        *b.bank(),
        b.assign("C1", "M1"),
        b.assign("C1", "M2", "backup", effective_on="2025-02-01"),
        b.release("C1", "M2", "backup", effective_on="2025-04-01"),
    )
    error = b.rejected(ledger, b.assign("C1", "M3", "backup", effective_on="2025-03-31"))
    assert error.describe() == (
        "effective_on: not_forward_in_time: 2025-03-31 is before the last change of client C1's backup role on 2025-04-01"
    )


def test_each_role_goes_forward_on_its_own_history(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1", effective_on="2025-06-01"))
    assert b.applied_events(ledger, b.assign("C1", "M2", "backup", effective_on="2025-02-01")) == [
        "Client.Assigned",
        "Manager.ClientTaken",
        "Receipt.Applied",
    ]


def test_a_role_cannot_start_before_the_client_was_registered(ledger: Ledger) -> None:
    b.given(ledger, *b.bank())
    error = b.rejected(ledger, b.assign("C1", "M1", effective_on="2025-01-04"))
    assert (
        error.describe()
        == "effective_on: before_registration: 2025-01-04 is before client C1 was registered on 2025-01-05"
    )


# -- releasing ----------------------------------------------------------------------------------------------


def test_releasing_a_primary_stores_it_on_both_sides(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"))
    assert b.applied_events(ledger, b.release("C1", "M1")) == [
        "Client.Released",
        "Manager.ClientGivenUp",
        "Receipt.Applied",
    ]
    assert b.state(ledger, "client", "C1").primary is None
    assert b.state(ledger, "manager", "M1").book == {}


def test_only_the_holder_of_a_role_can_be_released_from_it(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"))
    error = b.rejected(ledger, b.release("C1", "M2"))
    assert (
        error.describe()
        == "manager_id: not_holding_role: M2 is not client C1's primary (held by M1)"
    )


def test_a_role_nobody_holds_cannot_be_released(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"))
    error = b.rejected(ledger, b.release("C1", "M1", "backup"))
    assert (
        error.describe()
        == "manager_id: not_holding_role: M1 is not client C1's backup (held by nobody)"
    )


def test_the_primary_of_a_client_in_an_open_handover_cannot_be_released(ledger: Ledger) -> None:
    b.given(ledger, *b.bank(), b.assign("C1", "M1"), b.open_handover("H1", "M1", "M2", ["C1"]))
    error = b.rejected(ledger, b.release("C1", "M1", effective_on="2025-06-10"))
    assert error.describe() == "client_id: in_open_handover: client C1 is in open handover H1"


def test_the_backup_of_a_client_in_an_open_handover_can_be_released(ledger: Ledger) -> None:
    b.given(
        ledger,
        *b.bank(),
        b.assign("C1", "M1"),
        b.assign("C1", "M3", "backup"),
        b.open_handover("H1", "M1", "M2", ["C1"]),
    )
    assert b.applied_events(ledger, b.release("C1", "M3", "backup", effective_on="2025-06-10")) == [
        "Client.Released",
        "Manager.ClientGivenUp",
        "Receipt.Applied",
    ]

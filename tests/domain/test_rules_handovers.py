"""Handovers (docs/rules.md R5.7-R5.9): clients move between managers only through a handover
witnessed by a sub-branch RM lead and the wealth-centre head (two distinct people,
neither a party), with a signed record, filed with the RM office. Nothing moves until
filing; then every client moves, and an incoming backup stops being the backup."""

from __future__ import annotations

from datetime import date

import pytest

from domain.client import Client, Holding
from domain.errors import DomainRuleBroken
from domain.ledger import Ledger
from tests import builders as b

# M1 serves C1 and C2 as primary; M3 serves C3; M2 is free.
BOOKS = [*b.bank(), b.assign("C1", "M1"), b.assign("C2", "M1"), b.assign("C3", "M3")]
OPEN = b.open_handover("H1", "M1", "M2", ["C1", "C2"])


# -- opening ------------------------------------------------------------------------------------


def test_opening_a_handover_marks_each_client_and_stores_the_list(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS)
    assert b.applied_events(ledger, OPEN) == [
        "Client.EnteredHandover",
        "Client.EnteredHandover",
        "Handover.Opened",
        "Receipt.Applied",
    ]
    handover = b.state(ledger, "handover", "H1")
    assert (handover.from_manager_id, handover.to_manager_id, handover.client_ids) == (
        "M1",
        "M2",
        ["C1", "C2"],
    )
    assert b.state(ledger, "client", "C1").open_handover == "H1"


def test_a_handover_id_is_opened_only_once(ledger: Ledger) -> None:
    b.given(
        ledger, *BOOKS, OPEN, b.release("C3", "M3"), b.assign("C3", "M1", effective_on="2025-03-01")
    )
    error = b.rejected(ledger, b.open_handover("H1", "M1", "M3", ["C3"], id="open:H1:again"))
    assert error.describe() == "handover_id: handover_exists: handover H1 is already open"


def test_a_handover_moves_clients_to_a_different_manager(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS)
    error = b.rejected(ledger, b.open_handover("H1", "M1", "M1", ["C1"]))
    assert (
        error.describe()
        == "to_manager_id: same_manager: a handover moves clients to a different manager"
    )


def test_a_handover_from_an_unknown_manager_is_rejected(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS)
    error = b.rejected(ledger, b.open_handover("H1", "M9", "M2", ["C1"]))
    assert error.describe() == "from_manager_id: unknown_manager: no manager 'M9' is known"


def test_a_handover_to_an_unknown_manager_is_rejected(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS)
    error = b.rejected(ledger, b.open_handover("H1", "M1", "M9", ["C1"]))
    assert error.describe() == "to_manager_id: unknown_manager: no manager 'M9' is known"


def test_a_handover_of_an_unknown_client_names_its_place_in_the_list(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS)
    error = b.rejected(ledger, b.open_handover("H1", "M1", "M2", ["C1", "C9"]))
    assert error.describe() == "client_ids[1]: unknown_client: no client 'C9' is known"


def test_every_client_must_have_the_outgoing_manager_as_primary_when_opened(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS)
    error = b.rejected(ledger, b.open_handover("H1", "M1", "M2", ["C1", "C3"]))
    assert error.describe() == (
        "client_ids[1]: not_primary_of_outgoing: client C3's primary is M3, not the outgoing manager M1"
    )


def test_a_client_without_a_primary_cannot_be_handed_over(ledger: Ledger) -> None:
    b.given(ledger, *b.bank())
    error = b.rejected(ledger, b.open_handover("H1", "M1", "M2", ["C1"]))
    assert (
        error.describe()
        == "client_ids[0]: not_primary_of_outgoing: client C1's primary is nobody, not the outgoing manager M1"
    )


def test_the_outgoing_manager_must_be_primary_on_the_opening_date(ledger: Ledger) -> None:
    # M1 becomes C1's primary only on 2025-06-10; on 2025-06-01 C1 had no primary.
    b.given(ledger, *b.bank(), b.assign("C1", "M1", effective_on="2025-06-10"))
    error = b.rejected(ledger, b.open_handover("H1", "M1", "M2", ["C1"], opened_on="2025-06-01"))
    assert (error.field, error.rule) == ("client_ids[0]", "not_primary_of_outgoing")


def test_a_client_is_in_at_most_one_open_handover(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN)
    error = b.rejected(ledger, b.open_handover("H2", "M1", "M3", ["C2"]))
    assert (
        error.describe()
        == "client_ids[0]: in_open_handover: client C2 is already in open handover H1"
    )


def test_a_client_can_be_handed_over_again_once_the_first_handover_is_filed(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN, *b.completed("H1"), b.file_handover("H1"))
    assert b.applied_events(
        ledger, b.open_handover("H2", "M2", "M3", ["C2"], opened_on="2025-07-01")
    ) == ["Client.EnteredHandover", "Handover.Opened", "Receipt.Applied"]


def test_the_incoming_manager_must_be_hired_by_the_opening_date(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, b.hire("M4", hired_on="2025-07-01"))
    error = b.rejected(ledger, b.open_handover("H1", "M1", "M4", ["C1"], opened_on="2025-06-01"))
    # the message has no effective_on: the field at fault is the opening date
    assert (
        error.describe()
        == "opened_on: before_hire: 2025-06-01 is before manager M4 was hired on 2025-07-01"
    )


# -- witnesses ------------------------------------------------------------------------------------


def test_a_witness_is_stored(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN)
    assert b.applied_events(ledger, b.witness("H1", "LEAD1", "sub_branch_lead")) == [
        "Handover.Witnessed",
        "Receipt.Applied",
    ]
    assert b.state(ledger, "handover", "H1").witnesses == {
        "sub_branch_lead": ("LEAD1", date(2025, 6, 2))
    }


@pytest.mark.parametrize("party", ["M1", "M2"])
def test_neither_party_can_witness_the_handover(ledger: Ledger, party: str) -> None:
    b.given(ledger, *BOOKS, OPEN)
    error = b.rejected(ledger, b.witness("H1", party, "wealth_centre_head"))
    assert (
        error.describe()
        == f"witness_id: witness_is_party: {party} is a party to handover H1 and cannot witness it"
    )


def test_each_witness_role_witnesses_once(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN, b.witness("H1", "LEAD1", "sub_branch_lead"))
    error = b.rejected(ledger, b.witness("H1", "LEAD2", "sub_branch_lead"))
    assert (
        error.describe()
        == "witness_role: witness_role_taken: sub_branch_lead already witnessed handover H1 (LEAD1)"
    )


def test_the_two_witnesses_are_two_distinct_people(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN, b.witness("H1", "LEAD1", "sub_branch_lead"))
    error = b.rejected(ledger, b.witness("H1", "LEAD1", "wealth_centre_head"))
    assert error.describe() == (
        "witness_id: witnesses_not_distinct: LEAD1 already witnessed as sub_branch_lead; "
        "the two witnesses must be different people"
    )


def test_a_handover_cannot_be_witnessed_before_it_was_opened(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN)
    error = b.rejected(ledger, b.witness("H1", "LEAD1", "sub_branch_lead", "2025-05-31"))
    assert (
        error.describe()
        == "witnessed_on: before_opening: 2025-05-31 is before the handover was opened on 2025-06-01"
    )


def test_an_unknown_handover_cannot_be_witnessed(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS)
    error = b.rejected(ledger, b.witness("H9", "LEAD1", "sub_branch_lead"))
    assert error.describe() == "handover_id: unknown_handover: no handover 'H9' is known"


# -- the signed record ----------------------------------------------------------------------------------


def test_a_signed_record_is_stored(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN)
    assert b.applied_events(ledger, b.sign("H1")) == ["Handover.RecordSigned", "Receipt.Applied"]
    assert b.state(ledger, "handover", "H1").record == ("DOC-H1", date(2025, 6, 3))


def test_the_record_is_signed_once(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN, b.sign("H1"))
    error = b.rejected(ledger, b.sign("H1", id="sign:H1:again", record_ref="DOC-2"))
    assert (
        error.describe()
        == "handover_id: record_already_signed: handover H1's record DOC-H1 was signed on 2025-06-03"
    )


def test_the_record_cannot_be_signed_before_the_opening(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN)
    error = b.rejected(ledger, b.sign("H1", "2025-05-30"))
    assert (
        error.describe()
        == "signed_on: before_opening: 2025-05-30 is before the handover was opened on 2025-06-01"
    )


# -- filing ------------------------------------------------------------------------------------------------


def test_until_filing_nothing_moves(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN, *b.completed("H1"))
    assert b.state(ledger, "client", "C1").primary == Holding("M1", "acquired", date(2025, 1, 10))
    assert b.state(ledger, "manager", "M1").book == {"C1": {"primary"}, "C2": {"primary"}}
    assert b.state(ledger, "manager", "M2").book == {}


def test_filing_a_complete_handover_moves_every_client_to_the_incoming_manager(
    ledger: Ledger,
) -> None:
    b.given(ledger, *BOOKS, OPEN, *b.completed("H1"))
    assert b.applied_events(ledger, b.file_handover("H1", "2025-06-04")) == [
        "Handover.Filed",
        "Client.HandedOver",
        "Manager.ClientGivenUp",
        "Manager.ClientTaken",
        "Client.HandedOver",
        "Manager.ClientGivenUp",
        "Manager.ClientTaken",
        "Receipt.Applied",
    ]
    for client_id in ("C1", "C2"):
        client = b.state(ledger, "client", client_id)
        assert client.primary == Holding("M2", "inherited", date(2025, 6, 4))
        assert client.open_handover is None
        assert client.first_served_on == date(2025, 1, 10)
    assert b.state(ledger, "manager", "M1").book == {}
    assert b.state(ledger, "manager", "M2").book == {"C1": {"primary"}, "C2": {"primary"}}
    assert b.state(ledger, "handover", "H1").filed_on == date(2025, 6, 4)


def test_a_handover_to_the_backup_ends_the_backup_role_on_the_filing_date(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, b.assign("C1", "M2", "backup"), OPEN, *b.completed("H1"))
    assert b.applied_events(ledger, b.file_handover("H1", "2025-06-04")) == [
        "Handover.Filed",
        "Client.HandedOver",
        "Manager.ClientGivenUp",
        "Manager.ClientGivenUp",
        "Manager.ClientTaken",
        "Client.HandedOver",
        "Manager.ClientGivenUp",
        "Manager.ClientTaken",
        "Receipt.Applied",
    ]
    client = b.state(ledger, "client", "C1")
    assert (client.primary, client.backup) == (Holding("M2", "inherited", date(2025, 6, 4)), None)
    assert client.last_change == {"primary": date(2025, 6, 4), "backup": date(2025, 6, 4)}
    assert b.state(ledger, "manager", "M2").book == {"C1": {"primary"}, "C2": {"primary"}}


def test_a_backup_other_than_the_incoming_manager_stays_backup(ledger: Ledger) -> None:
    b.given(
        ledger,
        *BOOKS,
        b.assign("C1", "M3", "backup"),
        OPEN,
        *b.completed("H1"),
        b.file_handover("H1"),
    )
    assert b.state(ledger, "client", "C1").backup == Holding("M3", "acquired", date(2025, 1, 10))


@pytest.mark.parametrize(
    ("done", "missing"),
    [
        ([], "witness sub_branch_lead, witness wealth_centre_head, signed record"),
        ([b.witness("H1", "LEAD1", "sub_branch_lead"), b.sign("H1")], "witness wealth_centre_head"),
        ([b.witness("H1", "HEAD1", "wealth_centre_head"), b.sign("H1")], "witness sub_branch_lead"),
        (
            [
                b.witness("H1", "LEAD1", "sub_branch_lead"),
                b.witness("H1", "HEAD1", "wealth_centre_head"),
            ],
            "signed record",
        ),
    ],
    ids=["nothing", "no-wealth-centre-head", "no-sub-branch-lead", "no-record"],
)
def test_a_handover_is_filed_only_with_both_witnesses_and_a_signed_record(
    ledger: Ledger, done: list[b.Wire], missing: str
) -> None:
    b.given(ledger, *BOOKS, OPEN, *done)
    error = b.rejected(ledger, b.file_handover("H1"))
    assert (
        error.describe()
        == f"handover_id: handover_incomplete: handover H1 cannot be filed without: {missing}"
    )
    assert b.state(ledger, "client", "C1").primary.manager_id == "M1"


def test_filing_cannot_precede_the_last_witness_or_signature(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN, *b.completed("H1"))
    error = b.rejected(ledger, b.file_handover("H1", "2025-06-02"))
    assert error.describe() == (
        "filed_on: filed_before_completion: 2025-06-02 is before the handover was opened, witnessed and signed "
        "(last on 2025-06-03)"
    )


def test_a_handover_is_filed_once(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN, *b.completed("H1"), b.file_handover("H1"))
    error = b.rejected(ledger, b.file_handover("H1", "2025-06-05", id="file:H1:again"))
    assert (
        error.describe()
        == "handover_id: handover_already_filed: handover H1 was filed on 2025-06-04"
    )


def test_a_filed_handover_takes_no_more_witnesses(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN, *b.completed("H1"), b.file_handover("H1"))
    error = b.rejected(ledger, b.witness("H1", "LEAD2", "sub_branch_lead", "2025-06-05"))
    assert (
        error.describe()
        == "handover_id: handover_already_filed: handover H1 was filed on 2025-06-04"
    )


def test_a_handover_to_a_manager_who_departed_meanwhile_cannot_be_filed(ledger: Ledger) -> None:
    b.given(
        ledger,
        *BOOKS,
        OPEN,
        *b.completed("H1"),
        *b.departure_approved("M2", on="2025-06-02"),
        b.depart("M2", "2025-06-03"),
    )
    error = b.rejected(ledger, b.file_handover("H1", "2025-06-04"))
    assert (
        error.describe()
        == "handover_id: manager_departed: manager M2 departed on 2025-06-03 and can be given no client"
    )


# -- the outgoing manager is primary from opening to filing ----------------------------------------------------


def test_while_a_handover_is_open_its_clients_primary_cannot_change(ledger: Ledger) -> None:
    b.given(ledger, *BOOKS, OPEN)
    assert (
        b.rejected(ledger, b.release("C1", "M1", effective_on="2025-06-02")).rule
        == "in_open_handover"
    )
    assert (
        b.rejected(ledger, b.assign("C1", "M3", effective_on="2025-06-02")).rule
        == "primary_in_force"
    )
    assert b.rejected(ledger, b.open_handover("H2", "M1", "M3", ["C1"])).rule == "in_open_handover"


def test_a_client_whose_primary_is_not_the_outgoing_manager_at_filing_is_refused() -> None:
    # Messages cannot reach this state (see the test above); the client still guards it.
    client = Client("C1", "personal", "BR01", date(2025, 1, 5), "Client C1", b.ID_NUMBER, "reg:C1")
    client.assign("M3", "primary", "acquired", date(2025, 1, 10), "assign:C1")
    with pytest.raises(DomainRuleBroken) as caught:
        client.check_hand_over("M1", "M2", date(2025, 6, 4), "handover_id")
    assert caught.value.describe() == (
        "handover_id: not_primary_of_outgoing: client C1's primary is M3, not the outgoing manager M1"
    )

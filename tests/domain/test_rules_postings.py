"""Postings and the other facts (docs/rules.md R6.2, R6.6, R8.1): a posting has a unique
source id, a known client and an amount > 0; a reversal cancels a known posting once;
balances and activities need a known client or manager."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.ledger import APPLIED, DUPLICATE, REJECTED, Ledger
from tests import builders as b

# -- booking --------------------------------------------------------------------------------------


def test_booking_a_posting_stores_it_under_its_source_id(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"))
    assert b.applied_events(
        ledger, b.book("P1", "C1", "1234.50", "loan_interest", "2026-03-05")
    ) == ["Posting.Booked"]
    posting = b.state(ledger, "posting", "P1")
    assert (
        posting.source_id,
        posting.client_id,
        posting.category,
        posting.amount,
        posting.value_date,
    ) == ("P1", "C1", "loan_interest", Decimal("1234.50"), date(2026, 3, 5))
    assert posting.reversed_by is None


def test_a_posting_for_an_unknown_client_is_rejected(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.book("P1", "C9"))
    assert error.describe() == "client_id: unknown_client: no client 'C9' is known"


def test_a_posting_for_a_client_registered_earlier_in_the_same_batch_is_booked(
    ledger: Ledger,
) -> None:
    outcomes = b.send(ledger, b.register("C1"), b.book("P1", "C1"))
    assert [o.status for o in outcomes] == [APPLIED, APPLIED]
    assert b.topics_since(ledger, 0) == ["Client.Registered", "Receipt.Applied", "Posting.Booked"]


def test_the_same_posting_booked_twice_is_one_posting(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.book("P1", "C1", "100.00"))
    b.duplicate(ledger, b.book("P1", "C1", "100.00"))
    assert b.topics_since(ledger, 0).count("Posting.Booked") == 1


def test_the_same_source_id_with_a_different_amount_is_a_conflict(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.book("P1", "C1", "100.00"))
    error = b.rejected(ledger, b.book("P1", "C1", "100.01"))
    assert (
        error.describe()
        == "id: id_conflict: message id 'P1' was already applied with different content"
    )
    assert b.state(ledger, "posting", "P1").amount == Decimal("100.00")


def test_a_conflict_is_reported_as_a_conflict_even_when_the_changed_content_also_breaks_a_rule(
    ledger: Ledger,
) -> None:
    # The id is checked first, whether the original is in this batch or stored earlier:
    # the answer must not depend on where a batch happened to be cut.
    b.given(ledger, b.register("C1"), b.book("P1", "C1"))
    error = b.rejected(ledger, b.book("P1", "C9"))
    assert (
        error.describe()
        == "id: id_conflict: message id 'P1' was already applied with different content"
    )


def test_a_duplicate_and_a_conflict_in_the_same_batch_as_the_original(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"))
    outcomes = b.send(
        ledger,
        b.book("P1", "C1", "100.00"),
        b.book("P1", "C1", "100.00"),
        b.book("P1", "C2", "100.00"),
    )
    assert [o.status for o in outcomes] == [APPLIED, DUPLICATE, REJECTED]
    assert outcomes[2].error is not None and outcomes[2].error.rule == "id_conflict"


def test_a_posting_cannot_reuse_the_id_of_a_message_of_another_type(ledger: Ledger) -> None:
    # Message ids are unique across the contract: the same id with different content
    # is a conflict, whatever the type.
    b.given(ledger, b.register("C1"), b.hire("M1", id="X-1"))
    error = b.rejected(ledger, b.book("X-1", "C1"))
    assert (
        error.describe()
        == "id: id_conflict: message id 'X-1' was already applied with different content"
    )


def test_a_posting_cannot_reuse_the_id_of_a_balance_report(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.report_balance("C1", id="X-2"))
    error = b.rejected(ledger, b.book("X-2", "C1"))
    assert error.rule == "id_conflict"


# -- reversal -----------------------------------------------------------------------------------------


def test_reversing_a_posting_marks_it_reversed(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.book("P1", "C1"))
    assert b.applied_events(ledger, b.reverse("P1")) == ["Posting.Reversed", "Receipt.Applied"]
    assert b.state(ledger, "posting", "P1").reversed_by == "rev:P1"


def test_an_unknown_posting_cannot_be_reversed(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.reverse("P9"))
    assert error.describe() == "posting_id: unknown_posting: no posting 'P9' is known"


def test_a_posting_is_reversed_only_once(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.book("P1", "C1"), b.reverse("P1"))
    error = b.rejected(ledger, b.reverse("P1", id="rev:P1:again"))
    assert (
        error.describe()
        == "posting_id: already_reversed: posting P1 was already reversed by message rev:P1"
    )


def test_a_reversal_is_not_itself_a_posting_that_can_be_reversed(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.book("P1", "C1"), b.reverse("P1"))
    error = b.rejected(ledger, b.reverse("rev:P1"))
    assert error.describe() == "posting_id: unknown_posting: no posting 'rev:P1' is known"


def test_a_reversed_posting_sent_again_is_a_duplicate_not_a_new_booking(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.book("P1", "C1"), b.reverse("P1"))
    b.duplicate(ledger, b.book("P1", "C1"))
    assert b.state(ledger, "posting", "P1").reversed_by == "rev:P1"


def test_a_posting_booked_and_reversed_in_the_same_batch(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"))
    outcomes = b.send(ledger, b.book("P1", "C1"), b.reverse("P1"))
    assert [o.status for o in outcomes] == [APPLIED, APPLIED]
    assert b.topics_since(ledger, 0)[-3:] == [
        "Posting.Booked",
        "Posting.Reversed",
        "Receipt.Applied",
    ]


# -- balances and activities ------------------------------------------------------------------------------


def test_a_reported_balance_is_stored(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"))
    assert b.applied_events(ledger, b.report_balance("C1", "fund", "600000.00")) == [
        "BalanceReport.Reported"
    ]


def test_a_balance_of_an_unknown_client_is_rejected(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.report_balance("C9"))
    assert error.describe() == "client_id: unknown_client: no client 'C9' is known"


def test_a_balance_report_sent_twice_is_a_duplicate_and_changed_is_a_conflict(
    ledger: Ledger,
) -> None:
    b.given(ledger, b.register("C1"), b.report_balance("C1", balance="10.00"))
    b.duplicate(ledger, b.report_balance("C1", balance="10.00"))
    assert b.rejected(ledger, b.report_balance("C1", balance="11.00")).rule == "id_conflict"


def test_an_activity_is_stored(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    assert b.applied_events(ledger, b.activity("M1", "merchant", 2)) == ["Activity.Recorded"]


def test_an_activity_of_an_unknown_manager_is_rejected(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.activity("M9"))
    assert error.describe() == "manager_id: unknown_manager: no manager 'M9' is known"


def test_an_activity_sent_twice_is_a_duplicate_and_changed_is_a_conflict(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.activity("M1", count=3))
    b.duplicate(ledger, b.activity("M1", count=3))
    assert b.rejected(ledger, b.activity("M1", count=4)).rule == "id_conflict"

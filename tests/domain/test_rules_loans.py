"""Loans (docs/rules.md R6.4): five-category classifications with a balance and an as-of
date; a loan belongs to one client for life."""

from __future__ import annotations

import json

import pytest

from consumers.decoder import decode
from domain.errors import DecodeError
from domain.ledger import APPLIED, REJECTED, Ledger
from tests import builders as b

CATEGORIES = ["normal", "special_mention", "substandard", "doubtful", "loss"]


def test_the_first_classification_registers_the_loan_to_its_client(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"))
    assert b.applied_events(ledger, b.classify("L1", "C1", "normal", "500000.00")) == [
        "Loan.Registered",
        "Loan.Classified",
        "Receipt.Applied",
    ]
    assert b.state(ledger, "loan", "L1").client_id == "C1"


def test_a_later_classification_is_stored_on_the_same_loan(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.classify("L1", "C1", "normal", as_of="2025-03-31"))
    assert b.applied_events(
        ledger, b.classify("L1", "C1", "substandard", "400000.00", "2025-06-30")
    ) == ["Loan.Classified", "Receipt.Applied"]
    assert b.state(ledger, "loan", "L1").version == 3


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_five_category_classification_is_accepted(ledger: Ledger, category: str) -> None:
    b.given(ledger, b.register("C1"))
    assert b.applied_events(ledger, b.classify("L1", "C1", category))[-2:] == [
        "Loan.Classified",
        "Receipt.Applied",
    ]


def test_a_fully_repaid_loan_is_classified_with_a_zero_balance(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.classify("L1", "C1", "doubtful", "1000.00"))
    assert b.applied_events(ledger, b.classify("L1", "C1", "normal", "0.00", "2025-06-30")) == [
        "Loan.Classified",
        "Receipt.Applied",
    ]


def test_a_loan_belongs_to_one_client(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.register("C2"), b.classify("L1", "C1"))
    error = b.rejected(ledger, b.classify("L1", "C2", as_of="2025-06-30"))
    assert (
        error.describe() == "client_id: loan_client_mismatch: loan L1 belongs to client C1, not C2"
    )


def test_a_loan_belongs_to_one_client_within_a_batch_too(ledger: Ledger) -> None:
    b.given(ledger, b.register("C1"), b.register("C2"))
    outcomes = b.send(ledger, b.classify("L1", "C1"), b.classify("L1", "C2", as_of="2025-06-30"))
    assert [o.status for o in outcomes] == [APPLIED, REJECTED]
    assert b.topics_since(ledger, 0)[-3:] == [
        "Loan.Registered",
        "Loan.Classified",
        "Receipt.Applied",
    ]


def test_a_loan_of_an_unknown_client_is_rejected(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.classify("L1", "C9"))
    assert error.describe() == "client_id: unknown_client: no client 'C9' is known"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"category": "written_off"},
            "category: invalid_choice: 'written_off' is not one of normal, special_mention, substandard, doubtful, loss",
        ),
        ({"balance": "-100.00"}, "balance: negative: must not be negative, got '-100.00'"),
        (
            {"balance": "100.005"},
            "balance: too_many_decimals: '100.005' has 3 decimal places; at most 2 are allowed",
        ),
        (
            {"balance": 100},
            "balance: wrong_type: must be a JSON string holding a decimal, got the integer 100",
        ),
        ({"as_of": "2025-06-31"}, "as_of: invalid_date: '2025-06-31' is not a day of the calendar"),
    ],
)
def test_a_classification_needs_a_valid_category_and_amount(
    overrides: dict[str, object], expected: str
) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(b.classify("L1", "C1", **overrides)))
    assert caught.value.describe() == expected

"""Disputes (docs/rules.md R7.6): a manager disputes an issued statement, whole or one
posting; the performance office resolves it once, rejected, or upheld with an amount;
never before it was opened."""

from __future__ import annotations

from datetime import date

from domain.ledger import Ledger
from tests import builders as b

# M1, M2, M3 hired 2025-01-01; P1 credited to M1 in January; January closed.
JANUARY_CLOSED = [
    b.plan("2025", "2025-01-01"),
    *b.bank(),
    b.assign("C1", "M1"),
    b.book("P1", "C1", "1000.00", value_date="2025-01-20"),
    b.close("2025-01", "2025-01-31"),
]


def test_a_dispute_of_an_issued_statement_is_opened(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED)
    assert b.applied_events(ledger, b.open_dispute("D1", "M1", "2025-01")) == [
        "Dispute.Opened",
        "Receipt.Applied",
    ]
    dispute = b.state(ledger, "dispute", "D1")
    assert (dispute.manager_id, dispute.period, dispute.opened_on, dispute.outcome) == (
        "M1",
        "2025-01",
        date(2025, 2, 5),
        None,
    )


def test_a_dispute_may_name_one_posting(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED)
    assert b.applied_events(ledger, b.open_dispute("D1", "M2", "2025-01", posting_id="P1")) == [
        "Dispute.Opened",
        "Receipt.Applied",
    ]


def test_a_dispute_names_a_posting_the_ledger_knows(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED)
    assert b.rejected(ledger, b.open_dispute("D1", posting_id="P9")).describe() == (
        "posting_id: unknown_posting: no posting 'P9' is known"
    )


def test_a_month_not_closed_has_no_statement_to_dispute(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED)
    assert b.rejected(ledger, b.open_dispute("D1", "M1", "2025-02")).describe() == (
        "period: statement_not_issued: manager M1 has no issued statement of 2025-02 to dispute "
        "(2025-02 is not closed)"
    )


def test_a_manager_not_employed_in_the_month_has_no_statement_of_it(ledger: Ledger) -> None:
    b.given(
        ledger,
        b.plan("2025", "2025-01-01"),
        b.hire("M4", hired_on="2025-02-01"),
        b.close("2025-01", "2025-01-31"),
    )
    assert b.rejected(ledger, b.open_dispute("D1", "M4", "2025-01")).describe() == (
        "period: statement_not_issued: manager M4 has no issued statement of 2025-01 to dispute "
        "(manager M4 was not employed in 2025-01)"
    )


def test_a_manager_recorded_after_the_close_had_no_statement_issued(ledger: Ledger) -> None:
    # A close issues the statements of the managers the log knows then (R7.4).
    b.given(ledger, *JANUARY_CLOSED, b.hire("M5", hired_on="2025-01-01"))
    assert b.rejected(ledger, b.open_dispute("D1", "M5", "2025-01")).describe() == (
        "period: statement_not_issued: manager M5 has no issued statement of 2025-01 to dispute "
        "(manager M5 was recorded after 2025-01 was closed)"
    )


def test_a_dispute_of_an_unknown_manager_is_refused(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED)
    assert (
        b.rejected(ledger, b.open_dispute("D1", "M9")).describe()
        == "manager_id: unknown_manager: no manager 'M9' is known"
    )


def test_a_dispute_id_is_opened_once(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED, b.open_dispute("D1"))
    assert b.rejected(ledger, b.open_dispute("D1", "M2", id="dispute:D1:again")).describe() == (
        "dispute_id: dispute_exists: dispute D1 is already open"
    )


def test_an_upheld_dispute_is_resolved_with_its_amount(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED, b.open_dispute("D1"))
    assert b.applied_events(ledger, b.resolve_dispute("D1", amount="-35.50")) == [
        "Dispute.Resolved",
        "Receipt.Applied",
    ]
    dispute = b.state(ledger, "dispute", "D1")
    assert (dispute.outcome, dispute.resolved_on) == ("upheld", date(2025, 2, 20))


def test_a_rejected_dispute_is_resolved_without_an_amount(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED, b.open_dispute("D1"))
    assert b.applied_events(ledger, b.resolve_dispute("D1", "rejected", None)) == [
        "Dispute.Resolved",
        "Receipt.Applied",
    ]


def test_an_upheld_dispute_needs_an_amount(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED, b.open_dispute("D1"))
    assert b.rejected(ledger, b.resolve_dispute("D1", "upheld", None)).describe() == (
        "amount: amount_required_when_upheld: an upheld dispute needs the amount of performance pay it corrects"
    )


def test_a_rejected_dispute_names_no_amount(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED, b.open_dispute("D1"))
    assert b.rejected(ledger, b.resolve_dispute("D1", "rejected", "10.00")).describe() == (
        "amount: amount_not_allowed_when_rejected: a rejected dispute corrects nothing, yet names the amount 10.00"
    )


def test_the_amount_rules_are_the_messages_own_and_come_before_any_look_up(ledger: Ledger) -> None:
    assert (
        b.rejected(ledger, b.resolve_dispute("D9", "upheld", None)).rule
        == "amount_required_when_upheld"
    )


def test_an_unknown_dispute_is_not_resolved(ledger: Ledger) -> None:
    assert (
        b.rejected(ledger, b.resolve_dispute("D9")).describe()
        == "dispute_id: unknown_dispute: no dispute 'D9' is known"
    )


def test_a_dispute_is_resolved_once(ledger: Ledger) -> None:
    b.given(
        ledger, *JANUARY_CLOSED, b.open_dispute("D1"), b.resolve_dispute("D1", "rejected", None)
    )
    assert b.rejected(ledger, b.resolve_dispute("D1", "upheld", "50.00")).describe() == (
        "dispute_id: already_resolved: dispute D1 was already resolved (rejected) on 2025-02-20"
    )


def test_a_resolution_is_never_dated_before_the_opening(ledger: Ledger) -> None:
    b.given(ledger, *JANUARY_CLOSED, b.open_dispute("D1", opened_on="2025-02-05"))
    assert b.rejected(ledger, b.resolve_dispute("D1", resolved_on="2025-02-04")).describe() == (
        "resolved_on: resolved_before_opened: 2025-02-04 is before dispute D1 was opened on 2025-02-05"
    )
    b.given(ledger, b.resolve_dispute("D1", resolved_on="2025-02-05"))  # the same day is fine

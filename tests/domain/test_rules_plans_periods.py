"""Plans, periods and adjustments (docs/rules.md R3, R7.3, R7.4): a plan version is
published once with terms for every grade; a month is closed once, not before its last
day; awards are positive and refused for a closed month; compliance is ± but not 0."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from consumers.jsonl import ingest_files
from domain.ledger import APPLIED, REJECTED, Ledger
from tests import builders as b

# -- plans ----------------------------------------------------------------------------------------


def test_publishing_a_plan_stores_it(ledger: Ledger) -> None:
    assert b.applied_events(ledger, b.plan("2026", "2026-01-01")) == [
        "Plan.Published",
        "Receipt.Applied",
    ]
    plan = b.state(ledger, "plan", "2026")
    assert (plan.plan_version, plan.effective_from) == ("2026", date(2026, 1, 1))
    assert plan.version == 1  # the aggregate's own event version, not the plan's name


def test_the_published_terms_are_stored_as_sent(ledger: Ledger) -> None:
    b.given(ledger, b.plan("2026"))
    [notification] = [n for n in b.notifications(ledger) if n.topic.endswith("Plan.Published")]
    stored = ledger.mapper.to_domain_event(notification)
    assert stored.grades["senior"].commission_per_10k == Decimal("180")
    assert stored.prepay_ratio == Decimal("0.70")
    assert stored.activity_values["merchant"] == Decimal("300.00")


def test_a_plan_version_is_published_once(ledger: Ledger) -> None:
    b.given(ledger, b.plan("2026"))
    error = b.rejected(ledger, b.plan("2026", "2026-07-01", id="plan:2026:again"))
    assert error.describe() == "version: plan_version_exists: plan '2026' is already published"


def test_a_plan_without_every_grade_never_reaches_the_ledger(
    ledger: Ledger, tmp_path: Path
) -> None:
    plan = b.plan()
    del plan["grades"]["assistant"]
    path = tmp_path / "plan.jsonl"
    path.write_text(json.dumps(plan) + "\n")
    summary = ingest_files(ledger, [path])
    assert [(r.line, r.field, r.message) for r in summary.rejected] == [
        (1, "grades.assistant", "grades.assistant: missing_field: every grade must be given")
    ]
    assert b.notifications(ledger) == []


# -- closing a month --------------------------------------------------------------------------------


def test_closing_a_month_on_its_last_day_is_stored(ledger: Ledger) -> None:
    assert b.applied_events(ledger, b.close("2025-03", "2025-03-31")) == [
        "Period.Closed",
        "Receipt.Applied",
    ]
    period = b.state(ledger, "period", "2025-03")
    assert (period.period, period.closed_on) == ("2025-03", date(2025, 3, 31))


def test_a_month_is_closed_only_once(ledger: Ledger) -> None:
    b.given(ledger, b.close("2025-03", "2025-04-01"))
    error = b.rejected(ledger, b.close("2025-03", "2025-04-02", id="close:2025-03:again"))
    assert (
        error.describe()
        == "period: period_already_closed: 2025-03 was already closed on 2025-04-01"
    )


@pytest.mark.parametrize(
    ("period", "closed_on", "last_day"),
    [
        ("2025-03", "2025-03-30", "2025-03-31"),
        ("2024-02", "2024-02-28", "2024-02-29"),
        ("2025-12", "2025-12-01", "2025-12-31"),
    ],
)
def test_a_month_cannot_be_closed_before_its_last_day(
    ledger: Ledger, period: str, closed_on: str, last_day: str
) -> None:
    error = b.rejected(ledger, b.close(period, closed_on))
    assert error.describe() == (
        f"closed_on: closed_before_month_end: {period} cannot be closed on {closed_on}, before its last day {last_day}"
    )


def test_a_leap_february_closes_on_the_29th(ledger: Ledger) -> None:
    assert b.applied_events(ledger, b.close("2024-02", "2024-02-29")) == [
        "Period.Closed",
        "Receipt.Applied",
    ]


def test_a_month_outside_the_calendar_is_rejected_not_a_crash(ledger: Ledger) -> None:
    # "0000-01" has the shape of a month, but there is no year 0: the decoder refuses
    # it, so it never reaches the ledger (where it would crash month arithmetic).
    assert b.decode_error(b.close("0000-01", "2026-04-01")) == (
        "period: invalid_period: '0000-01' is not a month like \"2026-03\""
    )


# -- adjustments --------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["250.00", "-250.00"])
def test_a_compliance_adjustment_adds_or_deducts(ledger: Ledger, amount: str) -> None:
    b.given(ledger, b.hire("M1"))
    assert b.applied_events(ledger, b.adjust("M1", "2025-03", "compliance", amount)) == [
        "Adjustment.Recorded"
    ]


def test_a_compliance_adjustment_of_zero_is_rejected(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(ledger, b.adjust("M1", "2025-03", "compliance", "0.00"))
    assert error.describe() == "amount: compliance_zero: a compliance adjustment must not be 0"


def test_an_award_is_stored(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    assert b.applied_events(ledger, b.adjust("M1", "2025-03", "award", "5000.00")) == [
        "Adjustment.Recorded"
    ]


@pytest.mark.parametrize("amount", ["0.00", "-10.00"])
def test_an_award_must_be_positive(ledger: Ledger, amount: str) -> None:
    b.given(ledger, b.hire("M1"))
    error = b.rejected(ledger, b.adjust("M1", "2025-03", "award", amount))
    assert (
        error.describe()
        == f"amount: award_not_positive: an award must be greater than 0, got {amount}"
    )


def test_an_award_for_a_closed_month_is_refused(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.close("2025-03", "2025-04-01"))
    error = b.rejected(ledger, b.adjust("M1", "2025-03", "award", "5000.00"))
    assert error.describe() == (
        "period: period_closed: an award for 2025-03 cannot be recorded: the month was closed on 2025-04-01"
    )


def test_an_award_for_a_month_closed_earlier_in_the_same_batch_is_refused(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"))
    outcomes = b.send(
        ledger, b.close("2025-03", "2025-04-01"), b.adjust("M1", "2025-03", "award", "5000.00")
    )
    assert [o.status for o in outcomes] == [APPLIED, REJECTED]


def test_an_award_for_the_month_after_a_closed_one_is_stored(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1"), b.close("2025-03", "2025-04-01"))
    assert b.applied_events(ledger, b.adjust("M1", "2025-04", "award", "5000.00")) == [
        "Adjustment.Recorded"
    ]


def test_a_compliance_adjustment_for_a_closed_month_is_stored_for_the_true_up(
    ledger: Ledger,
) -> None:
    b.given(ledger, b.hire("M1"), b.close("2025-03", "2025-04-01"))
    assert b.applied_events(ledger, b.adjust("M1", "2025-03", "compliance", "-100.00")) == [
        "Adjustment.Recorded"
    ]


def test_an_adjustment_of_an_unknown_manager_is_rejected(ledger: Ledger) -> None:
    error = b.rejected(ledger, b.adjust("M9", "2025-03", "award", "10.00"))
    assert error.describe() == "manager_id: unknown_manager: no manager 'M9' is known"

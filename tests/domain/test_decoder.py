"""The contract decoder: every malformed message is refused with the field at fault,
a stable rule code and a sentence for people; nothing is ever rounded or guessed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from consumers.decoder import MAX_INTEGER_DIGITS, decode, message_id_of, parse_json
from domain import messages as m
from domain.errors import DecodeError
from domain.ledger import Ledger
from domain.values import ACTIVITY_KINDS, GRADES, GradeTerms
from projections.readmodel.loader import ReadModel
from tests import builders as b
from tests.stores import run_rmledger

EVERY_TYPE = {
    "plan.published": b.plan(),
    "manager.hired": b.hire("M1"),
    "manager.grade_changed": b.grade_change("M1", "senior", "2025-07-01"),
    "manager.departure_requested": b.request_departure("M1"),
    "manager.departure_approved": b.approve("M1", "hr"),
    "manager.departed": b.depart("M1"),
    "client.registered": b.register("C1"),
    "client.stage_changed": b.stage("C1", "active", "2025-02-01"),
    "assignment.assigned": b.assign("C1", "M1"),
    "assignment.released": b.release("C1", "M1"),
    "handover.opened": b.open_handover("H1", "M1", "M2", ["C1", "C2"]),
    "handover.witnessed": b.witness("H1", "LEAD1", "sub_branch_lead"),
    "handover.record_signed": b.sign("H1"),
    "handover.filed": b.file_handover("H1"),
    "posting.booked": b.book("P1", "C1"),
    "posting.reversed": b.reverse("P1"),
    "activity.recorded": b.activity("M1"),
    "loan.classified": b.classify("L1", "C1"),
    "balance.reported": b.report_balance("C1"),
    "adjustment.recorded": b.adjust("M1", "2025-03", "compliance", "-50.00"),
    "period.closed": b.close("2025-03", "2025-04-01"),
    # contract version 2, every optional field given (tests/domain/test_limits.py bounds them)
    "period.close_approved": b.sign_off("2025-03", "finance"),
    "branch.registered": b.register_branch("BR02", "BR01"),
    "plan.acknowledged": b.acknowledge("M1"),
    "dispute.opened": b.open_dispute("D1", posting_id="P1"),
    "dispute.resolved": b.resolve_dispute("D1"),
}
# Fields a message may leave out (docs/contract.md C1.2 "optional"); the plan's are not in
# EVERY_TYPE's plan, which is a version-1 plan.
OPTIONAL = {
    ("branch.registered", "parent_branch_id"),
    ("dispute.opened", "posting_id"),
    ("dispute.resolved", "amount"),
    ("plan.published", "close_approvals"),
    ("plan.published", "dispute_days"),
}

PLAIN_DECIMAL = (
    "is not a plain decimal (digits, optional sign and point; no exponent, NaN or infinity)"
)


error_of = b.decode_error


def with_literal(message: dict[str, Any], path: str, literal: str) -> str:
    """The message as JSON text with the value at ``path`` (``a.b.c``) replaced by a
    raw JSON literal such as ``1.5``, ``NaN`` or ``Infinity``."""
    copy = json.loads(json.dumps(message))
    *parents, leaf = path.split(".")
    target = copy
    for key in parents:
        target = target[key]
    target[leaf] = "@@LITERAL@@"
    return json.dumps(copy).replace('"@@LITERAL@@"', literal)


# -- well-formed messages -----------------------------------------------------------------


def test_every_message_type_of_the_contract_is_covered_by_these_tests() -> None:
    assert set(EVERY_TYPE) == set(m.MESSAGE_TYPES)


@pytest.mark.parametrize("message_type", sorted(EVERY_TYPE))
def test_a_well_formed_message_of_each_type_decodes_to_its_command(message_type: str) -> None:
    wire = EVERY_TYPE[message_type]
    decoded = decode(json.dumps(wire))
    assert type(decoded) is m.MESSAGE_TYPES[message_type]
    assert decoded.id == wire["id"]


def test_amounts_become_decimals_and_dates_become_dates_exactly_as_sent() -> None:
    posting = decode(json.dumps(b.book("P1", "C1", amount="1234.50", value_date="2026-03-05")))
    assert posting == m.PostingBooked(
        id="P1",
        client_id="C1",
        category="fee_income",
        amount=Decimal("1234.50"),
        value_date=date(2026, 3, 5),
    )
    assert str(posting.amount) == "1234.50"


def test_a_plan_decodes_with_terms_for_every_grade() -> None:
    plan = decode(json.dumps(b.plan(prepay_ratio="0.65", backup_share="0.125")))
    assert isinstance(plan, m.PlanPublished)
    assert plan.grades["principal"] == GradeTerms(
        Decimal("5000.00"), Decimal("1500.00"), Decimal("180"), Decimal("1.0")
    )
    assert (plan.prepay_ratio, plan.backup_share) == (Decimal("0.65"), Decimal("0.125"))
    assert plan.activity_values["merchant"] == Decimal("300.00")


def test_a_compliance_adjustment_may_be_negative() -> None:
    adjustment = decode(json.dumps(b.adjust("M1", "2025-03", "compliance", "-50.00")))
    assert adjustment.amount == Decimal("-50.00")  # type: ignore[attr-defined]


def test_a_handover_lists_its_clients_in_order() -> None:
    opened = decode(json.dumps(b.open_handover("H1", "M1", "M2", ["C2", "C1"])))
    assert opened.client_ids == ("C2", "C1")  # type: ignore[attr-defined]


# -- the envelope -----------------------------------------------------------------------------


def test_text_that_is_not_json_is_rejected() -> None:
    assert error_of('{"type": "manager.hired",') == (
        "invalid_json: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 26 (char 25))"
    )


def test_bytes_that_are_not_utf8_are_rejected_as_invalid_json() -> None:
    with pytest.raises(DecodeError) as caught:
        decode(b'{"type": "\xff"}')
    assert (caught.value.field, caught.value.rule) == (None, "invalid_json")


def test_a_message_must_be_an_object() -> None:
    assert error_of("[1, 2]") == "not_an_object: a message must be a JSON object, got a list"
    assert (
        error_of('"manager.hired"')
        == "not_an_object: a message must be a JSON object, got the string 'manager.hired'"
    )


def test_a_message_without_a_type_is_rejected() -> None:
    assert (
        error_of(b.without(b.hire("M1"), "type"))
        == "type: missing_field: every message needs a type"
    )


def test_a_message_of_an_unknown_type_is_rejected() -> None:
    assert error_of(b.hire("M1", type="manager.fired")) == (
        "type: unknown_type: 'manager.fired' is not a message type of the contract"
    )
    assert (
        error_of(b.hire("M1", type=7))
        == "type: unknown_type: 7 is not a message type of the contract"
    )


def test_an_unknown_field_is_rejected_naming_it() -> None:
    assert error_of(b.hire("M1", nickname="Xiao Li")) == (
        "nickname: unknown_field: manager.hired has no field 'nickname' (unknown fields are rejected)"
    )


def test_of_several_unknown_fields_the_first_in_alphabetical_order_is_named() -> None:
    assert error_of(b.hire("M1", zeta=1, alpha=2)).startswith("alpha: unknown_field:")


@pytest.mark.parametrize(
    ("message_type", "field"),
    [
        (t, f)
        for t, wire in sorted(EVERY_TYPE.items())
        for f in wire
        if f != "type" and (t, f) not in OPTIONAL
    ],
)
def test_every_field_of_every_message_is_required(message_type: str, field: str) -> None:
    assert error_of(b.without(EVERY_TYPE[message_type], field)) == (
        f"{field}: missing_field: {message_type} requires '{field}'"
    )


def test_the_id_is_read_for_error_reports_only_when_it_is_a_string() -> None:
    assert message_id_of(parse_json('{"id": "abc", "type": 1}')) == "abc"
    assert message_id_of(parse_json('{"id": 12}')) is None
    assert message_id_of(parse_json("[]")) is None


# -- text fields -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, "name: wrong_type: must be a JSON string, got the integer 42"),
        (None, "name: wrong_type: must be a JSON string, got null"),
        (True, "name: wrong_type: must be a JSON string, got a boolean"),
        (["Li"], "name: wrong_type: must be a JSON string, got a list"),
        ({"family": "Li"}, "name: wrong_type: must be a JSON string, got an object"),
        ("", "name: empty: must not be empty"),
        ("   ", "name: empty: must not be empty"),
    ],
)
def test_a_text_field_must_be_a_non_empty_string(value: Any, expected: str) -> None:
    assert error_of(b.hire("M1", name=value)) == expected


def test_a_text_field_rejects_a_json_number_with_a_fraction() -> None:
    assert error_of(with_literal(b.hire("M1"), "branch_id", "1.5")) == (
        "branch_id: wrong_type: must be a JSON string, got the number 1.5"
    )


def test_a_text_field_with_a_lone_surrogate_escape_is_rejected() -> None:
    # "\ud800" is valid JSON but no Unicode text: it could be neither hashed nor stored.
    with pytest.raises(DecodeError) as caught:
        decode(
            '{"type": "manager.hired", "id": "hire:M1", "manager_id": "M1", "name": "Li\\ud800", '
            '"branch_id": "BR01", "grade": "junior", "hired_on": "2025-01-01"}'
        )
    assert caught.value.field == "name"


def test_the_message_id_must_be_a_non_empty_string() -> None:
    assert (
        error_of(b.hire("M1", id=17)) == "id: wrong_type: must be a JSON string, got the integer 17"
    )
    assert error_of(b.hire("M1", id="")) == "id: empty: must not be empty"


# -- amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "shown"),
    [
        ("10.5", "10.5"),
        ("100.00", "100.00"),
        ("1e3", "1e3"),
        ("1E+3", "1E+3"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
    ],
)
def test_an_amount_sent_as_a_json_number_is_rejected_never_rounded(
    literal: str, shown: str
) -> None:
    assert error_of(with_literal(b.book("P1", "C1"), "amount", literal)) == (
        f"amount: wrong_type: must be a JSON string holding a decimal, got the number {shown}"
    )


def test_an_amount_sent_as_a_json_integer_is_rejected() -> None:
    assert error_of(with_literal(b.book("P1", "C1"), "amount", "100")) == (
        "amount: wrong_type: must be a JSON string holding a decimal, got the integer 100"
    )


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "1e3",
        "1E3",
        "1.5e2",
        "+10.00",
        "010.00",
        "10.",
        ".50",
        " 10.00",
        "10.00 ",
        "1,000.00",
        "10.00 CNY",
        "",
        "０１",
    ],
)
def test_an_amount_string_that_is_not_a_plain_decimal_is_rejected(text: str) -> None:
    assert (
        error_of(b.book("P1", "C1", amount=text))
        == f"amount: not_a_decimal: {text!r} {PLAIN_DECIMAL}"
    )


@pytest.mark.parametrize("text", ["10.00\n", "10.0\n", "5\n"])
def test_an_amount_string_with_a_trailing_newline_is_not_a_plain_decimal(text: str) -> None:
    # Python's ``$`` also matches before a final newline: "10.0\n" must not pass as 10.0.
    assert (
        error_of(b.book("P1", "C1", amount=text))
        == f"amount: not_a_decimal: {text!r} {PLAIN_DECIMAL}"
    )


@pytest.mark.parametrize(("text", "places"), [("10.005", 3), ("0.001", 3), ("99.1234", 4)])
def test_an_amount_with_more_than_two_decimals_is_rejected_not_rounded(
    text: str, places: int
) -> None:
    assert error_of(b.book("P1", "C1", amount=text)) == (
        f"amount: too_many_decimals: {text!r} has {places} decimal places; at most 2 are allowed"
    )


@pytest.mark.parametrize("text", ["0", "0.00", "-0.00", "-5.00"])
def test_a_posting_amount_must_be_greater_than_zero(text: str) -> None:
    assert (
        error_of(b.book("P1", "C1", amount=text))
        == f"amount: not_positive: must be greater than 0, got {text!r}"
    )


@pytest.mark.parametrize("text", ["0.01", "7", "12.5", "99999999999.99"])
def test_a_posting_amount_with_up_to_two_decimals_is_accepted(text: str) -> None:
    assert decode(json.dumps(b.book("P1", "C1", amount=text))).amount == Decimal(text)  # type: ignore[attr-defined]


def test_a_loan_balance_may_be_zero_but_not_negative() -> None:
    assert decode(json.dumps(b.classify("L1", "C1", balance="0.00"))).balance == Decimal("0")  # type: ignore[attr-defined]
    assert (
        error_of(b.classify("L1", "C1", balance="-1.00"))
        == "balance: negative: must not be negative, got '-1.00'"
    )


def test_a_reported_balance_must_not_be_negative() -> None:
    assert (
        error_of(b.report_balance("C1", balance="-0.01"))
        == "balance: negative: must not be negative, got '-0.01'"
    )


def test_an_adjustment_amount_follows_the_same_decimal_rules() -> None:
    adjustment = b.adjust("M1", "2025-03", "compliance", "-1.005")
    assert (
        error_of(adjustment)
        == "amount: too_many_decimals: '-1.005' has 3 decimal places; at most 2 are allowed"
    )
    assert error_of(with_literal(adjustment, "amount", "-1.5")) == (
        "amount: wrong_type: must be a JSON string holding a decimal, got the number -1.5"
    )


# -- dates and months ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2026-02-30", "2025-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "0000-01-01"]
)
def test_an_impossible_date_is_rejected(text: str) -> None:
    assert error_of(b.book("P1", "C1", value_date=text)) == (
        f"value_date: invalid_date: {text!r} is not a day of the calendar"
    )


def test_a_leap_day_of_a_leap_year_is_a_date() -> None:
    assert decode(json.dumps(b.book("P1", "C1", value_date="2024-02-29"))).value_date == date(
        2024, 2, 29
    )  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "2026-3-5",
        "20260305",
        "2026/03/05",
        "05-03-2026",
        "2026-03-05T00:00:00",
        "2026-03-05 ",
        "",
        "२०२६-०३-०५",
    ],
)
def test_a_date_not_written_yyyy_mm_dd_is_rejected(text: str) -> None:
    assert error_of(b.book("P1", "C1", value_date=text)) == (
        f'value_date: invalid_date: {text!r} is not a date "YYYY-MM-DD"'
    )


def test_a_date_with_a_trailing_newline_is_not_a_date() -> None:
    assert error_of(b.book("P1", "C1", value_date="2026-03-05\n")) == (
        "value_date: invalid_date: '2026-03-05\\n' is not a date \"YYYY-MM-DD\""
    )


def test_a_date_sent_as_a_number_is_rejected() -> None:
    assert error_of(b.hire("M1", hired_on=20250101)) == (
        'hired_on: wrong_type: must be a date string "YYYY-MM-DD", got the integer 20250101'
    )


@pytest.mark.parametrize(
    "text", ["2026-3", "2026-13", "2026-00", "2026-03-01", "2026-H1", "2026", "26-03", ""]
)
def test_a_period_must_be_a_month(text: str) -> None:
    assert (
        error_of(b.close(text, "2026-04-01"))
        == f'period: invalid_period: {text!r} is not a month like "2026-03"'
    )


def test_a_period_with_a_trailing_newline_is_not_a_month() -> None:
    assert error_of(b.close("2026-03\n", "2026-04-01", id="close:2026-03")) == (
        "period: invalid_period: '2026-03\\n' is not a month like \"2026-03\""
    )


@pytest.mark.parametrize("text", ["0000-01", "0000-12"])
def test_a_period_outside_the_calendar_is_rejected(text: str) -> None:
    # shaped like a month, but there is no year 0: later date arithmetic would crash on it
    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(b.adjust("M1", text, "award", "10.00")))
    assert (caught.value.field, caught.value.rule) == ("period", "invalid_period")


def test_a_period_sent_as_a_number_is_rejected() -> None:
    assert (
        error_of(b.adjust("M1", 202603, "award", "10.00"))
        == 'period: wrong_type: must be a JSON string like "2026-03"'
    )


# -- choices -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "field", "value", "choices"),
    [
        (b.hire("M1"), "grade", "expert", "assistant, junior, intermediate, senior, principal"),
        (b.request_departure("M1"), "kind", "retirement", "resignation, transfer, rotation"),
        (b.approve("M1", "hr"), "role", "ceo", "department_head, rm_office, hr"),
        (b.register("C1"), "kind", "government", "personal, corporate"),
        (
            b.stage("C1", "active", "2025-02-01"),
            "stage",
            "churned",
            "target, potential, active, dormant, lost",
        ),
        (b.assign("C1", "M1"), "role", "Primary", "primary, backup"),
        (b.assign("C1", "M1"), "origin", "bought", "acquired, inherited"),
        (b.release("C1", "M1"), "role", "owner", "primary, backup"),
        (
            b.witness("H1", "W1", "sub_branch_lead"),
            "witness_role",
            "friend",
            "sub_branch_lead, wealth_centre_head",
        ),
        (
            b.book("P1", "C1"),
            "category",
            "tips",
            "loan_interest, deposit_interest_income, fee_income, settlement_income, other_income, "
            "deposit_interest_expense, asset_cost, other_cost",
        ),
        (b.activity("M1"), "kind", "lottery", "credit_card, merchant, agency, market_info"),
        (
            b.classify("L1", "C1"),
            "category",
            "bad",
            "normal, special_mention, substandard, doubtful, loss",
        ),
        (
            b.report_balance("C1"),
            "product",
            "gold",
            "deposit, fund, wealth, loan_credit, loan_pledged, loan_secured, loan_housing",
        ),
        (b.adjust("M1", "2025-03", "award", "1.00"), "kind", "bonus", "compliance, award"),
    ],
)
def test_an_unknown_enum_value_is_rejected_listing_the_allowed_ones(
    message: dict[str, Any], field: str, value: str, choices: str
) -> None:
    assert (
        error_of({**message, field: value})
        == f"{field}: invalid_choice: {value!r} is not one of {choices}"
    )


def test_an_enum_value_must_be_a_string() -> None:
    assert (
        error_of(b.assign("C1", "M1", role=None))
        == "role: wrong_type: must be a JSON string, got null"
    )


# -- counts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("0", "count: not_positive: must be at least 1, got 0"),
        ("-2", "count: not_positive: must be at least 1, got -2"),
        ("1.0", "count: wrong_type: must be a JSON integer, got the number 1.0"),
        ("1e2", "count: wrong_type: must be a JSON integer, got the number 1e2"),
        ("NaN", "count: wrong_type: must be a JSON integer, got the number NaN"),
        ("true", "count: wrong_type: must be a JSON integer, got a boolean"),
        ('"3"', "count: wrong_type: must be a JSON integer, got the string '3'"),
    ],
)
def test_an_activity_count_is_a_positive_json_integer(literal: str, expected: str) -> None:
    assert error_of(with_literal(b.activity("M1"), "count", literal)) == expected


# -- lists of ids ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clients", "expected"),
    [
        ([], "client_ids: empty: must name at least one id"),
        ("C1", "client_ids: wrong_type: must be a JSON list of ids, got the string 'C1'"),
        (["C1", 2], "client_ids[1]: wrong_type: must be a JSON string, got the integer 2"),
        (
            ["C1", " "],
            "client_ids[1]: id_invalid: holds a space at position 1; an id has 1 to 64 printable "
            "characters without spaces or control characters",
        ),
        (["C1", "C2", "C1"], "client_ids[2]: duplicate_item: 'C1' is listed twice"),
    ],
)
def test_a_handover_names_each_client_once(clients: Any, expected: str) -> None:
    assert error_of(b.open_handover("H1", "M1", "M2", clients)) == expected


# -- the nested fields of a plan ----------------------------------------------------------------------------------


def _plan_without_grade(grade: str) -> dict[str, Any]:
    plan = b.plan()
    del plan["grades"][grade]
    return plan


def _plan_with(path: str, value: Any) -> dict[str, Any]:
    plan = b.plan()
    *parents, leaf = path.split(".")
    target = plan
    for key in parents:
        target = target[key]
    target[leaf] = value
    return plan


@pytest.mark.parametrize("grade", ["assistant", "junior", "intermediate", "senior", "principal"])
def test_a_plan_must_give_terms_for_every_grade(grade: str) -> None:
    assert (
        error_of(_plan_without_grade(grade))
        == f"grades.{grade}: missing_field: every grade must be given"
    )


def test_a_plan_must_not_name_an_unknown_grade() -> None:
    assert error_of(_plan_with("grades.trainee", b.grade_terms())) == (
        "grades.trainee: unknown_field: 'trainee' is not a grade of the contract"
    )


@pytest.mark.parametrize(
    "term", ["base_salary", "post_salary", "commission_per_10k", "coefficient"]
)
def test_a_plan_must_give_every_term_of_a_grade(term: str) -> None:
    plan = b.plan()
    del plan["grades"]["senior"][term]
    assert error_of(plan) == f"grades.senior.{term}: missing_field: every grade term must be given"


def test_a_plan_grade_must_not_carry_an_unknown_term() -> None:
    assert error_of(_plan_with("grades.junior.bonus", "1.00")) == (
        "grades.junior.bonus: unknown_field: 'bonus' is not a grade term of the contract"
    )


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("grades", [], "grades: wrong_type: must be a JSON object, got a list"),
        (
            "grades.junior",
            "5000.00",
            "grades.junior: wrong_type: must be a JSON object, got the string '5000.00'",
        ),
        (
            "grades.junior.base_salary",
            "-1.00",
            "grades.junior.base_salary: negative: must not be negative, got '-1.00'",
        ),
        (
            "grades.junior.post_salary",
            "1500.001",
            "grades.junior.post_salary: too_many_decimals: '1500.001' has 3 decimal places; at most 2 are allowed",
        ),
        (
            "grades.junior.commission_per_10k",
            "1e2",
            f"grades.junior.commission_per_10k: not_a_decimal: '1e2' {PLAIN_DECIMAL}",
        ),
        (
            "grades.junior.coefficient",
            "0",
            "grades.junior.coefficient: not_positive: must be greater than 0",
        ),
        (
            "grades.junior.coefficient",
            "1.0000001",
            "grades.junior.coefficient: too_many_decimals: '1.0000001' has 7 decimal places; at most 6 are allowed",
        ),
        ("prepay_ratio", "1.5", "prepay_ratio: out_of_range: must be between 0 and 1, got '1.5'"),
        ("backup_share", "-0.1", "backup_share: out_of_range: must be between 0 and 1, got '-0.1'"),
        ("backup_share", "NaN", f"backup_share: not_a_decimal: 'NaN' {PLAIN_DECIMAL}"),
        (
            "activity_values",
            "none",
            "activity_values: wrong_type: must be a JSON object, got the string 'none'",
        ),
        (
            "activity_values.merchant",
            "-300.00",
            "activity_values.merchant: negative: must not be negative, got '-300.00'",
        ),
        (
            "activity_values.lottery",
            "1.00",
            "activity_values.lottery: unknown_field: 'lottery' is not a activity kind of the contract",
        ),
    ],
)
def test_every_nested_plan_value_is_checked_and_named_by_its_path(
    path: str, value: Any, expected: str
) -> None:
    assert error_of(_plan_with(path, value)) == expected


def test_a_plan_must_value_every_activity_kind() -> None:
    plan = b.plan()
    del plan["activity_values"]["agency"]
    assert (
        error_of(plan) == "activity_values.agency: missing_field: every activity kind must be given"
    )


@pytest.mark.parametrize(
    ("path", "literal", "expected"),
    [
        (
            "grades.junior.coefficient",
            "1.1",
            "grades.junior.coefficient: wrong_type: must be a JSON string holding a decimal, got the number 1.1",
        ),
        (
            "grades.junior.base_salary",
            "NaN",
            "grades.junior.base_salary: wrong_type: must be a JSON string holding a decimal, got the number NaN",
        ),
        (
            "prepay_ratio",
            "0.7",
            "prepay_ratio: wrong_type: must be a JSON string holding a decimal, got the number 0.7",
        ),
        (
            "activity_values.credit_card",
            "Infinity",
            "activity_values.credit_card: wrong_type: must be a JSON string holding a decimal, got the number Infinity",
        ),
    ],
)
def test_a_nested_plan_number_sent_as_a_json_number_is_rejected(
    path: str, literal: str, expected: str
) -> None:
    assert error_of(with_literal(b.plan(), path, literal)) == expected


# -- input the JSON parser cannot read (issue 2) ------------------------------------------------------------


HUGE_DIGITS = MAX_INTEGER_DIGITS + 700


def test_a_json_integer_too_long_to_convert_is_invalid_json_not_a_crash() -> None:
    assert error_of("1" * HUGE_DIGITS) == (
        f"invalid_json: not valid JSON (an integer of {HUGE_DIGITS} digits; at most {MAX_INTEGER_DIGITS} are read)"
    )


def test_a_negative_integer_too_long_is_counted_without_its_sign() -> None:
    assert error_of(with_literal(b.activity("M1"), "count", "-" + "9" * HUGE_DIGITS)) == (
        f"invalid_json: not valid JSON (an integer of {HUGE_DIGITS} digits; at most {MAX_INTEGER_DIGITS} are read)"
    )


def test_an_integer_of_exactly_the_digit_limit_is_read_and_judged_by_its_field() -> None:
    longest = "9" * MAX_INTEGER_DIGITS
    assert error_of(with_literal(b.activity("M1"), "count", longest)) == (
        f"count: out_of_range: must be at most 1,000,000, got {longest}"
    )


def test_an_identity_number_sent_as_a_too_long_integer_is_not_echoed() -> None:
    error = error_of(with_literal(b.register("C1"), "id_number", b.ID_NUMBER * 300))
    assert (
        error
        == f"invalid_json: not valid JSON (an integer of {len(b.ID_NUMBER) * 300} digits; at most 4300 are read)"
    )


@pytest.mark.parametrize("opening", ["[", '{"a":'], ids=["arrays", "objects"])
def test_json_nested_too_deeply_is_invalid_json_not_a_crash(opening: str) -> None:
    # 10,000 levels: far deeper than the parser reads, and still within one message's 64 KiB
    assert (
        error_of(opening * 10_000)
        == "invalid_json: not valid JSON (arrays or objects nested too deeply to read)"
    )


def test_deep_nesting_inside_a_field_is_invalid_json_too() -> None:
    deep = "[" * 30_000 + "]" * 30_000
    assert error_of(with_literal(b.book("P1", "C1"), "amount", deep)) == (
        "invalid_json: not valid JSON (arrays or objects nested too deeply to read)"
    )


def test_any_other_value_error_of_the_parser_is_invalid_json_too() -> None:
    # An interpreter may run with a lower integer-digit limit than ours (the minimum
    # is 640): Python's own error then comes through, still as a rejection.
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        with pytest.raises(DecodeError) as caught:
            decode(with_literal(b.activity("M1"), "count", "7" * 1000))
    finally:
        sys.set_int_max_str_digits(previous)
    assert (caught.value.field, caught.value.rule) == (None, "invalid_json")
    assert caught.value.describe().startswith(
        "invalid_json: not valid JSON (Exceeds the limit (640 digits)"
    )


# -- a field given twice ------------------------------------------------------------------------------------------


DUPLICATE_SENTENCE = "is given more than once in one object (a repeated field is rejected, never resolved by taking one of the values)"


def _with_repeated(message: dict[str, Any], path: str, value: Any) -> str:
    """The message as JSON text where the object holding ``path`` gives its last key
    a second time, after the original, with ``value``."""
    *parents, leaf = path.split(".")
    marker = "@@REPEATED@@"
    copy = json.loads(json.dumps(message))
    target = copy
    for key in parents:
        target = target[key]
    target[marker] = None
    text = json.dumps(copy)
    return text.replace(f'"{marker}": null', f'"{leaf}": {json.dumps(value)}')


@pytest.mark.parametrize(
    ("message", "path", "value"),
    [
        (
            b.book("P1", "C1", amount="100.00"),
            "amount",
            "1000000.00",
        ),  # the last one would have won
        (b.book("P1", "C1", amount="100.00"), "amount", "100.00"),  # even with the same value
        (b.book("P1", "C1"), "id", "P2"),
        (b.book("P1", "C1"), "type", "posting.reversed"),
        (b.plan(), "grades.junior.base_salary", "99999.00"),
        (b.plan(), "grades.senior", b.grade_terms()),
        (b.plan(), "activity_values.merchant", "0.00"),
    ],
)
def test_a_field_given_twice_is_rejected_naming_it_by_its_path(
    message: dict[str, Any], path: str, value: Any
) -> None:
    leaf = path.rsplit(".", 1)[-1]
    assert (
        error_of(_with_repeated(message, path, value))
        == f"{path}: duplicate_field: {leaf!r} {DUPLICATE_SENTENCE}"
    )


def test_of_several_repeated_fields_the_first_given_a_second_time_is_named() -> None:
    raw = '{"type": "posting.reversed", "id": "R1", "posting_id": "P1", "reason": "x", "reason": "y", "id": "R2"}'
    assert error_of(raw) == f"reason: duplicate_field: 'reason' {DUPLICATE_SENTENCE}"


def test_a_repeated_identity_number_is_rejected_without_echoing_either_value() -> None:
    raw = _with_repeated(b.register("C1"), "id_number", "110101199001015678")
    error = error_of(raw)
    assert error == f"id_number: duplicate_field: 'id_number' {DUPLICATE_SENTENCE}"


def test_a_repeated_key_in_an_object_the_contract_does_not_read_is_reported_by_that_field() -> None:
    # The name must be a string: an object there is wrong, whatever its keys.
    raw = json.dumps(b.hire("M1")).replace(
        '"name": "Manager M1"', '"name": {"family": "Li", "family": "Wang"}'
    )
    assert '"family": "Wang"' in raw
    assert error_of(raw) == "name: wrong_type: must be a JSON string, got an object"


# -- upper limits of amounts, ratios and counts -------------------------------------------------------------------------


def _money_paths() -> list[tuple[str, str, str]]:
    """Every money field of every message type, from the contract's own field kinds:
    (message type, path, kind)."""
    paths = []
    for message_type, cls in sorted(m.MESSAGE_TYPES.items()):
        for field in attrs.fields(cls):
            kind = field.metadata["kind"]
            if kind.startswith("money_"):
                paths.append((message_type, field.name, kind))
            elif kind == "grades":
                paths += [
                    (message_type, f"grades.{g}.{t}", "money_nonnegative")
                    for g in GRADES
                    for t in ("base_salary", "post_salary", "commission_per_10k")
                ]
            elif kind == "activity_values":
                paths += [
                    (message_type, f"activity_values.{a}", "money_nonnegative")
                    for a in ACTIVITY_KINDS
                ]
    return paths


MONEY_PATHS = _money_paths()


def test_the_money_fields_found_are_every_amount_of_the_contract() -> None:
    # Guards the discovery above: docs/contract.md C1.2 names these amounts.
    top = {(t, p) for t, p, _ in MONEY_PATHS if "." not in p}
    assert top == {
        ("adjustment.recorded", "amount"),
        ("balance.reported", "balance"),
        ("loan.classified", "balance"),
        ("posting.booked", "amount"),
        ("dispute.resolved", "amount"),
    }
    assert len(MONEY_PATHS) == 5 + 5 * 3 + 4


def _set(message: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(message))
    *parents, leaf = path.split(".")
    target = copy
    for key in parents:
        target = target[key]
    target[leaf] = value
    return copy


LARGEST_AMOUNT = "9999999999999.99"


@pytest.mark.parametrize(("message_type", "path"), [(t, p) for t, p, _ in MONEY_PATHS])
def test_every_amount_of_every_message_is_below_ten_to_the_thirteen(
    message_type: str, path: str
) -> None:
    for text in ("10000000000000", "10000000000000.00", "123456789012345678.50"):
        digits = len(text.split(".")[0])
        assert error_of(_set(EVERY_TYPE[message_type], path, text)) == (
            f"{path}: amount_too_large: {text!r} has {digits} digits before the point; at most 13 are allowed "
            "(the size must be below 10,000,000,000,000)"
        )


# A commission per 10,000 yuan is also at most 10,000 (tests/domain/test_limits.py).
@pytest.mark.parametrize(
    ("message_type", "path"),
    [(t, p) for t, p, _ in MONEY_PATHS if not p.endswith("commission_per_10k")],
)
def test_the_largest_amount_the_read_model_holds_is_accepted_everywhere(
    message_type: str, path: str
) -> None:
    decoded = decode(json.dumps(_set(EVERY_TYPE[message_type], path, LARGEST_AMOUNT)))
    value: Any = decoded
    for key in path.split("."):
        value = value[key] if isinstance(value, dict) else getattr(value, key)
    assert value == Decimal(LARGEST_AMOUNT)


def test_a_negative_adjustment_is_bounded_the_same_way() -> None:
    assert error_of(b.adjust("M1", "2025-03", "compliance", "-10000000000000.00")) == (
        "amount: amount_too_large: '-10000000000000.00' has 14 digits before the point; at most 13 are allowed "
        "(the size must be below 10,000,000,000,000)"
    )
    largest = decode(json.dumps(b.adjust("M1", "2025-03", "compliance", "-" + LARGEST_AMOUNT)))
    assert largest.amount == Decimal("-" + LARGEST_AMOUNT)  # type: ignore[attr-defined]


def test_a_coefficient_is_bounded_by_the_ratio_column_of_the_read_model() -> None:
    plan = _set(b.plan(), "grades.junior.coefficient", "1000000000000.5")
    assert error_of(plan) == (
        "grades.junior.coefficient: out_of_range: '1000000000000.5' has 13 digits before the point; "
        "at most 12 are allowed (the size must be below 1,000,000,000,000)"
    )
    assert error_of(_set(b.plan(), "grades.junior.coefficient", "10.000001")) == (
        "grades.junior.coefficient: out_of_range: must be at most 10, got '10.000001'"
    )
    largest = "10.000000"
    decoded = decode(json.dumps(_set(b.plan(), "grades.junior.coefficient", largest)))
    assert decoded.grades["junior"].coefficient == Decimal(largest)  # type: ignore[attr-defined]


def test_the_digit_limit_is_checked_after_the_decimal_places() -> None:
    # Both broken: the third decimal place is reported, as for any other amount.
    assert error_of(b.book("P1", "C1", amount="100000000000000000.001")) == (
        "amount: too_many_decimals: '100000000000000000.001' has 3 decimal places; at most 2 are allowed"
    )


def test_an_activity_count_is_at_most_a_million() -> None:
    assert decode(json.dumps(b.activity("M1", count=1_000_000))).count == 1_000_000  # type: ignore[attr-defined]
    assert (
        error_of(b.activity("M1", count=1_000_001))
        == "count: out_of_range: must be at most 1,000,000, got 1000001"
    )


# -- through `rmledger ingest` -------------------------------------------------------------------------------------------------


def test_ingest_rejects_unreadable_repeated_and_oversized_lines_and_applies_the_rest(
    store: Any, tmp_path: Path, make_ledger: Callable[..., Ledger]
) -> None:
    path = tmp_path / "hostile.jsonl"
    lines = [
        json.dumps(b.register("C1")),  # 1 applied
        "1" * HUGE_DIGITS,  # 2 unreadable integer
        json.dumps(b.book("P1", "C1", "10.00")),  # 3 applied
        "[" * 30_000,  # 4 nested too deeply
        json.dumps(b.book("P2", "C1", "20.00")),  # 5 applied
        _with_repeated(b.book("P3", "C1", "30.00"), "amount", "3000000.00"),  # 6 repeated field
        json.dumps(b.book("P4", "C1", "100000000000000000.00")),  # 7 too large
        json.dumps(b.activity("M1", count=2_000_000)),  # 8 too many
        json.dumps(b.book("P5", "C1", LARGEST_AMOUNT)),  # 9 applied
    ]
    path.write_text("\n".join(lines) + "\n")
    result = run_rmledger(store, "ingest", str(path))
    assert result.stdout == (
        "applied: 4  duplicates: 0  rejected: 5\n"
        f"  {path}:2 [-] invalid_json: not valid JSON (an integer of {HUGE_DIGITS} digits; at most 4300 are read)\n"
        f"  {path}:4 [-] invalid_json: not valid JSON (arrays or objects nested too deeply to read)\n"
        f"  {path}:6 [P3] amount: duplicate_field: 'amount' {DUPLICATE_SENTENCE}\n"
        f"  {path}:7 [P4] amount: amount_too_large: '100000000000000000.00' has 18 digits before the point; "
        "at most 13 are allowed (the size must be below 10,000,000,000,000)\n"
        f"  {path}:8 [act:M1:credit_card:2025-02-10] count: out_of_range: must be at most 1,000,000, got 2000000\n"
    )
    assert (result.returncode, result.stderr) == (1, "")
    ledger = make_ledger()
    assert b.topics_since(ledger, 0) == [
        "Client.Registered",
        "Receipt.Applied",
        "Posting.Booked",
        "Posting.Booked",
        "Posting.Booked",
    ]
    assert [b.state(ledger, "posting", p).amount for p in ("P1", "P2", "P5")] == [
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal(LARGEST_AMOUNT),
    ]
    # The reason for the limit: the largest amount accepted still fits the read model.
    with ReadModel(tmp_path / "read.duckdb") as rm:
        rm.rebuild(ledger)
        stored = rm.conn.execute(
            "SELECT posting_id, amount FROM postings ORDER BY posting_id"
        ).fetchall()
    assert stored == [
        ("P1", Decimal("10.00")),
        ("P2", Decimal("20.00")),
        ("P5", Decimal(LARGEST_AMOUNT)),
    ]

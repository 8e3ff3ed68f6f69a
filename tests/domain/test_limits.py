"""Bounded at the door (docs/rules.md R2.5, docs/limits.md): every field of every message
type, at its limit (accepted) and one past it (rejected with the field, a stable rule
code and the limit in the sentence). The fields are found from the contract's own
field kinds (``domain/messages.py``), so a new field cannot go unbounded unnoticed."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest

from consumers.decoder import decode
from domain import messages as m
from domain.errors import DecodeError
from tests import builders as b
from tests.domain.test_decoder import EVERY_TYPE, with_literal

error_of = b.decode_error

ID_SENTENCE = "an id has 1 to 64 printable characters without spaces or control characters"


def _paths(kind: str) -> list[tuple[str, str]]:
    """(message type, field) of every field of the given kind."""
    return [
        (t, f.name)
        for t, cls in sorted(m.MESSAGE_TYPES.items())
        for f in attrs.fields(cls)
        if f.metadata["kind"] == kind
    ]


def _with(message_type: str, field: str, value: Any) -> dict[str, Any]:
    return {**EVERY_TYPE[message_type], field: value}


def _decoded(message: dict[str, Any], field: str) -> Any:
    return getattr(decode(json.dumps(message)), field)


def test_every_field_of_the_contract_has_a_bounded_kind() -> None:
    # Guards the discovery below: no field is plain, unbounded text any more.
    kinds = {f.metadata["kind"] for cls in m.MESSAGE_TYPES.values() for f in attrs.fields(cls)}
    assert kinds == {
        "id",
        "text",
        "id_number",
        "id_list",
        "date",
        "month",
        "choice",
        "money_positive",
        "money_nonnegative",
        "money_signed",
        "ratio",
        "count",
        "grades",
        "activity_values",
        "claim",
        "days",
        "role_list",
    }
    assert {p for _, p in _paths("text")} == {"name", "reason"}
    assert {p for _, p in _paths("id")} == {
        "id",
        "version",
        "approved_by",
        "approver_id",
        "branch_id",
        "client_id",
        "from_manager_id",
        "handover_id",
        "loan_id",
        "manager_id",
        "posting_id",
        "record_ref",
        "to_manager_id",
        "witness_id",
        "dispute_id",
        "parent_branch_id",
        "resolved_by",
    }
    assert (len(_paths("id")), len(_paths("date")), len(_paths("month"))) == (67, 25, 4)
    assert (_paths("claim"), _paths("days"), _paths("role_list")) == (
        [("dispute.opened", "claim")],
        [("plan.published", "dispute_days")],
        [("plan.published", "close_approvals")],
    )


# -- dates and periods --------------------------------------------------------------------------


@pytest.mark.parametrize(("message_type", "field"), _paths("date"))
def test_a_business_date_is_between_1970_and_2099(message_type: str, field: str) -> None:
    # given the first and last day of the range: accepted as they are
    assert _decoded(_with(message_type, field, "1970-01-01"), field) == date(1970, 1, 1)
    assert _decoded(_with(message_type, field, "2099-12-31"), field) == date(2099, 12, 31)
    # one day past either end: rejected, naming the field and the range
    assert error_of(_with(message_type, field, "1969-12-31")) == (
        f"{field}: date_out_of_range: 1969-12-31 is outside 1970-01-01 to 2099-12-31"
    )
    assert error_of(_with(message_type, field, "2100-01-01")) == (
        f"{field}: date_out_of_range: 2100-01-01 is outside 1970-01-01 to 2099-12-31"
    )


def test_the_far_future_date_that_hung_queries_is_rejected() -> None:
    assert error_of(b.book("P1", "C1", value_date="9999-12-31")) == (
        "value_date: date_out_of_range: 9999-12-31 is outside 1970-01-01 to 2099-12-31"
    )


@pytest.mark.parametrize(("message_type", "field"), _paths("month"))
def test_a_period_is_between_1970_01_and_2099_12(message_type: str, field: str) -> None:
    assert _decoded(_with(message_type, field, "1970-01"), field) == "1970-01"
    assert _decoded(_with(message_type, field, "2099-12"), field) == "2099-12"
    assert error_of(_with(message_type, field, "1969-12")) == (
        f"{field}: date_out_of_range: 1969-12 is outside 1970-01 to 2099-12"
    )
    assert error_of(_with(message_type, field, "2100-01")) == (
        f"{field}: date_out_of_range: 2100-01 is outside 1970-01 to 2099-12"
    )


# -- ids ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message_type", "field"), _paths("id"))
def test_an_id_has_1_to_64_printable_characters(message_type: str, field: str) -> None:
    longest = "客" + "x" * 62 + "9"  # characters, not bytes, are counted
    assert _decoded(_with(message_type, field, longest), field) == longest
    assert _decoded(_with(message_type, field, "Z"), field) == "Z"
    assert error_of(_with(message_type, field, longest + "0")) == (
        f"{field}: id_invalid: has 65 characters; an id has 1 to 64 printable characters"
    )
    assert error_of(_with(message_type, field, "")) == f"{field}: empty: must not be empty"


@pytest.mark.parametrize(("message_type", "field"), _paths("id"))
@pytest.mark.parametrize(
    ("value", "what", "at"),
    [
        ("M 1", "a space", 2),
        ("M1\t", "the character U+0009", 3),
        ("\x1b[31mM1", "the character U+001B", 1),
        ("M1\n", "the character U+000A", 3),
        ("M\u202e1", "the character U+202E", 2),
        ("M\u00a01", "the character U+00A0", 2),
    ],
)
def test_an_id_holds_no_space_or_control_character(
    message_type: str, field: str, value: str, what: str, at: int
) -> None:
    assert (
        error_of(_with(message_type, field, value))
        == f"{field}: id_invalid: holds {what} at position {at}; {ID_SENTENCE}"
    )


def test_every_client_id_of_a_handover_is_an_id() -> None:
    ok = b.open_handover("H1", "M1", "M2", ["C1", "x" * 64])
    assert decode(json.dumps(ok)).client_ids == ("C1", "x" * 64)  # type: ignore[attr-defined]
    assert error_of(b.open_handover("H1", "M1", "M2", ["C1", "C\x002"])) == (
        f"client_ids[1]: id_invalid: holds the character U+0000 at position 2; {ID_SENTENCE}"
    )
    assert error_of(b.open_handover("H1", "M1", "M2", ["x" * 65])) == (
        "client_ids[0]: id_invalid: has 65 characters; an id has 1 to 64 printable characters"
    )


# -- identity numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["12345678", "A" * 32, "11010119900307123X", "E12345678"])
def test_an_identity_number_of_8_to_32_letters_and_digits_is_accepted(value: str) -> None:
    assert _decoded(b.register("C1", id_number=value), "id_number") == value


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ("1234567", "got 7 characters"),
        ("1" * 33, "got 33 characters"),
        ("1234", "got 4 characters"),
        ("1101011990-0307", "got 15 characters, not all letters and digits"),
        ("110101 199003071", "got 16 characters, not all letters and digits"),
        ("１２３４５６７８", "got 8 characters, not all letters and digits"),  # full-width digits
    ],
)
def test_an_identity_number_is_8_to_32_letters_and_digits(value: str, got: str) -> None:
    error = error_of(b.register("C1", id_number=value))
    assert (
        error
        == f"id_number: id_number_invalid: an identity number has 8 to 32 letters and digits ({got})"
    )
    assert value not in error  # personal data is never echoed


# -- names, reasons -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message_type", "field"), _paths("text"))
def test_text_is_at_most_200_characters(message_type: str, field: str) -> None:
    longest = "王" * 100 + "a" * 100
    assert _decoded(_with(message_type, field, longest), field) == longest
    assert error_of(_with(message_type, field, longest + "b")) == (
        f"{field}: text_too_long: has 201 characters; at most 200 are allowed"
    )


@pytest.mark.parametrize(("message_type", "field"), _paths("text"))
@pytest.mark.parametrize(
    ("value", "code", "at"),
    [
        ("line one\nline two", "U+000A", 9),
        ("\x1b]0;owned\x07", "U+001B", 1),
        ("tab\there", "U+0009", 4),
        ("rtl \u202eevil", "U+202E", 5),
        ("del\x7f", "U+007F", 4),
        ("para\u2029", "U+2029", 5),
    ],
)
def test_text_holds_no_control_character(
    message_type: str, field: str, value: str, code: str, at: int
) -> None:
    assert error_of(_with(message_type, field, value)) == (
        f"{field}: control_character: holds the control character {code} at position {at}; text may hold none"
    )


def test_a_claim_is_at_most_2000_characters() -> None:
    longest = "申" * 1000 + "a" * 1000
    assert _decoded(_with("dispute.opened", "claim", longest), "claim") == longest
    assert error_of(_with("dispute.opened", "claim", longest + "b")) == (
        "claim: text_too_long: has 2,001 characters; at most 2000 are allowed"
    )
    assert error_of(_with("dispute.opened", "claim", "a\nb")) == (
        "claim: control_character: holds the control character U+000A at position 2; text may hold none"
    )
    assert error_of(_with("dispute.opened", "claim", " ")) == "claim: empty: must not be empty"


def test_a_plans_dispute_days_is_1_to_365() -> None:
    assert _decoded(b.plan(dispute_days=1), "dispute_days") == 1
    assert _decoded(b.plan(dispute_days=365), "dispute_days") == 365
    assert (
        error_of(b.plan(dispute_days=0))
        == "dispute_days: out_of_range: must be 1 to 365 days, got 0"
    )
    assert (
        error_of(b.plan(dispute_days=366))
        == "dispute_days: out_of_range: must be 1 to 365 days, got 366"
    )
    assert (
        error_of(b.plan(dispute_days="30"))
        == "dispute_days: wrong_type: must be a JSON integer, got the string '30'"
    )
    assert (
        error_of(b.plan(dispute_days=True))
        == "dispute_days: wrong_type: must be a JSON integer, got a boolean"
    )
    assert error_of(with_literal(b.plan(), "dispute_days", "30.0")) == (
        "dispute_days: wrong_type: must be a JSON integer, got the number 30.0"
    )


def test_a_plans_close_approvals_name_each_of_the_four_roles_at_most_once() -> None:
    every = ["hr", "finance", "performance_office", "branch_head"]
    assert _decoded(b.plan(close_approvals=every), "close_approvals") == tuple(every)
    assert _decoded(b.plan(close_approvals=[]), "close_approvals") == ()
    assert (
        error_of(b.plan(close_approvals=[*every, "hr"]))
        == "close_approvals[4]: duplicate_item: 'hr' is listed twice"
    )
    assert error_of(b.plan(close_approvals=["finance", "cfo"])) == (
        "close_approvals[1]: invalid_choice: 'cfo' is not one of branch_head, performance_office, finance, hr"
    )
    assert error_of(b.plan(close_approvals="finance")) == (
        "close_approvals: wrong_type: must be a JSON list of roles, got the string 'finance'"
    )
    assert (
        error_of(b.plan(close_approvals=[7]))
        == "close_approvals[0]: wrong_type: must be a JSON string, got the integer 7"
    )


def test_text_keeps_ordinary_spaces_and_any_script() -> None:
    name = "欧阳　娜娜 O'Brien-Smith"  # an ideographic space is a space, not a control character
    assert _decoded(b.hire("M1", name=name), "name") == name


# -- amounts, ratios, counts ------------------------------------------------------------------------------


def test_an_amount_at_the_limit_is_accepted_and_one_fen_more_is_not() -> None:
    assert _decoded(b.book("P1", "C1", amount="9999999999999.99"), "amount") == Decimal(
        "9999999999999.99"
    )
    assert error_of(b.book("P1", "C1", amount="10000000000000.00")) == (
        "amount: amount_too_large: '10000000000000.00' has 14 digits before the point; at most 13 are allowed "
        "(the size must be below 10,000,000,000,000)"
    )


def test_a_negative_compliance_amount_is_bounded_the_same_way() -> None:
    assert _decoded(b.adjust("M1", "2025-03", "compliance", "-9999999999999.99"), "amount") == (
        Decimal("-9999999999999.99")
    )
    assert error_of(b.adjust("M1", "2025-03", "compliance", "-10000000000000.00")) == (
        "amount: amount_too_large: '-10000000000000.00' has 14 digits before the point; at most 13 are allowed "
        "(the size must be below 10,000,000,000,000)"
    )


def _plan_with(path: str, value: str) -> dict[str, Any]:
    plan = b.plan()
    grade, term = path.split(".")
    plan["grades"] = {**plan["grades"], grade: {**plan["grades"][grade], term: value}}
    return plan


def test_a_commission_per_10000_is_at_most_the_whole_profit() -> None:
    decoded = decode(json.dumps(_plan_with("senior.commission_per_10k", "10000.00")))
    assert decoded.grades["senior"].commission_per_10k == Decimal("10000.00")  # type: ignore[attr-defined]
    assert error_of(_plan_with("senior.commission_per_10k", "10000.01")) == (
        "grades.senior.commission_per_10k: out_of_range: must be at most 10,000 (the whole profit), got '10000.01'"
    )


def test_a_coefficient_is_greater_than_0_and_at_most_10() -> None:
    decoded = decode(json.dumps(_plan_with("principal.coefficient", "10")))
    assert decoded.grades["principal"].coefficient == Decimal("10")  # type: ignore[attr-defined]
    assert error_of(_plan_with("principal.coefficient", "10.000001")) == (
        "grades.principal.coefficient: out_of_range: must be at most 10, got '10.000001'"
    )
    assert error_of(_plan_with("principal.coefficient", "0")) == (
        "grades.principal.coefficient: not_positive: must be greater than 0"
    )


@pytest.mark.parametrize("field", ["prepay_ratio", "backup_share"])
def test_a_plan_ratio_is_between_0_and_1(field: str) -> None:
    assert _decoded(b.plan(**{field: "1"}), field) == Decimal("1")
    assert _decoded(b.plan(**{field: "0"}), field) == Decimal("0")
    assert (
        error_of(b.plan(**{field: "1.000001"}))
        == f"{field}: out_of_range: must be between 0 and 1, got '1.000001'"
    )


def test_an_activity_count_is_1_to_a_million() -> None:
    assert _decoded(b.activity("M1", count=1_000_000), "count") == 1_000_000
    assert _decoded(b.activity("M1", count=1), "count") == 1
    assert (
        error_of(b.activity("M1", count=1_000_001))
        == "count: out_of_range: must be at most 1,000,000, got 1000001"
    )
    assert error_of(b.activity("M1", count=0)) == "count: not_positive: must be at least 1, got 0"


# -- one message ---------------------------------------------------------------------------------------------


def _padded(size: int) -> str:
    """A posting of exactly ``size`` bytes of JSON (padded with whitespace, which JSON ignores)."""
    text = json.dumps(b.book("P1", "C1"))
    return text[:-1] + " " * (size - len(text.encode())) + "}"


def test_a_message_of_64_kib_is_read_and_one_byte_more_is_not() -> None:
    assert decode(_padded(65_536)).id == "P1"
    assert error_of(_padded(65_537)) == (
        "message_too_large: the message has 65,537 bytes; one message is at most 65,536 bytes (64 KiB)"
    )
    assert decode(_padded(65_536).encode()).id == "P1"  # as a Kafka record value: bytes
    with pytest.raises(DecodeError) as caught:
        decode(_padded(65_537).encode())
    assert (caught.value.field, caught.value.rule) == (None, "message_too_large")


def test_a_message_is_measured_in_bytes_not_characters() -> None:
    # 30,000 three-byte characters: 30,000 characters but 90,000 bytes
    reason = json.dumps(b.reverse("P1", reason="冲" * 30_000), ensure_ascii=False)
    assert error_of(reason).startswith("message_too_large: the message has 90,0")


def test_a_50_mb_reason_is_rejected_before_it_is_parsed() -> None:
    message = json.dumps(b.reverse("P1", reason="x" * 50_000_000))
    assert error_of(message) == (
        f"message_too_large: the message has {len(message):,} bytes; one message is at most 65,536 bytes (64 KiB)"
    )


# -- the messages of issue 14 that passed every rule and then broke every later command ----------


def test_the_amounts_that_overflowed_the_read_side_are_rejected_at_the_door() -> None:
    # two postings of 9999999999999999.99 then a close overflowed an Arrow decimal; a loss
    # loan of 15 digits overflowed DuckDB in the charge: now neither is accepted
    assert error_of(b.book("P1", "C1", amount="9999999999999999.99")) == (
        "amount: amount_too_large: '9999999999999999.99' has 16 digits before the point; at most 13 are allowed "
        "(the size must be below 10,000,000,000,000)"
    )
    assert error_of(b.classify("L1", "C1", "loss", balance="999999999999999.00")) == (
        "balance: amount_too_large: '999999999999999.00' has 15 digits before the point; at most 13 are allowed "
        "(the size must be below 10,000,000,000,000)"
    )
    # (the largest amounts accepted compute everywhere: tests/domain/test_limits_extreme.py)

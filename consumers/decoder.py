"""One decoder for the contract: a JSON object (a JSONL line or a Kafka record value)
becomes a typed ``domain.messages`` command, or a ``DecodeError`` naming the field,
the rule and the value. Used by ``rmledger ingest`` and by the Kafka consumer alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from domain import limits
from domain import values as v
from domain.errors import DecodeError, json_kind, mask
from domain.messages import MESSAGE_TYPES, Message
from domain.money import parse_decimal, parse_money

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RATIO_PLACES = 6


class _JsonNumber:
    """A JSON number with a fraction or exponent; kept as text so that a float
    never comes into being and the error can quote what was sent."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _reject_constant(text: str) -> _JsonNumber:
    return _JsonNumber(text)  # NaN, Infinity, -Infinity: reported as a wrong type


# Python refuses to turn longer digit strings into an int (CVE-2020-10735); the limit
# is ours, so the error text does not depend on the interpreter's settings.
MAX_INTEGER_DIGITS = 4300


def _parse_int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INTEGER_DIGITS:
        raise DecodeError(
            None,
            "invalid_json",
            f"not valid JSON (an integer of {digits} digits; at most {MAX_INTEGER_DIGITS} are read)",
        )
    return int(text)


class _RepeatedKeys(dict[str, Any]):
    """A JSON object that named a key more than once. The decoder rejects it where an
    object of the contract is read (the message, a plan's grades and activity values),
    so the error can name the field by its path; last-one-wins is never applied."""

    def __init__(self, pairs: list[tuple[str, Any]], repeated: str) -> None:
        super().__init__(pairs)
        self.repeated = repeated


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _RepeatedKeys(pairs, key)  # the first key given a second time
        seen.add(key)
    return obj


def _reject_repeated(obj: dict[str, Any], prefix: str = "") -> None:
    if isinstance(obj, _RepeatedKeys):
        raise DecodeError(
            f"{prefix}{obj.repeated}",
            "duplicate_field",
            f"{obj.repeated!r} is given more than once in one object (a repeated field is rejected, "
            "never resolved by taking one of the values)",
        )


# One parser for every message (json.loads would build one per call, with these hooks).
_JSON = json.JSONDecoder(
    parse_float=_JsonNumber,
    parse_int=_parse_int,
    parse_constant=_reject_constant,
    object_pairs_hook=_object,
)


def parse_json(raw: bytes | str) -> Any:
    """Parse JSON without ever producing a float; any input that cannot be read
    (bad syntax or encoding, an integer too long to convert, nesting too deep for the
    parser) is a ``DecodeError`` with the rule ``invalid_json``, never another exception.
    A message over ``limits.MAX_MESSAGE_BYTES`` is ``message_too_large``, unread."""
    if (
        len(raw) > limits.MAX_MESSAGE_BYTES // 4
    ):  # a str of this many characters may be that many bytes
        size = (
            len(raw)
            if isinstance(raw, bytes | bytearray)
            else len(raw.encode("utf-8", "surrogatepass"))
        )
        if size > limits.MAX_MESSAGE_BYTES:
            raise limits.message_too_large(size)
    try:
        if not isinstance(raw, str):  # as json.loads reads bytes: UTF-8, -16 or -32
            raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
        return _JSON.decode(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(None, "invalid_json", f"not valid JSON ({exc})") from None
    except RecursionError:
        # The C parser recurses once per level; Python's recursion limit (about 1,000
        # levels) stops it. No message of the contract nests more than three levels.
        raise DecodeError(
            None, "invalid_json", "not valid JSON (arrays or objects nested too deeply to read)"
        ) from None
    except ValueError as exc:
        # A safety net: an interpreter started with a lower integer-digit limit, or
        # whatever else json raises, must still be a rejection and not a crash.
        raise DecodeError(None, "invalid_json", f"not valid JSON ({exc})") from None


def message_id_of(obj: Any) -> str | None:
    """The message's ``id`` when it can be read, for error reports."""
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return str(obj["id"])
    return None


def decode(raw: bytes | str) -> Message:
    """Decode one raw message. Raises ``DecodeError`` on anything off-contract."""
    return decode_object(parse_json(raw))


def decode_object(obj: Any) -> Message:
    """Validate a parsed JSON value against the contract and build the message."""
    if not isinstance(obj, dict):
        raise DecodeError(
            None, "not_an_object", f"a message must be a JSON object, got {json_kind(obj)}"
        )
    _reject_repeated(obj)
    if "type" not in obj:
        raise DecodeError("type", "missing_field", "every message needs a type")
    message_type = obj["type"]
    cls = MESSAGE_TYPES.get(message_type) if isinstance(message_type, str) else None
    if cls is None:
        raise DecodeError(
            "type",
            "unknown_type",
            f"{message_type!r} is not a message type of the contract",
            message_type,
        )
    specs, known = _field_specs(cls)
    if not obj.keys() <= known:
        unknown = sorted(obj.keys() - known)
        raise DecodeError(
            unknown[0],
            "unknown_field",
            f"{message_type} has no field {unknown[0]!r} (unknown fields are rejected)",
            obj[unknown[0]],
        )
    kwargs: dict[str, Any] = {}
    for name, (parser, choices, optional) in specs.items():
        if name not in obj:
            if optional:
                continue
            raise DecodeError(name, "missing_field", f"{message_type} requires {name!r}")
        kwargs[name] = parser(obj[name], name, choices)
    return cls(**kwargs)


FieldSpec = tuple[Callable[[Any, str, tuple[str, ...]], Any], tuple[str, ...], bool]
_FIELD_SPECS: dict[type[Message], tuple[dict[str, FieldSpec], frozenset[str]]] = {}


def _field_specs(cls: type[Message]) -> tuple[dict[str, FieldSpec], frozenset[str]]:
    """Each field's parser, choices and optionality, and every key the message may
    have (its fields and ``type``), read from the class's metadata once: decoding
    runs for every message ingested."""
    found = _FIELD_SPECS.get(cls)
    if found is None:
        specs = {
            f.name: (
                _PARSERS[f.metadata["kind"]],
                f.metadata.get("choices", ()),
                bool(f.metadata.get("optional")),
            )
            for f in attrs.fields(cls)
        }
        found = _FIELD_SPECS[cls] = (specs, frozenset(specs) | {"type"})
    return found


# Fields holding personal data: an error names them but never echoes their value.
PERSONAL_FIELDS = frozenset({"id_number"})


def _text(
    value: Any, field: str, _: tuple[str, ...], max_chars: int = limits.MAX_TEXT_CHARS
) -> str:
    personal = field in PERSONAL_FIELDS
    if not isinstance(value, str):
        raise DecodeError(
            field,
            "wrong_type",
            f"must be a JSON string, got {json_kind(value, personal)}",
            mask(value) if personal else value,
        )
    if not value.strip():
        raise DecodeError(field, "empty", "must not be empty", value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DecodeError(
            field, "invalid_text", "holds a lone surrogate escape that is not a character", None
        ) from None
    return limits.check_text(value, field, max_chars)


def _claim(value: Any, field: str, choices: tuple[str, ...]) -> str:
    """A dispute's claim: text of at most ``limits.MAX_CLAIM_CHARS`` characters."""
    return _text(value, field, choices, limits.MAX_CLAIM_CHARS)


def _id(value: Any, field: str, _: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON string, got {json_kind(value)}", value
        )
    if not value:
        raise DecodeError(field, "empty", "must not be empty", value)
    return limits.check_id(value, field)


def _id_number(value: Any, field: str, _: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON string, got {json_kind(value, True)}", mask(value)
        )
    return limits.check_id_number(value, field)


def parse_date(value: Any, field: str, _: tuple[str, ...] = ()) -> date:
    """An ISO business date ``YYYY-MM-DD`` that exists in the calendar."""
    if not isinstance(value, str):
        raise DecodeError(
            field,
            "wrong_type",
            f'must be a date string "YYYY-MM-DD", got {json_kind(value)}',
            value,
        )
    if not _ISO_DATE.fullmatch(value):
        raise DecodeError(field, "invalid_date", f'{value!r} is not a date "YYYY-MM-DD"', value)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise DecodeError(
            field, "invalid_date", f"{value!r} is not a day of the calendar", value
        ) from None
    return limits.check_date(day, field)


def _choice(value: Any, field: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON string, got {json_kind(value)}", value
        )
    if value not in choices:
        raise DecodeError(
            field, "invalid_choice", f"{value!r} is not one of {', '.join(choices)}", value
        )
    return value


def _money_positive(value: Any, field: str, _: tuple[str, ...]) -> Decimal:
    amount = parse_money(value, field)
    if amount <= 0:
        raise DecodeError(field, "not_positive", f"must be greater than 0, got {value!r}", value)
    return amount


def _money_nonnegative(value: Any, field: str, _: tuple[str, ...]) -> Decimal:
    amount = parse_money(value, field)
    if amount < 0:
        raise DecodeError(field, "negative", f"must not be negative, got {value!r}", value)
    return amount


def _money_signed(value: Any, field: str, _: tuple[str, ...]) -> Decimal:
    return parse_money(value, field)


def _ratio(value: Any, field: str, _: tuple[str, ...]) -> Decimal:
    ratio = parse_decimal(value, field, places=RATIO_PLACES)
    if not Decimal("0") <= ratio <= Decimal("1"):
        raise DecodeError(field, "out_of_range", f"must be between 0 and 1, got {value!r}", value)
    return ratio


def _month(value: Any, field: str, _: tuple[str, ...]) -> str:
    return limits.check_month(v.parse_month(value, field), field)


# More activities than this in one message is a feed error, not a month's work; the
# bound also keeps every count inside the read model's INTEGER column (domain/limits.py).
MAX_ACTIVITY_COUNT = limits.MAX_ACTIVITY_COUNT


def _count(value: Any, field: str, _: tuple[str, ...]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON integer, got {json_kind(value)}", value
        )
    if value < 1:
        raise DecodeError(field, "not_positive", f"must be at least 1, got {value}", value)
    if value > MAX_ACTIVITY_COUNT:
        raise DecodeError(
            field, "out_of_range", f"must be at most {MAX_ACTIVITY_COUNT:,}, got {value}", value
        )
    return value


def _days(value: Any, field: str, _: tuple[str, ...]) -> int:
    """A number of days, ``limits.MIN_DISPUTE_DAYS`` to ``limits.MAX_DISPUTE_DAYS``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON integer, got {json_kind(value)}", value
        )
    if not limits.MIN_DISPUTE_DAYS <= value <= limits.MAX_DISPUTE_DAYS:
        raise DecodeError(
            field,
            "out_of_range",
            f"must be {limits.MIN_DISPUTE_DAYS} to {limits.MAX_DISPUTE_DAYS} days, got {value}",
            value,
        )
    return value


def _role_list(value: Any, field: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    """An ordered list of distinct roles from ``choices`` (it may be empty: no role)."""
    if not isinstance(value, list):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON list of roles, got {json_kind(value)}", value
        )
    roles = tuple(_choice(item, f"{field}[{i}]", choices) for i, item in enumerate(value))
    for i, role in enumerate(roles):
        if role in roles[:i]:
            raise DecodeError(f"{field}[{i}]", "duplicate_item", f"{role!r} is listed twice", role)
    return roles


def _id_list(value: Any, field: str, _: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON list of ids, got {json_kind(value)}", value
        )
    if not value:
        raise DecodeError(field, "empty", "must name at least one id", value)
    items = tuple(_id(item, f"{field}[{i}]", ()) for i, item in enumerate(value))
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item in seen:
            raise DecodeError(f"{field}[{i}]", "duplicate_item", f"{item!r} is listed twice", item)
        seen.add(item)
    return items


def _exact_keys(value: Any, field: str, expected: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON object, got {json_kind(value)}", value
        )
    _reject_repeated(value, f"{field}.")
    for key in expected:
        if key not in value:
            raise DecodeError(f"{field}.{key}", "missing_field", f"every {what} must be given")
    for key in value:
        if key not in expected:
            raise DecodeError(
                f"{field}.{key}",
                "unknown_field",
                f"{key!r} is not a {what} of the contract",
                value[key],
            )
    return value


def _grades(value: Any, field: str, _: tuple[str, ...]) -> dict[str, v.GradeTerms]:
    grades = _exact_keys(value, field, v.GRADES, "grade")
    terms: dict[str, v.GradeTerms] = {}
    for grade in v.GRADES:
        where = f"{field}.{grade}"
        row = _exact_keys(
            grades[grade],
            where,
            ("base_salary", "post_salary", "commission_per_10k", "coefficient"),
            "grade term",
        )
        coefficient = parse_decimal(row["coefficient"], f"{where}.coefficient", places=RATIO_PLACES)
        if coefficient <= 0:
            raise DecodeError(
                f"{where}.coefficient", "not_positive", "must be greater than 0", row["coefficient"]
            )
        if coefficient > limits.MAX_COEFFICIENT:
            raise DecodeError(
                f"{where}.coefficient",
                "out_of_range",
                f"must be at most {limits.MAX_COEFFICIENT}, got {row['coefficient']!r}",
                row["coefficient"],
            )
        base_salary = _money_nonnegative(row["base_salary"], f"{where}.base_salary", ())
        post_salary = _money_nonnegative(row["post_salary"], f"{where}.post_salary", ())
        commission = _money_nonnegative(
            row["commission_per_10k"], f"{where}.commission_per_10k", ()
        )
        if commission > limits.MAX_COMMISSION_PER_10K:
            raise DecodeError(
                f"{where}.commission_per_10k",
                "out_of_range",
                f"must be at most {limits.MAX_COMMISSION_PER_10K:,} (the whole profit), got {row['commission_per_10k']!r}",
                row["commission_per_10k"],
            )
        terms[grade] = v.GradeTerms(base_salary, post_salary, commission, coefficient)
    return terms


def _activity_values(value: Any, field: str, _: tuple[str, ...]) -> dict[str, Decimal]:
    kinds = _exact_keys(value, field, v.ACTIVITY_KINDS, "activity kind")
    return {
        kind: _money_nonnegative(kinds[kind], f"{field}.{kind}", ()) for kind in v.ACTIVITY_KINDS
    }


_PARSERS: dict[str, Callable[[Any, str, tuple[str, ...]], Any]] = {
    "text": _text,
    "claim": _claim,
    "days": _days,
    "role_list": _role_list,
    "id": _id,
    "id_number": _id_number,
    "date": parse_date,
    "choice": _choice,
    "money_positive": _money_positive,
    "money_nonnegative": _money_nonnegative,
    "money_signed": _money_signed,
    "ratio": _ratio,
    "month": _month,
    "count": _count,
    "id_list": _id_list,
    "grades": _grades,
    "activity_values": _activity_values,
}

"""Money and decimal parsing: the one way a string becomes a Decimal.

Amounts are CNY with at most two decimal places. Floats, NaN, infinities, exponents
and a third decimal place are rejected, never rounded.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.errors import DecodeError, json_kind

FEN = Decimal("0.01")
ZERO = Decimal("0")

_PLAIN_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


def parse_decimal(value: Any, field: str, *, places: int) -> Decimal:
    """Parse a JSON string holding a plain decimal with at most ``places`` decimals."""
    if not isinstance(value, str):
        raise DecodeError(
            field, "wrong_type", f"must be a JSON string holding a decimal, got {json_kind(value)}", value
        )
    if not _PLAIN_DECIMAL.fullmatch(value):
        raise DecodeError(
            field,
            "not_a_decimal",
            f"{value!r} is not a plain decimal (digits, optional sign and point; "
            "no exponent, NaN or infinity)",
            value,
        )
    decimals = len(value.split(".", 1)[1]) if "." in value else 0
    if decimals > places:
        raise DecodeError(
            field,
            "too_many_decimals",
            f"{value!r} has {decimals} decimal places; at most {places} are allowed",
            value,
        )
    return Decimal(value)


def parse_money(value: Any, field: str) -> Decimal:
    """Parse an amount in yuan: a JSON string with at most 2 decimal places."""
    return parse_decimal(value, field, places=2)


def money(text: str) -> Decimal:
    """A Decimal from a literal string, for code and tests: ``money("12.50")``."""
    return Decimal(text)


def round_fen(amount: Decimal) -> Decimal:
    """Round to 0.01 with ROUND_HALF_UP: only when a pay line is produced."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)

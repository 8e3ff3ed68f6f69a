"""Money and decimal parsing: the one way a string becomes a Decimal.

Amounts are CNY with at most two decimal places. Floats, NaN, infinities, exponents
and a third decimal place are rejected, never rounded. Every value is also bounded by
docs/rules.md R2.5 and the read model's column types (``projections/readmodel/schema.py``): an amount
has at most ``MONEY_INTEGER_DIGITS`` (13) digits before the point, a ratio or
coefficient at most ``RATIO_INTEGER_DIGITS`` (``DECIMAL(18,6)``), so that nothing the
write side stores can make a rebuild of the read model fail.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.errors import DecodeError, json_kind
from domain.limits import AMOUNT_INTEGER_DIGITS

FEN = Decimal("0.01")
ZERO = Decimal("0")

_PLAIN_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


# Amounts are below 10^13 yuan (docs/rules.md R2.5, ``domain.limits``); the read model stores
# them as DECIMAL(18,2) and sums them in DECIMAL(38,x).
MONEY_INTEGER_DIGITS = AMOUNT_INTEGER_DIGITS
# DECIMAL(18,6) keeps 12 digits before the point, for ratios and coefficients.
RATIO_INTEGER_DIGITS = 12


def parse_decimal(
    value: Any,
    field: str,
    *,
    places: int,
    integer_digits: int = RATIO_INTEGER_DIGITS,
    too_large: str = "out_of_range",
) -> Decimal:
    """Parse a JSON string holding a plain decimal with at most ``places`` decimals
    and at most ``integer_digits`` digits before the point (rule ``too_large`` beyond)."""
    if not isinstance(value, str):
        raise DecodeError(
            field,
            "wrong_type",
            f"must be a JSON string holding a decimal, got {json_kind(value)}",
            value,
        )
    if not _PLAIN_DECIMAL.fullmatch(value):
        raise DecodeError(
            field,
            "not_a_decimal",
            f"{value!r} is not a plain decimal (digits, optional sign and point; "
            "no exponent, NaN or infinity)",
            value,
        )
    whole, _, fraction = value.partition(".")
    decimals = len(fraction)
    if decimals > places:
        raise DecodeError(
            field,
            "too_many_decimals",
            f"{value!r} has {decimals} decimal places; at most {places} are allowed",
            value,
        )
    # No leading zeros pass the pattern, so the length is the number of digits.
    digits = len(whole) - whole.startswith("-")
    if digits > integer_digits:
        raise DecodeError(
            field,
            too_large,
            f"{value!r} has {digits} digits before the point; at most {integer_digits} are allowed "
            f"(the size must be below {10**integer_digits:,})",
            value,
        )
    return Decimal(value)


def parse_money(value: Any, field: str) -> Decimal:
    """Parse an amount in yuan: a JSON string with at most 2 decimal places and at
    most ``MONEY_INTEGER_DIGITS`` digits before the point."""
    return parse_decimal(
        value, field, places=2, integer_digits=MONEY_INTEGER_DIGITS, too_large="amount_too_large"
    )


def money(text: str) -> Decimal:
    """A Decimal from a literal string, for code and tests: ``money("12.50")``."""
    return Decimal(text)


def round_fen(amount: Decimal) -> Decimal:
    """Round to 0.01 with ROUND_HALF_UP: only when a pay line is produced."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)

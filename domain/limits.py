"""The limits of docs/rules.md R2.5, defined once: what the ledger accepts it must be able
to compute with, forever, so every input is bounded at the door (``consumers.decoder``)
and rejected naming the field, a stable rule code and the limit.

docs/limits.md lists every limit with its rule code and the reason for it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from domain.errors import DecodeError

# One message (a JSON Lines line without its line ending, or a Kafka record value).
MAX_MESSAGE_BYTES = 64 * 1024

# Amounts and balances: at most 13 digits before the point (below 10^13 yuan).
AMOUNT_INTEGER_DIGITS = 13
AMOUNT_LIMIT = Decimal(10) ** AMOUNT_INTEGER_DIGITS

# Business dates and periods (months).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2099, 12, 31)
FIRST_MONTH = "1970-01"
LAST_MONTH = "2099-12"

# Ids: 1-64 printable characters, no spaces or control characters.
MAX_ID_CHARS = 64
# Identity numbers: 8-32 ASCII letters and digits.
MIN_ID_NUMBER_CHARS = 8
MAX_ID_NUMBER_CHARS = 32
# Names, reasons and other text.
MAX_TEXT_CHARS = 200
# A dispute's claim: the manager's own account of what is wrong.
MAX_CLAIM_CHARS = 2000
# A plan's ``dispute_days``: at least a day, at most a year, so an overdue date is
# always a date of the calendar the read side can compute.
MIN_DISPUTE_DAYS = 1
MAX_DISPUTE_DAYS = 365

# Activities in one message: more is a feed error, not a month's work. With a plan's
# activity value below 10^13, one activity line is below 10^19 yuan, which the read
# side's DECIMAL(38,8) sums hold with room for 10^11 such lines.
MAX_ACTIVITY_COUNT = 1_000_000
# A plan's commission per 10,000 yuan of weighted profit: at most the whole profit.
MAX_COMMISSION_PER_10K = Decimal(10_000)
# A grade's coefficient: greater than 0 and at most 10.
MAX_COEFFICIENT = Decimal(10)

# Unicode categories rejected in text: controls (Cc: tab, newline, escape, ...), format
# characters (Cf: bidirectional overrides, zero-width characters, which make a report
# show other text than what is stored), line and paragraph separators (Zl, Zp), and
# lone surrogates (Cs), which are no characters at all. Private-use characters stay
# allowed: some banks' systems spell rare characters of names with them.
_REJECTED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


# The usual cases, decided by one regular expression: ASCII text's only bad characters
# are C0 controls and DEL; an ASCII id is 1-64 characters from "!" to "~".
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ASCII_ID = re.compile(f"[!-~]{{1,{MAX_ID_CHARS}}}")


def _bad_character(value: str) -> tuple[int, str] | None:
    """The first character text may not hold (index, ``U+XXXX``), or None."""
    if value.isascii():
        found = _ASCII_CONTROL.search(value)
        return None if found is None else (found.start(), f"U+{ord(found.group()):04X}")
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in _REJECTED_CATEGORIES:
            return i, f"U+{ord(ch):04X}"
    return None


def check_text(value: str, field: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Names, reasons and other text: at most ``max_chars`` characters (after the
    ``empty`` check of the decoder), no control characters."""
    if len(value) > max_chars:
        raise DecodeError(
            field,
            "text_too_long",
            f"has {len(value):,} characters; at most {max_chars} are allowed",
            None,
        )
    bad = _bad_character(value)
    if bad is not None:
        raise DecodeError(
            field,
            "control_character",
            f"holds the control character {bad[1]} at position {bad[0] + 1}; text may hold none",
            None,
        )
    return value


def check_id(value: str, field: str) -> str:
    """An id: 1-64 printable characters, no spaces or control characters."""
    if _ASCII_ID.fullmatch(value):
        return value
    if len(value) > MAX_ID_CHARS:
        raise DecodeError(
            field,
            "id_invalid",
            f"has {len(value):,} characters; an id has 1 to {MAX_ID_CHARS} printable characters",
            None,
        )
    for i, ch in enumerate(value):
        if ch.isspace() or not ch.isprintable():
            what = (
                "a space" if ch.isspace() and ch.isprintable() else f"the character U+{ord(ch):04X}"
            )
            raise DecodeError(
                field,
                "id_invalid",
                f"holds {what} at position {i + 1}; an id has 1 to {MAX_ID_CHARS} printable characters "
                "without spaces or control characters",
                None,
            )
    return value


def check_id_number(value: str, field: str) -> str:
    """An identity number: 8-32 ASCII letters and digits. The value is personal data:
    the error gives its length, never its characters."""
    if not (
        MIN_ID_NUMBER_CHARS <= len(value) <= MAX_ID_NUMBER_CHARS
        and value.isascii()
        and value.isalnum()
    ):
        raise DecodeError(
            field,
            "id_number_invalid",
            f"an identity number has {MIN_ID_NUMBER_CHARS} to {MAX_ID_NUMBER_CHARS} letters and digits "
            f"(got {len(value)} characters{'' if value.isascii() and value.isalnum() else ', not all letters and digits'})",
            None,
        )
    return value


def check_date(day: date, field: str) -> date:
    """A business date between 1970-01-01 and 2099-12-31."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DecodeError(
            field,
            "date_out_of_range",
            f"{day.isoformat()} is outside {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}",
            day.isoformat(),
        )
    return day


def check_month(period: str, field: str) -> str:
    """A month period between 1970-01 and 2099-12."""
    if not FIRST_MONTH <= period <= LAST_MONTH:
        raise DecodeError(
            field, "date_out_of_range", f"{period} is outside {FIRST_MONTH} to {LAST_MONTH}", period
        )
    return period


def message_too_large(size: int) -> DecodeError:
    """The error for a message of ``size`` bytes over ``MAX_MESSAGE_BYTES``."""
    return DecodeError(
        None,
        "message_too_large",
        f"the message has {size:,} bytes; one message is at most {MAX_MESSAGE_BYTES:,} bytes (64 KiB)",
    )

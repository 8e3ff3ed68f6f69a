"""Numbers written for people: money with thousands separators and a true minus sign,
sums written out term by term, ratios as percentages.

Only for text meant to be read (``pay explain``, the Markdown and HTML audit); JSON
keeps plain 2-decimal strings. Every figure is rounded ROUND_HALF_UP through
``projections.pay.rules.rounded`` (docs/rules.md R2.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from projections.pay.rules import rounded

MINUS = "\u2212"  # −, so that a sum never reads "+ -24352.64"


def amount(value: Decimal | str, places: int = 2) -> str:
    """``value`` to ``places`` decimals with thousands separators: ``24,352.64``, ``−3,000.00``."""
    shown = rounded(Decimal(value), places)
    text = f"{abs(shown) if shown == 0 else shown:,}"  # never "−0.00"
    return MINUS + text[1:] if text.startswith("-") else text


def terms(values: Sequence[Decimal | str], places: int = 2) -> str:
    """A sum written out: ``118.07 + 11.96``, ``288.00 − 126.00``; a first negative term
    keeps its sign (``−3,000.00 + 600.00``)."""
    out = ""
    for i, value in enumerate(values):
        shown = amount(value, places)
        negative = shown.startswith(MINUS)
        if i == 0:
            out = shown
        else:
            out += f" {MINUS} {shown[1:]}" if negative else f" + {shown}"
    return out or amount(Decimal(0), places)


def difference(first: Decimal | str, *subtracted: Decimal | str) -> str:
    """``first − b − c`` written out: ``10,000.00 − 3,000.00 − 0.00``; a negative ``b``
    is added back (``− (−500.00)`` is written ``+ 500.00``)."""
    out = amount(first)
    for value in subtracted:
        shown = amount(value)
        out += f" + {shown[1:]}" if shown.startswith(MINUS) else f" {MINUS} {shown}"
    return out


def percent(numerator: Decimal, denominator: Decimal) -> str | None:
    """``numerator / denominator`` as a percentage to 2 places (``25.00%``), rounded
    once from the exact quotient; None when the denominator is 0."""
    if not denominator:
        return None
    return f"{rounded(Decimal(numerator) * 100 / Decimal(denominator), 2)}%"


def ratio(value: Decimal | str) -> str:
    """A share or weight without trailing zeros: ``1``, ``0.3``, ``0.942603``."""
    text = format(Decimal(value).normalize(), "f")
    return text

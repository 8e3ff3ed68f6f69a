"""Money in integer fen and calendar months: the generator's small arithmetic helpers."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

DAY = timedelta(days=1)


def yuan(fen: int) -> str:
    """Integer fen as a contract amount: ``123450`` -> ``"1234.50"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_key(day: date) -> str:
    """The contract's month period of ``day``: ``2025-03``."""
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def fraction(amount: int, per_100k: int) -> int:
    """``amount * per_100k / 100,000`` in integers (rates in thousandths of a percent)."""
    return amount * per_100k // 100_000

"""Value objects and the fixed vocabularies of docs/rules.md.

Choices are plain strings in events (so the read model can read them as text);
the tuples here are the only values a message may carry.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from decimal import Decimal

import attrs

from domain.errors import DecodeError

GRADES = ("assistant", "junior", "intermediate", "senior", "principal")
DEPARTURE_KINDS = ("resignation", "transfer", "rotation")
APPROVAL_ROLES = ("department_head", "rm_office", "hr")  # in the order they must approve
CLIENT_KINDS = ("personal", "corporate")
STAGES = ("target", "potential", "active", "dormant", "lost")
ROLES = ("primary", "backup")
ORIGINS = ("acquired", "inherited")
WITNESS_ROLES = ("sub_branch_lead", "wealth_centre_head")
ACTIVITY_KINDS = ("credit_card", "merchant", "agency", "market_info")
LOAN_CATEGORIES = ("normal", "special_mention", "substandard", "doubtful", "loss")
PRODUCTS = (
    "deposit",
    "fund",
    "wealth",
    "loan_credit",
    "loan_pledged",
    "loan_secured",
    "loan_housing",
)
ADJUSTMENT_KINDS = ("compliance", "award")
# Who may sign off a month before its close (docs/rules.md R7.5); a plan's
# ``close_approvals`` names some of them, in the order they must sign.
SIGN_OFF_ROLES = ("branch_head", "performance_office", "finance", "hr")
DISPUTE_OUTCOMES = ("upheld", "rejected")  # docs/rules.md R7.6

# Posting categories: category -> (class, sign). docs/rules.md R6.1.
CATEGORIES: dict[str, tuple[str, str]] = {
    "loan_interest": ("loan", "income"),
    "deposit_interest_income": ("deposit", "income"),
    "fee_income": ("fee", "income"),
    "settlement_income": ("settlement", "income"),
    "other_income": ("other", "income"),
    "deposit_interest_expense": ("deposit", "cost"),
    "asset_cost": ("loan", "cost"),
    "other_cost": ("other", "cost"),
}
PROFIT_CLASSES = ("loan", "deposit", "fee", "settlement", "other")

# Required provision rate per five-category classification. docs/rules.md R6.4.
PROVISION_RATES: dict[str, Decimal] = {
    "normal": Decimal("0"),
    "special_mention": Decimal("0"),
    "substandard": Decimal("0.30"),
    "doubtful": Decimal("0.50"),
    "loss": Decimal("1.00"),
}
NON_PERFORMING = ("substandard", "doubtful", "loss")

# A year of business, in days (docs/rules.md R7.1): an acquired client's business is new
# for fewer than this many days after its first_served_on, and the age in years of
# stock is its age in days divided by this.
DAYS_PER_YEAR = 365

# Highest client maintenance level a grade serves (docs/rules.md R5.10 grade fit), expressed
# as (highest tier, highest maintenance level).
GRADE_FIT: dict[str, tuple[str, str]] = {
    "assistant": ("potential", "manager"),
    "junior": ("vip", "manager"),
    "intermediate": ("vip", "sub_branch"),
    "senior": ("vip", "branch"),
    "principal": ("vip", "branch"),
}


@attrs.frozen
class GradeTerms:
    """What one grade is paid under a compensation plan."""

    base_salary: Decimal
    post_salary: Decimal
    commission_per_10k: Decimal
    coefficient: Decimal


DEFAULT_PLAN_VERSION = "default"
DEFAULT_PLAN_EFFECTIVE_FROM = date(2020, 1, 1)
DEFAULT_GRADE_TERMS: dict[str, GradeTerms] = {
    "assistant": GradeTerms(Decimal("4000.00"), Decimal("1000.00"), Decimal("150"), Decimal("0.8")),
    "junior": GradeTerms(Decimal("5000.00"), Decimal("1500.00"), Decimal("180"), Decimal("1.0")),
    "intermediate": GradeTerms(
        Decimal("6500.00"), Decimal("2500.00"), Decimal("200"), Decimal("1.1")
    ),
    "senior": GradeTerms(Decimal("8000.00"), Decimal("3500.00"), Decimal("220"), Decimal("1.2")),
    "principal": GradeTerms(
        Decimal("10000.00"), Decimal("5000.00"), Decimal("250"), Decimal("1.3")
    ),
}
DEFAULT_PREPAY_RATIO = Decimal("0.70")
# How many days a dispute may stay open when the plan does not say (docs/rules.md R7.6).
DEFAULT_DISPUTE_DAYS = 30
DEFAULT_BACKUP_SHARE = Decimal("0")
DEFAULT_ACTIVITY_VALUES: dict[str, Decimal] = {
    "credit_card": Decimal("50.00"),
    "merchant": Decimal("300.00"),
    "agency": Decimal("200.00"),
    "market_info": Decimal("100.00"),
}

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def parse_month(value: object, field: str) -> str:
    """Validate a month period ``YYYY-MM`` and return it unchanged."""
    if not isinstance(value, str):
        raise DecodeError(field, "wrong_type", 'must be a JSON string like "2026-03"', value)
    if not _MONTH.fullmatch(value) or value.startswith("0000"):
        raise DecodeError(
            field, "invalid_period", f'{value!r} is not a month like "2026-03"', value
        )
    return value


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of a month period ``YYYY-MM``."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def month_of(day: date) -> str:
    """The month period a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def half_of(period: str) -> str:
    """The half a month belongs to: ``2026-03`` -> ``2026-H1``."""
    return f"{period[:4]}-H{1 if int(period[5:7]) <= 6 else 2}"


def next_month(period: str) -> str:
    """The month after ``period``."""
    _, last = month_bounds(period)
    return month_of(last + timedelta(days=1))

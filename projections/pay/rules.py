"""The pay rules of docs/rules.md R7 as small pure functions over Decimals.

Nothing here reads a table: the read model aggregates, these functions decide.
Amounts are not rounded until a pay line is produced (``round_fen``, ROUND_HALF_UP).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.money import round_fen
from domain.values import DAYS_PER_YEAR

ZERO = Decimal(0)
ONE = Decimal(1)
K0_FLOOR = Decimal("0.8")
K0_DECAY = Decimal("0.05")


@dataclass
class ClassFigures:
    """One class's credited amounts for a manager and month, split stock/new."""

    income_stock: Decimal = ZERO
    cost_stock: Decimal = ZERO
    charge_stock: Decimal = ZERO
    income_new: Decimal = ZERO
    cost_new: Decimal = ZERO
    charge_new: Decimal = ZERO
    stock_income_age_days: Decimal = ZERO  # Σ amount × age in days, stock income only

    def add(
        self, is_new: bool, income: Decimal, cost: Decimal, charge: Decimal, age_days: Decimal
    ) -> None:
        if is_new:
            self.income_new += income
            self.cost_new += cost
            self.charge_new += charge
        else:
            self.income_stock += income
            self.cost_stock += cost
            self.charge_stock += charge
            self.stock_income_age_days += age_days

    @property
    def p0(self) -> Decimal:
        """Stock profit P0_i = stock income − stock cost − stock loss charge."""
        return self.income_stock - self.cost_stock - self.charge_stock

    @property
    def p1(self) -> Decimal:
        """New profit P1_i."""
        return self.income_new - self.cost_new - self.charge_new

    @property
    def profit(self) -> Decimal:
        return self.p0 + self.p1

    @property
    def n(self) -> Decimal:
        """Income-weighted average age (years) of stock income; 0 without stock income."""
        return stock_age(self.stock_income_age_days, self.income_stock)


def rounded(value: Decimal, places: int = 2) -> Decimal:
    """``value`` rounded to ``places`` decimals, ROUND_HALF_UP, for display.

    Goes through ``round_fen`` (the project's one rounding helper, docs/rules.md R2.2) by
    shifting the decimal point, so that k0, ages and money are all rounded one way;
    ``Decimal.quantize`` alone would round half-even.
    """
    shift = places - 2
    return round_fen(value.scaleb(shift)).scaleb(-shift)


def stock_age(amount_age_days: Decimal, stock_income: Decimal) -> Decimal:
    """n_i = Σ(amount × days) / (365 × Σ amount); 0 when there is no stock income."""
    if stock_income <= 0:
        return ZERO
    return amount_age_days / (DAYS_PER_YEAR * stock_income)


def k0(n: Decimal) -> Decimal:
    """k0_i = max(0.8, 1 − 0.05 × n_i): the stock weight, never rounded."""
    return max(K0_FLOOR, ONE - K0_DECAY * n)


def weighted_profit(classes: dict[str, ClassFigures]) -> Decimal:
    """WP = Σ_i (k0_i × P0_i + P1_i)."""
    return sum((k0(c.n) * c.p0 + c.p1 for c in classes.values()), ZERO)


def performance_earned(wp: Decimal, commission_per_10k: Decimal, coefficient: Decimal) -> Decimal:
    """PP = WP × commission / 10000 × coefficient (not rounded)."""
    return wp * commission_per_10k / Decimal(10000) * coefficient


def prepayment(pp: Decimal, ratio: Decimal) -> Decimal:
    """prepay = round(r × max(0, PP))."""
    return round_fen(ratio * max(ZERO, pp))


def settlement(pps: Iterable[Decimal], prepays: Iterable[Decimal]) -> Decimal:
    """settle_H = round(max(0, Σ PP)) − Σ prepay (may be negative)."""
    return round_fen(max(ZERO, sum(pps, ZERO))) - sum(prepays, ZERO)


def prorated(amount: Decimal, days_employed: int, days_in_month: int) -> Decimal:
    """A monthly salary for the days employed, rounded to the fen."""
    if days_employed >= days_in_month:
        return round_fen(amount)
    return round_fen(amount * Decimal(days_employed) / Decimal(days_in_month))


def days_employed(year: int, month: int, hired_on: date, departed_on: date | None) -> int:
    """Days of the month between hire and departure, both included."""
    last = calendar.monthrange(year, month)[1]
    first_day, last_day = date(year, month, 1), date(year, month, last)
    start = max(first_day, hired_on)
    end = min(last_day, departed_on) if departed_on else last_day
    return max(0, (end - start).days + 1)


@dataclass
class TrueUp:
    """The running true-up of §7.3: due_m = Σ_{k≤m} E_k − Σ_{k<m} paid_k."""

    entitled: Decimal = ZERO
    paid: Decimal = ZERO

    def month(self, entitlement: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        """(prior_true_up, due, paid-now) for a month with entitlement E."""
        prior = self.entitled - self.paid
        self.entitled += entitlement
        due = self.entitled - self.paid
        return prior, due, max(ZERO, due)

    def record_paid(self, paid: Decimal) -> None:
        """What the month actually paid (its issued figure, when closed)."""
        self.paid += paid


@dataclass(frozen=True)
class RunningState:
    """What a manager's months carry into a month from the months before it: the
    running true-up's two sums (kept apart, as ``TrueUp`` keeps them, so that a month
    computed from here has exactly the figures of one computed from the hire) and the
    earned PP and prepayments of the half so far."""

    entitled: Decimal
    paid: Decimal
    half_pp: tuple[Decimal, ...]
    half_prepay: tuple[Decimal, ...]


def half_true_up(
    pps: Sequence[Decimal], ratio: Decimal = Decimal("0.70")
) -> list[dict[str, Decimal]]:
    """A half of months with earned PP and no compliance, settled in its last month,
    paid as it goes: for tests and documentation (Example C)."""
    out: list[dict[str, Decimal]] = []
    running = TrueUp()
    prepays: list[Decimal] = []
    for i, pp in enumerate(pps):
        pre = prepayment(pp, ratio)
        prepays.append(pre)
        settle = settlement(pps[: i + 1], prepays) if i == len(pps) - 1 else ZERO
        prior, due, paid = running.month(pre + settle)
        running.record_paid(paid)
        out.append(
            {
                "pp": pp,
                "prepayment": pre,
                "settlement": settle,
                "prior_true_up": prior,
                "due": due,
                "paid": paid,
                "clawback": max(ZERO, -due),
            }
        )
    return out

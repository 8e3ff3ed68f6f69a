"""How big a synthetic bank to simulate: the named sizes and sizing by a target message count."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date


@dataclass(frozen=True)
class SizeSpec:
    """How big a bank to simulate and over which window."""

    name: str
    start: date  # first day of the simulated window (a first of a month)
    months: int  # length of the window; every month of it is closed
    branches: int
    sub_branches: int  # per branch
    managers: int  # headcount on the day before the window
    clients: int  # clients on the day before the window
    new_clients_per_month: int
    deposit_every: str  # "daily", "weekly" (Fridays and month ends) or "monthly"
    hires: int  # managers hired during the window
    departures: int  # managers leaving during the window
    grade_changes: int  # promotions and demotions during the window
    rebalances: int  # handovers that are not due to a departure
    reversals_per_month: int
    late_postings_per_month: int  # booked after the month was closed


START = date(2025, 1, 1)

SIZES: dict[str, SizeSpec] = {
    # For tests: every message type appears, a few hundred messages.
    "tiny": SizeSpec("tiny", START, 2, 1, 2, 4, 16, 3, "weekly", 1, 1, 1, 1, 1, 1),
    # One branch, one year, ~50,000 messages.
    "small": SizeSpec("small", START, 12, 1, 3, 14, 350, 12, "weekly", 3, 2, 5, 2, 8, 5),
    # ~1,000,000 messages: daily deposit balances dominate.
    "medium": SizeSpec("medium", START, 12, 3, 4, 70, 2150, 40, "daily", 10, 6, 20, 6, 30, 20),
    # ~10,000,000 messages over two years.
    "large": SizeSpec(
        "large", START, 24, 10, 5, 300, 10200, 150, "daily", 60, 30, 120, 20, 120, 80
    ),
}

# Messages per client-month by deposit reporting mode, measured on the named sizes;
# used to size a bank for a target message count.
_PER_CLIENT_MONTH = {"monthly": 10.5, "weekly": 9.9, "daily": 34.9}


def size_spec(size: str) -> SizeSpec:
    """The spec of a named size, or of a bank of about ``int(size)`` messages."""
    if size in SIZES:
        return SIZES[size]
    try:
        target = int(size)
    except ValueError:
        raise ValueError(
            f"unknown size {size!r}: use {', '.join(SIZES)} or a message count"
        ) from None
    if target < 1:
        raise ValueError(f"a target message count must be at least 1, got {target}")
    return _spec_for_target(target)


def _spec_for_target(target: int) -> SizeSpec:
    """Scale the nearest named size so that it yields about ``target`` messages."""
    if target <= 2_000:
        base = replace(SIZES["tiny"], deposit_every="monthly")
    elif target <= 300_000:
        base = SIZES["small"]
    elif target <= 3_000_000:
        base = SIZES["medium"]
    else:
        base = SIZES["large"]
    # Clients grow by new_clients_per_month, so on average the book holds
    # clients + new * months / 2 over the window; solve for the starting book.
    per_client = _PER_CLIENT_MONTH[base.deposit_every] * base.months
    average_clients = max(4, target // max(1, int(per_client)))
    ratio_new = base.new_clients_per_month / base.clients
    clients = max(4, int(average_clients / (1 + ratio_new * base.months / 2)))
    scale = clients / base.clients

    def scaled(n: int, least: int) -> int:
        return max(least, round(n * scale))

    return replace(
        base,
        name=str(target),
        branches=scaled(base.branches, 1),
        managers=scaled(base.managers, 3),
        clients=clients,
        new_clients_per_month=scaled(base.new_clients_per_month, 1),
        hires=scaled(base.hires, 1),
        departures=scaled(base.departures, 1),
        grade_changes=scaled(base.grade_changes, 1),
        rebalances=scaled(base.rebalances, 1),
        reversals_per_month=scaled(base.reversals_per_month, 1),
        late_postings_per_month=scaled(base.late_postings_per_month, 1),
    )

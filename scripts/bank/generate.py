"""A deterministic synthetic bank, as JSON Lines messages of the contract.

``generate(seed, size)`` yields the messages of docs/contract.md C1 for a made-up bank
(branches and sub-branches, managers of every grade, clients with Pareto-skewed
assets, postings, loans, handovers, departures, month closes) in an order the ledger
accepts: whatever a message depends on comes earlier in the stream.

Two promises:

* **Deterministic.** Every random choice comes from one ``random.Random(seed)``,
  never from the global generator or the clock; collections are only iterated in
  insertion or sorted order (never a ``set``, whose order depends on hashing). Money
  is integer fen drawn with ``randrange`` (no float arithmetic, no ``log``/``pow``
  whose last bit may differ between platforms), so the same seed and size give the
  same bytes anywhere.
* **Streaming.** Messages are yielded one at a time while a day-by-day simulation
  runs; the state kept is the bank itself (managers, clients, loans) and a small
  agenda of future steps, never the messages already produced. Memory does not grow
  with the number of messages, only with the number of clients.

Run it as ``python -m scripts.bank.generate --seed 7 --size small --out bank.jsonl``.
"""

from __future__ import annotations

import argparse
import calendar
import heapq
import itertools
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

Message = dict[str, Any]
Steps = Iterator[Message]
T = TypeVar("T")

GRADES = ("assistant", "junior", "intermediate", "senior", "principal")
RANK = {grade: rank for rank, grade in enumerate(GRADES)}
DAY = timedelta(days=1)

# ---------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------


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
    "large": SizeSpec("large", START, 24, 10, 5, 300, 10200, 150, "daily", 60, 30, 120, 20, 120, 80),
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
        raise ValueError(f"unknown size {size!r}: use {', '.join(SIZES)} or a message count") from None
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


# ---------------------------------------------------------------------------------
# Small helpers: formatting, dates, weighted choices
# ---------------------------------------------------------------------------------


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


def weighted(rng: random.Random, table: tuple[tuple[T, int], ...]) -> T:
    """Pick from ``(value, integer weight)`` pairs with integer arithmetic only."""
    ticket = rng.randrange(sum(weight for _, weight in table))
    for value, weight in table:
        if ticket < weight:
            return value
        ticket -= weight
    raise AssertionError("unreachable: the ticket is below the total weight")


def between(rng: random.Random, first: date, last: date) -> date:
    """A uniformly random day in ``[first, last]`` (``first`` when the range is empty)."""
    return first + timedelta(days=rng.randrange(max(1, (last - first).days + 1)))


# Wealth of a client in yuan: bucket probabilities of a Pareto distribution with
# x_m = 10,000 and alpha = 1.16 (the "80-20" shape: about a fifth of the clients hold
# four fifths of the assets). Edges grow by sqrt(2); weights are per million. The
# table is written out so that no platform's pow() enters the stream.
WEALTH_BUCKETS: tuple[tuple[tuple[int, int], int], ...] = (
    ((10_000, 14_142), 331_029), ((14_142, 20_000), 221_459), ((20_000, 28_284), 148_140),
    ((28_284, 40_000), 99_106), ((40_000, 56_569), 66_297), ((56_569, 80_000), 44_348),
    ((80_000, 113_137), 29_668), ((113_137, 160_000), 19_847), ((160_000, 226_274), 13_277),
    ((226_274, 320_000), 8_882), ((320_000, 452_548), 5_942), ((452_548, 640_000), 3_975),
    ((640_000, 905_097), 2_659), ((905_097, 1_280_000), 1_779), ((1_280_000, 1_810_193), 1_190),
    ((1_810_193, 2_560_000), 796), ((2_560_000, 3_620_387), 532), ((3_620_387, 5_120_000), 356),
    ((5_120_000, 7_240_773), 238), ((7_240_773, 10_240_000), 159), ((10_240_000, 14_481_547), 107),
    ((14_481_547, 20_480_000), 71), ((20_480_000, 28_963_094), 48), ((28_963_094, 40_960_000), 32),
    ((40_960_000, 57_926_188), 21), ((57_926_188, 81_920_000), 14), ((81_920_000, 115_852_375), 10),
    ((115_852_375, 163_840_000), 6), ((163_840_000, 231_704_750), 4), ((231_704_750, 327_680_000), 9),
)


def wealth_fen(rng: random.Random) -> int:
    """A Pareto-distributed client wealth, in fen."""
    low, high = weighted(rng, WEALTH_BUCKETS)
    return rng.randrange(low * 100, high * 100)


def fraction(amount: int, per_100k: int) -> int:
    """``amount * per_100k / 100,000`` in integers (rates in thousandths of a percent)."""
    return amount * per_100k // 100_000


# ---------------------------------------------------------------------------------
# Names and identity numbers (made up, but shaped like the real ones)
# ---------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文博宇浩然欣怡子涵梓轩晨"
CITIES = ("上海", "北京", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "宁波", "无锡")
TRADES = ("华盛", "恒远", "嘉禾", "瑞丰", "新联", "东方", "宏达", "金桥", "天和", "锦程", "同泰", "汇通")
INDUSTRIES = ("贸易", "科技", "实业", "物流", "电子", "医药", "建材", "纺织", "食品", "机械")
REGIONS = ("310101", "310104", "310115", "110105", "110108", "440305", "330106", "320102", "510107")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def person_name(rng: random.Random) -> str:
    """A plausible Chinese personal name."""
    given_length = 1 + rng.randrange(2)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(given_length))


def company_name(rng: random.Random) -> str:
    """A plausible company name: city, trade name, industry."""
    return f"{rng.choice(CITIES)}{rng.choice(TRADES)}{rng.choice(INDUSTRIES)}有限公司"


def resident_id(rng: random.Random) -> str:
    """An 18-character resident identity number with a valid check character."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(53 * 365))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    check = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True)) % 11
    return body + ID_CHECK[check]


def credit_code(rng: random.Random) -> str:
    """An 18-character unified social credit code (check character not computed)."""
    return "91" + rng.choice(REGIONS) + "".join(rng.choice(USCC_CHARS) for _ in range(10))


# ---------------------------------------------------------------------------------
# Business constants
# ---------------------------------------------------------------------------------

# The plan published mid-way: a modest raise, a higher prepayment, and from now on
# the backup shares 10% of the business. Every grade and every activity kind is there.
MID_PLAN_GRADES = {
    "assistant": ("4200.00", "1050.00", "160", "0.8"),
    "junior": ("5200.00", "1600.00", "190", "1.0"),
    "intermediate": ("6800.00", "2600.00", "210", "1.1"),
    "senior": ("8400.00", "3700.00", "230", "1.2"),
    "principal": ("10500.00", "5200.00", "260", "1.35"),
}
MID_PLAN_ACTIVITY = {"credit_card": "60.00", "merchant": "300.00", "agency": "220.00", "market_info": "100.00"}

# Deposit balance dynamics per reporting mode: chance (per 10,000 reports) that the
# balance stays as it was, and that a large outflow (30-80% leaves) happens.
DEPOSIT_STILL = {"daily": 7_000, "weekly": 3_000, "monthly": 1_000}
DEPOSIT_OUTFLOW = {"daily": 3, "weekly": 20, "monthly": 80}

# Loan products: (product, share of loan clients, low and high amount in yuan,
# interest per 100,000 a year).
PERSONAL_LOANS = (
    (("loan_housing", 300_000, 3_600_000, 3_900), 60),
    (("loan_credit", 10_000, 120_000, 6_000), 25),
    (("loan_pledged", 50_000, 600_000, 4_500), 10),
    (("loan_secured", 100_000, 1_500_000, 4_800), 5),
)
CORPORATE_LOANS = (
    (("loan_secured", 1_000_000, 30_000_000, 4_200), 70),
    (("loan_credit", 500_000, 5_000_000, 4_600), 30),
)
FTP_LOAN_COST = 2_600  # transfer price of loan funding, per 100,000 a year
FTP_DEPOSIT_INCOME = 2_300  # transfer price credited on deposits
DEPOSIT_RATE = 1_350  # interest paid to depositors

# Monthly migration of the five-category classification, per 1,000 loans, by
# (current category, risky loan?). Loans come back as well as go down.
MIGRATION: dict[tuple[str, bool], tuple[tuple[str, int], ...]] = {
    ("normal", False): (("special_mention", 3), ("normal", 997)),
    ("normal", True): (("special_mention", 90), ("normal", 910)),
    ("special_mention", False): (("normal", 300), ("substandard", 60), ("special_mention", 640)),
    ("special_mention", True): (("normal", 150), ("substandard", 220), ("special_mention", 630)),
    ("substandard", False): (("special_mention", 150), ("doubtful", 80), ("substandard", 770)),
    ("substandard", True): (("special_mention", 80), ("doubtful", 200), ("substandard", 720)),
    ("doubtful", False): (("substandard", 100), ("loss", 80), ("doubtful", 820)),
    ("doubtful", True): (("substandard", 60), ("loss", 150), ("doubtful", 790)),
    ("loss", False): (("doubtful", 30), ("loss", 970)),
    ("loss", True): (("doubtful", 20), ("loss", 980)),
}

# Lifecycle stage moves at a month-end review, per 1,000 clients.
STAGE_MOVES: dict[str, tuple[tuple[str, int], ...]] = {
    "target": (("potential", 300), ("target", 700)),
    "potential": (("active", 350), ("dormant", 20), ("potential", 630)),
    "active": (("dormant", 12), ("active", 988)),
    "dormant": (("active", 150), ("lost", 60), ("dormant", 790)),
    "lost": (("target", 80), ("lost", 920)),
}

ACTIVITY_KINDS = (("credit_card", 40), ("merchant", 15), ("agency", 25), ("market_info", 20))
DEPARTURE_KINDS = (("resignation", 50), ("transfer", 30), ("rotation", 20))
REVERSAL_REASONS = ("booked to the wrong client", "duplicate entry", "amount keyed wrongly", "wrong value date")
COMPLIANCE_REASONS = (
    ("incomplete client due-diligence file", -1),
    ("late anti-money-laundering review", -1),
    ("customer complaint upheld", -1),
    ("clean internal inspection", 1),
    ("risk-control commendation", 1),
)
AWARD_REASONS = ("outstanding contribution: key corporate account", "outstanding contribution: wealth campaign")


# ---------------------------------------------------------------------------------
# The bank's state
# ---------------------------------------------------------------------------------


class Manager:
    """A manager as the simulation knows them."""

    __slots__ = ("id", "branch", "unit", "grade", "hired_on", "grade_on", "state", "busy", "book", "backups")

    def __init__(self, manager_id: str, branch: str, unit: str, grade: str, hired_on: date) -> None:
        self.id = manager_id
        self.branch = branch  # the branch (BR01)
        self.unit = unit  # where they sit: the branch itself or one of its sub-branches
        self.grade = grade
        self.hired_on = hired_on
        self.grade_on = hired_on
        self.state = "active"  # active -> departing -> departed
        self.busy = 0  # open handovers this manager is a party to
        # Client ids held, as dicts used as ordered sets (a set's order is not stable).
        self.book: dict[str, None] = {}
        self.backups: dict[str, None] = {}


class Loan:
    """One loan of a client; its id stays with that client for life."""

    __slots__ = ("id", "product", "balance", "category", "risky", "rate")

    def __init__(self, loan_id: str, product: str, balance: int, rate: int, risky: bool) -> None:
        self.id = loan_id
        self.product = product
        self.balance = balance  # fen
        self.category = "normal"
        self.risky = risky
        self.rate = rate  # per 100,000 a year


class Client:
    """A client as the simulation knows them. Balances are integer fen."""

    __slots__ = (
        "id", "kind", "branch", "unit", "registered_on", "primary", "since", "backup", "stage",
        "deposit", "usual", "fund", "wealth", "loan", "locked", "trade",
    )

    def __init__(self, client_id: str, kind: str, branch: str, unit: str, registered_on: date) -> None:
        self.id = client_id
        self.kind = kind
        self.branch = branch
        self.unit = unit
        self.registered_on = registered_on
        self.primary: str | None = None
        # Since when the client has had a primary without a gap: postings are only
        # dated from then on, so none of them is unattributed.
        self.since: date | None = None
        self.backup: str | None = None
        self.stage = "target"
        self.deposit = 0
        self.usual = 0  # the deposit level the balance drifts back to
        self.fund = 0
        self.wealth = 0
        self.loan: Loan | None = None
        self.locked = False  # in an open handover: its primary must not change
        self.trade = False  # a corporate with international settlement business


@dataclass
class Handover:
    """An open handover: who, whom, and whether it is a departure's."""

    id: str
    source: Manager
    target: Manager
    client_ids: list[str]
    departure: bool


# ---------------------------------------------------------------------------------
# The simulation
# ---------------------------------------------------------------------------------


class Bank:
    """Simulates the bank day by day and yields the messages as they happen.

    Future steps (the later stages of a handover, an approval, a period close, a
    reversal) wait on an agenda ordered by (day, insertion number), so steps due on
    the same day run in the order they were planned.
    """

    def __init__(self, rng: random.Random, spec: SizeSpec) -> None:
        self.rng = rng
        self.spec = spec
        self.end = add_months(spec.start, spec.months) - DAY
        self.message_numbers = itertools.count(1)
        self.manager_numbers = itertools.count(1)
        self.client_numbers = itertools.count(1)
        self.loan_numbers = itertools.count(1)
        self.handover_numbers = itertools.count(1)
        self.managers: dict[str, Manager] = {}
        self.available: list[Manager] = []  # may be given clients: active, not departing
        self.clients: list[Client] = []
        self.client_by_id: dict[str, Client] = {}
        self.agenda: list[tuple[int, int, Callable[[], Steps]]] = []
        self.agenda_numbers = itertools.count()
        self.units = {
            f"BR{b:02d}": [f"BR{b:02d}-SB{s:02d}" for s in range(1, spec.sub_branches + 1)]
            for b in range(1, spec.branches + 1)
        }
        # This month's postings seen so far and a uniform sample of them to reverse
        # (reservoir sampling keeps the memory constant).
        self.postings_seen = 0
        self.to_reverse: list[str] = []
        self.current_day = spec.start  # the day of the agenda step being run

    # -- plumbing --------------------------------------------------------------------

    def message(self, message_type: str, /, **fields: Any) -> Message:
        """A contract message with the next id; dates become ISO strings."""
        body: Message = {"type": message_type, "id": f"gen-{next(self.message_numbers):09d}"}
        for name, value in fields.items():
            body[name] = value.isoformat() if isinstance(value, date) else value
        return body

    def plan(self, day: date, step: Callable[[], Steps]) -> None:
        """Put ``step`` on the agenda for ``day``."""
        heapq.heappush(self.agenda, (day.toordinal(), next(self.agenda_numbers), step))

    def due(self, day: date | None) -> Steps:
        """Run the agenda up to and including ``day`` (all of it when ``None``)."""
        limit = day.toordinal() if day is not None else None
        while self.agenda and (limit is None or self.agenda[0][0] <= limit):
            ordinal, _, step = heapq.heappop(self.agenda)
            self.current_day = date.fromordinal(ordinal)
            yield from step()

    def chance(self, per_1000: int) -> bool:
        """True with probability ``per_1000`` / 1000."""
        return self.rng.randrange(1000) < per_1000

    # -- the whole run -----------------------------------------------------------------

    def run(self) -> Steps:
        """The bank before the window, every day of the window, then what follows it."""
        yield from self.opening()
        day = self.spec.start
        while day <= self.end:
            yield from self.one_day(day)
            day += DAY
        # After the window only planned steps remain: the last close, late postings,
        # reversals and the tail of handovers and departures.
        yield from self.due(None)

    def one_day(self, day: date) -> Steps:
        """Everything that happens on ``day``, in a fixed order."""
        if day.day == 1:
            self.plan_month(day)
        yield from self.due(day)
        yield from self.deposits(day)
        if day == month_end(day):
            yield from self.close_books(day)

    # -- before the window -------------------------------------------------------------

    def opening(self) -> Steps:
        """The bank as it stands when the ledger starts: staff, clients, books."""
        spec = self.spec
        for index in range(spec.managers):
            # The first five cover every grade; the rest are a typical pyramid.
            grade = GRADES[::-1][index] if index < len(GRADES) else weighted(
                self.rng, (("assistant", 20), ("junior", 30), ("intermediate", 25), ("senior", 15), ("principal", 10))
            )
            years_back = 1 + RANK[grade]  # seniors have been here longer
            hired_on = spec.start - timedelta(days=60 + self.rng.randrange(years_back * 300))
            branch = f"BR{index % spec.branches + 1:02d}"
            yield self.hire(branch, grade, hired_on)
        for _ in range(spec.clients):
            yield from self.opening_client()
        self.plan_window()

    def opening_client(self) -> Steps:
        """One client registered in the past, with a history of stages and a book."""
        spec = self.spec
        registered_on = spec.start - timedelta(days=1 + self.rng.randrange(8 * 365))
        client, manager = self.new_client(registered_on)
        yield self.register(client)
        effective_on = max(registered_on, manager.hired_on)
        origin = "acquired" if registered_on >= manager.hired_on else "inherited"
        yield self.assign(client, manager, "primary", origin, effective_on)
        yield from self.stage_history(client)
        # The opening snapshot is dated half a year back so that the half-year
        # average deposit is meaningful from the first day of the window.
        as_of = max(registered_on, spec.start - timedelta(days=183))
        yield from self.open_accounts(client, as_of)
        if self.chance(500 if client.deposit >= 100_000_000 else 150):
            partner = self.pick_manager(client, exclude=manager)
            if partner is not None:
                on = max(effective_on, partner.hired_on)
                yield self.assign(client, partner, "backup", "inherited", on)

    def stage_history(self, client: Client) -> Steps:
        """target -> potential -> active (-> dormant) before the window, as far as it got."""
        day = client.registered_on
        last = self.spec.start - DAY
        path = ["potential", "active"] + (["dormant"] if self.chance(100) else [])
        for stage in path:
            day += timedelta(days=5 + self.rng.randrange(120 if stage != "dormant" else 700))
            if day > last:
                return
            client.stage = stage
            yield self.message("client.stage_changed", client_id=client.id, stage=stage, changed_on=day)

    def plan_window(self) -> None:
        """Spread the window's one-off events (hires, departures, ...) over its days."""
        spec, rng = self.spec, self.rng
        start, end = spec.start, self.end
        latest = max(start, end - timedelta(days=45))  # departures finish in the window
        for _ in range(spec.hires):
            self.plan(between(rng, start + DAY, max(start + DAY, end - timedelta(days=30))), self.hire_step)
        for _ in range(spec.departures):
            self.plan(between(rng, start + timedelta(days=5), latest), self.departure_step)
        for _ in range(spec.grade_changes):
            self.plan(between(rng, start, end), self.grade_step)
        for _ in range(spec.rebalances):
            first = min(start + timedelta(days=20), latest)
            self.plan(between(rng, first, max(first, end - timedelta(days=15))), self.rebalance_step)
        middle = add_months(start, spec.months // 2)
        self.plan(max(start, middle - timedelta(days=15)), lambda: self.publish_plan(middle))

    # -- building blocks -----------------------------------------------------------

    def hire(self, branch: str, grade: str, hired_on: date) -> Message:
        """A new manager: principals sit at the branch, others in a sub-branch."""
        unit = branch if grade == "principal" else self.rng.choice(self.units[branch])
        manager = Manager(f"M{next(self.manager_numbers):04d}", branch, unit, grade, hired_on)
        self.managers[manager.id] = manager
        self.available.append(manager)
        return self.message(
            "manager.hired", manager_id=manager.id, name=person_name(self.rng), branch_id=unit, grade=grade,
            hired_on=hired_on,
        )

    def new_client(self, registered_on: date) -> tuple[Client, Manager]:
        """Draw a client's kind and wealth, and the manager who serves them."""
        kind = "corporate" if self.chance(150) else "personal"
        wealth = wealth_fen(self.rng) * (10 if kind == "corporate" else 1)
        probe = Client("", kind, "", "", registered_on)
        probe.deposit = wealth
        manager = self.pick_manager(probe, exclude=None)
        assert manager is not None, "the bank always has a manager to serve a client"
        unit = manager.unit if manager.unit != manager.branch else self.rng.choice(self.units[manager.branch])
        client = Client(f"C{next(self.client_numbers):06d}", kind, manager.branch, unit, registered_on)
        client.usual = wealth
        client.trade = kind == "corporate" and self.chance(500)
        self.clients.append(client)
        self.client_by_id[client.id] = client
        return client, manager

    def pick_manager(self, client: Client, exclude: Manager | None) -> Manager | None:
        """A manager for a client, usually of a grade fit for its assets (a few
        mismatches are left in on purpose: the audit should find them)."""
        pool = [m for m in self.available if m is not exclude and m.id != client.primary]
        if client.branch:
            same_branch = [m for m in pool if m.branch == client.branch]
            pool = same_branch or pool
        if not pool:
            return None
        assets = max(client.deposit, client.usual)
        need = 3 if assets > 500_000_000 else 2 if assets > 100_000_000 else 1 if assets > 50_000_000 else 0
        fit = [m for m in pool if RANK[m.grade] >= need]
        if fit and not self.chance(50):
            pool = fit
        return self.rng.choice(pool)

    def register(self, client: Client) -> Message:
        """The client.registered message, with a made-up name and identity number."""
        personal = client.kind == "personal"
        return self.message(
            "client.registered", client_id=client.id, kind=client.kind, branch_id=client.unit,
            registered_on=client.registered_on,
            name=person_name(self.rng) if personal else company_name(self.rng),
            id_number=resident_id(self.rng) if personal else credit_code(self.rng),
        )

    def assign(self, client: Client, manager: Manager, role: str, origin: str, on: date) -> Message:
        """Give ``role`` for ``client`` to ``manager`` from ``on``."""
        if role == "primary":
            client.primary = manager.id
            client.since = on
            manager.book[client.id] = None
        else:
            client.backup = manager.id
            manager.backups[client.id] = None
        return self.message(
            "assignment.assigned", client_id=client.id, manager_id=manager.id, role=role, origin=origin,
            effective_on=on,
        )

    def release(self, client: Client, role: str, on: date) -> Message:
        """End ``role`` for ``client`` from ``on``."""
        if role == "primary":
            assert client.primary is not None
            manager = self.managers[client.primary]
            del manager.book[client.id]
            client.primary = None
            client.since = None
        else:
            assert client.backup is not None
            manager = self.managers[client.backup]
            del manager.backups[client.id]
            client.backup = None
        return self.message(
            "assignment.released", client_id=client.id, manager_id=manager.id, role=role, effective_on=on,
        )

    def open_accounts(self, client: Client, as_of: date) -> Steps:
        """First balances of a client (and a loan for some)."""
        wealth = client.usual
        if client.kind == "personal":
            client.deposit = fraction(wealth, 60_000)
            if self.chance(300):
                client.fund = fraction(wealth, 20_000)
            if self.chance(250):
                client.wealth = fraction(wealth, 30_000)
        else:
            client.deposit = wealth
        client.usual = client.deposit
        yield self.balance(client, "deposit", client.deposit, as_of)
        if client.fund:
            yield self.balance(client, "fund", client.fund, as_of)
        if client.wealth:
            yield self.balance(client, "wealth", client.wealth, as_of)
        if self.chance(400 if client.kind == "corporate" else 150):
            yield from self.originate_loan(client, as_of)

    def originate_loan(self, client: Client, as_of: date) -> Steps:
        """A new performing loan, classified normal on its first day."""
        table = CORPORATE_LOANS if client.kind == "corporate" else PERSONAL_LOANS
        product, low, high, rate = weighted(self.rng, table)
        amount = self.rng.randrange(low, high) * 100
        loan = Loan(f"L{next(self.loan_numbers):06d}", product, amount, rate, self.chance(120))
        client.loan = loan
        yield self.classify(client, loan, as_of)
        yield self.balance(client, product, amount, as_of)

    def balance(self, client: Client, product: str, fen: int, as_of: date) -> Message:
        """A balance.reported message."""
        return self.message(
            "balance.reported", client_id=client.id, product=product, balance=yuan(fen), as_of=as_of
        )

    def classify(self, client: Client, loan: Loan, as_of: date) -> Message:
        """A loan.classified message with the loan's current category and balance."""
        return self.message(
            "loan.classified", loan_id=loan.id, client_id=client.id, category=loan.category,
            balance=yuan(loan.balance), as_of=as_of,
        )

    # -- each month --------------------------------------------------------------------

    def plan_month(self, first: date) -> None:
        """Put the month's new clients and managers' activities on the agenda."""
        last = month_end(first)
        for _ in range(self.spec.new_clients_per_month):
            self.plan(between(self.rng, first, last), self.acquisition_step)
        for manager in list(self.managers.values()):
            if manager.state == "departed":
                continue
            for _ in range(1 + self.rng.randrange(6)):
                day = between(self.rng, max(first, manager.hired_on), last)
                self.plan(day, partial(self.activity_step, manager, day))

    def deposits(self, day: date) -> Steps:
        """Deposit balances of every served client, at the spec's frequency."""
        mode = self.spec.deposit_every
        if not (mode == "daily" or day == month_end(day) or (mode == "weekly" and day.weekday() == 4)):
            return
        still, outflow = DEPOSIT_STILL[mode], DEPOSIT_OUTFLOW[mode]
        rng = self.rng
        for client in self.clients:
            if client.primary is None:
                continue
            ticket = rng.randrange(10_000)
            if ticket < outflow:
                # A large outflow: money leaves for another bank or a big purchase.
                client.deposit -= client.deposit * rng.randrange(30, 80) // 100
            elif ticket >= still:
                drift = (client.usual - client.deposit) // 20
                client.deposit = max(0, client.deposit + drift + client.deposit * rng.randrange(-200, 201) // 10_000)
            yield self.balance(client, "deposit", client.deposit, day)

    def close_books(self, day: date) -> Steps:
        """Month end: products, loans, postings, stage reviews, adjustments; then plan
        the close, the reversals and the late postings of this month."""
        for client in self.clients:
            if client.primary is None:
                yield from self.win_back(client, day)
                continue
            yield from self.products(client, day)
            yield from self.postings(client, day)
            yield from self.stage_review(client, day)
        yield from self.backup_changes(day)
        yield from self.adjustments(day)
        self.plan_after_month(day)

    def products(self, client: Client, day: date) -> Steps:
        """Month-end fund, wealth and loan balances, and the loan's classification."""
        rng = self.rng
        for product in ("fund", "wealth"):
            held = getattr(client, product)
            if held:
                # Market moves; sometimes everything is redeemed (then a 0 is reported once).
                held = 0 if self.chance(20) else held + held * rng.randrange(-500, 601) // 10_000
            elif client.kind == "personal" and self.chance(10):
                held = fraction(client.usual, 20_000) + 100_000
            else:
                continue
            setattr(client, product, held)
            yield self.balance(client, product, held, day)
        loan = client.loan
        if loan is None:
            if self.chance(3):
                yield from self.originate_loan(client, day)
            return
        loan.category = weighted(rng, MIGRATION[(loan.category, loan.risky)])
        if loan.category in ("normal", "special_mention"):
            # Performing loans amortise; one in a hundred is repaid in full.
            loan.balance = 0 if self.chance(10) else loan.balance - loan.balance * rng.randrange(5, 25) // 1000
        yield self.classify(client, loan, day)
        yield self.balance(client, loan.product, loan.balance, day)
        if loan.balance == 0:
            client.loan = None  # repaid: the loan id is never used again

    def postings(self, client: Client, day: date) -> Steps:
        """The month's income and cost postings of one client."""
        assert client.since is not None
        first = max(day.replace(day=1), client.since)
        days, month_days = (day - first).days + 1, day.day
        rng = self.rng

        def share(amount: int) -> int:
            return amount * days // month_days  # part of the month the client was with us

        deposit = client.deposit
        yield from self.book(client, "deposit_interest_income", share(fraction(deposit, FTP_DEPOSIT_INCOME) // 12), day)
        yield from self.book(client, "deposit_interest_expense", share(fraction(deposit, DEPOSIT_RATE) // 12), day)
        invested = client.fund + client.wealth
        if invested:
            yield from self.book(client, "fee_income", share(fraction(invested, 500) // 12), between(rng, first, day))
        elif self.chance(600 if client.kind == "corporate" else 250):
            scale = 10 if client.kind == "corporate" else 1
            yield from self.book(client, "fee_income", rng.randrange(2_000, 80_000) * scale, between(rng, first, day))
        if client.trade:
            yield from self.book(client, "settlement_income", rng.randrange(30_000, 3_000_000), between(rng, first, day))
        if self.chance(50):
            yield from self.book(client, "other_income", rng.randrange(5_000, 300_000), between(rng, first, day))
        if self.chance(60):
            yield from self.book(client, "other_cost", rng.randrange(2_000, 150_000), between(rng, first, day))
        loan = client.loan
        if loan is not None and loan.category not in ("doubtful", "loss"):
            # Interest is charged on the 21st; non-accrual loans earn none.
            charged_on = max(first, min(day, day.replace(day=21)))
            yield from self.book(client, "loan_interest", share(fraction(loan.balance, loan.rate) // 12), charged_on)
        if loan is not None:
            yield from self.book(client, "asset_cost", share(fraction(loan.balance, FTP_LOAN_COST) // 12), day)

    def book(self, client: Client, category: str, fen: int, value_date: date) -> Steps:
        """A posting.booked (nothing when the amount rounds to 0); its message id is
        the posting's source id. Each posting is offered to the reversal sample."""
        if fen <= 0:
            return
        message = self.message(
            "posting.booked", client_id=client.id, category=category, amount=yuan(fen), value_date=value_date
        )
        self.sample_for_reversal(message["id"])
        yield message

    def sample_for_reversal(self, posting_id: str) -> None:
        """Reservoir sampling: a uniform sample of the month's postings, constant size."""
        self.postings_seen += 1
        size = self.spec.reversals_per_month
        if len(self.to_reverse) < size:
            self.to_reverse.append(posting_id)
        else:
            slot = self.rng.randrange(self.postings_seen)
            if slot < size:
                self.to_reverse[slot] = posting_id

    def stage_review(self, client: Client, day: date) -> Steps:
        """Move a served client along its lifecycle; a lost client may leave the bank."""
        stage = weighted(self.rng, STAGE_MOVES[client.stage])
        if stage == client.stage:
            return
        client.stage = stage
        yield self.message("client.stage_changed", client_id=client.id, stage=stage, changed_on=day)
        if stage == "lost" and client.loan is None and not client.locked and self.chance(700):
            # The relationship ends: balances go to 0 and no one serves the client.
            if client.backup is not None:
                yield self.release(client, "backup", day)
            yield self.release(client, "primary", day)
            for product in ("deposit", "fund", "wealth"):
                if getattr(client, product):
                    setattr(client, product, 0)
                    yield self.balance(client, product, 0, day)

    def win_back(self, client: Client, day: date) -> Steps:
        """A lost client that left may come back: to target, with a new primary."""
        if not self.chance(STAGE_MOVES["lost"][0][1]):
            return
        manager = self.pick_manager(client, exclude=None)
        if manager is None:
            return
        client.stage = "target"
        yield self.message("client.stage_changed", client_id=client.id, stage="target", changed_on=day)
        yield self.assign(client, manager, "primary", "acquired", day)
        client.deposit = client.usual // 4
        yield self.balance(client, "deposit", client.deposit, day)

    def backup_changes(self, day: date) -> Steps:
        """A few backups are named and a few end, among clients not in a handover."""
        rng = self.rng
        moves = max(1, len(self.clients) // 300)
        for _ in range(moves):
            client = rng.choice(self.clients)
            if client.primary is None or client.locked:
                continue
            if client.backup is None:
                partner = self.pick_manager(client, exclude=self.managers[client.primary])
                if partner is not None:
                    yield self.assign(client, partner, "backup", "inherited", day)
            elif self.chance(500):
                yield self.release(client, "backup", day)

    def adjustments(self, day: date) -> Steps:
        """Compliance pluses and minuses, and awards, recorded before the month closes."""
        period = month_key(day)
        staff = [m for m in self.managers.values() if m.state != "departed"]
        compliance = [m for m in staff if self.chance(80)] or [self.rng.choice(staff)]
        awards = [m for m in staff if self.chance(30)] or [self.rng.choice(staff)]
        for manager in compliance:
            yield self.compliance(manager, period)
        for manager in awards:
            yield self.message(
                "adjustment.recorded", manager_id=manager.id, period=period, kind="award",
                amount=yuan(self.rng.randrange(1_000, 20_001) * 100), reason=self.rng.choice(AWARD_REASONS),
            )

    def compliance(self, manager: Manager, period: str) -> Message:
        """A compliance adjustment: a deduction or a credit, never 0."""
        reason, sign = self.rng.choice(COMPLIANCE_REASONS)
        return self.message(
            "adjustment.recorded", manager_id=manager.id, period=period, kind="compliance",
            amount=yuan(sign * self.rng.randrange(1, 21) * 10_000), reason=reason,
        )

    def plan_after_month(self, day: date) -> None:
        """The close a few days after month end, the month's reversals (most before
        the close, some after it: those are audit findings), late postings and the
        odd late compliance adjustment after it."""
        rng = self.rng
        closed_on = day + timedelta(days=1 + rng.randrange(5))
        period = month_key(day)
        for posting_id in self.to_reverse:
            # Planned before the close, so one due on the closing day still comes first.
            reversed_on = day + timedelta(days=rng.randrange(2)) if self.chance(750) else (
                closed_on + timedelta(days=1 + rng.randrange(10))
            )
            self.plan(reversed_on, partial(self.reverse_step, posting_id))
        self.to_reverse, self.postings_seen = [], 0
        self.plan(closed_on, lambda: self.close_step(period, closed_on))
        for _ in range(self.spec.late_postings_per_month):
            self.plan(closed_on + timedelta(days=1 + rng.randrange(10)), lambda: self.late_posting_step(day))
        if self.chance(400):
            self.plan(closed_on + timedelta(days=1 + rng.randrange(10)), lambda: self.late_compliance_step(period))

    # -- agenda steps ------------------------------------------------------------------

    def acquisition_step(self) -> Steps:
        """A new client today, brought in by a manager (origin acquired)."""
        day = self.today()
        if not self.available:
            return
        client, manager = self.new_client(day)
        yield self.register(client)
        yield self.assign(client, manager, "primary", "acquired", day)
        yield from self.open_accounts(client, day)
        if self.chance(30):
            partner = self.pick_manager(client, exclude=manager)
            if partner is not None:
                yield self.assign(client, partner, "backup", "inherited", day)

    def activity_step(self, manager: Manager, day: date) -> Steps:
        """Business without a money flow of its own: cards, merchants, agency, leads."""
        if manager.state == "departed":
            return
        kind = weighted(self.rng, ACTIVITY_KINDS)
        count = 1 + self.rng.randrange(10 if kind == "credit_card" else 3)
        yield self.message("activity.recorded", manager_id=manager.id, kind=kind, count=count, value_date=day)

    def hire_step(self) -> Steps:
        """A new manager: the first hire an assistant, later ones mostly juniors."""
        day = self.today()
        first_hire = len(self.managers) == self.spec.managers
        grade = "assistant" if first_hire else weighted(
            self.rng, (("assistant", 50), ("junior", 35), ("intermediate", 15))
        )
        yield self.hire(self.rng.choice(list(self.units)), grade, day)

    def grade_step(self) -> Steps:
        """A promotion (mostly) or a demotion after assessment, effective today."""
        day = self.today()
        candidates = [m for m in self.available if m.grade_on < day]
        if not candidates:
            return
        manager = self.rng.choice(candidates)
        rank = RANK[manager.grade]
        up = rank == 0 or (rank < len(GRADES) - 1 and not self.chance(150))
        manager.grade = GRADES[rank + 1 if up else rank - 1]
        manager.grade_on = day
        reason = "annual assessment: promoted" if up else "annual assessment: demoted"
        yield self.message(
            "manager.grade_changed", manager_id=manager.id, grade=manager.grade, effective_on=day, reason=reason
        )

    def publish_plan(self, effective_from: date) -> Steps:
        """The one plan change of the window, published ahead of its effective date."""
        grades = {
            grade: {"base_salary": base, "post_salary": post, "commission_per_10k": commission, "coefficient": k}
            for grade, (base, post, commission, k) in MID_PLAN_GRADES.items()
        }
        yield self.message(
            "plan.published", version=f"{month_key(effective_from)}-revision", effective_from=effective_from,
            grades=grades, prepay_ratio="0.75", backup_share="0.10", activity_values=dict(MID_PLAN_ACTIVITY),
        )

    def departure_step(self) -> Steps:
        """A manager asks to leave: the handover of the whole book comes first, then
        the release of their backups, the three approvals, and the last day."""
        day = self.today()
        candidates = [
            m for m in self.available
            if m.busy == 0 and m.hired_on < day - timedelta(days=30)
            and sum(1 for o in self.available if o.branch == m.branch) > 2
        ]
        if not candidates:
            return
        rng = self.rng
        # Leavers who hold backups are a little more likely: they are the experienced
        # staff other banks hire away, and their releases are worth seeing.
        manager = weighted(rng, tuple((m, 3 if m.backups else 1) for m in candidates))
        manager.state = "departing"
        self.available.remove(manager)  # no new clients, backups or handovers to them
        last_day = day + timedelta(days=25 + rng.randrange(15))
        kind = weighted(rng, DEPARTURE_KINDS)
        yield self.message(
            "manager.departure_requested", manager_id=manager.id, kind=kind, requested_on=day, last_day=last_day
        )
        opened_on = day + timedelta(days=1 + rng.randrange(3))
        self.plan(opened_on, lambda: self.departure_handover_step(manager))
        self.plan(last_day, lambda: self.departed_step(manager, last_day))

    def plan_approvals(self, manager: Manager, day: date) -> None:
        """Once the book is handed over: department head, RM office, HR, in order.
        (Handover by day 13 after the request, approvals within 9 more days: all
        before the last day, which is at least 25 days after the request.)"""
        approved_on = day
        for role, approver in (
            ("department_head", f"DH-{manager.branch}"), ("rm_office", f"RMO-{manager.branch}"), ("hr", "HR-HQ-01")
        ):
            approved_on += timedelta(days=self.rng.randrange(4))
            self.plan(approved_on, partial(self.approval_step, manager, role, approver, approved_on))

    def approval_step(self, manager: Manager, role: str, approver: str, day: date) -> Steps:
        """One of the three approvals, in order."""
        yield self.message(
            "manager.departure_approved", manager_id=manager.id, approver_id=approver, role=role, approved_on=day
        )

    def departure_handover_step(self, manager: Manager) -> Steps:
        """Hand the leaver's whole book to a colleague; with no book, just drop backups."""
        day = self.today()
        if not manager.book:
            yield from self.release_backups(manager, day)
            self.plan_approvals(manager, day)
            return
        same_unit = [m for m in self.available if m.unit == manager.unit]
        same_branch = [m for m in self.available if m.branch == manager.branch]
        target = self.rng.choice(same_unit or same_branch or self.available)
        reason = "departure: the whole book goes to a colleague"
        yield from self.open_handover(manager, target, sorted(manager.book), reason, departure=True)

    def rebalance_step(self) -> Steps:
        """Move part of a large book to the colleague with the smallest one."""
        day = self.today()
        sources = [m for m in self.available if m.busy == 0 and len(m.book) >= 4]
        if not sources:
            return
        source = max(sources, key=lambda m: (len(m.book), m.id))
        targets = [m for m in self.available if m is not source and m.branch == source.branch]
        if not targets:
            return
        target = min(targets, key=lambda m: (len(m.book), m.hired_on < day - timedelta(days=365), m.id))
        movable = [cid for cid in source.book if not self.client_by_id[cid].locked]
        chosen = sorted(self.rng.sample(movable, min(40, max(1, len(movable) // 5))))
        yield from self.open_handover(source, target, chosen, "portfolio rebalancing", departure=False)

    def open_handover(
        self, source: Manager, target: Manager, client_ids: list[str], reason: str, departure: bool
    ) -> Steps:
        """Open a handover and plan its witnesses, signed record and filing."""
        rng, day = self.rng, self.today()
        handover = Handover(f"HO{next(self.handover_numbers):05d}", source, target, client_ids, departure)
        for client_id in client_ids:
            self.client_by_id[client_id].locked = True
        source.busy += 1
        target.busy += 1
        yield self.message(
            "handover.opened", handover_id=handover.id, from_manager_id=source.id, to_manager_id=target.id,
            client_ids=client_ids, reason=reason, opened_on=day,
        )
        # Witnesses are the sub-branch's RM lead and the branch's wealth-centre head:
        # staff ids, never managers, so never a party to the handover.
        lead = f"LEAD-{source.unit}" if source.unit != source.branch else f"LEAD-{source.branch}-SB01"
        witnessed = []
        for role, witness in (("sub_branch_lead", lead), ("wealth_centre_head", f"WCH-{source.branch}")):
            on = day + timedelta(days=rng.randrange(3))
            witnessed.append(on)
            self.plan(on, partial(self.witness_step, handover, role, witness, on))
        signed_on = max(witnessed) + timedelta(days=rng.randrange(3))
        self.plan(signed_on, lambda: self.signed_step(handover, signed_on))
        filed_on = signed_on + timedelta(days=1 + rng.randrange(3))
        self.plan(filed_on, lambda: self.filed_step(handover, filed_on))

    def witness_step(self, handover: Handover, role: str, witness: str, day: date) -> Steps:
        yield self.message(
            "handover.witnessed", handover_id=handover.id, witness_id=witness, witness_role=role, witnessed_on=day
        )

    def signed_step(self, handover: Handover, day: date) -> Steps:
        yield self.message(
            "handover.record_signed", handover_id=handover.id, record_ref=f"DOC-{handover.id}", signed_on=day
        )

    def filed_step(self, handover: Handover, day: date) -> Steps:
        """Filing moves every client; a leaver then gives up the backups they hold."""
        source, target = handover.source, handover.target
        for client_id in handover.client_ids:
            client = self.client_by_id[client_id]
            del source.book[client_id]
            target.book[client_id] = None
            client.primary = target.id
            client.locked = False
            if client.backup == target.id:
                # The ledger ends this backup itself on filing: no message.
                client.backup = None
                del target.backups[client_id]
        source.busy -= 1
        target.busy -= 1
        yield self.message("handover.filed", handover_id=handover.id, filed_on=day)
        if handover.departure:
            yield from self.release_backups(source, day)
            self.plan_approvals(source, day)

    def release_backups(self, manager: Manager, day: date) -> Steps:
        """A leaver's backup roles end."""
        for client_id in list(manager.backups):
            yield self.release(self.client_by_id[client_id], "backup", day)

    def departed_step(self, manager: Manager, day: date) -> Steps:
        """The last working day: by now the book is empty and all three have approved."""
        assert not manager.book and not manager.backups, f"{manager.id} still holds clients"
        manager.state = "departed"
        yield self.message("manager.departed", manager_id=manager.id, departed_on=day)

    def close_step(self, period: str, day: date) -> Steps:
        yield self.message("period.closed", period=period, closed_on=day, approved_by="FIN-HQ-01")

    def reverse_step(self, posting_id: str) -> Steps:
        yield self.message("posting.reversed", posting_id=posting_id, reason=self.rng.choice(REVERSAL_REASONS))

    def late_posting_step(self, month_last: date) -> Steps:
        """A posting booked after its month was closed, dated inside that month."""
        first = month_last.replace(day=1)
        for _ in range(20):  # a few tries to find a client served throughout
            client = self.rng.choice(self.clients)
            if client.since is not None and client.since <= month_last:
                value_date = between(self.rng, max(first, client.since), month_last)
                category = self.rng.choice(("fee_income", "other_income", "other_cost", "asset_cost"))
                yield from self.book(client, category, self.rng.randrange(1_000, 200_000), value_date)
                return

    def late_compliance_step(self, period: str) -> Steps:
        staff = [m for m in self.managers.values() if m.state != "departed"]
        yield self.compliance(self.rng.choice(staff), period)

    def today(self) -> date:
        """The day of the agenda step being run."""
        return self.current_day


# ---------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------


def generate(seed: int = 7, size: str = "small") -> Iterator[dict[str, Any]]:
    """The messages of a synthetic bank, in an order the ledger accepts."""
    bank = Bank(random.Random(seed), size_spec(size))
    yield from bank.run()


def write_jsonl(path: str | Path, seed: int = 7, size: str = "small") -> int:
    """Write the bank to ``path`` as JSON Lines, one message at a time; returns the count."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for message in generate(seed, size):
            out.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """``python -m scripts.bank.generate --seed 7 --size small --out bank.jsonl``."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bank.generate", description="Write a deterministic synthetic bank as JSON Lines."
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--size", default="small", help="tiny, small, medium, large, or a target message count (default small)"
    )
    parser.add_argument("--out", default="bank.jsonl", help="output file (default bank.jsonl)")
    args = parser.parse_args(argv)
    try:
        size_spec(args.size)
    except ValueError as error:
        parser.error(str(error))
    count = write_jsonl(args.out, args.seed, args.size)
    print(f"wrote {count} messages to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

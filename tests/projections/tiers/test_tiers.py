"""Tiers (docs/rules.md R8, docs/tiers.md): VIP criteria at their bounds, potential at 80%,
maintenance levels, the 182-day average, same-date reports, large outflows, the SQL
macros and ``rmledger tiers``.

The ``balances`` and ``clients`` tables are made here, in an in-memory DuckDB, with the
columns of docs/read-model.md, and filled in bulk (Arrow), so these tests do not depend
on the loader; only the command-line tests (``rmledger tiers``, and the golden scenario
tests/scenarios/vip_bounds.jsonl at the end) go through the ledger and the loader.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from click.testing import CliRunner

from projections.tiers import classify as t
from scripts.cli.main import cli
from tests.paths import SCENARIOS

D = date(2026, 3, 31)
LONG_AGO = "2025-01-01"  # more than 182 days before D: a balance held over the whole window
RECORDED = datetime(2026, 4, 1, tzinfo=UTC)

MONEY = pa.decimal128(18, 2)
SCHEMA = {
    "clients": pa.schema(
        [
            ("position", pa.int64()),
            ("recorded_at", pa.timestamp("us", tz="UTC")),
            ("client_id", pa.string()),
            ("kind", pa.string()),
            ("branch_id", pa.string()),
            ("registered_on", pa.date32()),
            ("name", pa.string()),
            ("id_last4", pa.string()),
        ]
    ),
    "balances": pa.schema(
        [
            ("position", pa.int64()),
            ("recorded_at", pa.timestamp("us", tz="UTC")),
            ("message_id", pa.string()),
            ("client_id", pa.string()),
            ("product", pa.string()),
            ("balance", MONEY),
            ("as_of", pa.date32()),
        ]
    ),
}
DDL = {
    "clients": "position BIGINT NOT NULL, recorded_at TIMESTAMPTZ, client_id VARCHAR, kind VARCHAR, "
    "branch_id VARCHAR, registered_on DATE, name VARCHAR, id_last4 VARCHAR",
    "balances": "position BIGINT NOT NULL, recorded_at TIMESTAMPTZ, message_id VARCHAR, client_id VARCHAR, "
    "product VARCHAR, balance DECIMAL(18,2), as_of DATE",
}


class Book:
    """A read model with only ``clients`` and ``balances``, filled in bulk by ``load``."""

    def __init__(self) -> None:
        self.conn = duckdb.connect()
        for name, columns in DDL.items():
            self.conn.execute(f"CREATE TABLE {name} ({columns})")
        self.rows: dict[str, list[dict[str, Any]]] = {"clients": [], "balances": []}
        self.last_position = 0

    def _position(self, position: int | None) -> int:
        """The given position, or the next after the highest so far."""
        self.last_position = (
            max(self.last_position + 1, position or 0)
            if position is None
            else max(self.last_position, position)
        )
        return self.last_position if position is None else position

    def client(
        self, client_id: str, registered_on: str = "2020-01-01", position: int | None = None
    ) -> int:
        pos = self._position(position)
        self.rows["clients"].append(
            {
                "position": pos,
                "recorded_at": RECORDED,
                "client_id": client_id,
                "kind": "personal",
                "branch_id": "BR01",
                "registered_on": date.fromisoformat(registered_on),
                "name": client_id,
                "id_last4": "1234",
            }
        )
        return pos

    def balance(
        self, client_id: str, product: str, amount: str, as_of: str, position: int | None = None
    ) -> int:
        pos = self._position(position)
        self.rows["balances"].append(
            {
                "position": pos,
                "recorded_at": RECORDED,
                "message_id": f"bal-{pos}",
                "client_id": client_id,
                "product": product,
                "balance": Decimal(amount),
                "as_of": date.fromisoformat(as_of),
            }
        )
        return pos

    def load(self) -> duckdb.DuckDBPyConnection:
        for name, rows in self.rows.items():
            if rows:
                data = pa.Table.from_pylist(rows, schema=SCHEMA[name])  # noqa: F841 (read by DuckDB)
                self.conn.execute(f"INSERT INTO {name} BY NAME SELECT * FROM data")
            rows.clear()
        return self.conn


def one(book: Book, client_id: str = "C1", as_of: date = D) -> dict[str, Any]:
    row = t.tier_of(book.load(), client_id, as_of)
    assert row is not None
    return row


def holding(product: str, amount: str, as_of: str = LONG_AGO) -> Book:
    book = Book()
    book.client("C1")
    book.balance("C1", product, amount, as_of)
    return book


# -- VIP criteria at, just below and just above their bounds -----------------------------

CRITERIA_BOUNDS = [
    # (criterion, product, 0.01 below, at, 0.01 above, VIP at the bound?)
    ("avg_deposit", "deposit", "499999.99", "500000.00", "500000.01", True),  # ≥
    ("credit_loan", "loan_credit", "49999.99", "50000.00", "50000.01", False),  # >
    ("pledged_loan", "loan_pledged", "299999.99", "300000.00", "300000.01", False),
    ("secured_loan", "loan_secured", "499999.99", "500000.00", "500000.01", False),
    ("fund", "fund", "499999.99", "500000.00", "500000.01", True),
    ("housing_loan", "loan_housing", "2999999.99", "3000000.00", "3000000.01", True),
]


@pytest.mark.parametrize(
    ("criterion", "product", "below", "at", "above", "inclusive"), CRITERIA_BOUNDS
)
def test_each_vip_criterion_at_its_bound(
    criterion: str, product: str, below: str, at: str, above: str, inclusive: bool
) -> None:
    row = one(holding(product, below))
    assert (row["tier"], row["criteria_met"], row["near_criteria"]) == (
        "potential",
        [],
        [criterion],
    )
    row = one(holding(product, at))
    if inclusive:
        assert (row["tier"], row["criteria_met"], row["near_criteria"]) == ("vip", [criterion], [])
    else:
        assert (row["tier"], row["criteria_met"], row["near_criteria"]) == (
            "potential",
            [],
            [criterion],
        )
    row = one(holding(product, above))
    assert (row["tier"], row["criteria_met"], row["near_criteria"]) == ("vip", [criterion], [])
    assert row[product] == Decimal(above)


def test_the_average_deposit_criterion_reads_the_average_not_the_balance() -> None:
    book = Book()
    book.client("C1")
    book.balance("C1", "deposit", "1000000.00", "2026-03-01")  # 31 days of the 182
    row = one(book)
    assert row["deposit"] == Decimal("1000000.00")
    assert row["deposit_day_sum"] == Decimal("31000000.00")
    assert row["avg_deposit_182d"] == Decimal("170329.67")  # 170,329.6703...
    assert (row["tier"], row["criteria_met"]) == ("mass", [])


def test_several_criteria_are_listed_in_a_fixed_order() -> None:
    book = Book()
    book.client("C1")
    for product, amount in (
        ("loan_housing", "3000000.00"),
        ("fund", "400000.00"),
        ("deposit", "600000.00"),
        ("loan_credit", "45000.00"),
    ):
        book.balance("C1", product, amount, LONG_AGO)
    row = one(book)
    assert row["tier"] == "vip"
    assert row["criteria_met"] == ["avg_deposit", "housing_loan"]
    assert row["near_criteria"] == ["credit_loan", "fund"]


# -- potential at exactly 80% and just below ---------------------------------------------

EIGHTY = [
    ("avg_deposit", "deposit", "400000.00", "399999.99"),
    ("credit_loan", "loan_credit", "40000.00", "39999.99"),
    ("pledged_loan", "loan_pledged", "240000.00", "239999.99"),
    ("secured_loan", "loan_secured", "400000.00", "399999.99"),
    ("fund", "fund", "400000.00", "399999.99"),
    ("housing_loan", "loan_housing", "2400000.00", "2399999.99"),
]


@pytest.mark.parametrize(("criterion", "product", "at", "below"), EIGHTY)
def test_potential_at_eighty_percent(criterion: str, product: str, at: str, below: str) -> None:
    row = one(holding(product, at))
    assert (row["tier"], row["criteria_met"], row["near_criteria"]) == (
        "potential",
        [],
        [criterion],
    )
    row = one(holding(product, below))
    assert (row["tier"], row["criteria_met"], row["near_criteria"]) == ("mass", [], [])


def test_the_tier_is_decided_on_the_exact_average_not_the_printed_one() -> None:
    # 181 days at 400,000.00 and one at 399,999.99: the sum is 0.01 short of
    # 80% × 500,000 × 182, so not potential, although the average prints as 400000.00
    book = Book()
    book.client("C1")
    book.balance("C1", "deposit", "400000.00", LONG_AGO)
    book.balance("C1", "deposit", "399999.99", D.isoformat())
    row = one(book)
    assert row["deposit_day_sum"] == Decimal("72799999.99")
    assert row["avg_deposit_182d"] == Decimal("400000.00")
    assert (row["tier"], row["near_criteria"]) == ("mass", [])
    assert t.tier_json(row)["avg_deposit_182d"] == "400000.00"


# -- maintenance levels -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("wealth", "aum", "level"),
    [
        ("799999.99", "999999.99", "manager"),
        ("800000.00", "1000000.00", "sub_branch"),
        ("4800000.00", "5000000.00", "sub_branch"),
        ("4800000.01", "5000000.01", "branch"),
    ],
)
def test_maintenance_level_by_aum(wealth: str, aum: str, level: str) -> None:
    book = Book()
    book.client("C1")
    book.balance("C1", "deposit", "100000.00", LONG_AGO)
    book.balance("C1", "fund", "100000.00", LONG_AGO)
    book.balance("C1", "wealth", wealth, "2026-03-31")
    book.balance("C1", "loan_housing", "1000000.00", LONG_AGO)  # loans are not assets
    row = one(book)
    assert row["aum"] == Decimal(aum)
    assert row["maintenance_level"] == level
    assert t.tier_json(row)["aum"] == aum


# -- the 182-day average -----------------------------------------------------------------


def test_average_with_a_change_in_the_middle_of_the_window() -> None:
    # window 2025-12-31..2026-06-30: 91 days at 100,000 and 91 days at 700,000
    book = Book()
    book.client("C1")
    book.balance("C1", "deposit", "100000.00", "2025-06-01")
    book.balance("C1", "deposit", "700000.00", "2026-04-01")
    row = one(book, as_of=date(2026, 6, 30))
    assert row["deposit_day_sum"] == Decimal("72800000.00")
    assert row["avg_deposit_182d"] == Decimal("400000.00")
    assert row["deposit"] == Decimal("700000.00")
    assert (row["tier"], row["near_criteria"]) == ("potential", ["avg_deposit"])  # exactly 80%


def test_average_with_the_first_report_inside_the_window() -> None:
    # 11 days at 1,000,000 (2026-06-20..30); the 171 days before the first report count 0
    book = Book()
    book.client("C1")
    book.balance("C1", "deposit", "1000000.00", "2026-06-20")
    row = one(book, as_of=date(2026, 6, 30))
    assert row["deposit_day_sum"] == Decimal("11000000.00")
    assert row["avg_deposit_182d"] == Decimal("60439.56")  # 60,439.5604...
    assert (row["tier"], row["maintenance_level"], row["aum"]) == (
        "mass",
        "sub_branch",
        Decimal("1000000.00"),
    )
    before = one(book, as_of=date(2026, 6, 19))
    assert (before["avg_deposit_182d"], before["deposit"], before["tier"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
        "mass",
    )


def test_average_window_edges() -> None:
    # d - 181 = 2025-12-31 is the window's first day; a report the day before is outside
    d = date(2026, 6, 30)
    book = Book()
    book.client("C1")
    book.balance("C1", "deposit", "1000000.00", "2025-12-30")
    book.balance("C1", "deposit", "182000.00", "2025-12-31")
    assert one(book, as_of=d)["avg_deposit_182d"] == Decimal("182000.00")
    book = Book()
    book.client("C1")
    book.balance("C1", "deposit", "1000000.00", "2025-12-30")
    book.balance("C1", "deposit", "182000.00", "2026-01-01")
    row = one(book, as_of=d)
    assert row["deposit_day_sum"] == Decimal("33942000.00")  # 1 day at 1,000,000 + 181 at 182,000
    assert row["avg_deposit_182d"] == Decimal("186494.51")  # 186,494.5054...


def test_average_is_rounded_half_up_to_the_fen() -> None:
    # 0.01 held 91 days: 0.91 / 182 = 0.005 exactly, printed 0.01
    book = Book()
    book.client("C1")
    book.balance("C1", "deposit", "0.01", "2026-04-01")
    row = one(book, as_of=date(2026, 6, 30))
    assert row["deposit_day_sum"] == Decimal("0.91")
    assert row["avg_deposit_182d"] == Decimal("0.01")
    assert t.tier_json(row)["avg_deposit_182d"] == "0.01"


def test_money_is_decimal_in_sql() -> None:
    book = holding("deposit", "1.00")
    conn = book.load()
    t.install(conn)
    types = dict(
        conn.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM tier_history(NULL, DATE '2026-03-31', "
            "DATE '2026-03-31'))"
        ).fetchall()
    )
    assert types["aum"] == "DECIMAL(20,2)" and types["avg_deposit_182d"] == "DECIMAL(18,2)"
    assert types["deposit_day_sum"] == "DECIMAL(38,2)" and types["deposit"] == "DECIMAL(18,2)"
    types = dict(
        conn.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM large_outflows(NULL, NULL, NULL))"
        ).fetchall()
    )
    assert types["drop"] == "DECIMAL(18,2)" and types["drop_ratio"] == "DECIMAL(18,6)"


# -- same-date reports ------------------------------------------------------------------


def test_same_date_reports_the_later_position_wins() -> None:
    book = Book()
    book.client("C1", position=1)
    # loaded out of order: the row with the higher position is inserted first
    book.balance("C1", "fund", "100000.00", "2026-03-01", position=12)
    book.balance("C1", "fund", "500000.00", "2026-03-01", position=11)
    book.balance("C1", "deposit", "600000.00", "2026-03-31", position=20)
    book.balance("C1", "deposit", "0.00", "2026-03-31", position=10)
    row = one(book)
    assert (row["fund"], row["deposit"]) == (Decimal("100000.00"), Decimal("600000.00"))
    assert (row["tier"], row["criteria_met"]) == ("mass", [])
    assert row["aum"] == Decimal("700000.00")


def test_reading_at_a_position_ignores_later_reports() -> None:
    book = Book()
    book.client("C1", position=1)
    book.balance("C1", "fund", "500000.00", "2026-03-01", position=5)
    book.balance("C1", "fund", "100000.00", "2026-03-01", position=9)
    conn = book.load()
    assert t.tier_of(conn, "C1", D)["tier"] == "mass"  # type: ignore[index]
    assert t.tier_of(conn, "C1", D, at_position=8)["tier"] == "vip"  # type: ignore[index]
    assert t.tier_of(conn, "C1", D, at_position=0) is None  # not yet registered at position 0


# -- which clients ----------------------------------------------------------------------


def test_clients_appear_from_their_registration_date() -> None:
    book = Book()
    book.client("C2", registered_on="2026-04-01")
    book.client("C1")
    book.client("C3")
    book.balance("C2", "fund", "900000.00", "2026-03-01")  # reported before registration
    conn = book.load()
    assert [r["client_id"] for r in t.tiers(conn, D)] == ["C1", "C3"]
    assert t.tier_of(conn, "C2", D) is None
    assert t.tier_of(conn, "C9", D) is None
    assert t.tier_of(conn, "C2", date(2026, 4, 1))["tier"] == "vip"  # type: ignore[index]
    assert [r["client_id"] for r in t.tiers(conn, date(2026, 4, 1), "C2")] == ["C2"]
    row = t.tier_of(conn, "C1", D)
    assert row is not None
    assert t.tier_json(row) == {
        "client_id": "C1",
        "as_of": "2026-03-31",
        "tier": "mass",
        "maintenance_level": "manager",
        "aum": "0.00",
        "avg_deposit_182d": "0.00",
        "criteria_met": [],
        "near_criteria": [],
    }


# -- large outflows ---------------------------------------------------------------------


def outflows(book: Book, **kw: Any) -> list[dict[str, Any]]:
    return t.large_outflows(book.load(), **kw)


def deposits(*reports: tuple[str, str]) -> Book:
    book = Book()
    book.client("C1")
    for as_of, amount in reports:
        book.balance("C1", "deposit", amount, as_of)
    return book


def test_outflow_at_the_amount_bound() -> None:
    [alert] = outflows(deposits(("2026-03-01", "1000000.00"), ("2026-03-15", "500000.00")))
    assert alert == {
        "client_id": "C1",
        "from_balance": Decimal("1000000.00"),
        "to_balance": Decimal("500000.00"),
        "drop": Decimal("500000.00"),
        "drop_ratio": Decimal("0.500000"),
        "from_date": date(2026, 3, 14),
        "to_date": date(2026, 3, 15),
        "as_of": date(2026, 3, 15),
        "message_id": "bal-3",
        "position": 3,
    }
    assert t.outflow_json(alert) == {
        "client_id": "C1",
        "from_balance": "1000000.00",
        "to_balance": "500000.00",
        "drop": "500000.00",
        "drop_ratio": "0.500000",
        "from_date": "2026-03-14",
        "to_date": "2026-03-15",
        "as_of": "2026-03-15",
        "message_id": "bal-3",
        "position": 3,
    }
    assert outflows(deposits(("2026-03-01", "1000000.00"), ("2026-03-15", "500000.01"))) == []


def test_outflow_at_the_ratio_bound() -> None:
    [alert] = outflows(deposits(("2026-03-01", "2000000.00"), ("2026-03-15", "1400000.00")))
    assert (alert["drop"], alert["drop_ratio"]) == (Decimal("600000.00"), Decimal("0.300000"))
    assert outflows(deposits(("2026-03-01", "2000000.00"), ("2026-03-15", "1400000.01"))) == []


def test_outflow_ratio_is_rounded_half_up_to_six_places() -> None:
    [alert] = outflows(deposits(("2026-03-01", "2000000.00"), ("2026-03-15", "1399999.00")))
    assert (alert["drop"], alert["drop_ratio"]) == (
        Decimal("600001.00"),
        Decimal("0.300001"),
    )  # 0.3000005


def test_outflow_within_thirty_days() -> None:
    # 1,000,000 holds on 2026-01-01 only; a fall on 01-31 is within 30 days of it, on 02-01 not
    book = deposits(
        ("2026-01-01", "1000000.00"), ("2026-01-02", "600000.00"), ("2026-01-31", "400000.00")
    )
    [alert] = outflows(book)
    assert (alert["from_balance"], alert["from_date"], alert["to_date"], alert["drop"]) == (
        Decimal("1000000.00"),
        date(2026, 1, 1),
        date(2026, 1, 31),
        Decimal("600000.00"),
    )
    book = deposits(
        ("2026-01-01", "1000000.00"), ("2026-01-02", "600000.00"), ("2026-02-01", "400000.00")
    )
    assert outflows(book) == []


def test_outflow_measured_from_the_highest_balance_of_the_thirty_days() -> None:
    book = deposits(
        ("2026-03-01", "1000000.00"),
        ("2026-03-05", "800000.00"),
        ("2026-03-20", "600000.00"),
        ("2026-03-25", "450000.00"),
    )
    [alert] = outflows(book)  # on 03-20 the fall is 400,000 only
    assert (alert["from_balance"], alert["from_date"], alert["to_balance"], alert["to_date"]) == (
        Decimal("1000000.00"),
        date(2026, 3, 4),
        Decimal("450000.00"),
        date(2026, 3, 25),
    )
    assert alert["drop_ratio"] == Decimal("0.550000")


def test_outflow_same_date_reports_resolved_by_position() -> None:
    book = Book()
    book.client("C1", position=1)
    book.balance("C1", "deposit", "1000000.00", "2026-03-01", position=2)
    book.balance("C1", "deposit", "900000.00", "2026-03-10", position=30)
    book.balance("C1", "deposit", "100000.00", "2026-03-10", position=25)
    assert outflows(book) == []
    book = Book()
    book.client("C1", position=1)
    book.balance("C1", "deposit", "1000000.00", "2026-03-01", position=2)
    book.balance("C1", "deposit", "900000.00", "2026-03-10", position=25)
    book.balance("C1", "deposit", "100000.00", "2026-03-10", position=30)
    [alert] = outflows(book)
    assert (alert["to_balance"], alert["position"], alert["message_id"]) == (
        Decimal("100000.00"),
        30,
        "bal-30",
    )


def test_outflow_filters_look_back_before_start() -> None:
    book = Book()
    for client in ("C1", "C2"):
        book.client(client)
        book.balance(client, "deposit", "1000000.00", "2026-02-20")
        book.balance(client, "deposit", "100000.00", "2026-03-02")
    book.balance("C2", "fund", "0.00", "2026-03-02")  # other products are no outflow
    conn = book.load()
    assert [(a["client_id"], a["to_date"]) for a in t.large_outflows(conn)] == [
        ("C1", date(2026, 3, 2)),
        ("C2", date(2026, 3, 2)),
    ]
    assert [a["client_id"] for a in t.large_outflows(conn, date(2026, 3, 1), date(2026, 3, 2))] == [
        "C1",
        "C2",
    ]
    assert [a["client_id"] for a in t.large_outflows(conn, date(2026, 3, 2), None, "C2")] == ["C2"]
    assert t.large_outflows(conn, date(2026, 3, 3)) == []
    assert t.large_outflows(conn, None, date(2026, 3, 1)) == []
    assert t.large_outflows(conn, at_position=2) == []
    assert [a["client_id"] for a in t.large_outflows(conn, at_position=5)] == [
        "C1"
    ]  # C2's fall is at 6


# -- the SQL macros ---------------------------------------------------------------------


def test_tier_history_and_changes_in_sql() -> None:
    book = Book()
    book.client("C1", registered_on="2026-01-01")
    book.balance("C1", "fund", "450000.00", "2026-01-10")
    book.balance("C1", "fund", "1200000.00", "2026-02-01")
    book.balance("C1", "fund", "0.00", "2026-03-01")
    conn = book.load()
    t.install(conn)
    rows = conn.execute(
        "SELECT as_of, tier, maintenance_level FROM tier_history('C1', DATE '2025-12-30', "
        "DATE '2026-03-31') WHERE as_of IN ('2025-12-30', '2026-01-01', '2026-01-10', "
        "'2026-02-01', '2026-03-31') ORDER BY as_of"
    ).fetchall()
    assert rows == [
        (date(2026, 1, 1), "mass", "manager"),
        (date(2026, 1, 10), "potential", "manager"),
        (date(2026, 2, 1), "vip", "sub_branch"),
        (date(2026, 3, 31), "mass", "manager"),
    ]
    changes = conn.execute(
        "SELECT as_of, valid_until, tier, maintenance_level, previous_tier "
        "FROM tier_changes('C1', '2025-12-30', '2026-03-31')"
    ).fetchall()
    assert changes == [
        (date(2026, 1, 1), date(2026, 1, 9), "mass", "manager", None),
        (date(2026, 1, 10), date(2026, 1, 31), "potential", "manager", "mass"),
        (date(2026, 2, 1), date(2026, 2, 28), "vip", "sub_branch", "potential"),
        (date(2026, 3, 1), date(2026, 3, 31), "mass", "manager", "vip"),
    ]
    assert [c["tier"] for c in t.tier_changes(conn, None, date(2026, 1, 1), date(2026, 3, 31))] == [
        "mass",
        "potential",
        "vip",
        "mass",
    ]


def test_history_matches_day_by_day_tiers() -> None:
    book = Book()
    book.client("C1")
    book.client("C2")
    for i, amount in enumerate(("520000.00", "90000.00", "610000.00", "10.00", "700000.00")):
        book.balance("C1", "deposit", amount, f"2026-0{i + 1}-1{i}")
        book.balance("C2", "deposit", amount, f"2025-1{i % 3}-0{i + 1}")
    conn = book.load()
    history = t.tier_history(conn, None, date(2026, 1, 1), date(2026, 6, 30))
    assert len(history) == 2 * 181
    for row in history[::17]:
        assert t.tier_of(conn, row["client_id"], row["as_of"]) == row


def test_macros_work_on_a_read_only_connection_and_persist(tmp_path: Path) -> None:
    path = tmp_path / "rm.duckdb"
    book = Book()
    book.conn = duckdb.connect(str(path))
    for name, columns in DDL.items():
        book.conn.execute(f"CREATE TABLE {name} ({columns})")
    book.client("C1")
    book.balance("C1", "fund", "500000.00", LONG_AGO)
    t.install(book.load(), persistent=True)
    book.conn.close()
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute(
            "SELECT tier FROM tier_history('C1', '2026-03-31', '2026-03-31')"
        ).fetchall() == [("vip",)]
        assert t.tier_of(conn, "C1", D)["criteria_met"] == ["fund"]  # type: ignore[index]


# -- rmledger tiers ---------------------------------------------------------------------


def _message(type_: str, id_: str, **fields: str) -> str:
    return json.dumps({"type": type_, "id": id_, **fields})


def test_rmledger_tiers(tmp_path: Path, clean_environ: None) -> None:
    lines = [
        _message(
            "client.registered",
            "reg:C1",
            client_id="C1",
            kind="personal",
            branch_id="BR01",
            registered_on="2024-01-01",
            name="Client C1",
            id_number="110101199003071234",
        ),
        _message(
            "client.registered",
            "reg:C2",
            client_id="C2",
            kind="personal",
            branch_id="BR01",
            registered_on="2024-01-01",
            name="Client C2",
            id_number="110101199003075678",
        ),
        _message(
            "balance.reported",
            "b1",
            client_id="C1",
            product="deposit",
            balance="600000.00",
            as_of="2025-01-01",
        ),
        _message(
            "balance.reported",
            "b2",
            client_id="C1",
            product="wealth",
            balance="500000.00",
            as_of="2026-03-01",
        ),
        _message(
            "balance.reported",
            "b3",
            client_id="C2",
            product="loan_credit",
            balance="40000.00",
            as_of="2026-03-01",
        ),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    data = ["--data-dir", str(tmp_path / "var")]
    runner = CliRunner()
    assert runner.invoke(cli, [*data, "ingest", str(source)]).exit_code == 0
    result = runner.invoke(cli, [*data, "tiers", "--as-of", "2026-03-31", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {
            "client_id": "C1",
            "as_of": "2026-03-31",
            "tier": "vip",
            "maintenance_level": "sub_branch",
            "aum": "1100000.00",
            "avg_deposit_182d": "600000.00",
            "criteria_met": ["avg_deposit"],
            "near_criteria": [],
        },
        {
            "client_id": "C2",
            "as_of": "2026-03-31",
            "tier": "potential",
            "maintenance_level": "manager",
            "aum": "0.00",
            "avg_deposit_182d": "0.00",
            "criteria_met": [],
            "near_criteria": ["credit_loan"],
        },
    ]
    result = runner.invoke(cli, [*data, "tiers", "--as-of", "2026-03-31", "--client", "C2"])
    assert result.exit_code == 0, result.output
    assert "C2" in result.output and "potential" in result.output and "credit_loan" in result.output
    assert "C1 " not in result.output and "1 client: mass 0, potential 1, vip 0" in result.output
    result = runner.invoke(cli, [*data, "tiers", "--as-of", "2026-03-31", "--client", "C9"])
    assert result.exit_code == 1 and result.output == "no such client: C9\n"
    result = runner.invoke(cli, [*data, "tiers", "--as-of", "2026-3-31"])
    assert result.exit_code == 2 and "not a date" in result.output


# -- golden scenario: every bound through the whole pipeline -------------------------------
#
# tests/scenarios/vip_bounds.jsonl, ingested with ``rmledger ingest`` and read back with
# ``rmledger tiers --json``: decoder, ledger, event store, loader and tier SQL together.
# All clients are registered on 2024-01-01 (one on 2026-07-01). On d = 2026-06-30 the
# 182-day window is 2025-12-31..2026-06-30, two halves of 91 days each:
# 2025-12-31..2026-03-31 (1 + 31 + 28 + 31) and 2026-04-01..2026-06-30 (30 + 31 + 30).
# A deposit reported on 2025-06-01 at A and on 2026-04-01 at B so holds A on the first 91
# days and B on the last 91: Σ = 91 × (A + B) and the mean is exactly (A + B) / 2.
# Reports dated 2025-01-01 hold over the whole window (mean = balance).

VIP_BOUNDS = SCENARIOS / "vip_bounds.jsonl"
GOLDEN_D = "2026-06-30"


def _tier(
    tier: str,
    aum: str = "0.00",
    avg: str = "0.00",
    met: tuple[str, ...] = (),
    near: tuple[str, ...] = (),
    level: str = "manager",
) -> dict[str, Any]:
    return {
        "tier": tier,
        "maintenance_level": level,
        "aum": aum,
        "avg_deposit_182d": avg,
        "criteria_met": list(met),
        "near_criteria": list(near),
    }


GOLDEN = {
    # average deposit ≥ 500,000 (inclusive); AUM is the deposit held on d
    # Σ = 91 × (400,000.00 + 599,999.98) = 90,999,998.18 < 91,000,000 = 500,000 × 182;
    # mean 499,999.99: potential (≥ 0.8 × 91,000,000 = 72,800,000)
    "AVG-1-BELOW": _tier("potential", "599999.98", "499999.99", near=("avg_deposit",)),
    # Σ = 91 × 1,000,000.00 = 91,000,000.00 = the bound exactly: VIP
    "AVG-2-AT": _tier("vip", "600000.00", "500000.00", met=("avg_deposit",)),
    # Σ = 91 × 1,000,000.02 = 91,000,001.82; mean 500,000.01
    "AVG-3-ABOVE": _tier("vip", "600000.02", "500000.01", met=("avg_deposit",)),
    # 181 days at 500,000.00 and d itself at 499,999.99: Σ = 90,500,000.00 + 499,999.99
    # = 90,999,999.99, 0.01 short of the bound; the mean 499,999.99994505… prints as
    # 500000.00 but is below it: potential, not VIP (decided on the exact sum)
    "AVG-4-SUM-SHORT": _tier("potential", "499999.99", "500000.00", near=("avg_deposit",)),
    # first report 2026-04-01: 91 days at 0 (before any report) + 91 at 1,000,000.00
    # = 91,000,000.00: VIP at the bound; AUM 1,000,000.00 exactly: the sub-branch
    "AVG-5-LATE-START": _tier(
        "vip", "1000000.00", "500000.00", met=("avg_deposit",), level="sub_branch"
    ),
    # (300,000.00 + 500,000.00) / 2 = 400,000.00 = 80% of 500,000 exactly: potential
    "AVG-6-80-AT": _tier("potential", "500000.00", "400000.00", near=("avg_deposit",)),
    # (300,000.00 + 499,999.98) / 2 = 399,999.99: below 80%: mass
    "AVG-7-80-BELOW": _tier("mass", "499999.98", "399999.99"),
    # credit loan > 50,000 (strict): 50,000.00 is only near; loans are not assets
    "CREDIT-1-BELOW": _tier("potential", near=("credit_loan",)),
    # 90,000.00 from 2026-01-15, replaced by 50,000.00 on d: the balance on d counts
    "CREDIT-2-AT": _tier("potential", near=("credit_loan",)),
    # 50,000.01 (its 0.00 report dated 2026-07-01 is after d)
    "CREDIT-3-ABOVE": _tier("vip", met=("credit_loan",)),
    "CREDIT-4-80-AT": _tier("potential", near=("credit_loan",)),  # 40,000.00 = 0.8 × 50,000
    "CREDIT-5-80-BELOW": _tier("mass"),  # 39,999.99
    # pledged consumer loan > 300,000 (strict); 80%: 240,000.00
    "PLEDGED-1-BELOW": _tier("potential", near=("pledged_loan",)),
    "PLEDGED-2-AT": _tier("potential", near=("pledged_loan",)),
    "PLEDGED-3-ABOVE": _tier("vip", met=("pledged_loan",)),
    "PLEDGED-4-80-AT": _tier("potential", near=("pledged_loan",)),
    "PLEDGED-5-80-BELOW": _tier("mass"),
    # mortgage/guaranteed consumer loan (loan_secured) > 500,000 (strict); 80%: 400,000.00
    "SECURED-1-BELOW": _tier("potential", near=("secured_loan",)),
    "SECURED-2-AT": _tier("potential", near=("secured_loan",)),
    "SECURED-3-ABOVE": _tier("vip", met=("secured_loan",)),
    "SECURED-4-80-AT": _tier("potential", near=("secured_loan",)),
    "SECURED-5-80-BELOW": _tier("mass"),
    # fund ≥ 500,000 (inclusive); 80%: 400,000.00; funds are assets: AUM = the fund
    "FUND-1-BELOW": _tier("potential", "499999.99", near=("fund",)),
    "FUND-2-AT": _tier("vip", "500000.00", met=("fund",)),
    "FUND-3-ABOVE": _tier("vip", "500000.01", met=("fund",)),
    "FUND-4-80-AT": _tier("potential", "400000.00", near=("fund",)),
    "FUND-5-80-BELOW": _tier("mass", "399999.99"),
    # housing loan ≥ 3,000,000 (inclusive); 80%: 2,400,000.00
    "HOUSING-1-BELOW": _tier("potential", near=("housing_loan",)),
    "HOUSING-2-AT": _tier("vip", met=("housing_loan",)),
    "HOUSING-3-ABOVE": _tier("vip", met=("housing_loan",)),
    "HOUSING-4-80-AT": _tier("potential", near=("housing_loan",)),
    "HOUSING-5-80-BELOW": _tier("mass"),
    # VIP by the housing loan at its bound, and near by a credit loan of 40,000.00
    "HOUSING-6-AND-NEAR-CREDIT": _tier("vip", met=("housing_loan",), near=("credit_loan",)),
    # maintenance level: < 1,000,000 manager; 1,000,000..5,000,000 inclusive sub-branch
    # 300,000.00 + 200,000.00 + 499,999.99 = 999,999.99; deposit mean 300,000 and fund
    # 200,000 are both under 80% of 500,000: mass
    "AUM-1-BELOW-1M": _tier("mass", "999999.99", "300000.00"),
    # wealth 818,000.00 + deposit 182,000.00 reported on d = 1,000,000.00 (the housing
    # loan of 1,000,000.00 is no asset, and under 2,400,000); deposit Σ = 182,000.00
    # (d only): mean 182,000 / 182 = 1,000.00
    "AUM-2-AT-1M": _tier("mass", "1000000.00", "1000.00", level="sub_branch"),
    # wealth 6,000,000.00 from 2026-01-01, 5,000,000.00 from 2026-06-01: 5,000,000.00 on d
    "AUM-3-AT-5M": _tier("mass", "5000000.00", level="sub_branch"),
    # 1,000,000.00 + 1,000,000.00 + 3,000,000.01 = 5,000,000.01; the deposit held all
    # window long (mean 1,000,000.00) and the fund are both VIP criteria
    "AUM-4-ABOVE-5M": _tier(
        "vip", "5000000.01", "1000000.00", met=("avg_deposit", "fund"), level="branch"
    ),
    "MASS-NOTHING": _tier("mass"),
    # ZZ-REGISTERED-LATER (registered 2026-07-01) is not listed on d
}


def _tiers_json(
    runner: CliRunner, data: list[str], as_of: str, *client: str
) -> list[dict[str, Any]]:
    args = [*data, "tiers", "--as-of", as_of, "--json"] + (["--client", *client] if client else [])
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)
    return rows


def test_golden_vip_bounds_through_ingest_and_rmledger_tiers(
    tmp_path: Path, clean_environ: None
) -> None:
    data = ["--data-dir", str(tmp_path / "var")]
    runner = CliRunner()
    result = runner.invoke(cli, [*data, "ingest", "--json", str(VIP_BOUNDS)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"applied": 93, "duplicates": 0, "rejected": []}

    rows = _tiers_json(runner, data, GOLDEN_D)
    assert [r["client_id"] for r in rows] == sorted(GOLDEN)
    for row in rows:
        assert row == {
            "client_id": row["client_id"],
            "as_of": GOLDEN_D,
            **GOLDEN[row["client_id"]],
        }, row["client_id"]

    # The day before (window 2025-12-30..2026-06-29), the reports dated d do not hold yet.
    before = {r["client_id"]: r for r in _tiers_json(runner, data, "2026-06-29")}
    # the credit loan is still 90,000.00 > 50,000
    assert before["CREDIT-2-AT"] == {
        "client_id": "CREDIT-2-AT",
        "as_of": "2026-06-29",
        **_tier("vip", met=("credit_loan",)),
    }
    # no deposit yet: AUM is the wealth alone
    assert before["AUM-2-AT-1M"] == {
        "client_id": "AUM-2-AT-1M",
        "as_of": "2026-06-29",
        **_tier("mass", "818000.00"),
    }
    # 182 days at 500,000.00: Σ = 91,000,000.00, VIP at the bound
    assert before["AVG-4-SUM-SHORT"] == {
        "client_id": "AVG-4-SUM-SHORT",
        "as_of": "2026-06-29",
        **_tier("vip", "500000.00", "500000.00", met=("avg_deposit",)),
    }
    # 90 days (04-01..06-29) at 1,000,000.00: Σ = 90,000,000.00 ≥ 72,800,000 (80%);
    # mean 494,505.494505… → 494,505.49
    assert before["AVG-5-LATE-START"] == {
        "client_id": "AVG-5-LATE-START",
        "as_of": "2026-06-29",
        **_tier("potential", "1000000.00", "494505.49", near=("avg_deposit",), level="sub_branch"),
    }

    # The day after: the credit loan is repaid; the late client is listed, VIP by its fund
    # reported (2026-06-01) before its registration.
    assert _tiers_json(runner, data, "2026-07-01", "CREDIT-3-ABOVE") == [
        {"client_id": "CREDIT-3-ABOVE", "as_of": "2026-07-01", **_tier("mass")}
    ]
    assert _tiers_json(runner, data, "2026-07-01", "ZZ-REGISTERED-LATER") == [
        {
            "client_id": "ZZ-REGISTERED-LATER",
            "as_of": "2026-07-01",
            **_tier("vip", "900000.00", met=("fund",)),
        }
    ]

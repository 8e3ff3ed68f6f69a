"""The read side computes with anything accepted (docs/rules.md R2.5): amounts at the limit,
dates at both ends of the range, a full activity count and long ids and names go
through ingest → close → pay → tiers → departure audit → export → rebuild with exact
money, and sums of a million amounts at the limit are exact too."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from projections.pay.statements import statements
from projections.readmodel.loader import ReadModel
from tests import builders as b
from tests.stores import SqliteStore, open_store, run_rmledger

TOP = "9999999999999.99"  # the largest amount accepted
LONG_ID = "M" + "9" * 63
NAME = "名" * 200


def _history() -> list[dict[str, Any]]:
    """The messages, each with an id of at most 64 characters (the builders derive
    longer ones from the long manager id)."""
    messages = [
        b.hire(LONG_ID, "principal", "1970-01-01", name=NAME),
        b.register("C1", "1970-01-01", id_number="A" * 32, name=NAME),
        b.assign("C1", LONG_ID, effective_on="1970-01-01"),
        b.activity(LONG_ID, "merchant", 1_000_000, "2019-06-30"),  # before any plan: worth nothing
        b.book("P1", "C1", TOP, "fee_income", "2020-01-05"),
        b.book("P2", "C1", TOP, "loan_interest", "2020-01-06"),
        b.classify("L1", "C1", "loss", TOP, "2020-01-07"),  # a charge of the whole balance
        b.activity(LONG_ID, "merchant", 1_000_000, "2020-01-08"),  # 300,000,000.00
        b.report_balance("C1", "deposit", TOP, "1970-01-01"),
        b.report_balance("C1", "fund", TOP, "2099-12-31"),
        b.report_balance("C1", "wealth", TOP, "2099-12-31"),
        b.adjust(LONG_ID, "2020-01", "compliance", "-" + TOP),
        b.adjust(LONG_ID, "2020-01", "award", TOP),
        b.close("2020-01", "2020-02-01"),
        b.book("P3", "C1", TOP, "fee_income", "2099-12-31"),
        b.request_departure(LONG_ID, "2099-12-01", "2099-12-31"),
        b.close("2099-12", "2099-12-31"),
    ]
    return [{**m, "id": f"extreme-{i}"} if len(m["id"]) > 64 else m for i, m in enumerate(messages)]


def _json(result: Any) -> Any:
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def sqlite_store(tmp_path: Path, clean_environ: None) -> SqliteStore:
    store = open_store("sqlite", tmp_path / "data")
    assert isinstance(store, SqliteStore)
    return store


def test_extreme_accepted_values_compute_everywhere(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    # given a history at the limits, ingested
    path = tmp_path / "extreme.jsonl"
    path.write_text(
        "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in _history()), encoding="utf-8"
    )
    ingested = run_rmledger(sqlite_store, "ingest", str(path))
    assert (ingested.returncode, ingested.stdout) == (
        0,
        "applied: 17  duplicates: 0  rejected: 0\n",
    )

    # then January 2020 (the first planned month) is issued, to the fen:
    # profit = 2 × TOP − TOP (loss charge) + 300,000,000; stock served since 1970: k0 0.8, the activity new
    [jan] = _json(run_rmledger(sqlite_store, "pay", "--period", "2020-01", "--json"))
    assert {
        k: jan[k]
        for k in (
            "responsibility_profit",
            "weighted_profit",
            "performance_earned",
            "prepayment",
            "compliance",
            "performance_due",
            "performance_paid",
            "clawback_carried",
            "awards",
            "total",
            "status",
        )
    } == {
        "responsibility_profit": "10000299999999.99",
        "weighted_profit": "8000299999999.99",
        "performance_earned": "260009750000.00",
        "prepayment": "182006825000.00",
        "compliance": "-9999999999999.99",
        "performance_due": "-9817993174999.99",
        "performance_paid": "0.00",
        "clawback_carried": "9817993174999.99",
        "awards": TOP,
        "total": "10000000014999.99",
        "status": "issued",
    }

    # and December 2099 is issued, with 80 years of true-up behind it
    [dec] = _json(run_rmledger(sqlite_store, "pay", "--period", "2099-12", "--json"))
    assert {
        k: dec[k]
        for k in (
            "performance_earned",
            "prepayment",
            "settlement",
            "prior_true_up",
            "performance_due",
            "clawback_carried",
            "total",
        )
    } == {
        "performance_earned": "260000000000.00",
        "prepayment": "182000000000.00",
        "settlement": "78000000000.00",
        "prior_true_up": "-9739990249999.99",
        "performance_due": "-9479990249999.99",
        "clawback_carried": "9479990249999.99",
        "total": "15000.00",
    }

    # and the tier on the last day of the range
    [tier] = _json(run_rmledger(sqlite_store, "tiers", "--as-of", "2099-12-31", "--json"))
    assert {
        k: tier[k] for k in ("tier", "maintenance_level", "aum", "avg_deposit_182d", "criteria_met")
    } == {
        "tier": "vip",
        "maintenance_level": "branch",
        "aum": "29999999999999.97",
        "avg_deposit_182d": TOP,
        "criteria_met": ["avg_deposit", "fund"],
    }

    # and the departure audit
    audit = _json(
        run_rmledger(sqlite_store, "audit", "departure", "--manager", LONG_ID, "--format", "json")
    )
    assert audit["loans"]["loans"][0]["balance_at_departure"] == TOP
    assert audit["departure"]["audit_date"] == "2099-12-31"

    # and the export, whose Parquet holds the statements exactly
    exported = run_rmledger(sqlite_store, "export", "--out", str(tmp_path / "export"))
    assert exported.returncode == 0, exported.stderr
    totals = duckdb.sql(
        f"SELECT period, total FROM read_parquet('{tmp_path}/export/statements_issued.parquet') "
        "ORDER BY period"
    ).fetchall()
    assert totals == [("2020-01", Decimal("10000000014999.99")), ("2099-12", Decimal("15000.00"))]

    # and the restated statements of every month, 80 years of them, for the SQL console
    [restated] = _json(
        run_rmledger(
            sqlite_store,
            "sql",
            "--json",
            "SELECT count(*) AS n, min(period) AS first, max(period) AS last, "
            "max(total) AS top FROM statements_restated",
        )
    )
    assert restated == {"n": 960, "first": "2020-01", "last": "2099-12", "top": "10000000014999.99"}

    # and a rebuild gives the same statements
    rebuilt = run_rmledger(sqlite_store, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _json(run_rmledger(sqlite_store, "pay", "--period", "2020-01", "--json")) == [jan]


def test_a_million_postings_at_the_limit_sum_exactly(tmp_path: Path) -> None:
    # given a manager whose client has a million postings of the largest amount in one month
    # (written straight into the read model's tables: a million messages would take minutes)
    from tests.scenarios.helpers import apply, new_ledger

    ledger = new_ledger(tmp_path)
    apply(
        ledger,
        [
            b.hire("M1", "principal", "2020-01-01"),
            b.register("C1", "2020-01-01"),
            b.assign("C1", "M1", effective_on="2020-01-01"),
            b.classify("L1", "C1", "loss", TOP, "2020-02-01"),
        ],
    )
    with ReadModel(tmp_path / "read.duckdb") as rm:
        rm.catch_up(ledger)
        rm.conn.execute(f"""
            INSERT INTO postings SELECT 1000 + i, NULL, 'X' || i, 'C1', 'fee_income', 'fee', 'income',
              {TOP}, DATE '2020-02-01' + CAST(i % 29 AS INTEGER) FROM range(1000000) t(i)""")
        # when the month's statement is computed
        [feb] = statements(rm, "2020-02")
        # then every figure is exact: income 10^6 × TOP, less one loss charge of TOP, all new business
        income = Decimal(TOP) * 1_000_000
        assert (
            feb["responsibility_profit"]
            == income - Decimal(TOP)
            == Decimal("9999989999999990000.01")
        )
        assert feb["performance_earned"] == Decimal("324999674999999675.00")  # × 250 / 10,000 × 1.3
        assert feb["prepayment"] == Decimal("227499772499999772.50")


def test_a_plan_at_every_limit_pays_a_full_activity_count_exactly(tmp_path: Path) -> None:
    # given a plan with every term at its limit and a million activities at its value
    from tests.scenarios.helpers import apply, new_ledger

    terms = b.grade_terms(TOP, TOP, "10000", "10")
    plan = b.plan(
        "max",
        "2020-03-01",
        grades={g: terms for g in ("assistant", "junior", "intermediate", "senior", "principal")},
        prepay_ratio="1",
        activity_values={k: TOP for k in ("credit_card", "merchant", "agency", "market_info")},
    )
    ledger = new_ledger(tmp_path)
    apply(
        ledger,
        [
            plan,
            b.hire("M1", "junior", "2020-01-01"),
            b.activity("M1", "agency", 1_000_000, "2020-03-15"),
            b.close("2020-03", "2020-03-31"),
        ],
    )
    with ReadModel(tmp_path / "read.duckdb") as rm:
        rm.catch_up(ledger)
        [march] = statements(rm, "2020-03")
    # then PP = 10^6 × TOP × 10,000 / 10,000 × 10, all prepaid (ratio 1), on top of the salaries at the limit
    assert (
        march["status"],
        march["responsibility_profit"],
        march["performance_earned"],
        march["prepayment"],
    ) == (
        "issued",
        Decimal("9999999999999990000.00"),
        Decimal("99999999999999900000.00"),
        Decimal("99999999999999900000.00"),
    )
    assert march["total"] == Decimal("99999999999999900000.00") + 2 * Decimal(TOP)

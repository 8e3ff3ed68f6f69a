"""Plans and the first paid month (docs/rules.md R3.5, docs/pay.md "The first paid month"):
managers hired and activities dated before any plan are fine; statements and the
running sums start at the later of the hire month and the first month whose last day
has a plan in force; a close, or an adjustment, of a month with no plan in force is
rejected (``no_plan_in_force``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.ledger import Ledger
from projections.pay.explanation import explain
from projections.pay.statements import statements
from projections.readmodel.loader import ReadModel
from tests import builders as b

NO_PLAN_2019_12 = (
    "period: no_plan_in_force: no compensation plan is in force on 2019-12-31, the last day of 2019-12 "
    "(the first plan is in force from 2020-01-01): the month has no statement"
)


def _read(ledger: Ledger, tmp_path: Path, name: str = "read.duckdb") -> ReadModel:
    rm = ReadModel(tmp_path / name)
    rm.catch_up(ledger)
    return rm


def _money(st: dict[str, Any], *fields: str) -> tuple[str, ...]:
    return tuple(f"{st[f]:.2f}" for f in fields)


# -- the repro cases of the issue -----------------------------------------------------------------


def test_a_manager_hired_in_2019_is_paid_from_january_2020(ledger: Ledger, tmp_path: Path) -> None:
    # given a junior hired in March 2019, before the default plan (in force from 2020-01-01)
    b.given(
        ledger,
        b.hire("M1", hired_on="2019-03-10"),
        b.register("C1", registered_on="2019-03-10"),
        b.assign("C1", "M1", effective_on="2019-03-10", origin="inherited"),
        b.book("P1", "C1", "10000.00", "loan_interest", value_date="2020-01-15"),
    )
    # when January 2020 is closed
    b.given(ledger, b.close("2020-01", "2020-02-01"))
    with _read(ledger, tmp_path) as rm:
        # then the statement of January is the first: full salary, nothing carried in
        [jan] = statements(rm, "2020-01")
        assert (jan["manager_id"], jan["status"]) == ("M1", "issued")
        assert _money(
            jan, "base_salary", "post_salary", "prior_true_up", "performance_earned", "total"
        ) == ("5000.00", "1500.00", "0.00", "172.33", "6620.63")
        # stock, served since 2019-03-10 (311 days before): k0 = 1 - 0.05 × 311/365
        assert jan["k0"]["loan"] == Decimal("0.957397")
        # and no month of 2019 has a statement
        assert statements(rm, "2019-12") == [] and statements(rm, "2019-03", restated=True) == []


def test_a_close_of_a_month_before_any_plan_is_rejected(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1", hired_on="2019-03-10"))
    error = b.rejected(ledger, b.close("2019-12", "2020-01-01"))
    assert (error.field, error.rule, error.describe()) == (
        "period",
        "no_plan_in_force",
        NO_PLAN_2019_12,
    )


def test_the_first_planned_month_can_be_closed(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1", hired_on="2019-03-10"))
    assert b.applied_events(ledger, b.close("2020-01", "2020-02-01")) == [
        "Period.Closed",
        "Receipt.Applied",
    ]


def test_an_adjustment_of_a_month_before_any_plan_is_rejected(ledger: Ledger) -> None:
    b.given(ledger, b.hire("M1", hired_on="2019-03-10"))
    for kind, amount in (("compliance", "-50.00"), ("award", "50.00")):
        error = b.rejected(ledger, b.adjust("M1", "2019-12", kind, amount))
        assert error.describe() == NO_PLAN_2019_12
    b.given(ledger, b.adjust("M1", "2020-01", "compliance", "-50.00"))


def test_an_activity_dated_before_any_plan_is_accepted_and_worth_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    # given a manager hired in 2019 who records merchants in 2019 and in 2020
    b.given(
        ledger,
        b.hire("M1", hired_on="2019-01-01"),
        b.activity("M1", "merchant", 2, value_date="2019-06-30"),
        b.activity("M1", "merchant", 1, value_date="2020-01-31"),
    )
    with _read(ledger, tmp_path) as rm:
        # then 2019 has no statement, and January 2020 is paid for its one merchant only
        assert statements(rm, "2019-06", restated=True) == []
        [jan] = statements(rm, "2020-01")
        assert _money(jan, "responsibility_profit", "performance_earned", "prepayment") == (
            "300.00",
            "5.40",
            "3.78",
        )
        # and the 2019 activity is listed at 0 where the activity lines are shown
        lines = rm.conn.execute(
            "SELECT source_id, amount FROM credits WHERE kind = 'activity' ORDER BY on_date"
        ).fetchall()
        assert [(ref, f"{amount:.2f}") for ref, amount in lines] == [
            ("act:M1:merchant:2019-06-30", "0.00"),
            ("act:M1:merchant:2020-01-31", "300.00"),
        ]
        explained = explain(rm, "M1", "2020-01")
        assert explained is not None and explained["statement"]["performance_earned"] == "5.40"


# -- a plan earlier than the default --------------------------------------------------------------------


def test_a_plan_published_earlier_moves_the_first_paid_month(
    ledger: Ledger, tmp_path: Path
) -> None:
    # given a plan in force from 2018-06-15, published in the same batch as a close of June 2018
    b.given(
        ledger,
        b.hire("M1", hired_on="2017-05-01"),
        b.plan("2018", "2018-06-15"),
        b.close("2018-06", "2018-07-01"),
    )
    # then May 2018 (last day 2018-05-31) has no plan in force and cannot be closed
    error = b.rejected(ledger, b.close("2018-05", "2018-07-01"))
    assert error.describe() == (
        "period: no_plan_in_force: no compensation plan is in force on 2018-05-31, the last day of 2018-05 "
        "(the first plan is in force from 2018-06-15): the month has no statement"
    )
    with _read(ledger, tmp_path) as rm:
        # and the manager's statements start in June 2018, under the 2018 plan's terms
        [june] = statements(rm, "2018-06")
        assert (june["status"], f"{june['base_salary']:.2f}", f"{june['total']:.2f}") == (
            "issued",
            "5000.00",
            "6500.00",
        )
        assert statements(rm, "2018-05", restated=True) == []


def test_a_departure_before_the_first_plan_day_is_paid_under_the_first_plan(
    ledger: Ledger, tmp_path: Path
) -> None:
    # given a plan from 2018-06-15 and a manager hired 2018-01-01 who leaves on 2018-06-10
    b.given(
        ledger,
        b.plan("2018", "2018-06-15"),
        b.hire("M1", hired_on="2018-01-01"),
        b.request_departure("M1", requested_on="2018-05-01", last_day="2018-06-10"),
        *[b.approve("M1", role, "2018-05-05") for role in ("department_head", "rm_office", "hr")],
        b.depart("M1", "2018-06-10"),
    )
    # when June 2018 is closed
    b.given(ledger, b.close("2018-06", "2018-07-01"))
    with _read(ledger, tmp_path) as rm:
        # then the final statement pays the 10 days worked under the plan in force on June's last day
        [june] = statements(rm, "2018-06")
        assert _money(june, "base_salary", "post_salary", "total") == (
            "1666.67",
            "500.00",
            "2166.67",
        )


def test_rebuild_equals_catch_up_with_pre_plan_history(ledger: Ledger, tmp_path: Path) -> None:
    b.given(
        ledger,
        b.hire("M1", hired_on="1970-01-01"),
        b.register("C1", registered_on="1970-01-01"),
        b.assign("C1", "M1", effective_on="1970-01-01"),
        b.activity("M1", "agency", 5, value_date="1970-01-01"),
        b.book("P1", "C1", "100.00", value_date="1999-12-31"),
        b.close("2020-01", "2020-02-01"),
    )
    with _read(ledger, tmp_path, "a.duckdb") as incremental:
        hashes = incremental.table_hashes()
        [jan] = statements(incremental, "2020-01")
        assert f"{jan['total']:.2f}" == "6500.00"
    with ReadModel(tmp_path / "b.duckdb") as rebuilt:
        rebuilt.rebuild(ledger)
        assert rebuilt.table_hashes() == hashes


def test_a_plan_published_by_another_process_is_seen_before_a_rejection(make_ledger: Any) -> None:
    # given one process that has already rejected a close for want of a plan
    first, second = make_ledger(), make_ledger()
    b.given(first, b.hire("M1", hired_on="2017-05-01"))
    assert b.rejected(first, b.close("2018-06", "2018-07-01")).rule == "no_plan_in_force"
    # when another process publishes a plan in force from 2018-06-15
    b.given(second, b.plan("2018", "2018-06-15"))
    # then the first process accepts the close of June 2018
    assert b.applied_events(first, b.close("2018-06", "2018-07-01")) == [
        "Period.Closed",
        "Receipt.Applied",
    ]

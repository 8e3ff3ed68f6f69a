"""The audit's restated statements agree with the pay projection, month by month.

``audit_pay.restated_statements`` (history, departure audit) recomputes a manager's
statements from the credits the report already attributed; ``statements_restated``
(``rmledger sql``) runs the pay projection itself. Both must give exactly what
``projections.pay.statements(..., restated=True)`` gives, on every worked scenario and
on the generated tiny bank, now and at an earlier log position.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.values import month_of, next_month
from projections.audit.common import head_position, query, rows_as_dicts
from projections.audit.pay import (
    materialise_statements_restated,
    restated_statements,
    restated_through,
)
from projections.pay import statements as pay
from scripts.bank.generate import generate
from tests.paths import SCENARIOS as SCENARIO_DIR
from tests.scenarios.helpers import apply, caught_up, new_ledger, scenario

# Every worked scenario with a manager in it: a tiers-only scenario (vip_bounds) has
# no statement to restate.
SCENARIO_NAMES = sorted(
    p.stem
    for p in SCENARIO_DIR.glob("*.jsonl")
    if '"manager.hired"' in p.read_text(encoding="utf-8")
)
# The fields of a statement (docs/contract.md C2.2) compared; status and issued_at_position
# say where a statement stands, not what it restates.
FIELDS = ("manager_id", "period", "grade", "k0", *pay.MONEY_FIELDS)


def months_of(conn: Any, manager_id: str, through: str) -> list[str]:
    """The months of the manager's employment up to ``through``: hire month to departure."""
    hired, departed = conn.execute(
        "SELECT min(hired_on), (SELECT max(departed_on) FROM departures "
        "WHERE manager_id = $m) FROM managers WHERE manager_id = $m",
        {"m": manager_id},
    ).fetchone()
    last = min(through, month_of(departed)) if departed else through
    months, period = [], month_of(hired)
    while period <= last:
        months.append(period)
        period = next_month(period)
    return months


def pay_restated(model: Any, manager_id: str, periods: list[str]) -> list[dict[str, Any]]:
    """What ``rmledger pay --restated --json`` prints for the manager, month by month."""
    out = []
    for period in periods:
        for st in pay.statements(model, period, manager_id, restated=True):
            out.append({k: v for k, v in pay.to_json(st).items() if k in FIELDS})
    return out


def audit_restated(conn: Any, manager_id: str, position: int, through: str) -> list[dict[str, Any]]:
    got = restated_statements(conn, manager_id, position, up_to=through)
    assert got is not None
    return [{k: v for k, v in st.items() if k in FIELDS} for st in got]


def check_every_manager(model: Any, position: int) -> int:
    conn = model.conn
    through = restated_through(conn)
    assert through is not None
    compared = 0
    for (manager_id,) in conn.execute(
        "SELECT DISTINCT manager_id FROM managers ORDER BY 1"
    ).fetchall():
        expected = pay_restated(model, manager_id, months_of(conn, manager_id, through))
        assert audit_restated(conn, manager_id, position, through) == expected, manager_id
        compared += len(expected)
    return compared


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_restated_from_the_audits_credits_equals_the_pay_projection(
    name: str, tmp_path: Path
) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario(name))
    with caught_up(ledger, tmp_path) as model:
        assert check_every_manager(model, head_position(model.conn)) > 0


def test_restated_on_the_generated_bank_equals_the_pay_projection(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, generate(7, "tiny"))
    with caught_up(ledger, tmp_path) as model:
        assert check_every_manager(model, head_position(model.conn)) >= 20


def test_restated_at_an_earlier_position_equals_the_pay_projection_loaded_to_it(
    tmp_path: Path,
) -> None:
    messages = scenario("late_posting_reversal")
    ledger = new_ledger(tmp_path)
    apply(ledger, messages)
    with caught_up(ledger, tmp_path) as model:
        closes = [
            r["position"]
            for r in query(model.conn, "SELECT position FROM periods_closed ORDER BY 1")
        ]
        assert closes, "the scenario closes a month"
        cut = closes[0]
        through = restated_through(model.conn)
        assert through is not None
        managers = [
            r[0] for r in model.conn.execute("SELECT DISTINCT manager_id FROM managers").fetchall()
        ]
        at_cut = {m: audit_restated(model.conn, m, cut, through) for m in managers}
        now = {
            m: audit_restated(model.conn, m, head_position(model.conn), through) for m in managers
        }
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    from projections.readmodel.loader import ReadModel

    with ReadModel(earlier / "read_model.duckdb") as model:
        model.catch_up(ledger, stop=cut)
        assert head_position(model.conn) == cut
        for m in managers:
            assert at_cut[m] == pay_restated(model, m, months_of(model.conn, m, through)), m
    assert at_cut != now  # the later events (a late posting and a reversal) restate the months


def test_the_statements_restated_table_holds_what_pay_restated_prints(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    apply(ledger, scenario("half_clawback"))
    with caught_up(ledger, tmp_path) as model:
        conn = model.conn
        count = materialise_statements_restated(conn)
        rows = rows_as_dicts(
            conn.execute("SELECT * FROM statements_restated ORDER BY manager_id, period")
        )
        assert len(rows) == count > 0
        through = restated_through(conn)
        assert through is not None
        for row in rows:
            [st] = pay.statements(model, row["period"], row["manager_id"], restated=True)
            expected = pay.to_json(st)
            assert row["status"] == expected["status"]
            assert row["issued_at_position"] == expected.get("issued_at_position")
            for field in pay.MONEY_FIELDS:
                assert f"{row[field]:.2f}" == expected[field], (row["period"], field)
            assert {c: f"{v:.6f}" for c, v in dict(row["k0"]).items()} == expected["k0"]
            assert row["position"] == head_position(conn)
        assert {r["period"] for r in rows} == set(months_of(conn, rows[0]["manager_id"], through))

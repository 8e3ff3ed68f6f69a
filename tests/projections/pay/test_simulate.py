"""rmledger pay simulate (docs/simulations.md): a draft plan's statements beside the
current ones, worked out by hand from docs/rules.md R7.3, and nothing written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from domain.ledger import Ledger
from domain.store import ledger_env
from domain.values import (
    DEFAULT_ACTIVITY_VALUES,
    DEFAULT_BACKUP_SHARE,
    DEFAULT_GRADE_TERMS,
    DEFAULT_PREPAY_RATIO,
)
from scripts.cli.main import cli
from tests.cli_runs import ingest, run
from tests.read_model_support import hashes
from tests.scenarios.helpers import scenario

PLAN_SIMPLE = scenario("half_clawback")[
    0
]  # plan "simple" from 2026-01-01: junior 100 / 10,000 × 1.0


def draft(directory: Path, base: dict[str, Any], **changes: Any) -> Path:
    """A draft plan file: ``base`` (a plan.published message) with ``changes``."""
    plan = {**base, "id": "draft-1", "version": "draft", **changes}
    path = directory / "draft.json"
    path.write_text(json.dumps(plan))
    return path


def junior(base: dict[str, Any], **terms: str) -> dict[str, Any]:
    """``base``'s grades with the junior grade's terms changed."""
    return {**base["grades"], "junior": {**base["grades"]["junior"], **terms}}


def simulated(data: Path, plan: Path, first: str, through: str, *more: str) -> list[dict[str, Any]]:
    out = run(
        data,
        "pay",
        "simulate",
        "--plan",
        str(plan),
        "--from",
        first,
        "--to",
        through,
        "--json",
        *more,
    )
    return json.loads(out)  # type: ignore[no-any-return]


def store(tmp_path: Path, name: str) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    ingest(data, scenario(name))
    return data


def default_plan() -> dict[str, Any]:
    """The default plan (docs/rules.md R3.5) as a plan.published message."""
    return {
        "type": "plan.published",
        "id": "x",
        "version": "x",
        "effective_from": "2020-01-01",
        "grades": {
            g: {
                "base_salary": str(t.base_salary),
                "post_salary": str(t.post_salary),
                "commission_per_10k": str(t.commission_per_10k),
                "coefficient": str(t.coefficient),
            }
            for g, t in DEFAULT_GRADE_TERMS.items()
        },
        "prepay_ratio": str(DEFAULT_PREPAY_RATIO),
        "backup_share": str(DEFAULT_BACKUP_SHARE),
        "activity_values": {k: str(v) for k, v in DEFAULT_ACTIVITY_VALUES.items()},
    }


def test_a_draft_equal_to_the_plan_in_force_changes_nothing_even_after_a_late_posting(
    tmp_path: Path,
) -> None:
    # late_posting_reversal: January issued at its close (PP 180, paid 126), then P1
    # reversed and P2 booked late: restated January differs from issued, but the
    # simulation issues January at its close again, so it is the issued one exactly.
    data = store(tmp_path, "late_posting_reversal")
    result = simulated(data, draft(tmp_path, default_plan()), "2026-01", "2026-02")
    assert [(r["manager_id"], r["period"], r["difference"]) for r in result] == [
        ("M1", "2026-01", {}),
        ("M1", "2026-02", {}),
    ]
    jan, feb = result
    assert jan["simulated"] == jan["issued"] and jan["issued"]["total"] == "6626.00"
    assert feb["issued"] is None and feb["simulated"] == feb["current"]
    assert (feb["simulated"]["prior_true_up"], feb["simulated"]["total"]) == ("-63.00", "6563.00")


def test_a_draft_with_another_prepayment_ratio_moves_only_prepayment_settlement_and_the_true_up(
    tmp_path: Path,
) -> None:
    # half_clawback under plan "simple" (junior 100 / 10,000 × 1.0, salary 5,000 + 1,500),
    # January to June closed, July open. The draft: the same with ratio 0.60.
    data = store(tmp_path, "half_clawback")
    result = simulated(
        data, draft(tmp_path, PLAN_SIMPLE, prepay_ratio="0.60"), "2026-01", "2026-07"
    )
    # Jan, Feb: PP 1,000; prepay round(0.60 × 1,000) = 600 instead of 700; E = due = paid = 600.
    # Mar to May: PP −3,000, 0, 0: prepay 0 either way.
    # Jun: settle = round(max(0, 1,000 + 1,000 − 3,000)) − (600 + 600) = −1,200 (was −1,400);
    #   prior = (600 + 600) − (600 + 600) = 0; due −1,200: paid 0, clawback 1,200 (was 1,400).
    # Jul (open): PP 500, prepay 300 (was 350); prior = ΣE (600 + 600 − 1,200 = 0)
    #   − Σpaid (1,200) = −1,200 (was −1,400); due = 300 − 1,200 = −900: paid 0, clawback 900.
    assert [(r["period"], r["difference"]) for r in result] == [
        (
            "2026-01",
            {
                "prepayment": "-100.00",
                "performance_due": "-100.00",
                "performance_paid": "-100.00",
                "total": "-100.00",
            },
        ),
        (
            "2026-02",
            {
                "prepayment": "-100.00",
                "performance_due": "-100.00",
                "performance_paid": "-100.00",
                "total": "-100.00",
            },
        ),
        ("2026-03", {}),
        ("2026-04", {}),
        ("2026-05", {}),
        (
            "2026-06",
            {"settlement": "200.00", "performance_due": "200.00", "clawback_carried": "-200.00"},
        ),
        (
            "2026-07",
            {
                "prepayment": "-50.00",
                "prior_true_up": "200.00",
                "performance_due": "150.00",
                "clawback_carried": "-150.00",
            },
        ),
    ]
    jun, jul = result[5], result[6]
    assert (jun["issued"]["settlement"], jun["simulated"]["settlement"]) == ("-1400.00", "-1200.00")
    assert jul["issued"] is None and jul["current"]["prepayment"] == "350.00"
    sim = jul["simulated"]
    assert (
        sim["performance_earned"],
        sim["prepayment"],
        sim["prior_true_up"],
        sim["performance_due"],
        sim["performance_paid"],
        sim["clawback_carried"],
        sim["total"],
    ) == ("500.00", "300.00", "-1200.00", "-900.00", "0.00", "900.00", "6500.00")


def test_from_a_later_month_the_months_before_stay_as_issued(tmp_path: Path) -> None:
    # The draft published before June's close (effective 2026-01-01): January to May
    # were paid 700 + 700 as issued. June restates the half under the draft: E_jan =
    # E_feb = 600, settle = 0 − 1,200 = −1,200; prior = (600 + 600 + 0 + 0 + 0) −
    # (700 + 700) = −200; due = −1,200 − 200 = −1,400: the same clawback as issued.
    data = store(tmp_path, "half_clawback")
    (jun,) = simulated(
        data, draft(tmp_path, PLAN_SIMPLE, prepay_ratio="0.60"), "2026-06", "2026-06"
    )
    assert jun["difference"] == {"settlement": "200.00", "prior_true_up": "-200.00"}
    assert (jun["simulated"]["performance_due"], jun["simulated"]["clawback_carried"]) == (
        "-1400.00",
        "1400.00",
    )


def test_salary_commission_and_coefficient_each_show_their_effect(tmp_path: Path) -> None:
    data = store(tmp_path, "half_clawback")
    # January: fee 100,000 new; base 5,000 → 5,500: base and total +500, nothing else.
    (jan,) = simulated(
        data,
        draft(tmp_path, PLAN_SIMPLE, grades=junior(PLAN_SIMPLE, base_salary="5500.00")),
        "2026-01",
        "2026-01",
    )
    assert jan["difference"] == {"base_salary": "500.00", "total": "500.00"}
    # Commission 100 → 120: PP 1,200 (+200), prepay 840 (+140), paid +140.
    (jan,) = simulated(
        data,
        draft(tmp_path, PLAN_SIMPLE, grades=junior(PLAN_SIMPLE, commission_per_10k="120")),
        "2026-01",
        "2026-01",
    )
    assert jan["difference"] == {
        "performance_earned": "200.00",
        "prepayment": "140.00",
        "performance_due": "140.00",
        "performance_paid": "140.00",
        "total": "140.00",
    }
    # Coefficient 1.0 → 1.1: PP 1,100 (+100), prepay 770 (+70), paid +70.
    (jan,) = simulated(
        data,
        draft(tmp_path, PLAN_SIMPLE, grades=junior(PLAN_SIMPLE, coefficient="1.1")),
        "2026-01",
        "2026-01",
    )
    assert jan["difference"] == {
        "performance_earned": "100.00",
        "prepayment": "70.00",
        "performance_due": "70.00",
        "performance_paid": "70.00",
        "total": "70.00",
    }


def test_backup_share_moves_credit_between_primary_and_backup(tmp_path: Path) -> None:
    data = store(tmp_path, "backup_share")
    plan = scenario("backup_share")[0]
    result = simulated(data, draft(tmp_path, plan, backup_share="0.5"), "2026-03", "2026-03")
    # Share 0.2 → 0.5 of the 10,000 fee. M1 (primary, new): 5,000 instead of 8,000 →
    # PP 90 (was 144), prepay 63 (was 100.80). M2 (backup, stock, k0 0.99123288):
    # 5,000 × k0 = 4,956.164384 → WP 4,956.16 (was 1,982.47); PP 89.210959 → 89.21
    # (was 35.68); prepay round(62.447671) = 62.45 (was 24.98).
    assert [(r["manager_id"], r["difference"]) for r in result] == [
        (
            "M1",
            {
                "responsibility_profit": "-3000.00",
                "weighted_profit": "-3000.00",
                "performance_earned": "-54.00",
                "prepayment": "-37.80",
                "performance_due": "-37.80",
                "performance_paid": "-37.80",
                "total": "-37.80",
            },
        ),
        (
            "M2",
            {
                "responsibility_profit": "3000.00",
                "weighted_profit": "2973.69",
                "performance_earned": "53.53",
                "prepayment": "37.47",
                "performance_due": "37.47",
                "performance_paid": "37.47",
                "total": "37.47",
            },
        ),
    ]


def test_activity_values_show_their_effect(tmp_path: Path) -> None:
    data = store(tmp_path, "activities_plan_change")
    plan = scenario("activities_plan_change")[1]  # acts2 from 2026-03-16: merchant 400
    values = {**plan["activity_values"], "merchant": "500.00"}
    (mar,) = simulated(data, draft(tmp_path, plan, activity_values=values), "2026-03", "2026-03")
    # Published later with the same effective_from, the draft is in force from 03-16:
    # ACT-2's 2 merchants 1,000 instead of 800; WP 1,780; PP 35.60 (+4.00 at 200 / 10,000);
    # prepay round(24.92) (+2.80).
    assert mar["difference"] == {
        "responsibility_profit": "200.00",
        "weighted_profit": "200.00",
        "performance_earned": "4.00",
        "prepayment": "2.80",
        "performance_due": "2.80",
        "performance_paid": "2.80",
        "total": "2.80",
    }


def test_a_simulation_writes_nothing(tmp_path: Path) -> None:
    data = store(tmp_path, "half_clawback")
    run(data, "pay", "--period", "2026-07")  # the read model caught up before the first look
    model = data / "read_model.duckdb"

    def events() -> int:
        ledger = Ledger(ledger_env(data, {}))
        try:
            return int(ledger.recorder.max_notification_id() or 0)
        finally:
            ledger.close()

    before = (events(), hashes(model), hashlib.sha256(model.read_bytes()).hexdigest())
    simulated(data, draft(tmp_path, PLAN_SIMPLE, prepay_ratio="0.60"), "2026-01", "2026-07")
    run(
        data,
        "pay",
        "simulate",
        "--plan",
        str(tmp_path / "draft.json"),
        "--from",
        "2026-01",
        "--to",
        "2026-07",
    )
    after = (events(), hashes(model), hashlib.sha256(model.read_bytes()).hexdigest())
    assert before == after and before[0] == 35  # the 15 messages recorded 35 events


def test_the_table_for_people_totals_each_month_and_all(tmp_path: Path) -> None:
    data = store(tmp_path, "half_clawback")
    out = run(
        data,
        "pay",
        "simulate",
        "--plan",
        str(draft(tmp_path, PLAN_SIMPLE, prepay_ratio="0.60")),
        "--from",
        "2026-06",
        "--to",
        "2026-07",
    )
    lines = out.splitlines()
    assert lines[0].startswith(
        "Simulation of plan draft (effective from 2026-01-01) for 2026-06 to 2026-07"
    )
    assert lines[0].endswith(": nothing is written")
    rows = [line.split() for line in lines[3:-1]]
    assert rows == [
        [
            "M1",
            "M1",
            "2026-06",
            "issued",
            "0.00",
            "0.00",
            "200.00",
            "0.00",
            "6500.00",
            "6500.00",
            "0.00",
        ],
        ["total", "2026-06", "0.00", "0.00", "200.00", "0.00", "6500.00", "6500.00", "0.00"],
        [
            "M1",
            "M1",
            "2026-07",
            "open",
            "0.00",
            "-50.00",
            "0.00",
            "0.00",
            "6500.00",
            "6500.00",
            "0.00",
        ],
        ["total", "2026-07", "0.00", "-50.00", "0.00", "0.00", "6500.00", "6500.00", "0.00"],
        ["total", "all", "0.00", "-50.00", "200.00", "0.00", "13000.00", "13000.00", "0.00"],
    ]


def test_a_bad_draft_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = store(tmp_path, "half_clawback")
    runner = CliRunner()

    def refused(plan: Path) -> str:
        result = runner.invoke(
            cli,
            [
                "--data-dir",
                str(data),
                "pay",
                "simulate",
                "--plan",
                str(plan),
                "--from",
                "2026-01",
                "--to",
                "2026-02",
            ],
        )
        assert result.exit_code == 1, result.output
        return result.output

    bad = draft(tmp_path, PLAN_SIMPLE, prepay_ratio="0.7x")
    assert refused(bad) == (
        f"error: draft plan {bad}: prepay_ratio: not_a_decimal: '0.7x' is not a plain decimal "
        "(digits, optional sign and point; no exponent, NaN or infinity)\n"
    )
    bad.write_text(
        json.dumps({k: v for k, v in PLAN_SIMPLE.items() if k != "grades"} | {"version": "d2"})
    )
    assert (
        refused(bad)
        == f"error: draft plan {bad}: grades: missing_field: plan.published requires 'grades'\n"
    )
    bad.write_text(json.dumps(PLAN_SIMPLE))
    assert refused(bad) == (
        f"error: draft plan {bad}: version: plan_version_exists: plan 'simple' is already "
        "published: give the draft a new version\n"
    )

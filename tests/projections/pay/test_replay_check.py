"""rmledger replay check (docs/replay-checks.md): the golden scenarios against their
expected statements, transcribed from the figures worked out by hand in
tests/projections/pay/test_pay_scenarios.py and tests/projections/pay/test_pay_examples.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scripts.cli.main import cli
from tests.paths import SCENARIOS

CHECKED = sorted(p.name.removesuffix(".expected.json") for p in SCENARIOS.glob("*.expected.json"))


def check(scenario: Path, expected: Path, *more: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["replay", "check", str(scenario), "--expect", str(expected), *more]
    )
    return result.exit_code, result.output


def test_every_golden_scenario_with_expected_statements_is_checked() -> None:
    assert CHECKED == [
        "backup_share",
        "departure_partial_half",
        "example_a",
        "half_clawback",
        "handover_mid_month",
        "late_posting_reversal",
        "loan_downgrades",
        "plan_change_promotion",
        "prepay_ratio_after_departure",
    ]


@pytest.mark.parametrize("name", CHECKED)
def test_a_golden_scenario_gives_its_expected_statements(name: str) -> None:
    expected = json.loads((SCENARIOS / f"{name}.expected.json").read_text())
    code, out = check(SCENARIOS / f"{name}.jsonl", SCENARIOS / f"{name}.expected.json")
    assert (code, out.splitlines()[-1]) == (
        0,
        f"{len(expected)} expected statement(s), {17 * len(expected)} field(s): all match",
    ), out


def test_a_changed_figure_is_a_difference_naming_manager_month_and_field(tmp_path: Path) -> None:
    expected = json.loads((SCENARIOS / "half_clawback.expected.json").read_text())
    expected[5]["settlement"] = "-1300.00"  # June: the hand-worked figure is −1,400
    expected[6]["k0"] = {"fee": "0.990000"}
    path = tmp_path / "expected.json"
    path.write_text(json.dumps(expected))
    code, out = check(SCENARIOS / "half_clawback.jsonl", path)
    assert code == 1
    assert out.splitlines() == [
        f"replayed {SCENARIOS / 'half_clawback.jsonl'}: 15 applied, 0 rejected",
        'M1 2026-06 settlement: expected "-1300.00", actual "-1400.00"',
        'M1 2026-07 k0.fee: expected "0.990000", actual "1.000000"',
        "7 expected statement(s), 119 field(s): 2 difference(s)",
    ]
    code, out = check(SCENARIOS / "half_clawback.jsonl", path, "--json")
    assert code == 1
    assert json.loads(out)["differences"] == [
        {
            "manager_id": "M1",
            "period": "2026-06",
            "field": "settlement",
            "expected": "-1300.00",
            "actual": "-1400.00",
        },
        {
            "manager_id": "M1",
            "period": "2026-07",
            "field": "k0.fee",
            "expected": "0.990000",
            "actual": "1.000000",
        },
    ]


def test_a_missing_statement_and_a_subset_of_fields(tmp_path: Path) -> None:
    path = tmp_path / "expected.json"
    path.write_text(
        json.dumps(
            [
                {
                    "manager_id": "M1",
                    "period": "2026-03",
                    "total": "6606.84",
                    "prepayment": "106.84",
                },
                {"manager_id": "M1", "period": "2026-04", "total": "6500.00"},
                {"manager_id": "M9", "period": "2026-03", "total": "0.00"},
            ]
        )
    )
    code, out = check(SCENARIOS / "example_a.jsonl", path)
    assert code == 1
    # April (open): no business, salary only; March paid what it was due, so prior 0.
    assert out.splitlines()[1:] == [
        'M9 2026-03 statement: expected "a statement", actual none',
        "3 expected statement(s), 4 field(s): 1 difference(s)",
    ]


def test_an_unreadable_expected_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "expected.json"
    path.write_text(json.dumps([{"manager_id": "M1"}]))
    code, out = check(SCENARIOS / "example_a.jsonl", path)
    assert code == 2
    assert "item 0: expected an object with manager_id and period (strings)" in out

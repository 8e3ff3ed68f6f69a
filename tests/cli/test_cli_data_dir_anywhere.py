"""``--data-dir`` is the group's option, and a person types it after the subcommand
too (``rmledger pay --period 2025-02 --data-dir X``): both places mean the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scripts.cli.failures import hoist_group_options
from scripts.cli.main import cli
from tests import builders as b
from tests.cli_runs import ingest

pytestmark = pytest.mark.usefixtures("clean_environ")

MONTH = [
    *b.bank(),
    b.assign("C1", "M1"),
    b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
    b.close("2025-02", "2025-03-01"),
]


def test_the_option_moves_to_the_front_from_anywhere_but_after_a_double_dash() -> None:
    assert hoist_group_options(["pay", "--period", "2025-02", "--data-dir", "D"]) == [
        "--data-dir",
        "D",
        "pay",
        "--period",
        "2025-02",
    ]
    assert hoist_group_options(["audit", "history", "--data-dir=D", "--manager", "M1"]) == [
        "--data-dir=D",
        "audit",
        "history",
        "--manager",
        "M1",
    ]
    assert hoist_group_options(["sql", "--", "--data-dir", "D"]) == ["sql", "--", "--data-dir", "D"]


def test_pay_with_the_data_dir_after_the_subcommand_prints_what_it_prints_before(
    tmp_path: Path,
) -> None:
    ingest(tmp_path, MONTH)
    before = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "pay", "--period", "2025-02", "--json"]
    )
    after = CliRunner().invoke(
        cli, ["pay", "--period", "2025-02", "--json", "--data-dir", str(tmp_path)]
    )
    equals = CliRunner().invoke(
        cli, ["pay", f"--data-dir={tmp_path}", "--period", "2025-02", "--json"]
    )
    assert before.exit_code == after.exit_code == equals.exit_code == 0, after.output
    assert '"manager_id": "M1"' in before.output
    assert after.output == before.output == equals.output


def test_a_data_dir_without_a_value_after_the_subcommand_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["pay", "--period", "2025-02", "--data-dir"])
    assert result.exit_code == 2
    assert result.output.endswith("Error: Option '--data-dir' requires an argument.\n"), (
        result.output
    )

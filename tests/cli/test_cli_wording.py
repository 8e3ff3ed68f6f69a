"""The command line says what is true, in plain English: no such manager where there
is none, one client in the singular, "an assistant"."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from projections.audit.common import counted, with_article
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


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    ingest(tmp_path, MONTH)
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [
        ["pay", "--period", "2025-02", "--manager", "M9999"],
        ["pay", "explain", "--period", "2025-02", "--manager", "M9999"],
    ],
)
def test_an_unknown_manager_is_no_such_manager(data_dir: Path, command: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *command])
    assert result.exit_code == 1
    assert result.output.endswith("no such manager: M9999\n"), result.output


def test_a_known_manager_without_a_statement_that_month_is_told_why(data_dir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "pay", "--period", "2019-05", "--manager", "M1"]
    )
    assert result.exit_code == 1
    assert result.output.endswith(
        "no statement for manager M1 in 2019-05: not employed that month, "
        "or before the first month a plan covers\n"
    ), result.output


def test_articles_and_plurals() -> None:
    assert [with_article(g) for g in ("assistant", "junior", "intermediate", "senior")] == [
        "an assistant",
        "a junior",
        "an intermediate",
        "a senior",
    ]
    assert [counted(n, "client") for n in (0, 1, 2)] == ["0 clients", "1 client", "2 clients"]

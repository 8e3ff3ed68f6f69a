"""``rmledger sql`` has a time limit (docs/concurrency.md): --timeout SECONDS, else
$RMLEDGER_SQL_TIMEOUT, else 30 s. A query stopped at its limit gives one sentence
naming both settings and exit status 1; the next command is not held by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.read_model_support import behind_store, rmledger

# Hours of work for DuckDB: only the limit can end it.
ENDLESS = "SELECT count(*) FROM range(1000000000) a, range(1000000000) b"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sql") / "data"
    behind_store(directory)
    return directory


def test_a_query_past_its_timeout_is_stopped_with_one_sentence(store: Path) -> None:
    done = rmledger(store, "sql", "--timeout", "0.5", ENDLESS)
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        "error: the query was stopped after its time limit of 0.5 s "
        "(rmledger sql --timeout SECONDS, or RMLEDGER_SQL_TIMEOUT)\n",
    )
    after = rmledger(store, "sql", "SELECT count(*) AS n FROM periods_closed")
    assert (after.returncode, after.stdout) == (0, "n\n-\n1\n"), after.stderr


def test_the_timeout_may_come_from_the_environment(store: Path) -> None:
    done = rmledger(store, "sql", ENDLESS, RMLEDGER_SQL_TIMEOUT="0.5")
    assert (done.returncode, done.stderr) == (
        1,
        "error: the query was stopped after its time limit of 0.5 s "
        "(rmledger sql --timeout SECONDS, or RMLEDGER_SQL_TIMEOUT)\n",
    )


def test_a_query_within_its_timeout_is_answered(store: Path) -> None:
    done = rmledger(store, "sql", "--timeout", "600", "SELECT 1 + 1 AS two")
    assert (done.returncode, done.stdout, done.stderr) == (0, "two\n---\n2\n", "")


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_a_bad_timeout_option_is_refused_without_a_traceback(store: Path, value: str) -> None:
    done = rmledger(store, "sql", "--timeout", value, "SELECT 1")
    assert done.returncode == 2
    assert "Invalid value for '--timeout'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("value", ["0", "soon", "inf"])
def test_a_bad_timeout_setting_is_refused_without_a_traceback(store: Path, value: str) -> None:
    done = rmledger(store, "sql", "SELECT 1", RMLEDGER_SQL_TIMEOUT=value)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith(
        f"Error: RMLEDGER_SQL_TIMEOUT='{value}' is not a number of seconds above 0 "
        "and at most 86400\n"
    )

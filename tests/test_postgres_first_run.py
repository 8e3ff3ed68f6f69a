"""Three first runs at once on an empty PostgreSQL schema: all succeed.

The library creates its types and tables with ``IF NOT EXISTS``, which is not safe
against a concurrent creation (the loser fails with a unique violation on
``pg_type``); the ledger serialises the creation with an advisory lock per schema.
Real processes, started together, on a schema of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.stores import RMLEDGER, PostgresStore, require_postgres

SCENARIO = str(Path(__file__).parent / "scenarios" / "example_a.jsonl")
PROCESSES = 3

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("key", [None, "yZbT8oO2l0mK3jqv8Ew1tW2bS9x0fQ6cR4nP5dL7hUk="])
def test_three_first_ingests_at_once_on_an_empty_schema_all_succeed(
        tmp_path: Path, clean_environ: None, key: str | None) -> None:
    require_postgres()
    store = PostgresStore(tmp_path)
    try:
        env = {**os.environ, **store.cli_env(), **({"CIPHER_KEY": key} if key else {})}
        runs = [subprocess.Popen([RMLEDGER, "--data-dir", str(tmp_path / f"p{i}"), "ingest", "--json", SCENARIO],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                for i in range(PROCESSES)]
        results = [(run.wait(timeout=120), *run.communicate()) for run in runs]

        assert [(code, err) for code, _, err in results] == [(0, "")] * PROCESSES
        summaries = [json.loads(out) for _, out, _ in results]
        # Every message applied exactly once across the three; the others saw duplicates.
        assert sum(s["applied"] for s in summaries) == 6
        assert [s["applied"] + s["duplicates"] for s in summaries] == [6] * PROCESSES
        assert store.tables() == ["rmledger_events", "rmledger_store_settings", "rmledger_tracking"]
        # Any later reader agrees on the encryption setting the first run recorded.
        pay = subprocess.run([RMLEDGER, "--data-dir", str(tmp_path / "p0"), "pay", "--period", "2025-03"],
                             capture_output=True, text=True, env=env, timeout=120, check=False)
        assert pay.returncode == 0, pay.stderr
    finally:
        store.drop()

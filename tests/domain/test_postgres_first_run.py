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

from tests.paths import SCENARIOS
from tests.stores import RMLEDGER, PostgresStore, require_postgres

SCENARIO = str(SCENARIOS / "example_a.jsonl")
PROCESSES = 3

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("key", [None, "yZbT8oO2l0mK3jqv8Ew1tW2bS9x0fQ6cR4nP5dL7hUk="])
def test_three_first_ingests_at_once_on_an_empty_schema_all_succeed(
    tmp_path: Path, clean_environ: None, key: str | None
) -> None:
    require_postgres()
    store = PostgresStore(tmp_path)
    try:
        env = {**os.environ, **store.cli_env(), **({"CIPHER_KEY": key} if key else {})}
        runs = [
            subprocess.Popen(
                [RMLEDGER, "--data-dir", str(tmp_path / f"p{i}"), "ingest", "--json", SCENARIO],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for i in range(PROCESSES)
        ]
        results = [(run.wait(timeout=120), *run.communicate()) for run in runs]

        assert [(code, err) for code, _, err in results] == [(0, "")] * PROCESSES
        summaries = [json.loads(out) for _, out, _ in results]
        # Every message applied exactly once across the three; the others saw duplicates.
        assert sum(s["applied"] for s in summaries) == 6
        assert [s["applied"] + s["duplicates"] for s in summaries] == [6] * PROCESSES
        assert store.tables() == ["rmledger_events", "rmledger_store_settings", "rmledger_tracking"]
        # Any later reader agrees on the encryption setting the first run recorded.
        pay = subprocess.run(
            [RMLEDGER, "--data-dir", str(tmp_path / "p0"), "pay", "--period", "2025-03"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert pay.returncode == 0, pay.stderr
    finally:
        store.drop()


def test_a_first_run_waits_for_the_schema_s_creation_lock_before_creating_anything(
    tmp_path: Path, clean_environ: None
) -> None:
    """The serialisation itself, deterministically: while another session holds the
    schema's creation lock, a first run creates no table; released, it completes."""
    require_postgres()
    from domain.store_settings import creation_lock_name
    from tests.stores import _connect

    store = PostgresStore(tmp_path)
    holder = _connect()
    try:
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", (creation_lock_name(store.schema),))
        run = subprocess.Popen(
            [RMLEDGER, "--data-dir", str(tmp_path / "p"), "ingest", SCENARIO],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **store.cli_env()},
        )
        # Wait (bounded by the timeout, not by a guess) until the run is queued on the lock.
        waiting = 0
        for _ in range(600):
            row = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objid::bigint = (hashtext(%s)::bigint & 4294967295)",  # this schema's lock only
                (creation_lock_name(store.schema),),
            ).fetchone()
            waiting = row[0] if row else 0
            if waiting or run.poll() is not None:
                break
            holder.execute("SELECT pg_sleep(0.1)")
        assert waiting == 1 and run.poll() is None, run.communicate()
        assert store.tables() == []
        holder.execute(
            "SELECT pg_advisory_unlock(hashtext(%s))", (creation_lock_name(store.schema),)
        )
        out, err = run.communicate(timeout=120)
        assert (run.returncode, err) == (0, ""), err
        assert out.startswith("applied: 6  duplicates: 0  rejected: 0")
    finally:
        holder.close()
        store.drop()

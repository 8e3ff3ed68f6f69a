"""The read model on every store: PostgreSQL as well as SQLite, each plain and with
``CIPHER_KEY`` (the event states encrypted at rest). The same messages, ingested with
``rmledger ingest`` into each, give the same pay statements, issued and restated, as a
plain SQLite run; and ``rmledger verify`` finds the log sealed at each close, with the
chain head the read model keeps.

Each PostgreSQL run has a schema of its own (the ``store`` fixture, tests/stores.py)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eventsourcing.cryptography import AESCipher

from domain.ledger import Ledger
from domain.store import ledger_env
from domain.values import month_of, next_month
from projections.pay.statements import statements, to_json
from projections.readmodel.chain import chain_head
from projections.readmodel.loader import ReadModel
from scripts.bank.generate import write_jsonl
from scripts.cli.main import cli
from tests.paths import SCENARIOS
from tests.stores import leaking_settings

AES = "eventsourcing.cryptography:AESCipher"
INPUTS = [
    "half_clawback",
    "late_posting_reversal",
    pytest.param("tiny_bank", marks=pytest.mark.slow),
]
"""Two golden scenarios (a half-year with settlement and clawback; a late posting and a
reversal after a close), and the generated tiny bank (every message type)."""

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def messages_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def months(messages: list[dict[str, Any]]) -> list[str]:
    """Every month from the first hire to the latest date of any message: every month
    in which some manager may have a statement."""
    first = min(date.fromisoformat(m["hired_on"]) for m in messages if m["type"] == "manager.hired")
    last = max(
        date.fromisoformat(v)
        for m in messages
        for v in m.values()
        if isinstance(v, str) and _DATE.match(v)
    )
    out, period = [], month_of(first)
    while period <= month_of(last):
        out.append(period)
        period = next_month(period)
    return out


def all_statements(
    rm: ReadModel, periods: list[str]
) -> dict[tuple[str, bool], list[dict[str, Any]]]:
    """Every statement of every period, as issued and restated, as docs/contract.md C2.2 JSON."""
    return {
        (p, restated): [to_json(s) for s in statements(rm, p, restated=restated)]
        for p in periods
        for restated in (False, True)
    }


def ingest(data_dir: Path, path: Path, env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "ingest", "--json", str(path)], env=env
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rejected"] == [] and summary["applied"] == len(messages_of(path))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The JSON Lines file of an input: a golden scenario, or the tiny bank (seed 7)."""
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name == "tiny_bank":
            if name not in made:
                made[name] = tmp_path_factory.mktemp("bank") / "tiny.jsonl"
                write_jsonl(made[name], seed=7, size="tiny")
            return made[name]
        return SCENARIOS / f"{name}.jsonl"

    return get


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, source: Callable[[str], Path]
) -> Callable[[str], Any]:
    """The statements of a plain SQLite run, computed once per input (with no store
    settings from the shell)."""
    done: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in done:
            directory = tmp_path_factory.mktemp(f"reference-{name}")
            with pytest.MonkeyPatch.context() as mp:
                for setting in leaking_settings(os.environ):
                    mp.delenv(setting)
                ingest(directory, source(name), {})
                ledger = Ledger(ledger_env(directory, {}))
                try:
                    with ReadModel(directory / "read_model.duckdb") as rm:
                        rm.catch_up(ledger)
                        done[name] = all_statements(rm, months(messages_of(source(name))))
                finally:
                    ledger.close()
        return done[name]

    return get


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
@pytest.mark.parametrize("name", INPUTS)
def test_statements_and_verify_on_each_store(
    store: Any,
    make_ledger: Callable[..., Ledger],
    source: Callable[[str], Path],
    reference: Callable[[str], Any],
    name: str,
    encrypted: bool,
) -> None:
    path = source(name)
    messages = messages_of(path)
    expected = reference(name)  # before anything is done on this store
    key = AESCipher.create_key(16) if encrypted else None
    cli_env = {**store.cli_env(), **({"CIPHER_KEY": key} if key else {})}

    ingest(store.data_dir, path, cli_env)

    # Encrypted at rest, or not: the first client's identity number in the stored bytes.
    [id_number, *_] = [m["id_number"] for m in messages if m["type"] == "client.registered"]
    assert (id_number.encode() in store.raw_bytes()) is not encrypted

    ledger = make_ledger(CIPHER_TOPIC=AES, CIPHER_KEY=key) if key else make_ledger()
    with ReadModel(store.data_dir / "read_model.duckdb") as rm:
        # In small pages, stopping half way, then the rest.
        last = ledger.recorder.max_notification_id()
        assert last is not None and last > len(messages)
        assert rm.catch_up(ledger, page_size=7, stop=last // 2) == last // 2
        assert rm.catch_up(ledger) == last
        assert all_statements(rm, months(messages)) == expected

        head = chain_head(rm.conn)

    runner = CliRunner()
    result = runner.invoke(
        cli, ["--data-dir", str(store.data_dir), "verify", "--json"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    verified = json.loads(result.output)
    assert (
        verified["ok"],
        verified["findings"],
        verified["last_position"],
        verified["head_sha256"],
    ) == (True, [], last, head[1])
    # every close is sealed (the closes of one ingest batch by one seal)
    assert ", ".join(s["reason"].removeprefix("close ") for s in verified["seals"]) == ", ".join(
        m["period"] for m in messages if m["type"] == "period.closed"
    )

    # ``rmledger pay`` reads the same, on the store the environment names.
    closed = [m["period"] for m in messages if m["type"] == "period.closed"]
    for period in (closed[-1], closed[0]):
        for flags, restated in (([], False), (["--restated"], True)):
            result = runner.invoke(
                cli,
                ["--data-dir", str(store.data_dir), "pay", "--period", period, "--json", *flags],
                env=cli_env,
            )
            assert result.exit_code == 0, result.output
            assert json.loads(result.output) == expected[(period, restated)]

"""``rmledger export``: the read model as Parquet files that any reader (here DuckDB,
as head office would) sums to the same figures as the ledger, with a manifest."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
from click.testing import CliRunner

from projections.readmodel.export import MANIFEST, exported_tables
from projections.readmodel.loader import ReadModel
from scripts.bank.generate import write_jsonl
from scripts.cli.main import cli


def _ingest_tiny_bank(data_dir: Path, seed: int) -> None:
    bank = data_dir / "bank.jsonl"
    data_dir.mkdir(parents=True)
    write_jsonl(bank, seed=seed, size="tiny")
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "ingest", str(bank)])
    assert result.exit_code == 0, result.output


def test_an_export_holds_every_table_with_exact_money_and_its_log_position(
    tmp_path: Path, clean_environ: None
) -> None:
    data_dir, out = tmp_path / "branch", tmp_path / "export"
    _ingest_tiny_bank(data_dir, seed=7)
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "export", "--out", str(out)])
    assert result.exit_code == 0, result.output

    manifest = json.loads((out / MANIFEST).read_text())
    with ReadModel(data_dir / "read_model.duckdb", read_only=True) as rm:
        position = rm.position()
        counts = {
            name: rm.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
            for name in exported_tables()
        }
        paid = rm.conn.execute("SELECT sum(total) FROM statements_issued").fetchone()[0]  # type: ignore[index]
    # The chain head and the last seal are those that `rmledger verify` finds in the log alone.
    verified = json.loads(
        CliRunner().invoke(cli, ["--data-dir", str(data_dir), "verify", "--json"]).output
    )
    assert verified["ok"] and verified["last_position"] == position and verified["seals"]
    assert manifest == {
        "format": "rmledger-parquet-export/1",
        "position": position,
        "chain_head": {"position": position, "sha256": verified["head_sha256"]},
        "last_seal_position": verified["seals"][-1]["position"],
        "tables": counts,
    }
    assert (
        f"exported {len(counts)} tables ({sum(counts.values()):,} rows) at event-log position {position}"
        in result.output
    )
    assert counts["statements_issued"] > 0 and counts["postings"] > 0

    reader = duckdb.connect()
    for name, count in counts.items():
        assert reader.execute(f"SELECT count(*) FROM '{out / name}.parquet'").fetchone() == (count,)
    total, kind = reader.execute(
        f"SELECT sum(total), typeof(any_value(total)) FROM '{out}/statements_issued.parquet'"
    ).fetchone()  # type: ignore[misc]
    assert (total, kind) == (paid, "DECIMAL(38,2)") and isinstance(total, Decimal)
    # No identity number leaves the ledger: the raw events carry none, clients only 4 characters.
    states = reader.execute(f"SELECT string_agg(state, '') FROM '{out}/events.parquet'").fetchone()[
        0
    ]  # type: ignore[index]
    assert '"id_number":' not in states.replace('"id_number":null', "")
    assert reader.execute(
        f"SELECT max(length(id_last4)) FROM '{out}/clients.parquet'"
    ).fetchone() == (4,)


def test_exports_of_two_branches_read_as_one(tmp_path: Path, clean_environ: None) -> None:
    totals = {}
    for seed in (3, 5):
        data_dir = tmp_path / f"branch-{seed}"
        _ingest_tiny_bank(data_dir, seed)
        result = CliRunner().invoke(
            cli,
            [
                "--data-dir",
                str(data_dir),
                "export",
                "--out",
                str(tmp_path / "exports" / f"branch-{seed}"),
            ],
        )
        assert result.exit_code == 0, result.output
        with ReadModel(data_dir / "read_model.duckdb", read_only=True) as rm:
            totals[f"branch-{seed}"] = rm.conn.execute(
                "SELECT sum(total) FROM statements_issued"
            ).fetchone()[0]  # type: ignore[index]
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT regexp_extract(filename, 'branch-[0-9]+') AS branch, sum(total) FROM "
            f"read_parquet('{tmp_path}/exports/*/statements_issued.parquet', filename=true) "
            "GROUP BY ALL ORDER BY ALL"
        )
        .fetchall()
    )
    assert dict(rows) == totals


def test_a_dead_lettered_client_registration_leaves_no_identity_number_in_the_read_model_or_export(
    tmp_path: Path, clean_environ: None
) -> None:
    import base64

    from domain.ledger import Ledger
    from domain.registry import DeadLetter
    from domain.store import ledger_env

    data_dir, out = tmp_path / "branch", tmp_path / "export"
    _ingest_tiny_bank(data_dir, seed=7)
    sent = json.dumps(
        {
            "type": "client.registered",
            "id": "reg-x",
            "client_id": "CX",
            "kind": "personal",
            "branch_id": "B1",
            "registered_on": "2025-01-05",
            "name": "X",
            "id_number": "110101199001011234",
            "colour": "red",
        }
    ).encode()
    letter = DeadLetter(
        source_topic="rmledger.clients",
        partition=0,
        offset=7,
        key_b64="",
        value_b64=base64.b64encode(sent).decode(),
        message_id="reg-x",
        field="colour",
        rule="unknown_field",
        error="colour: unknown_field: not a field of client.registered",
    )
    ledger = Ledger(ledger_env(data_dir, {}))
    try:
        ledger.apply_batch([], extra=[letter])
        stored = ledger.recorder.select_notifications(start=1, limit=1_000_000)[-1]
        assert base64.b64encode(sent) in stored.state  # the event store keeps the sender's bytes
    finally:
        ledger.close()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "export", "--out", str(out)])
    assert result.exit_code == 0, result.output

    with ReadModel(data_dir / "read_model.duckdb", read_only=True) as rm:
        row = rm.conn.execute(
            "SELECT state->>'$.value_b64', state->>'$.rule' FROM events "
            "WHERE topic = 'domain.registry:DeadLetter.Recorded'"
        ).fetchall()
    assert row == [(None, "unknown_field")]
    states = (
        duckdb.connect()
        .execute(f"SELECT string_agg(state, '') FROM '{out}/events.parquet'")
        .fetchone()[0]
    )  # type: ignore[index]
    # The whole number and its birth-date run, not merely "1234": recorded timestamps
    # (microseconds) contain any four digits now and then.
    assert base64.b64encode(sent).decode() not in states
    assert "110101199001011234" not in states and "19900101" not in states

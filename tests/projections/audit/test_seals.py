"""Seals in the event log: made at each close and by ``rmledger seal``, kept under a
key from outside the store, and enforced by the loader (catch-up and rebuild refuse a
log that fails them, naming the first bad position, before loading it)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from consumers.decoder import decode_object
from domain.ids import aggregate_id
from domain.ledger import Ledger, apply_all
from domain.seal import SEALED_TOPIC, Sealer, key_id
from domain.store import EVENTS_FILE
from projections.readmodel.loader import ReadModel
from projections.readmodel.seals import LogTampered
from scripts.cli.main import cli
from tests import builders as b
from tests.stores import PostgresStore, SqliteStore, _connect

KEY = "11" * 32
POSTING = "domain.facts:Posting.Booked"


def messages(*extra: dict) -> list:
    return [
        decode_object(m)
        for m in [
            b.plan(version="2025", effective_from="2025-01-01"),
            *b.bank(),
            b.assign("C1", "M1"),
            b.book("P1", "C1", "2000.00"),
            b.book("P2", "C1", "500.00"),
            *extra,
        ]
    ]


def run(data_dir: Path, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), *args], env={"RMLEDGER_SEAL_KEY": KEY, **env}
    )
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def no_key_settings(monkeypatch: pytest.MonkeyPatch, clean_environ: None) -> None:
    for name in ("RMLEDGER_SEAL_KEY", "RMLEDGER_SEAL_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def topics(ledger: Ledger) -> list[str]:
    return [n.topic for n in ledger.recorder.select_notifications(start=1, limit=1000)]


def test_a_close_appends_a_seal_right_after_it_covering_the_log_before(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    ledger.sealer = Sealer.of(bytes.fromhex(KEY))
    apply_all(ledger, messages())
    assert not [t for t in topics(ledger) if t.startswith("domain.seal")]
    apply_all(ledger, [decode_object(b.close("2025-02", "2025-02-28"))])
    notes = ledger.recorder.select_notifications(start=1, limit=1000)
    assert [n.topic for n in notes[-4:]] == [
        "domain.registry:Period.Closed",
        "domain.registry:Receipt.Applied",
        "domain.seal:SealLog.Started",
        SEALED_TOPIC,
    ]
    seal = ledger.mapper.to_domain_event(
        ledger.recorder.select_events(notes[-1].originator_id, desc=True, limit=1)[0]
    )
    assert (seal.reason, seal.after, seal.last_position, seal.count) == (
        "close 2025-02",
        0,
        notes[-3].id,
        len(notes) - 2,
    )
    assert seal.key_id == key_id(bytes.fromhex(KEY))
    # on demand: the next seal starts where this one ended
    second = ledger.seal()
    assert (second.reason, second.after, second.previous_head, second.count) == (
        "on demand",
        seal.last_position,
        seal.head,
        2,
    )


def test_rmledger_seal_appends_a_seal_and_makes_a_private_key_file_when_none_is_set(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    source = tmp_path / "m.jsonl"
    source.write_text(json.dumps(b.hire("M1")) + "\n")
    assert runner.invoke(cli, ["--data-dir", str(tmp_path), "ingest", str(source)]).exit_code == 0
    assert not (tmp_path / "seal.key").exists()  # nothing sealed yet, no key made
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "seal"])
    key_file = tmp_path / "seal.key"
    key = bytes.fromhex(key_file.read_text().strip())
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600 and len(key) == 32
    assert result.exit_code == 0 and result.output.startswith(
        "sealed positions 1 to 2 (2 event(s)); chain head "
    )
    assert result.output.endswith(f"; key {key_id(key)}\n")
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        assert [r[0] for r in db.execute("SELECT topic FROM stored_events ORDER BY rowid")][
            -1
        ] == SEALED_TOPIC
    verified = runner.invoke(cli, ["--data-dir", str(tmp_path), "verify"])
    assert verified.exit_code == 0 and verified.output.endswith(
        "OK: every seal authenticates and every sealed event matches its seal\n"
    )


def test_a_bad_key_refuses_the_close_before_anything_is_stored(tmp_path: Path) -> None:
    source = tmp_path / "m.jsonl"
    source.write_text(
        "".join(json.dumps(m) + "\n" for m in [b.hire("M1"), b.close("2025-02", "2025-02-28")])
    )
    code, output = run(tmp_path, "ingest", str(source), RMLEDGER_SEAL_KEY="abc")
    assert code == 1 and output.endswith(
        "Error: RMLEDGER_SEAL_KEY must hold 64 hexadecimal characters (a 256-bit key; several separated by "
        "commas for a rotation), but holds a word of 3 character(s)\n"
    )
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        assert db.execute("SELECT count(*) FROM stored_events").fetchone() == (0,)
    code, output = run(tmp_path, "seal", RMLEDGER_SEAL_KEY_FILE=str(tmp_path / "absent.key"))
    assert (code, output) == (
        1,
        "Error: set RMLEDGER_SEAL_KEY or RMLEDGER_SEAL_KEY_FILE, not both\n",
    )


def sealed_store(tmp_path: Path) -> list[tuple[int, str]]:
    source = tmp_path / "m.jsonl"
    source.write_text(
        "".join(
            json.dumps(m) + "\n"
            for m in [
                b.plan(version="2025", effective_from="2025-01-01"),
                *b.bank(),
                b.assign("C1", "M1"),
                b.book("P1", "C1", "2000.00"),
                b.book("P2", "C1", "500.00"),
                b.close("2025-02", "2025-02-28"),
                b.book("P3", "C1", "10.00"),
            ]
        )
    )
    assert run(tmp_path, "ingest", str(source))[0] == 0
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        return [
            (int(r[0]), str(r[1]))
            for r in db.execute("SELECT rowid, topic FROM stored_events ORDER BY rowid")
        ]


def test_catch_up_and_rebuild_refuse_a_tampered_log_naming_the_first_bad_position(
    tmp_path: Path,
) -> None:
    log = sealed_store(tmp_path)
    assert run(tmp_path, "pay", "--period", "2025-02", "--json")[0] == 0
    target = [p for p, t in log if t == POSTING][1]
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        db.execute(
            "UPDATE stored_events SET state = replace(state, '500.00', '900.00') WHERE rowid = ?",
            [target],
        )
    code, output = run(tmp_path, "rebuild")
    assert code == 1 and output.endswith(
        f"Error: the event log fails its seals at position {target}: position {target} ({POSTING}, "
        f"{aggregate_id('message', 'P2')} v1) is not the event "
        "that seal 2 sealed there: changed. The read model was not advanced past position 0; run `rmledger "
        "verify` for every finding\n"
    )
    (tmp_path / "read_model.duckdb").unlink(missing_ok=True)
    code, output = run(tmp_path, "pay", "--period", "2025-02", "--json")
    assert code == 1 and f"fails its seals at position {target}" in output


def test_the_loader_stops_before_the_page_that_holds_the_first_bad_event(
    store: SqliteStore | PostgresStore, make_ledger: Callable[..., Ledger], tmp_path: Path
) -> None:
    ledger = make_ledger()
    ledger.sealer = Sealer.of(bytes.fromhex(KEY))
    apply_all(ledger, messages(b.close("2025-02", "2025-02-28")))
    notes = ledger.recorder.select_notifications(start=1, limit=1000)
    target = [n.id for n in notes if n.topic == POSTING][0]
    rm_path = tmp_path / "rm.duckdb"
    with ReadModel(rm_path) as rm:  # the log untouched loads in small pages
        assert rm.catch_up(ledger, page_size=3) == notes[-1].id
    tamper(store, ledger, target)
    with ReadModel(tmp_path / "fresh.duckdb") as rm:
        with pytest.raises(LogTampered) as caught:
            rm.catch_up(ledger, page_size=3)
        assert caught.value.finding.position == target and caught.value.finding.kind == "changed"
        assert target - 3 <= rm.position() < target
    with ReadModel(rm_path) as rm:
        with pytest.raises(LogTampered):
            rm.rebuild(ledger, page_size=3)
        assert rm.position() < target


def tamper(store: SqliteStore | PostgresStore, ledger: Ledger, position: int) -> None:
    """Change the stored bytes of the event at ``position``, in the store itself."""
    recorder = ledger.recorder
    if store.kind == "sqlite":
        with sqlite3.connect(store.data_dir / EVENTS_FILE) as db:
            db.execute(
                "UPDATE stored_events SET state = replace(state, '2000.00', '9000.00') WHERE rowid = ?",
                [position],
            )
        return
    with _connect() as conn:
        table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        conn.execute(
            f"UPDATE {table} SET state = convert_to(replace(convert_from(state, 'UTF8'), '2000.00', "
            f"'9000.00'), 'UTF8') WHERE notification_id = %s",
            (position,),
        )


def test_verify_names_a_change_made_in_the_database_on_both_stores(
    store: SqliteStore | PostgresStore, make_ledger: Callable[..., Ledger]
) -> None:
    ledger = make_ledger()
    ledger.sealer = Sealer.of(bytes.fromhex(KEY))
    apply_all(ledger, messages(b.close("2025-02", "2025-02-28")))
    target = [
        n.id
        for n in ledger.recorder.select_notifications(start=1, limit=1000)
        if n.topic == POSTING
    ][0]
    assert run(store.data_dir, "verify", "--json", **store.cli_env())[0] == 0
    tamper(store, ledger, target)
    code, output = run(store.data_dir, "verify", "--json", **store.cli_env())
    report = json.loads(output)
    assert code == 1 and [(f["kind"], f["position"], f["topic"]) for f in report["findings"]] == [
        ("changed", target, POSTING)
    ]
    assert not (store.data_dir / "read_model.duckdb").exists()


def test_a_store_written_before_seals_still_loads(
    make_ledger: Callable[..., Ledger], tmp_path: Path
) -> None:
    ledger = make_ledger()  # no sealer: no seals, as every store written before them
    apply_all(ledger, messages(b.close("2025-02", "2025-02-28")))
    assert not [t for t in topics(ledger) if t.startswith("domain.seal")]
    with ReadModel(tmp_path / "rm.duckdb") as rm:
        assert rm.catch_up(ledger) == ledger.recorder.max_notification_id()
        assert rm.conn.execute("SELECT count(*) FROM periods_closed").fetchone() == (1,)


def test_a_seal_whose_head_the_log_does_not_reach_is_a_chain_finding(tmp_path: Path) -> None:
    # Only a key holder can make one (a seal computed wrongly): every digest matches,
    # the head does not.
    from domain.seal import seal_body, seal_mac

    log = sealed_store(tmp_path)
    seal_position = [p for p, t in log if t == SEALED_TOPIC][0]
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE rowid = ?", [seal_position]
        ).fetchone()
        fields = json.loads(state)
        fields["head"] = "ab" * 32
        ledger = Ledger(
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp_path / EVENTS_FILE),
            }
        )
        stored = ledger.recorder.select_events(
            aggregate_id("seal", "log"), lte=2, desc=True, limit=1
        )[0]
        seal = ledger.mapper.to_domain_event(stored)
        object.__setattr__(seal, "head", fields["head"])
        fields["mac"] = seal_mac(seal_body(seal), bytes.fromhex(KEY))
        ledger.close()
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            [json.dumps(fields).encode(), seal_position],
        )
    code, output = run(tmp_path, "verify", "--json")
    report = json.loads(output)
    last = fields["last_position"]
    assert code == 1 and [(f["kind"], f["position"], f["detail"]) for f in report["findings"]] == [
        (
            "chain",
            last,
            f"the chain at position {last} is not the head sealed by seal 2, though every event "
            "matches its digest",
        )
    ]
    code, output = run(tmp_path, "rebuild")
    assert (
        code == 1 and f"fails its seals at position {last}: the chain at position {last}" in output
    )

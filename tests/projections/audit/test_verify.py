"""Tamper evidence: ``rmledger verify`` checks the event log against its hash chain and
seals with nothing but the log and the seal key. Each kind of tampering is done in the
SQLite file itself, with the read model deleted, and verify names it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.ids import aggregate_id
from domain.seal import GENESIS, link, state_digest
from scripts.cli.main import cli
from tests import builders as b

KEY = "11" * 32
OTHER_KEY = "22" * 32
POSTING = "domain.facts:Posting.Booked"


@pytest.fixture(autouse=True)
def seal_key(monkeypatch: pytest.MonkeyPatch, clean_environ: None) -> None:
    monkeypatch.delenv("RMLEDGER_SEAL_KEY_FILE", raising=False)
    monkeypatch.setenv("RMLEDGER_SEAL_KEY", KEY)


def run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args], env=env or None)
    return result.exit_code, result.output


def ingest(tmp_path: Path, messages: list[dict]) -> None:
    source = tmp_path / "messages.jsonl"
    source.write_text("".join(json.dumps(m) + "\n" for m in messages))
    code, output = run(tmp_path, "ingest", str(source))
    assert code == 0, output


def verify(tmp_path: Path, **env: str) -> tuple[int, dict]:
    """``rmledger verify --json`` with the read model deleted; it must not make one."""
    (tmp_path / "read_model.duckdb").unlink(missing_ok=True)
    code, output = run(tmp_path, "verify", "--json", **env)
    assert not (tmp_path / "read_model.duckdb").exists()
    return code, json.loads(output)


def findings(report: dict) -> list[tuple[str, int, str]]:
    return [(f["kind"], f["position"], f["topic"]) for f in report["findings"]]


def story() -> list[dict]:
    return [
        b.plan(version="2025", effective_from="2025-01-01"),
        *b.bank(),
        b.assign("C1", "M1"),
        b.book("P1", "C1", "2000.00"),
        b.book("P2", "C1", "500.00"),
    ]


def sealed_story(tmp_path: Path) -> None:
    """The story, then the close of 2025-02, which seals the log."""
    ingest(tmp_path, [*story(), b.close("2025-02", "2025-02-28")])


def rows(tmp_path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        return [
            (int(r[0]), str(r[1]))
            for r in db.execute("SELECT rowid, topic FROM stored_events ORDER BY rowid")
        ]


def positions_of(tmp_path: Path, topic: str) -> list[int]:
    return [p for p, t in rows(tmp_path) if t == topic]


def sql(tmp_path: Path, statement: str, params: list | tuple = ()) -> None:
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        db.execute(statement, params)


def test_a_close_seals_the_log_and_verify_says_ok_from_the_log_alone(tmp_path: Path) -> None:
    sealed_story(tmp_path)
    log = rows(tmp_path)
    started, sealed = log[-2], log[-1]
    assert (started[1], sealed[1]) == ("domain.seal:SealLog.Started", "domain.seal:SealLog.Sealed")
    assert (
        log[-3][1] == "domain.registry:Receipt.Applied"
        and log[-4][1] == "domain.registry:Period.Closed"
    )
    code, report = verify(tmp_path)
    assert code == 0 and report["ok"] and report["findings"] == []
    assert report["seals"] == [
        {
            "number": 2,
            "position": sealed[0],
            "after": 0,
            "last_position": log[-3][0],
            "reason": "close 2025-02",
            "key_id": report["seals"][0]["key_id"],
        }
    ]
    assert (report["sealed_to"], report["unsealed"], report["events"]) == (log[-3][0], 2, len(log))
    # The head is the chain over the stored rows, recomputed here from the file.
    head = GENESIS
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        for rowid, originator, version, topic, state in db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
        ):
            dashed = str(__import__("uuid").UUID(originator))
            head = link(head, rowid, dashed, version, topic, state_digest(state))
    assert report["head_sha256"] == head
    code, text = run(tmp_path, "verify")
    key_id = report["seals"][0]["key_id"]
    assert (code, text) == (
        0,
        (
            f"event log: {len(log)} event(s) up to position {len(log)}; chain head {head}\n"
            f"seals: 1; the last, at position {sealed[0]}, covers positions up to {log[-3][0]} (key {key_id})\n"
            f"not yet sealed: 2 event(s) after position {log[-3][0]} (chained, not authenticated)\n"
            "OK: every seal authenticates and every sealed event matches its seal\n"
        ),
    )


def test_a_changed_posting_is_named_with_the_read_model_deleted(tmp_path: Path) -> None:
    sealed_story(tmp_path)
    target = positions_of(tmp_path, POSTING)[0]
    sql(
        tmp_path,
        "UPDATE stored_events SET state = replace(state, '2000.00', '9000.00') WHERE rowid = ?",
        [target],
    )
    code, report = verify(tmp_path)
    assert code == 1 and not report["ok"]
    assert findings(report) == [("changed", target, POSTING)]
    posting = str(aggregate_id("message", "P1"))
    assert report["findings"][0]["originator_id"] == posting
    code, text = run(tmp_path, "verify")
    assert code == 1 and text.endswith(
        "TAMPERED: 1 finding(s)\n"
        f"  changed: position {target} ({POSTING}, {posting} v1) is not the event that seal 2 sealed there: "
        "changed\n"
    )


def test_a_deleted_event_is_named_by_its_position_and_sealed_topic(tmp_path: Path) -> None:
    sealed_story(tmp_path)
    target = positions_of(tmp_path, "domain.client:Client.Assigned")[0]
    sql(tmp_path, "DELETE FROM stored_events WHERE rowid = ?", [target])
    code, report = verify(tmp_path)
    assert code == 1 and findings(report) == [("deleted", target, "domain.client:Client.Assigned")]
    assert report["findings"][0]["detail"] == (
        f"position {target} (domain.client:Client.Assigned) was sealed by seal 2 and is no longer in the log: "
        "deleted"
    )


def test_an_event_inserted_with_a_new_id_inside_a_sealed_range_is_named(tmp_path: Path) -> None:
    # A gap in the ids (as a PostgreSQL sequence leaves after a rolled-back insert),
    # sealed by the close; then a row slipped into it.
    ingest(tmp_path, story())
    last = rows(tmp_path)[-1][0]
    sql(tmp_path, "UPDATE stored_events SET rowid = ? WHERE rowid = ?", [last + 10, last])
    ingest(tmp_path, [b.close("2025-02", "2025-02-28")])
    assert verify(tmp_path)[0] == 0
    new = str(aggregate_id("message", "P9"))
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        topic, state = db.execute(
            "SELECT topic, state FROM stored_events WHERE rowid = ?",
            [positions_of(tmp_path, POSTING)[0]],
        ).fetchone()
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, 1, ?, ?)",
            [last + 3, new.replace("-", ""), topic, state.replace(b"P1", b"P9")],
        )
    code, report = verify(tmp_path)
    assert code == 1 and findings(report) == [("inserted", last + 3, POSTING)]
    assert report["findings"][0]["originator_id"] == new
    assert "was not in the log when seal 2 sealed positions 1 to" in report["findings"][0]["detail"]


def test_two_events_swapped_are_named_as_reordered_and_two_states_swapped_as_changed(
    tmp_path: Path,
) -> None:
    sealed_story(tmp_path)
    first, second = positions_of(tmp_path, POSTING)
    pristine = (tmp_path / "events.sqlite").read_bytes()
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        db.execute("UPDATE stored_events SET rowid = -1 WHERE rowid = ?", [first])
        db.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", [first, second])
        db.execute("UPDATE stored_events SET rowid = ? WHERE rowid = -1", [second])
    code, report = verify(tmp_path)
    assert code == 1 and findings(report) == [
        ("reordered", first, POSTING),
        ("reordered", second, POSTING),
    ]
    assert report["findings"][0]["detail"].endswith(
        f"holds the event that seal 2 sealed at position {second}: reordered"
    )

    (tmp_path / "events.sqlite").write_bytes(pristine)
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        a, b_ = (
            db.execute("SELECT state FROM stored_events WHERE rowid = ?", [p]).fetchone()[0]
            for p in (first, second)
        )
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", [b_, first])
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", [a, second])
    code, report = verify(tmp_path)
    # each aggregate now holds the other's posting: changed (and the ids no longer match)
    assert code == 1 and findings(report) == [
        ("changed", first, POSTING),
        ("wrong_id", first, POSTING),
        ("changed", second, POSTING),
        ("wrong_id", second, POSTING),
    ]


def test_a_fact_whose_id_its_message_id_could_not_produce_is_named_though_not_yet_sealed(
    tmp_path: Path,
) -> None:
    sealed_story(tmp_path)
    forged = "00000000-0000-4000-8000-000000000001"
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        topic, state = db.execute(
            "SELECT topic, state FROM stored_events WHERE rowid = ?",
            [positions_of(tmp_path, POSTING)[0]],
        ).fetchone()
        (last,) = db.execute("SELECT max(rowid) FROM stored_events").fetchone()
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, 1, ?, ?)",
            [last + 1, forged.replace("-", ""), topic, state.replace(b"P1", b"P7")],
        )
    code, report = verify(tmp_path)
    assert code == 1 and report["unsealed"] == 3
    assert report["findings"] == [
        {
            "kind": "wrong_id",
            "position": last + 1,
            "topic": POSTING,
            "originator_id": forged,
            "detail": f"position {last + 1} ({POSTING}) is a fact with id {forged}, but its source_id 'P7' "
            f"determines the id {aggregate_id('message', 'P7')}",
        }
    ]


def test_a_wrong_key_a_missing_key_and_a_bad_key_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed_story(tmp_path)
    code, report = verify(tmp_path)
    sealed_id = report["seals"][0]["key_id"]
    position = report["seals"][0]["position"]
    code, report = verify(tmp_path, RMLEDGER_SEAL_KEY=OTHER_KEY)
    from domain.seal import key_id

    assert code == 1 and report["findings"] == [
        {
            "kind": "seal",
            "position": position,
            "topic": "",
            "originator_id": str(aggregate_id("seal", "log")),
            "detail": f"seal 2 was made with key {sealed_id}, which is not among the configured seal keys "
            f"({key_id(bytes.fromhex(OTHER_KEY))}): a wrong key, or a seal forged",
        }
    ]
    # after a rotation, the old key kept second verifies the old seals
    assert verify(tmp_path, RMLEDGER_SEAL_KEY=f"{OTHER_KEY},{KEY}")[0] == 0
    monkeypatch.delenv("RMLEDGER_SEAL_KEY")
    code, report = verify(tmp_path)
    assert code == 1 and [f["detail"] for f in report["findings"]] == [
        "seal 2 cannot be authenticated: no seal key is configured (RMLEDGER_SEAL_KEY, RMLEDGER_SEAL_KEY_FILE "
        "or seal.key in the data directory)"
    ]
    code, text = run(tmp_path, "verify", RMLEDGER_SEAL_KEY="hunter2")
    assert (code, text) == (
        1,
        "Error: RMLEDGER_SEAL_KEY must hold 64 hexadecimal characters (a 256-bit key; "
        "several separated by commas for a rotation), but holds a word of 7 character(s) "
        "that are not all hexadecimal\n",
    )


def test_a_seal_edited_without_the_key_does_not_authenticate(tmp_path: Path) -> None:
    sealed_story(tmp_path)
    seal = rows(tmp_path)[-1][0]
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        (state,) = db.execute("SELECT state FROM stored_events WHERE rowid = ?", [seal]).fetchone()
        edited = json.loads(state)
        edited["reason"] = "on demand"
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            [json.dumps(edited).encode(), seal],
        )
    code, report = verify(tmp_path)
    assert code == 1 and [(f["kind"], f["position"], f["detail"]) for f in report["findings"]] == [
        (
            "seal",
            seal,
            f"seal 2 does not authenticate under key {report['seals'][0]['key_id']}: it was altered "
            "or forged",
        )
    ]


def test_a_store_written_before_seals_verifies_with_a_note(tmp_path: Path) -> None:
    from consumers.decoder import decode_object
    from domain.ledger import Ledger, apply_all
    from domain.store import ledger_env

    ledger = Ledger(ledger_env(tmp_path, {}))  # no sealer: as every store was written before seals
    apply_all(ledger, [decode_object(m) for m in [*story(), b.close("2025-02", "2025-02-28")]])
    ledger.close()
    count = len(rows(tmp_path))
    code, text = run(tmp_path, "verify")
    assert code == 0 and text.splitlines()[1:] == [
        "no seals yet: close a month or run `rmledger seal` to seal the log",
        f"not yet sealed: {count} event(s) after position 0 (chained, not authenticated)",
        "OK: every seal authenticates and every sealed event matches its seal",
    ]
    assert not (tmp_path / "read_model.duckdb").exists()


def test_a_forged_unsealed_event_with_a_version_gap_is_caught(tmp_path: Path) -> None:
    sealed_story(tmp_path)
    target = positions_of(tmp_path, "domain.client:Client.Assigned")[0]
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        originator_id, topic, state = db.execute(
            "SELECT originator_id, topic, state FROM stored_events WHERE rowid = ?", [target]
        ).fetchone()
        (version,) = db.execute(
            "SELECT max(originator_version) FROM stored_events WHERE originator_id = ?",
            [originator_id],
        ).fetchone()
        (last,) = db.execute("SELECT max(rowid) FROM stored_events").fetchone()
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            [last + 1, originator_id, version + 2, topic, state],
        )
    code, report = verify(tmp_path)
    assert code == 1 and findings(report) == [
        ("version_gap", last + 1, "domain.client:Client.Assigned")
    ]
    assert report["findings"][0]["detail"].endswith(
        f"is not sealed and no v{version + 1} of its aggregate comes before it"
    )

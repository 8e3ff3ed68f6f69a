"""Tamper evidence: ``rmledger verify`` recomputes the hash chain from the event store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb
from click.testing import CliRunner

from projections.audit_chain import (
    GENESIS,
    chain_head,
    extend_chain,
    link,
    state_digest,
    verify_chain,
)
from scripts.cli import cli
from tests import builders as b


def ingest(tmp_path: Path, messages: list[dict]) -> None:
    source = tmp_path / "messages.jsonl"
    source.write_text("".join(json.dumps(m) + "\n" for m in messages))
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "ingest", str(source)])
    assert result.exit_code == 0, result.output


def verify(tmp_path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "verify", "--json"])
    return result.exit_code, json.loads(result.output)


def story() -> list[dict]:
    return [*b.bank(), b.assign("C1", "M1"), b.book("P1", "C1", "2000.00"), b.book("P2", "C1", "500.00")]


def stored_rowid(tmp_path: Path, topic_suffix: str) -> int:
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        row = db.execute("SELECT rowid FROM stored_events WHERE topic LIKE ? ORDER BY rowid LIMIT 1",
                         [f"%{topic_suffix}"]).fetchone()
    return int(row[0])


def test_an_untouched_log_verifies_and_the_chain_is_stored(tmp_path: Path) -> None:
    ingest(tmp_path, story())
    code, report = verify(tmp_path)
    assert code == 0 and report["ok"] and report["discrepancies"] == []
    conn = duckdb.connect(str(tmp_path / "read_model.duckdb"))
    rows = conn.execute("SELECT position, chain_sha256, state_sha256, originator_id, originator_version, topic "
                        "FROM log_chain ORDER BY position").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    previous = GENESIS
    for position, chained, state_sha, originator, version, topic in rows:
        previous = link(previous, position, originator, version, topic, state_sha)
        assert chained == previous
    assert report["head_sha256"] == previous and report["chained_to"] == rows[-1][0]


def test_an_update_of_one_stored_event_is_caught_naming_its_id(tmp_path: Path) -> None:
    ingest(tmp_path, story())
    assert verify(tmp_path)[0] == 0
    target = stored_rowid(tmp_path, "Posting.Booked")
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        db.execute("UPDATE stored_events SET state = replace(state, '2000.00', '9000.00') WHERE rowid = ?", [target])
    code, report = verify(tmp_path)
    assert code == 1 and not report["ok"]
    assert [(d["kind"], d["notification_id"]) for d in report["discrepancies"]] == [("altered", target)]
    assert f"notification {target}" in report["discrepancies"][0]["detail"]
    text = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "verify"]).output
    assert "TAMPERED" in text and f"altered: notification {target}" in text


def test_a_deleted_row_is_caught_naming_its_id(tmp_path: Path) -> None:
    ingest(tmp_path, story())
    assert verify(tmp_path)[0] == 0
    target = stored_rowid(tmp_path, "Client.Assigned")
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        db.execute("DELETE FROM stored_events WHERE rowid = ?", [target])
    code, report = verify(tmp_path)
    assert code == 1
    assert [(d["kind"], d["notification_id"]) for d in report["discrepancies"]] == [("removed", target)]


def test_a_row_inserted_out_of_order_is_caught(tmp_path: Path) -> None:
    ingest(tmp_path, story())
    assert verify(tmp_path)[0] == 0
    target = stored_rowid(tmp_path, "Client.Assigned")
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        row = db.execute("SELECT originator_id, originator_version, topic, state FROM stored_events "
                         "WHERE rowid = ?", [target]).fetchone()
        db.execute("DELETE FROM stored_events WHERE rowid = ?", [target])
        db.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                   "VALUES (?, ?, ?, ?, ?)", [target, row[0], row[1], row[2], row[3].replace(b"2025", b"2024")])
    code, report = verify(tmp_path)
    # the same id with other bytes: the chained record of that id no longer matches
    assert code == 1 and [(d["kind"], d["notification_id"]) for d in report["discrepancies"]] == [("altered", target)]


def log_with_a_gap(tmp_path: Path) -> int:
    """Ingest the story with a gap of ids before its last event (as a PostgreSQL
    sequence leaves after a rolled-back insert), chain it, and return the first id of
    the gap."""
    ingest(tmp_path, story())
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        (last,) = db.execute("SELECT max(rowid) FROM stored_events").fetchone()
        db.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", [last + 10, last])
    code, report = verify(tmp_path)
    assert code == 0 and report["chained_to"] == last + 10
    return int(last)


def test_a_row_inserted_between_chained_rows_is_caught_naming_its_id(tmp_path: Path) -> None:
    gap = log_with_a_gap(tmp_path)
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        originator_id, version, topic, state = db.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events WHERE topic LIKE "
            "'%Posting.Booked' ORDER BY rowid LIMIT 1").fetchone()
        # a new aggregate's first event, slipped into the gap inside the chained log
        db.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                   "VALUES (?, ?, 1, ?, ?)", [gap + 3, "00000000-0000-4000-8000-000000000001", topic, state])
    code, report = verify(tmp_path)
    assert code == 1
    assert [(d["kind"], d["notification_id"]) for d in report["discrepancies"]] == [("inserted", gap + 3)]
    assert "inserted out of order" in report["discrepancies"][0]["detail"]


def test_a_stored_event_moved_to_another_position_is_caught_at_both(tmp_path: Path) -> None:
    gap = log_with_a_gap(tmp_path)
    target = stored_rowid(tmp_path, "Posting.Booked")
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        db.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", [gap + 5, target])
    code, report = verify(tmp_path)
    assert code == 1
    assert [(d["kind"], d["notification_id"]) for d in report["discrepancies"]] == [
        ("removed", target), ("inserted", gap + 5)]


def test_a_forged_row_appended_after_the_head_with_a_version_gap_is_caught(tmp_path: Path) -> None:
    ingest(tmp_path, story())
    assert verify(tmp_path)[0] == 0
    target = stored_rowid(tmp_path, "Client.Assigned")
    with sqlite3.connect(tmp_path / "events.sqlite") as db:
        originator_id, topic, state = db.execute(
            "SELECT originator_id, topic, state FROM stored_events WHERE rowid = ?", [target]).fetchone()
        (version,) = db.execute("SELECT max(originator_version) FROM stored_events WHERE originator_id = ?",
                                [originator_id]).fetchone()
        (last,) = db.execute("SELECT max(rowid) FROM stored_events").fetchone()
        db.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                   "VALUES (?, ?, ?, ?, ?)", [last + 1, originator_id, version + 2, topic, state])
    code, report = verify(tmp_path)
    assert code == 1
    assert [(d["kind"], d["notification_id"]) for d in report["discrepancies"]] == [("version_gap", last + 1)]
    assert f"follows v{version} (notification {target})" in report["discrepancies"][0]["detail"]
    assert verify(tmp_path)[0] == 1  # and it stays reported: the chain keeps the row


def test_a_repeated_or_backward_version_is_caught() -> None:
    notes = [FakeNote(i, f"state {i}".encode()) for i in range(1, 6)]
    # o1: v1 at 1 (as built), v1 again at 2, v3 at 4 (v2 skipped), then back to v2 at 5
    for n, version in ((notes[1], 1), (notes[3], 3), (notes[4], 2)):
        n.originator_id, n.originator_version = "o1", version
    conn = duckdb.connect()
    extend_chain(conn, notes)
    report = verify_chain(conn, FakeStore(notes))
    assert [(d.kind, d.notification_id) for d in report.discrepancies] == [
        ("version_duplicate", 2), ("version_gap", 4), ("version_duplicate", 5)]


def test_events_after_the_head_are_chained_by_the_next_verify(tmp_path: Path) -> None:
    ingest(tmp_path, story())
    first = verify(tmp_path)[1]
    ingest(tmp_path, [b.book("P3", "C1", "10.00")])
    second = verify(tmp_path)[1]
    assert second["ok"] and second["chained_to"] > first["chained_to"]


class FakeNote:
    def __init__(self, id: int, state: bytes) -> None:
        self.id, self.originator_id, self.originator_version, self.topic, self.state = id, f"o{id}", 1, "t", state


class FakeStore:
    def __init__(self, notes: list[FakeNote]) -> None:
        self.notes = notes

    def select_notifications(self, start, limit, stop=None, topics=(), *, inclusive_of_start=True):  # noqa: ANN001, ANN201
        after = [n for n in self.notes if (n.id >= start if inclusive_of_start else n.id > start)]
        return after[:limit]


def test_extend_chain_is_idempotent_per_page_and_pages_agree_with_one_pass() -> None:
    notes = [FakeNote(i, f"state {i}".encode()) for i in range(1, 8)]
    paged, whole = duckdb.connect(), duckdb.connect()
    extend_chain(paged, notes[:3])
    extend_chain(paged, notes[:5])  # a page read twice adds only what is new
    extend_chain(paged, notes[5:])
    extend_chain(whole, notes)
    assert chain_head(paged) == chain_head(whole)
    assert chain_head(whole)[0] == 7
    assert verify_chain(paged, FakeStore(notes), page_size=2).ok
    notes[3].state = b"forged"
    report = verify_chain(paged, FakeStore(notes), page_size=2)
    assert [(d.kind, d.notification_id) for d in report.discrepancies] == [("altered", 4)]
    assert state_digest(b"forged") != paged.execute("SELECT state_sha256 FROM log_chain WHERE position = 4").fetchone()[0]


def test_an_edit_of_the_chain_table_itself_is_caught() -> None:
    notes = [FakeNote(i, f"state {i}".encode()) for i in range(1, 5)]
    conn = duckdb.connect()
    extend_chain(conn, notes)
    conn.execute("UPDATE log_chain SET state_sha256 = ? WHERE position = 2", [state_digest(b"x")])
    kinds = {(d.kind, d.notification_id) for d in verify_chain(conn, FakeStore(notes)).discrepancies}
    assert ("chain_broken", 2) in kinds

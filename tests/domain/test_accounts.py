"""Accounts and the access log as events of the ledger's store (docs/rules.md R11.1,
R11.3), on SQLite and PostgreSQL: each rule's rejection, the read model's accounts,
role grants by day and the access log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import eventsourcing.domain
import pytest

from consumers.publisher import all_events_route
from domain.access_log import AccessEntry
from domain.errors import RuleBroken
from domain.ledger import Ledger
from projections.audit.accounts import access_log_rows, account_rows, grants_on
from projections.readmodel.loader import ReadModel
from tests.builders import given, hire

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"  # never verified here


def caught_up(ledger: Ledger, directory: Path) -> ReadModel:
    model = ReadModel(directory / "read_model.duckdb")
    model.catch_up(ledger)
    return model


def broken(action: object) -> tuple[str | None, str, str]:
    with pytest.raises(RuleBroken) as caught:
        action()  # type: ignore[operator]
    return caught.value.field, caught.value.rule, caught.value.text


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The time events are stamped with, set by the test (``clock[0]``)."""
    now = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", lambda: now[0])
    yield now


def test_every_rule_of_an_account_rejects_with_its_field_and_code(ledger: Ledger) -> None:
    given(ledger, hire("M1"))
    ledger.add_account("alice", "auditor", None, None, HASH, "root")

    def add(name: str, role: str, manager: str | None = None, branch: str | None = None) -> object:
        return lambda: ledger.add_account(name, role, manager, branch, HASH, "root")

    assert broken(add("a", "auditor")) == (
        "username",
        "username_length",
        "a username has 2 to 64 characters, this one has 1",
    )
    assert broken(add("x" * 65, "auditor"))[:2] == ("username", "username_length")
    assert broken(add("Alice", "auditor")) == (
        "username",
        "username_pattern",
        "a username is made of lower-case letters, digits, '.', '_', '@' and '-', starting with a letter or "
        "digit: 'Alice' is not",
    )
    assert broken(add("bob smith", "auditor"))[:2] == ("username", "username_pattern")
    assert broken(add("alice", "auditor")) == (
        "username",
        "username_exists",
        "user alice already exists",
    )
    assert broken(add("bob", "boss")) == (
        "role",
        "unknown_role",
        "'boss' is not a role; roles: manager, branch_head, performance_office, auditor, admin",
    )
    assert broken(add("bob", "manager")) == (
        "manager_id",
        "manager_id_required",
        "the manager role is bound to a manager id",
    )
    assert broken(add("bob", "manager", "M9")) == (
        "manager_id",
        "unknown_manager",
        "no manager 'M9' is known",
    )
    assert broken(add("bob", "manager", "M1", "BR01")) == (
        "branch_id",
        "branch_id_not_allowed",
        "the manager role is bound to no branch id",
    )
    assert broken(add("bob", "branch_head")) == (
        "branch_id",
        "branch_id_required",
        "the branch_head role is bound to a branch id",
    )
    assert broken(add("bob", "branch_head", "M1", "BR01")) == (
        "manager_id",
        "manager_id_not_allowed",
        "the branch_head role is bound to no manager id",
    )
    assert broken(add("bob", "auditor", None, "BR01")) == (
        "branch_id",
        "branch_id_not_allowed",
        "the auditor role is bound to no branch id",
    )
    assert ledger.account("bob") is None

    assert broken(lambda: ledger.change_role("alice", "auditor", None, None, "root")) == (
        "role",
        "role_unchanged",
        "user alice already holds this role",
    )
    assert broken(lambda: ledger.change_role("nobody", "auditor", None, None, "root")) == (
        "username",
        "unknown_user",
        "no user 'nobody' is known",
    )
    assert broken(lambda: ledger.change_role("alice", "manager", "M9", None, "root"))[:2] == (
        "manager_id",
        "unknown_manager",
    )
    ledger.disable_account("alice", "root")
    assert broken(lambda: ledger.change_role("alice", "admin", None, None, "root")) == (
        "username",
        "user_disabled",
        "user alice is disabled",
    )
    assert broken(lambda: ledger.disable_account("alice", "root")) == (
        "username",
        "user_disabled",
        "user alice is disabled",
    )
    assert broken(lambda: ledger.add_account("alice", "admin", None, None, HASH, "root"))[:2] == (
        "username",
        "username_exists",
    )


def test_accounts_in_the_read_model_follow_adds_role_changes_and_disabling_without_the_hash(
    ledger: Ledger, tmp_path: Path
) -> None:
    given(ledger, hire("M1"), hire("M2"))
    ledger.add_account("mia", "manager", "M1", None, HASH, "root")
    ledger.add_account("ben", "branch_head", None, "BR01", HASH, "root")
    ledger.change_role("mia", "manager", "M2", None, "admin1")
    with caught_up(ledger, tmp_path) as model:  # a page boundary between the changes
        ledger.change_role("ben", "auditor", None, None, "admin1")
        ledger.disable_account("mia", "admin2")
        model.catch_up(ledger)
        rows = account_rows(model.conn)
        assert [
            (r["username"], r["role"], r["manager_id"], r["branch_id"], r["disabled"]) for r in rows
        ] == [("ben", "auditor", None, None, False), ("mia", "manager", "M2", None, True)]
        stored = model.conn.execute("SELECT string_agg(state, '') FROM events").fetchone()[0]
        assert "password_hash" not in stored and HASH not in stored
        assert model.conn.execute(
            "SELECT changed_by, disabled_by FROM accounts WHERE username = 'mia'"
        ).fetchone() == ("admin1", "admin2")


def test_role_grants_say_who_could_see_what_on_a_given_day(
    ledger: Ledger, tmp_path: Path, clock: list[datetime]
) -> None:
    given(ledger, hire("M1"))
    clock[0] = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    ledger.add_account("mia", "manager", "M1", None, HASH, "root")
    ledger.add_account("ola", "performance_office", None, None, HASH, "root")
    clock[0] = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    ledger.change_role("mia", "branch_head", None, "BR01", "root")
    ledger.change_role("mia", "auditor", None, None, "root")  # the same day, the same page
    clock[0] = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    ledger.disable_account("ola", "root")
    with caught_up(ledger, tmp_path) as model:

        def on(day: date) -> list[tuple[str, str, str | None, str | None]]:
            return [
                (g["username"], g["role"], g["manager_id"], g["branch_id"])
                for g in grants_on(model.conn, day)
            ]

        assert on(date(2026, 2, 28)) == []
        assert on(date(2026, 3, 2)) == [
            ("mia", "manager", "M1", None),
            ("ola", "performance_office", None, None),
        ]
        assert on(date(2026, 3, 3)) == [
            ("mia", "manager", "M1", None),
            ("mia", "branch_head", None, "BR01"),
            ("mia", "auditor", None, None),
            ("ola", "performance_office", None, None),
        ]
        assert on(date(2026, 3, 4)) == [
            ("mia", "auditor", None, None),
            ("ola", "performance_office", None, None),
        ]
        assert on(date(2026, 3, 6)) == [("mia", "auditor", None, None)]
        ended = model.conn.execute(
            "SELECT role, ended_how, ended_by FROM role_grants WHERE username = 'ola'"
        ).fetchall()
        assert ended == [("performance_office", "disabled", "root")]


def test_access_log_records_appear_in_the_read_model_in_order(
    ledger: Ledger, tmp_path: Path
) -> None:
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    first = ledger.record_access(
        AccessEntry(
            "mia", "GET /api/v1/statements", "manager M1 2026-02", "allowed", "own statement", at
        )
    )
    ids = ledger.record_accesses(
        [
            AccessEntry(
                "mia",
                "GET /api/v1/statements",
                "manager M2 2026-02",
                "forbidden",
                "not own manager id",
                at + timedelta(seconds=1),
            ),
            AccessEntry(
                None, "GET /api/v1/me", "-", "unauthenticated", "expired", at + timedelta(seconds=2)
            ),
        ]
    )
    assert len({first, *ids}) == 3
    with pytest.raises(RuleBroken) as caught:
        ledger.record_accesses([AccessEntry("mia", "GET /", "-", "maybe", "", at)])
    assert (caught.value.field, caught.value.rule) == ("outcome", "unknown_outcome")
    with caught_up(ledger, tmp_path) as model:
        rows = access_log_rows(model.conn)
        assert [
            (r["username"], r["target"], r["outcome"], r["reason"], r["decided_at"]) for r in rows
        ] == [
            (None, "-", "unauthenticated", "expired", at + timedelta(seconds=2)),
            (
                "mia",
                "manager M2 2026-02",
                "forbidden",
                "not own manager id",
                at + timedelta(seconds=1),
            ),
            ("mia", "manager M1 2026-02", "allowed", "own statement", at),
        ]
        assert [
            r["outcome"]
            for r in access_log_rows(model.conn, user="mia", since=at + timedelta(seconds=1))
        ] == ["forbidden"]
        record_ids = [
            r[0]
            for r in model.conn.execute(
                "SELECT record_id FROM access_log ORDER BY position"
            ).fetchall()
        ]
        assert record_ids == [str(first), *map(str, ids)]


def test_the_published_event_stream_carries_no_password_hash(ledger: Ledger) -> None:
    ledger.add_account("aud", "auditor", None, None, HASH, "root")
    (added,) = ledger.recorder.select_notifications(start=1, limit=1)
    _, _, value, _ = all_events_route(ledger, added)
    published = json.loads(value)
    assert (published["topic"], published["state"]["username"]) == (
        "domain.account:Account.Added",
        "aud",
    )
    assert published["state"]["password_hash"] is None and HASH not in value.decode()

"""``rmledger users ...``: what each command prints and how each refuses (docs/contract.md
C3.2), on an SQLite store in a temporary data directory."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from domain.ledger import Ledger
from scripts.cli.main import cli
from scripts.cli.users import operator
from scripts.identity.accounts import authenticate, principal_from_token
from scripts.identity.tokens import token_keys
from tests.builders import hire
from tests.cli_runs import ingest


def users(data_dir: Path, *args: str, stdin: str | None = None, **env: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["--data-dir", str(data_dir), "users", *args],
        input=stdin,
        env=env,
        catch_exceptions=False,
    )


@pytest.fixture
def data_dir(tmp_path: Path, clean_environ: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("RMLEDGER_TOKEN_KEY", "RMLEDGER_TOKEN_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "var"
    directory.mkdir()
    return directory


def open_ledger(data_dir: Path) -> Ledger:
    return Ledger(
        {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(data_dir / "events.sqlite"),
        }
    )


def test_add_prints_the_account_and_a_generated_password_once_and_makes_the_store(
    data_dir: Path,
) -> None:
    result = users(data_dir, "add", "aud", "--role", "auditor")
    assert result.exit_code == 0
    first, second = result.output.splitlines()
    assert first == "added aud: auditor, bound to -"
    assert second.startswith("password (shown once): ") and len(second.split(": ")[1]) == 24
    ledger = open_ledger(data_dir)
    assert authenticate(ledger, "aud", second.split(": ")[1]) is not None
    ledger.close()


def test_add_with_password_stdin_prints_no_password(data_dir: Path) -> None:
    ingest(data_dir, [hire("M1")])
    result = users(
        data_dir,
        "add",
        "mia",
        "--role",
        "manager",
        "--manager",
        "M1",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert (result.exit_code, result.output) == (0, "added mia: manager, bound to manager M1\n")
    ledger = open_ledger(data_dir)
    assert authenticate(ledger, "mia", "correct horse battery") is not None
    ledger.close()
    short = users(
        data_dir, "add", "ola", "--role", "auditor", "--password-stdin", stdin="hunter2\n"
    )
    assert (short.exit_code, short.output) == (
        1,
        "Error: password: a password has at least 12 characters, this one has 7\n",
    )


def test_each_refusal_names_the_field_and_rule(data_dir: Path) -> None:
    ingest(data_dir, [hire("M1")])
    assert users(data_dir, "add", "ben", "--role", "branch_head", "--branch", "BR01").exit_code == 0
    cases = {
        (
            "add",
            "ben",
            "--role",
            "auditor",
        ): "Error: username: username_exists: user ben already exists\n",
        (
            "add",
            "Ben",
            "--role",
            "auditor",
        ): "Error: username: username_pattern: a username is made of lower-case "
        "letters, digits, '.', '_', '@' and '-', starting with a letter or "
        "digit: 'Ben' is not\n",
        (
            "add",
            "mia",
            "--role",
            "manager",
        ): "Error: manager_id: manager_id_required: the manager role is bound to a manager id\n",
        (
            "add",
            "mia",
            "--role",
            "manager",
            "--manager",
            "M9",
        ): "Error: manager_id: unknown_manager: no manager 'M9' is known\n",
        (
            "add",
            "ola",
            "--role",
            "auditor",
            "--branch",
            "BR01",
        ): "Error: branch_id: branch_id_not_allowed: the auditor role is bound to no branch id\n",
        (
            "role",
            "ben",
            "--role",
            "branch_head",
            "--branch",
            "BR01",
        ): "Error: role: role_unchanged: user ben already holds this role\n",
        (
            "role",
            "zed",
            "--role",
            "auditor",
        ): "Error: username: unknown_user: no user 'zed' is known\n",
        ("disable", "zed"): "Error: username: unknown_user: no user 'zed' is known\n",
        ("token", "zed"): "Error: username: unknown_user: no user 'zed' is known\n",
    }
    for args, said in cases.items():
        result = users(data_dir, *args)
        assert (result.exit_code, result.output) == (1, said), args
    bad_role = users(data_dir, "add", "ola", "--role", "boss")
    assert (
        bad_role.exit_code == 2
        and "Invalid value for '--role': 'boss' is not one of" in bad_role.output
    )
    bad_ttl = users(data_dir, "token", "ben", "--ttl", "1d")
    assert bad_ttl.exit_code == 2 and bad_ttl.output.endswith(
        "Error: Invalid value for '--ttl': '1d' is not a duration: a whole number and s, m or h, like 90s, 30m "
        "or 8h\n"
    )


def test_role_disable_and_list_show_the_accounts_as_they_stand(data_dir: Path) -> None:
    ingest(data_dir, [hire("M1")])
    assert (
        users(data_dir, "list").output
        == "no users yet: add one with `rmledger users add NAME --role ROLE`\n"
    )
    for args in (
        ("add", "ben", "--role", "branch_head", "--branch", "BR01"),
        ("add", "mia", "--role", "manager", "--manager", "M1"),
        ("add", "aud", "--role", "auditor"),
    ):
        assert users(data_dir, *args).exit_code == 0
    assert (
        users(data_dir, "role", "aud", "--role", "admin").output == "aud is now admin, bound to -\n"
    )
    assert users(data_dir, "disable", "mia").output == "disabled mia\n"
    assert (
        users(data_dir, "disable", "mia").output
        == "Error: username: user_disabled: user mia is disabled\n"
    )
    today = datetime.now(UTC).date().isoformat()
    assert users(data_dir, "list").output == (
        "username  role         bound to     status    added\n"
        "--------  -----------  -----------  --------  ----------\n"
        f"aud       admin        -            active    {today}\n"
        f"ben       branch_head  branch BR01  active    {today}\n"
        f"mia       manager      manager M1   disabled  {today}\n"
        "3 users\n"
    )
    listed = json.loads(users(data_dir, "list", "--json").output)
    assert [{k: v for k, v in row.items() if k != "added_at"} for row in listed] == [
        {
            "username": "aud",
            "role": "admin",
            "manager_id": None,
            "branch_id": None,
            "status": "active",
            "added_by": operator(),
        },
        {
            "username": "ben",
            "role": "branch_head",
            "manager_id": None,
            "branch_id": "BR01",
            "status": "active",
            "added_by": operator(),
        },
        {
            "username": "mia",
            "role": "manager",
            "manager_id": "M1",
            "branch_id": None,
            "status": "disabled",
            "added_by": operator(),
        },
    ]
    assert (
        users(data_dir, "token", "mia").output
        == "Error: username: user_disabled: user mia is disabled\n"
    )


def test_token_is_alone_on_its_line_signed_with_the_data_directory_s_key(data_dir: Path) -> None:
    assert users(data_dir, "add", "aud", "--role", "auditor").exit_code == 0
    before = datetime.now(UTC)
    result = users(data_dir, "token", "aud", "--ttl", "90s")
    assert (
        result.exit_code == 0
        and result.output.count("\n") == 1
        and result.output.startswith("rml1.")
    )
    key_file = data_dir / "token.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    ledger = open_ledger(data_dir)
    token = result.output.strip()
    keys = token_keys(data_dir, {}, create=False)
    assert (
        principal_from_token(ledger, keys, token, before + timedelta(seconds=88)).username == "aud"
    )
    with pytest.raises(Exception, match="expired"):
        principal_from_token(ledger, keys, token, before + timedelta(seconds=92))
    default = users(data_dir, "token", "aud").output.strip()
    assert (
        principal_from_token(
            ledger, keys, default, before + timedelta(hours=7, minutes=59)
        ).username
        == "aud"
    )
    ledger.close()


def test_the_token_key_can_come_from_the_environment_and_a_bad_one_is_one_sentence(
    data_dir: Path,
) -> None:
    assert users(data_dir, "add", "aud", "--role", "auditor").exit_code == 0
    key = "ab" * 32
    token = users(data_dir, "token", "aud", RMLEDGER_TOKEN_KEY=key).output.strip()
    ledger = open_ledger(data_dir)
    assert (
        principal_from_token(ledger, bytes.fromhex(key), token, datetime.now(UTC)).username == "aud"
    )
    ledger.close()
    assert not (data_dir / "token.key").exists()
    bad = users(data_dir, "token", "aud", RMLEDGER_TOKEN_KEY="hunter2")
    assert (bad.exit_code, bad.output) == (
        1,
        "Error: RMLEDGER_TOKEN_KEY must hold 64 hexadecimal characters (a 256-bit key; several separated by "
        "commas for a rotation), but holds a word of 7 character(s) that are not all hexadecimal\n",
    )

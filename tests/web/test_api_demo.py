"""``rmledger demo`` adds one user per role; served, each signs in with the password
the demo printed and is who the demo said."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.stores import SqliteStore, leaking_settings, run_rmledger
from tests.web.served import serve

USER_LINE = re.compile(r"^  (demo-[a-z-]+) +([a-z_]+) +(\S+(?: \S+)?) +(\S+)$", re.M)


def test_each_demo_user_signs_in_with_the_printed_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    for name in leaking_settings(os.environ):
        monkeypatch.delenv(name)
    done = run_rmledger(SqliteStore(tmp_path), "demo", "--size", "tiny")
    assert done.returncode == 0, done.stderr
    users = USER_LINE.findall(done.stdout)
    assert [(u[0], u[1]) for u in users] == [
        ("demo-manager", "manager"),
        ("demo-branch-head", "branch_head"),
        ("demo-office", "performance_office"),
        ("demo-auditor", "auditor"),
        ("demo-admin", "admin"),
    ]
    demo = tmp_path / "demo-7"
    assert f"{demo} users token demo-manager" in done.stdout
    assert f"{demo} serve --port 8000" in done.stdout
    with serve(SqliteStore(demo)) as served, served.client() as client:
        for username, role, bound, password in users:
            signed = client.post(
                "/api/v1/session", json={"username": username, "password": password}
            )
            assert signed.status_code == 200, signed.text
            me = client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {signed.json()['token']}"}
            ).json()
            assert (me["username"], me["role"]) == (username, role)
            assert bound == {
                "manager": f"manager {me['manager_id']}",
                "branch_head": f"branch {me['branch_id']}",
            }.get(role, "-")

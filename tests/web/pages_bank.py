"""The running server of the page tests: tests/web/test_web_reads.py's bank (M1, M2 in
BR01, M3 in BR02; February closed; M2 asked to leave) served by a real
``rmledger serve``, with one user per role: ann (manager M1), bea (manager M2), bo
(branch head BR01), pat (performance office), aud (auditor), adm (admin)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.web.served import Served, serve_ingested
from tests.web.test_web_reads import BANK

PASSWORD = "a-long-password-1"
USERS = {
    "ann": ("manager", "M1", None),
    "bea": ("manager", "M2", None),
    "bo": ("branch_head", None, "BR01"),
    "pat": ("performance_office", None, None),
    "aud": ("auditor", None, None),
    "adm": ("admin", None, None),
}


@contextmanager
def bank_server(
    folder: Path, messages: list[dict[str, Any]] | None = None, **env: str
) -> Iterator[Served]:
    """The bank (or ``messages``) ingested into a SQLite store in ``folder`` and served
    until the block ends."""
    with serve_ingested(folder, messages or BANK, **env) as running:
        for name, (role, manager, branch) in USERS.items():
            running.add_user(name, role, manager, branch, password=PASSWORD)
        yield running

"""A real ``rmledger serve`` for the web tests: a process on a free loopback port,
on a store of its own (SQLite or PostgreSQL), its token key known to the test, its
accounts added through the ledger; and the access-log lines it writes, read back from
the read model like an auditor's query would."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.ledger import Ledger
from projections.audit.accounts import access_log_rows
from projections.readmodel.access import ReadModelAccess
from scripts.identity.passwords import hash_password
from scripts.identity.tokens import issue_token
from tests.stores import RMLEDGER, PostgresStore, SqliteStore, leaking_settings, run_rmledger

TOKEN_KEY = bytes(range(32))
START_DEADLINE = 120.0  # a loaded 2-core machine can take long to import and catch up


def free_port() -> int:
    """A port nobody listens on now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A running server: its address, store and ledger (for accounts and the log)."""

    url: str
    store: SqliteStore | PostgresStore
    ledger: Ledger
    process: subprocess.Popen[bytes]

    def client(
        self, token: str | None = None, source: str | None = None, **headers: str
    ) -> httpx.Client:
        """An HTTP client of the server, with ``Authorization: Bearer token`` when given,
        connecting from the loopback address ``source`` when given (``fresh_source()``:
        the server counts refusals and failed sign-ins per client address)."""
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        transport = None if source is None else httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, transport=transport)

    def add_user(
        self,
        name: str,
        role: str,
        manager_id: str | None = None,
        branch_id: str | None = None,
        password: str = "a-long-password-1",
    ) -> None:
        self.ledger.add_account(name, role, manager_id, branch_id, hash_password(password), "test")

    def token(self, name: str, ttl: timedelta = timedelta(hours=1), key: bytes = TOKEN_KEY) -> str:
        return issue_token(key, name, datetime.now(UTC) + ttl)

    def head(self) -> int:
        """The event log's last position now."""
        return int(self.ledger.recorder.max_notification_id() or 0)

    def access_lines(self, after: int) -> list[tuple[Any, ...]]:
        """The access-log lines written after position ``after``, oldest first, as
        (username, action, target, outcome, reason)."""
        access = ReadModelAccess(
            self.store.data_dir / "read_model.duckdb", self.ledger, announce=lambda _: None
        )
        rm = access.read()
        try:
            rows = access_log_rows(rm.conn)
        finally:
            rm.close()
        return [
            (r["username"], r["action"], r["target"], r["outcome"], r["reason"])
            for r in reversed(rows)
            if r["position"] > after
        ]


_SOURCES = itertools.count(1)


def fresh_source() -> str:
    """A loopback address no other client of this test process used (127.100.0.2,
    127.100.0.3, ...: Linux answers the whole of 127.0.0.0/8 on the loopback)."""
    n = next(_SOURCES)
    return f"127.{100 + n // 65024}.{n // 254 % 256}.{1 + n % 254}"


def wait_healthy(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Until ``/healthz`` answers 200 (or the process dies, or the deadline passes)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"rmledger serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling for a condition, not waiting for one to hold
    raise AssertionError(f"rmledger serve did not answer at {url} within {deadline} s")


@contextmanager
def serve(store: SqliteStore | PostgresStore, **env: str) -> Iterator[Served]:
    """``rmledger serve`` on ``store`` until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environ = {**os.environ, **store.cli_env(), "RMLEDGER_TOKEN_KEY": TOKEN_KEY.hex(), **env}
    log = open(Path(store.data_dir) / "serve.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [RMLEDGER, "--data-dir", str(store.data_dir), "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environ,
    )
    ledger = Ledger(dict(store.env))
    try:
        wait_healthy(url, process, START_DEADLINE)
        yield Served(url, store, ledger, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        ledger.close()
        log.close()


@contextmanager
def serve_ingested(folder: Path, messages: list[dict[str, Any]], **env: str) -> Iterator[Served]:
    """``messages`` ingested into a SQLite store in ``folder`` by ``rmledger ingest``,
    then served until the block ends; the caller's settings that would leak into the
    server are unset meanwhile."""
    with pytest.MonkeyPatch.context() as patch:
        for name in leaking_settings(os.environ):
            patch.delenv(name)
        store = SqliteStore(folder)
        source = store.data_dir / "bank.jsonl"
        source.write_text("".join(json.dumps(m) + "\n" for m in messages))
        assert run_rmledger(store, "ingest", str(source)).returncode == 0
        with serve(store, **env) as running:
            yield running

"""The server's guards in-process, through FastAPI's TestClient with a client address of
the test's choosing and a clock or a sleep the test controls: ``/metrics`` for the
loopback only, the bounded access-log lines of requests without identity, and the
waits after failed sign-ins. (tests/web/test_api_matrix.py shows the same over real
HTTP, where no clock can be set.)"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST

from scripts.identity.passwords import hash_password
from scripts.web import api
from scripts.web.app import create_app
from scripts.web.refusals import UNAUTHENTICATED_LOG_INTERVAL, UnauthenticatedLog
from scripts.web.settings import Settings
from tests import builders as b
from tests.cli_runs import ingest
from tests.stores import leaking_settings

with warnings.catch_warnings():
    # Starlette 1.x would rather its TestClient ran on httpx2; the project has httpx.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

TOKEN_KEY = bytes(range(32))
MISSING = "sign in: send 'Authorization: Bearer <token>' or the session cookie"
UNAUTHENTICATED = {"error": "unauthenticated", "message": MISSING}
WRONG = {"error": "unauthenticated", "message": "wrong username or password"}
PASSWORD = "a-long-password-1"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store holding one manager (the server serves no empty store); the shell's store
    settings unset for the module."""
    with pytest.MonkeyPatch.context() as patch:
        for name in leaking_settings(os.environ):
            patch.delenv(name)
        directory = tmp_path_factory.mktemp("guards")
        ingest(directory, [b.hire("M1")])
        yield directory


@pytest.fixture
def app(store: Path) -> Iterator[FastAPI]:
    """A fresh app on the store (fresh counts, metrics and throttle); its lifespan is
    not run, so nothing follows the log but the test's own catch-ups."""
    application = create_app(Settings(data_dir=store, token_keys=(TOKEN_KEY,)))
    try:
        yield application
    finally:
        application.state.rmledger.close()


def client(app: FastAPI, host: str) -> TestClient:
    return TestClient(app, client=(host, 50000))


class Clock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def lines_after(app: FastAPI, position: int) -> list[tuple[Any, ...]]:
    """The access-log lines written after ``position``, oldest first, as (username,
    action, target, outcome, reason, decided_at)."""
    state = app.state.rmledger
    state.follower.catch_up()
    rows = state.access_log_entries(None, None)
    return [
        (
            r["username"],
            r["action"],
            r["target"],
            r["outcome"],
            r["reason"],
            datetime.fromisoformat(r["decided_at"]).astimezone(UTC),
        )
        for r in reversed(rows)
        if r["position"] > position
    ]


def head(app: FastAPI) -> int:
    return int(app.state.rmledger.ledger.recorder.max_notification_id() or 0)


# -- /metrics ------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["10.1.2.3", "192.168.0.7", "2001:db8::1", "testclient"])
def test_metrics_refuse_a_client_on_another_host_403(app: FastAPI, host: str) -> None:
    answer = client(app, host).get("/metrics")
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "error": "forbidden",
        "message": "the metrics are for the server's own host",
    }


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "127.8.9.10"])
def test_metrics_answer_a_loopback_client_with_prometheus_text(app: FastAPI, host: str) -> None:
    assert client(app, "10.1.2.3").get("/metrics").status_code == 403
    assert client(app, host).get("/healthz").status_code == 200
    answer = client(app, host).get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == CONTENT_TYPE_LATEST
    lines = answer.text.splitlines()
    assert "# TYPE rmledger_read_model_lag_events gauge" in lines
    assert "# TYPE rmledger_http_requests_total counter" in lines
    assert 'rmledger_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in lines
    assert 'rmledger_http_requests_total{method="GET",route="/metrics",status="403"} 1.0' in lines


def test_metrics_count_the_answers_kept_and_computed(app: FastAPI) -> None:
    from scripts.identity.tokens import issue_token

    state = app.state.rmledger
    state.ledger.add_account("aud-m", "auditor", None, None, hash_password(PASSWORD), "test")
    state.follower.catch_up()
    token = issue_token(TOKEN_KEY, "aud-m", datetime.now(UTC) + timedelta(hours=1))
    asked = client(app, "127.0.0.1")
    for _ in range(2):
        answer = asked.get(
            "/api/v1/managers/M1/history", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200 and answer.json()["manager_id"] == "M1"
    lines = asked.get("/metrics").text.splitlines()
    # The first read computed the policy's facts and the history; the second was given both.
    assert 'rmledger_answers{outcome="computed"} 2.0' in lines
    assert 'rmledger_answers{outcome="hit"} 2.0' in lines
    assert 'rmledger_answers{outcome="stale"} 0.0' in lines


# -- requests without identity: the access log's lines, bounded -------------------------


def test_five_refusals_in_a_row_from_one_address_are_one_line(app: FastAPI) -> None:
    clock = Clock(datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC))
    app.state.rmledger.unauthenticated = UnauthenticatedLog(clock=clock)
    before = head(app)
    http = client(app, "10.1.2.3")
    for _ in range(5):
        answer = http.get("/api/v1/me")
        assert (answer.status_code, answer.json()) == (401, UNAUTHENTICATED)
        clock.now += timedelta(seconds=1)
    assert lines_after(app, before) == [
        (
            None,
            "authenticate",
            "GET /api/v1/me",
            "unauthenticated",
            f"missing: {MISSING}",
            datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC),
        )
    ]


def test_after_the_interval_the_next_refusal_is_a_line_counting_those_not_recorded(
    app: FastAPI,
) -> None:
    start = datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC)
    clock = Clock(start)
    app.state.rmledger.unauthenticated = UnauthenticatedLog(clock=clock)
    assert timedelta(minutes=1) == UNAUTHENTICATED_LOG_INTERVAL  # as docs/web.md says
    before = head(app)
    http = client(app, "10.1.2.3")
    for path in ["/api/v1/me"] * 30 + ["/api/v1/tiers?as_of=2025-02-28"] * 8:
        assert http.get(path).status_code == 401
    clock.now = start + timedelta(seconds=59, microseconds=999_999)  # still inside
    assert http.get("/api/v1/me").status_code == 401
    assert len(lines_after(app, before)) == 1
    clock.now = start + timedelta(minutes=1)  # the interval is over
    answer = http.post("/api/v1/sql", json={"query": "SELECT 1"})
    assert (answer.status_code, answer.json()) == (401, UNAUTHENTICATED)
    assert http.get("/api/v1/me").status_code == 401  # inside the next interval again
    clock.now = start + timedelta(minutes=2, seconds=30)
    assert http.get("/api/v1/me").status_code == 401
    clock.now = start + timedelta(minutes=4)
    assert http.get("/api/v1/me").status_code == 401
    assert [line[2:] for line in lines_after(app, before)] == [
        ("GET /api/v1/me", "unauthenticated", f"missing: {MISSING}", start),
        (
            "POST /api/v1/sql",
            "unauthenticated",
            f"missing: {MISSING} (and 38 more from 10.1.2.3 since 2026-12-07 12:00:01 UTC)",
            start + timedelta(minutes=1),
        ),
        (
            "GET /api/v1/me",
            "unauthenticated",
            f"missing: {MISSING} (and 1 more from 10.1.2.3 since 2026-12-07 12:01:01 UTC)",
            start + timedelta(minutes=2, seconds=30),
        ),
        (  # nothing went unrecorded since the last line: nothing to add
            "GET /api/v1/me",
            "unauthenticated",
            f"missing: {MISSING}",
            start + timedelta(minutes=4),
        ),
    ]


def test_each_address_and_reason_code_has_its_first_refusal_recorded(app: FastAPI) -> None:
    at = datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC)
    app.state.rmledger.unauthenticated = UnauthenticatedLog(clock=Clock(at))
    before = head(app)
    garbage = {"Authorization": "Bearer not-a-token"}
    for host in ("10.1.2.3", "10.1.2.4"):
        for _ in range(3):
            assert client(app, host).get("/api/v1/me").status_code == 401
            assert client(app, host).get("/api/v1/me", headers=garbage).status_code == 401
    malformed = "malformed: the bearer token is not an rmledger token"
    assert [line[4] for line in lines_after(app, before)] == [
        f"missing: {MISSING}",  # 10.1.2.3
        malformed,
        f"missing: {MISSING}",  # 10.1.2.4
        malformed,
    ]


def test_the_pairs_kept_in_memory_are_bounded_and_a_pair_with_a_count_is_kept_longest() -> None:
    start = datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC)
    clock = Clock(start)
    log = UnauthenticatedLog(clock=clock, most_kept=10)
    assert log.refused("10.0.0.1", "missing") is not None
    assert log.refused("10.0.0.1", "missing") is None  # counted
    for n in range(2, 1000):
        assert log.refused(f"10.0.{n // 256}.{n % 256}", "missing") is not None  # each a first
        assert len(log) <= 10
    clock.now = start + timedelta(minutes=1)
    line = log.refused("10.0.0.1", "missing")
    # the flood of fresh addresses pushed the oldest pairs out, 10.0.0.1's count with them
    assert line is not None and line.more == ""
    assert len(log) <= 10

    log = UnauthenticatedLog(clock=clock, most_kept=3)
    clock.now = start
    log.refused("10.0.0.1", "missing")
    log.refused("10.0.0.1", "missing")  # counted
    log.refused("10.0.0.2", "missing")
    log.refused("10.0.0.3", "missing")
    clock.now = start + timedelta(minutes=1)
    log.refused("10.0.0.4", "missing")  # room made: .2 and .3 had nothing to add
    line = log.refused("10.0.0.1", "missing")
    assert line is not None
    assert line.more == " (and 1 more from 10.0.0.1 since 2026-12-07 12:00:01 UTC)"


# -- failed sign-ins: the waits of docs/web.md --------------------------------------------


def test_the_nth_failed_sign_in_makes_the_next_attempt_wait_as_documented(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the n-th failure in a row for a username, or from an address, the next
    attempt waits 0.25 × 2^(n−1) s, at most 8 s; it is answered as any other (401, the
    same body), and every attempt is a line of the access log; a success clears the
    username's count, not the address's."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(api, "asyncio", SimpleNamespace(sleep=sleep))
    app.state.rmledger.ledger.add_account(
        "sue", "auditor", None, None, hash_password(PASSWORD), "test"
    )
    before = head(app)
    http = client(app, "10.7.7.7")
    for _ in range(8):
        answer = http.post("/api/v1/session", json={"username": "sue", "password": "wrong-one-00"})
        assert (answer.status_code, answer.json()) == (401, WRONG)
    assert waits == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0]

    waits.clear()  # the same username from elsewhere: the username's count
    assert (
        client(app, "10.8.8.8")
        .post("/api/v1/session", json={"username": "sue", "password": PASSWORD})
        .json()["token"]
    )
    assert waits == [8.0]
    waits.clear()  # the success cleared the username's count, not 10.7.7.7's
    client(app, "10.8.8.8").post("/api/v1/session", json={"username": "sue", "password": "x" * 12})
    http.post("/api/v1/session", json={"username": "nobody", "password": "x" * 12})
    assert waits == [0.0, 8.0]

    lines = lines_after(app, before)
    assert [line[:5] for line in lines] == [
        *[(None, "sign_in", "user sue", "unauthenticated", "wrong username or password")] * 8,
        ("sue", "sign_in", "user sue", "allowed", "password accepted"),
        (None, "sign_in", "user sue", "unauthenticated", "wrong username or password"),
        (None, "sign_in", "user nobody", "unauthenticated", "wrong username or password"),
    ]

"""The server's guards in-process, through FastAPI's TestClient with a client address of
the test's choosing: ``/metrics`` for the loopback only. (tests/web/test_api_matrix.py
shows the same over real HTTP.)"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST

from scripts.web.app import create_app
from scripts.web.settings import Settings
from tests import builders as b
from tests.cli_runs import ingest
from tests.stores import leaking_settings

with warnings.catch_warnings():
    # Starlette 1.x would rather its TestClient ran on httpx2; the project has httpx.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

TOKEN_KEY = bytes(range(32))


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
    """A fresh app on the store (fresh metrics); its lifespan is not run."""
    application = create_app(Settings(data_dir=store, token_keys=(TOKEN_KEY,)))
    try:
        yield application
    finally:
        application.state.rmledger.close()


def client(app: FastAPI, host: str) -> TestClient:
    return TestClient(app, client=(host, 50000))


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

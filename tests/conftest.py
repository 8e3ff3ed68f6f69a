"""Shared fixtures.

- ``ledger``: a fresh ``Ledger``, once on SQLite and once on PostgreSQL (marked
  ``postgres``; skipped loudly when no server answers, failed instead when CI is set).
- ``make_ledger(**env)``: open another ``Ledger`` on the same store (a restart, or
  extra settings such as ``CIPHER_KEY``); all are closed after the test.
- ``store``: that store (``.kind``, ``.env``, ``.cli_env()``, ``.raw_bytes()``).
- ``clean_environ``: store settings from the shell are removed for the test.

Message builders and given/when/then helpers are in ``tests/builders.py``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from domain.ledger import Ledger
from scripts.bench.kafka_broker import kafka_bootstrap  # noqa: F401
from tests.stores import PostgresStore, SqliteStore, leaking_settings, open_store

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def collector_left_on() -> Iterator[None]:
    """Every test leaves Python's cyclic garbage collector on: the loader pauses it
    (projections/readmodel/gc_pause.py), and one left off keeps the rest of the session's
    reference cycles, PostgreSQL connection pools among them, alive."""
    yield
    assert gc.isenabled(), "the test left Python's cyclic garbage collector off"


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in leaking_settings(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture(params=STORES)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clean_environ: None
) -> Iterator[SqliteStore | PostgresStore]:
    opened = open_store(request.param, tmp_path)
    yield opened
    opened.drop()  # after make_ledger's teardown has closed every ledger on it


@pytest.fixture
def make_ledger(store: SqliteStore | PostgresStore) -> Iterator[Callable[..., Ledger]]:
    opened: list[Ledger] = []

    def make(**env: str) -> Ledger:
        ledger = Ledger({**store.env, **env})
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()

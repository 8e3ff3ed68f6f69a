"""The event stores (docs/contract.md C3.1): SQLite in the data directory by default,
PostgreSQL when eventsourcing's settings say so. Every rule test already runs on both
(the ``ledger`` fixture); these are about the stores themselves: choice by
environment, isolation, reopening, and two ledgers on one store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.ledger import DUPLICATE, Ledger
from domain.store import data_dir, ledger_env
from tests import builders as b
from tests import stores

# -- choosing the store --------------------------------------------------------------------------


def test_by_default_the_events_are_in_an_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    env = ledger_env(tmp_path / "var", environ={})
    assert env == {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "var" / "events.sqlite"),
        "SQLITE_LOCK_TIMEOUT": "30",
    }
    assert (tmp_path / "var").is_dir()


def test_postgresql_is_chosen_by_the_eventsourcing_setting(tmp_path: Path) -> None:
    env = ledger_env(tmp_path / "var", environ={"PERSISTENCE_MODULE": "eventsourcing.postgres"})
    assert env == {"PERSISTENCE_MODULE": "eventsourcing.postgres"}


def test_a_cipher_key_turns_on_the_aes_cipher(tmp_path: Path) -> None:
    env = ledger_env(tmp_path, environ={"CIPHER_KEY": "A" * 43 + "="})  # the base64 of 32 bytes
    assert env["CIPHER_TOPIC"] == "eventsourcing.cryptography:AESCipher"


def test_the_data_directory_is_the_option_else_the_environment_else_var(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RMLEDGER_DATA_DIR", "/srv/rm")
    assert (data_dir("/opt/x"), data_dir()) == (Path("/opt/x"), Path("/srv/rm"))
    monkeypatch.delenv("RMLEDGER_DATA_DIR")
    assert data_dir() == Path("./var")


# -- one store, several ledgers ------------------------------------------------------------------------


def test_a_ledger_reopened_on_the_same_store_sees_everything(
    make_ledger: Callable[..., Ledger],
) -> None:
    first = make_ledger()
    b.given(first, *b.bank(), b.assign("C1", "M1"), b.book("P1", "C1"))
    reopened = make_ledger()
    assert b.notifications(reopened) == b.notifications(first)
    assert b.state(reopened, "client", "C1").primary.manager_id == "M1"
    assert b.state(reopened, "manager", "M1").book == {"C1": {"primary"}}


def test_a_second_ledger_on_the_same_store_sees_the_first_ones_changes(
    make_ledger: Callable[..., Ledger],
) -> None:
    one, other = make_ledger(), make_ledger()
    b.given(one, *b.bank())
    b.given(other, b.assign("C1", "M1"))
    assert b.rejected(one, b.assign("C1", "M2")).rule == "primary_in_force"
    assert [o.status for o in b.send(one, b.assign("C1", "M1"))] == [DUPLICATE]


def test_a_fresh_store_is_empty(ledger: Ledger) -> None:
    assert b.notifications(ledger) == []


# -- PostgreSQL: a schema per test ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_postgres_schemas_do_not_see_each_other(tmp_path: Path, clean_environ: None) -> None:
    stores.require_postgres()
    one, other = stores.PostgresStore(tmp_path), stores.PostgresStore(tmp_path)
    ledgers: list[Ledger] = []
    try:
        ledgers = [Ledger(one.env), Ledger(other.env)]
        b.given(ledgers[0], b.hire("M1"))
        assert [n.topic for n in b.notifications(ledgers[1])] == []
        assert "rmledger_events" in one.tables()
    finally:
        for ledger in ledgers:
            ledger.close()
        one.drop()
        other.drop()
    assert one.tables() == []


def test_without_a_server_postgres_tests_skip_loudly_unless_ci_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stores, "postgres_problem", lambda: "OperationalError: connection refused")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="POSTGRESQL TESTS NOT RUN.*connection refused"):
        stores.require_postgres()
    monkeypatch.setenv("CI", "1")
    with pytest.raises(
        pytest.fail.Exception, match="not reachable and CI is set.*connection refused"
    ):
        stores.require_postgres()


def test_with_a_server_postgres_tests_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stores, "postgres_problem", lambda: None)
    monkeypatch.setenv("CI", "1")
    stores.require_postgres()  # neither skips nor fails


def test_store_settings_from_the_shell_are_kept_out_of_the_tests(store: Any) -> None:
    import os

    assert stores.leaking_settings(os.environ) == []
    assert stores.leaking_settings(
        {"RMLEDGER_PERSISTENCE_MODULE": "x", "POSTGRES_SCHEMA": "s", "CI": "1", "HOME": "/"}
    ) == ["RMLEDGER_PERSISTENCE_MODULE", "POSTGRES_SCHEMA"]


def test_an_aggregate_cache_is_refused_by_name(tmp_path: Path) -> None:
    """Batches are written straight to the recorder, so a cache would go stale: the
    setting is refused, not silently half-honoured."""
    env = {**ledger_env(tmp_path, {}), "AGGREGATE_CACHE_MAXSIZE": "100"}
    with pytest.raises(
        ValueError, match="AGGREGATE_CACHE_MAXSIZE: the ledger keeps no aggregate cache; unset it"
    ):
        Ledger(env)


@pytest.mark.postgres
def test_a_ledger_on_postgresql_keeps_one_connection_unless_told(
    make_ledger: Callable[..., Ledger], store: Any
) -> None:
    if store.kind != "postgres":
        pytest.skip("a pool is PostgreSQL's")

    def kept(ledger: Ledger) -> tuple[int, int]:
        pool = ledger.recorder.datastore.pool  # type: ignore[attr-defined]
        return pool.min_size, pool.max_size

    assert kept(make_ledger()) == (1, 11)  # the library's POSTGRES_MAX_OVERFLOW is 10
    assert kept(make_ledger(POSTGRES_POOL_SIZE="3")) == (3, 13)

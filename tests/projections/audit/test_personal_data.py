"""Personal data (docs/rules.md R4.2): the client's identity number is kept encrypted in the
store when the deployment sets ``CIPHER_KEY``, and is never printed in full by ingest,
neither in its summary nor in any error text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher

from domain.ledger import Ledger
from tests import builders as b
from tests.stores import run_rmledger

ID_NUMBER = b.ID_NUMBER
AES = "eventsourcing.cryptography:AESCipher"


@pytest.fixture
def cipher_key() -> str:
    return AESCipher.create_key(16)


# -- at rest ------------------------------------------------------------------------------------


def test_with_a_cipher_key_the_identity_number_is_not_in_the_stored_bytes(
    store: Any, make_ledger: Callable[..., Ledger], cipher_key: str
) -> None:
    ledger = make_ledger(CIPHER_TOPIC=AES, CIPHER_KEY=cipher_key)
    b.given(ledger, b.register("C1", name="Wang Fang"))
    ledger.close()
    raw = store.raw_bytes()
    assert raw, "the probe read nothing"
    assert ID_NUMBER.encode() not in raw
    assert b"Wang Fang" not in raw


def test_without_a_cipher_key_the_same_probe_finds_the_identity_number(
    store: Any, make_ledger: Callable[..., Ledger]
) -> None:
    # Proves the probe above can fail: unencrypted, the number is there in clear.
    ledger = make_ledger()
    b.given(ledger, b.register("C1", name="Wang Fang"))
    ledger.close()
    assert ID_NUMBER.encode() in store.raw_bytes()


def test_an_encrypted_store_reads_back_the_identity_number_with_the_key(
    make_ledger: Callable[..., Ledger], cipher_key: str
) -> None:
    b.given(make_ledger(CIPHER_TOPIC=AES, CIPHER_KEY=cipher_key), b.register("C1"))
    reopened = make_ledger(CIPHER_TOPIC=AES, CIPHER_KEY=cipher_key)
    assert b.state(reopened, "client", "C1").id_number == ID_NUMBER


def test_ingest_with_cipher_key_in_the_environment_stores_the_identity_number_encrypted(
    store: Any, tmp_path: Path, cipher_key: str
) -> None:
    path = tmp_path / "clients.jsonl"
    path.write_text(json.dumps(b.register("C1")) + "\n")
    result = run_rmledger(store, "ingest", str(path), CIPHER_KEY=cipher_key)
    assert (result.stdout, result.returncode) == ("applied: 1  duplicates: 0  rejected: 0\n", 0)
    raw = store.raw_bytes()
    assert b"Receipt" in raw, "the probe did not read the events the command stored"
    assert ID_NUMBER.encode() not in raw


# -- in what ingest prints ----------------------------------------------------------------------------

ID_NUMBER_LINES = [
    json.dumps(b.register("C1")),  # applied
    json.dumps(b.register("C1", name="Other Name")),  # conflict
    json.dumps(b.register("C1", id="reg:C1:other")),  # client exists
    json.dumps(b.register("C2")).replace(f'"{ID_NUMBER}"', ID_NUMBER),  # a JSON number
    json.dumps(b.register("C3")).replace(f'"{ID_NUMBER}"', ID_NUMBER + ".5"),  # a JSON fraction
    json.dumps({**b.without(b.register("C4"), "id_number"), "id_no": ID_NUMBER}),  # unknown field
    json.dumps(b.register("C5", kind="VIP")),  # bad choice
    json.dumps(b.register("C6", registered_on="2025-02-30")),  # bad date
    json.dumps(b.register("C7", id_number=[ID_NUMBER])),  # a list
    json.dumps(b.register("C8"))[:-10],  # truncated JSON
]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_ingest_output_never_contains_a_full_identity_number(
    store: Any, tmp_path: Path, as_json: bool
) -> None:
    path = tmp_path / "clients.jsonl"
    path.write_text("\n".join(ID_NUMBER_LINES) + "\n")
    result = run_rmledger(store, "ingest", *(["--json"] if as_json else []), str(path))
    assert result.returncode == 1
    summary = json.loads(result.stdout) if as_json else None
    assert summary is None or len(summary["rejected"]) == len(ID_NUMBER_LINES) - 1
    assert ID_NUMBER not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "literal",
    [ID_NUMBER, ID_NUMBER + ".5", f"{ID_NUMBER}e0", f'["{ID_NUMBER}"]', f'{{"n": "{ID_NUMBER}"}}'],
)
def test_a_malformed_identity_number_is_not_echoed_in_the_error(literal: str) -> None:
    raw = json.dumps(b.register("C1")).replace(f'"{ID_NUMBER}"', literal)
    error = b.decode_error(raw)
    assert error.startswith("id_number: wrong_type:")
    assert ID_NUMBER not in error

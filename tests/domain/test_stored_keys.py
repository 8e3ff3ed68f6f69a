"""Content hashes and aggregate ids are stored: a message sent again is a duplicate
only if its hash is the one stored, and it finds its aggregate only under the id it
was stored with. Both are computed by fast paths; these tests pin them to the
formulas the stores were written with (docs/contract.md C1.1: a message sent twice changes
nothing), over every message type of a generated bank and over awkward text."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Mapper, UUIDAsHex
from hypothesis import given
from hypothesis import strategies as st

from consumers.decoder import decode
from consumers.jsonl import ingest_files
from domain import messages as m
from domain.content_hash import content_hash
from domain.errors import DecodeError
from domain.ids import NAMESPACE, aggregate_id
from domain.ledger import Ledger
from domain.store import ledger_env
from domain.transcodings import DateAsISO, GradeTermsAsDict
from scripts.bank.generate import write_jsonl
from tests.builders import book, open_dispute, plan, register, register_branch, resolve_dispute


def reference_hash(message: m.Message) -> str:
    """The canonical form as first written: json.dumps of the type and the values."""

    def plain(value: Any) -> Any:
        if isinstance(value, (date, Decimal)):
            return str(value)
        if isinstance(value, dict):
            return {k: plain(x) for k, x in sorted(value.items())}
        if isinstance(value, (list, tuple)):
            return [plain(x) for x in value]
        if attrs.has(type(value)):
            return plain(attrs.asdict(value, recurse=False))
        return value

    # an optional field left out (None, contract version 2) is not written
    values = [message.TYPE] + [
        plain(getattr(message, f.name))
        for f in attrs.fields(type(message))
        if getattr(message, f.name) is not None
    ]
    return hashlib.sha256(json.dumps(values, separators=(",", ":")).encode()).hexdigest()


def test_every_message_of_a_generated_bank_hashes_as_the_canonical_json(tmp_path: Path) -> None:
    path = tmp_path / "tiny.jsonl"
    write_jsonl(path, seed=7, size="tiny")
    messages = [decode(line) for line in path.read_text().splitlines()]
    # every type is covered, those of version 2 included; the builders add the
    # optional fields the generator leaves out (a plan without version-2 settings, a
    # branch without a parent, a dispute without a posting)
    assert {message.TYPE for message in messages} == set(m.MESSAGE_TYPES)
    extra = [
        decode(json.dumps(x))
        for x in (
            plan("2025"),
            plan("2026", close_approvals=["hr", "finance"], dispute_days=60),
            register_branch("BR02", "BR01"),
            register_branch("BR01"),
            open_dispute("D1", posting_id="P1"),
            open_dispute("D2"),
            resolve_dispute("D1"),
            resolve_dispute("D2", "rejected", None),
        )
    ]
    messages += extra
    assert [content_hash(x) for x in messages] == [reference_hash(x) for x in messages]


@given(
    message_id=st.text(min_size=1).filter(str.strip),
    client_id=st.text(min_size=1).filter(str.strip),
    name=st.text(min_size=1).filter(str.strip),
)
def test_text_with_quotes_escapes_and_other_scripts_hashes_as_the_canonical_json(
    message_id: str, client_id: str, name: str
) -> None:
    for wire in (book(message_id, client_id), register(client_id, name=name)):
        wire["id"] = message_id
        try:
            message = decode(json.dumps(wire))
        except DecodeError:  # a lone surrogate is refused by the decoder: nothing is hashed
            continue
        assert content_hash(message) == reference_hash(message)


@given(kind=st.sampled_from(["message", "client", "manager", "handover"]), source_id=st.text())
def test_aggregate_ids_are_uuid5_of_kind_and_source_id(kind: str, source_id: str) -> None:
    try:
        expected = uuid.uuid5(NAMESPACE, f"{kind}:{source_id}")
    except UnicodeEncodeError:
        return  # a lone surrogate: no id in either form (the decoder refuses such text)
    assert aggregate_id(kind, source_id) == expected


def test_ids_already_in_stores_are_found_again() -> None:
    # As written by the ledger before the fast path (uuid.uuid5 on 2026-12-01).
    assert str(aggregate_id("message", "P1")) == "9598c65f-f56d-5f3d-b0dd-a55913447abf"
    assert str(aggregate_id("client", "C000385")) == "76e77736-5909-5dc9-974b-52ccb794ff00"


def test_stored_event_states_are_the_library_encoders_bytes(tmp_path: Path) -> None:
    """The ledger writes events with a reused C encoder; every stored state must be
    what eventsourcing's own JSONTranscoder writes for the same event."""

    path = tmp_path / "tiny.jsonl"
    write_jsonl(path, seed=7, size="tiny")
    ledger = Ledger(ledger_env(tmp_path / "store", {}))
    try:
        assert not ingest_files(ledger, [path]).rejected
        stock = JSONTranscoder()
        for transcoding in (
            UUIDAsHex(),
            DecimalAsStr(),
            DatetimeAsISO(),
            DateAsISO(),
            GradeTermsAsDict(),
        ):
            stock.register(transcoding)
        stock_mapper: Mapper = Mapper(transcoder=stock)
        stored = ledger.recorder.select_notifications(start=1, limit=100_000)
        assert len(stored) > 500
        for notification in stored:
            event = ledger.mapper.to_domain_event(notification)
            assert stock_mapper.to_stored_event(event).state == notification.state, (
                notification.topic
            )
    finally:
        ledger.close()

"""Seals: the event log's own tamper evidence (docs/tamper-evidence.md).

The log is hash-chained event by event over the raw stored notifications::

    chain_i = sha256(chain_{i-1} || canonical(notification_i)),  chain_0 = 32 zero bytes

and a *seal* is an event in the same log (``SealLog.Sealed``, version n+1 of the one
aggregate ``SealLog``) that records, for the positions after the previous seal's
range up to the last position before it was written: the range, the chain heads at
both ends, and per event its topic and a digest of its content (without its
position: a moved event is recognised where it now is). It is authenticated with an
HMAC-SHA256 under a key kept outside the store, which the caller hands in through a
``Sealer``: this module reads no file and no environment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.ids import aggregate_id

GENESIS = "0" * 64
SEAL_LOG_ID = aggregate_id("seal", "log")
DIGEST_BYTES = 8  # per event: enough to name an event, the full chain head authenticates
MAC_CONTEXT = b"rmledger seal v1\n"
PAGE = 5000


class SealKeyError(Exception):
    """No usable seal key: one sentence saying what to set."""


class NothingToSeal(Exception):
    """The event log is empty."""


# -- the chain ---------------------------------------------------------------------

_PLAIN_TOPIC = re.compile(r"[A-Za-z0-9_.:]+")
_PLAIN_TOPICS: dict[str, bool] = {}  # a log has a few dozen topics: matched once each


def canonical(
    position: int, originator_id: str, originator_version: int, topic: str, state_sha256: str
) -> bytes:
    """The canonical bytes of one notification: sorted-key compact JSON."""
    plain = _PLAIN_TOPICS.get(topic)
    if plain is None:
        plain = _PLAIN_TOPICS[topic] = _PLAIN_TOPIC.fullmatch(topic) is not None
    if plain:
        # The same bytes as json.dumps below, written directly: this runs once per
        # event of every catch-up and rebuild.
        return (
            f'{{"id":{int(position)},"originator_id":"{originator_id}",'
            f'"originator_version":{int(originator_version)},"state_sha256":"{state_sha256}",'
            f'"topic":"{topic}"}}'
        ).encode()
    body = {
        "id": int(position),
        "originator_id": str(originator_id),
        "originator_version": int(originator_version),
        "topic": topic,
        "state_sha256": state_sha256,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def link(
    previous: str,
    position: int,
    originator_id: str,
    originator_version: int,
    topic: str,
    state_sha256: str,
) -> str:
    """chain_i from chain_{i-1} (hex) and notification i."""
    digest = hashlib.sha256(bytes.fromhex(previous))
    digest.update(canonical(position, originator_id, originator_version, topic, state_sha256))
    return digest.hexdigest()


def state_digest(state: bytes | str) -> str:
    """SHA-256 of the stored state bytes (a row edited by hand may come back as text)."""
    data = state.encode() if isinstance(state, str) else bytes(state)
    return hashlib.sha256(data).hexdigest()


def content_digest(
    originator_id: str, originator_version: int, topic: str, state_sha256: str
) -> bytes:
    """What a seal keeps of one event: the first bytes of the SHA-256 of its
    originator, version, topic and state hash, without its position."""
    line = f"{originator_id}\n{int(originator_version)}\n{topic}\n{state_sha256}".encode()
    return hashlib.sha256(line).digest()[:DIGEST_BYTES]


# -- keys --------------------------------------------------------------------------


def key_id(key: bytes) -> str:
    """A key's public name (16 hex digits): which key made a seal, revealing nothing of it."""
    return hashlib.sha256(b"rmledger seal key id\n" + key).hexdigest()[:16]


class Sealer:
    """The seal keys, from whoever opens the ledger. ``provide(create)`` returns the
    keys (the first one seals, every one verifies); with ``create`` it may make a key
    (a key file on first use), without it it returns what exists, maybe nothing. It
    raises ``SealKeyError`` (or the caller's own error) for a bad key."""

    def __init__(self, provide: Callable[[bool], Sequence[bytes]]) -> None:
        self._provide = provide

    @classmethod
    def of(cls, *keys: bytes) -> Sealer:
        """A sealer with fixed keys (tests, benchmarks)."""
        return cls(lambda create: keys)

    def signing_key(self) -> bytes:
        keys = self._provide(True)
        if not keys:
            raise SealKeyError("no seal key is configured")
        return keys[0]

    def verifying_keys(self) -> dict[str, bytes]:
        """Every available key by its id; empty when none is configured."""
        return {key_id(k): k for k in self._provide(False)}


# -- the seal events ---------------------------------------------------------------


class SealLog(Aggregate):
    """The log's seals: version 1 starts it, each later version is one seal."""

    @staticmethod
    def create_id() -> UUID:
        return SEAL_LOG_ID

    @event("Started")
    def __init__(self) -> None:
        self.seals = 0

    class Sealed(Aggregate.Event):
        """The log from ``after`` + 1 to ``last_position`` as it stood when sealed."""

        reason: str
        after: int
        last_position: int
        count: int
        previous_head: str
        head: str
        positions: list[list[int]]  # runs [first, length] of the positions covered
        topics: list[str]
        topic_codes: str  # base64: per event, its topic's index in ``topics`` (1 byte)
        digests: str  # base64: per event, its content digest (DIGEST_BYTES)
        key_id: str
        mac: str

        def apply(self, aggregate: Aggregate) -> None:
            aggregate.seals += 1  # type: ignore[attr-defined]


SEALED_TOPIC = get_topic(SealLog.Sealed)
STARTED_TOPIC = get_topic(SealLog.Started)  # type: ignore[attr-defined]
SEAL_TOPICS = frozenset({SEALED_TOPIC, STARTED_TOPIC})


def seal_body(seal: SealLog.Sealed) -> dict[str, Any]:
    """The fields a seal's MAC covers (all but the MAC), with its number."""
    return {
        "number": int(seal.originator_version),
        "reason": seal.reason,
        "after": seal.after,
        "last_position": seal.last_position,
        "count": seal.count,
        "previous_head": seal.previous_head,
        "head": seal.head,
        "positions": seal.positions,
        "topics": seal.topics,
        "topic_codes": seal.topic_codes,
        "digests": seal.digests,
        "key_id": seal.key_id,
    }


def seal_mac(body: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 of a seal's canonical JSON body."""
    message = MAC_CONTEXT + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def mac_ok(seal: SealLog.Sealed, key: bytes) -> bool:
    return hmac.compare_digest(seal_mac(seal_body(seal), key), str(seal.mac))


def expected_positions(seal: SealLog.Sealed) -> list[int]:
    """The positions a seal covers, in order."""
    out: list[int] = []
    for first, length in seal.positions:
        out.extend(range(first, first + length))
    return out


def topic_at(seal: SealLog.Sealed, codes: bytes, index: int) -> str:
    """The topic the seal recorded for its ``index``-th event."""
    code = codes[index]
    return seal.topics[code] if code < len(seal.topics) else "?"


class _Evidence:
    """The per-event part of a seal being made."""

    def __init__(self) -> None:
        self.runs: list[list[int]] = []
        self.topics: dict[str, int] = {}
        self.codes = bytearray()
        self.digests = bytearray()
        self.count = 0

    def add(
        self, position: int, originator_id: str, version: int, topic: str, state_sha: str
    ) -> None:
        if self.runs and self.runs[-1][0] + self.runs[-1][1] == position:
            self.runs[-1][1] += 1
        else:
            self.runs.append([position, 1])
        code = self.topics.setdefault(topic, len(self.topics))
        # Over 255 topics in one range: the later ones share the last code (the digest,
        # which covers the topic, still tells them apart).
        self.codes.append(min(code, 255))
        self.digests += content_digest(originator_id, version, topic, state_sha)
        self.count += 1


def last_seal(recorder: Any, mapper: Any) -> tuple[int, SealLog.Sealed | None]:
    """The seal log's last version and its last seal (None before the first)."""
    stored = recorder.select_events(SEAL_LOG_ID, desc=True, limit=2)
    version = int(stored[0].originator_version) if stored else 0
    for item in stored:
        found = mapper.to_domain_event(item)
        if isinstance(found, SealLog.Sealed):
            return version, found
    return version, None


def _extend(recorder: Any, after: int, stop: int, head: str, evidence: _Evidence) -> str:
    """Chain the notifications after ``after`` up to ``stop`` onto ``head``."""
    while after < stop:
        page = recorder.select_notifications(
            start=after, limit=PAGE, stop=stop, inclusive_of_start=False
        )
        if not page:
            break
        for n in page:
            state_sha = hashlib.sha256(n.state).hexdigest()
            originator = str(n.originator_id)
            head = link(head, n.id, originator, n.originator_version, n.topic, state_sha)
            evidence.add(int(n.id), originator, int(n.originator_version), n.topic, state_sha)
        after = int(page[-1].id)
    return head


def append_seal(recorder: Any, mapper: Any, sealer: Sealer, reason: str) -> SealLog.Sealed:
    """Seal the log from the end of the last seal up to its last position now, and
    append the seal. Seals are versions of one aggregate, so two sealers at once
    cannot both append after the same seal: the one that loses starts again."""
    key = sealer.signing_key()
    for _ in range(10):
        version, previous = last_seal(recorder, mapper)
        after = previous.last_position if previous is not None else 0
        previous_head = previous.head if previous is not None else GENESIS
        evidence, head, reached = _Evidence(), previous_head, after
        while True:  # until nothing more was written meanwhile
            top = int(recorder.max_notification_id() or 0)
            if top <= reached:
                break
            head = _extend(recorder, reached, top, head, evidence)
            reached = top
        if reached == 0:
            raise NothingToSeal("the event log is empty: there is nothing to seal")
        events: list[Any] = []
        if version == 0:
            started = SealLog.Started(  # type: ignore[attr-defined]
                originator_topic=get_topic(SealLog),
                originator_id=SEAL_LOG_ID,
                originator_version=1,
                timestamp=SealLog.Started.create_timestamp(),  # type: ignore[attr-defined]
            )
            events.append(started)
            version = 1
        fields: dict[str, Any] = {
            "reason": reason,
            "after": after,
            "last_position": reached,
            "count": evidence.count,
            "previous_head": previous_head,
            "head": head,
            "positions": evidence.runs,
            "topics": list(evidence.topics),
            "topic_codes": base64.b64encode(bytes(evidence.codes)).decode(),
            "digests": base64.b64encode(bytes(evidence.digests)).decode(),
            "key_id": key_id(key),
        }
        seal = SealLog.Sealed(
            originator_id=SEAL_LOG_ID,
            originator_version=version + 1,
            timestamp=SealLog.Sealed.create_timestamp(),
            mac="",
            **fields,
        )  # type: ignore[call-arg]
        mac = seal_mac(seal_body(seal), key)
        seal = SealLog.Sealed(
            originator_id=SEAL_LOG_ID,
            originator_version=version + 1,
            timestamp=seal.timestamp,
            mac=mac,
            **fields,
        )  # type: ignore[call-arg]
        events.append(seal)
        try:
            recorder.insert_events([mapper.to_stored_event(e) for e in events])
        except IntegrityError:
            continue
        return seal
    raise IntegrityError("could not append a seal: the seal log kept changing")

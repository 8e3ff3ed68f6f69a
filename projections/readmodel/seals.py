"""Following the event log against its seals (domain/seal.py), for ``rmledger
verify`` and for the loader.

``SealWalk`` is fed the log's notifications in order (a page at a time, as the
loader reads them) and compares each one inside a sealed range with what the seal
recorded at its position: a different content digest is a *changed* event, a
position the seal does not list an *inserted* one, a listed position missing from
the log a *deleted* one. At the end of each range it compares the chain head with
the seal's. ``rmledger verify`` then tells moves from changes (``resolve``); the
loader stops at the first finding (``LogTampered``) before the page holding it is
loaded.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
from collections.abc import Sequence
from typing import Any

import attrs
import click

from domain.seal import (
    DIGEST_BYTES,
    SEAL_LOG_ID,
    SealLog,
    content_digest,
    expected_positions,
    mac_ok,
    topic_at,
)


@attrs.frozen
class Finding:
    """One event (or seal) that does not match the seals, named by its position."""

    kind: str  # changed | deleted | inserted | reordered | chain | seal | wrong_id | version_gap | ...
    position: int
    topic: str
    originator_id: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "position": self.position,
            "topic": self.topic,
            "originator_id": self.originator_id,
            "detail": self.detail,
        }


class LogTampered(click.ClickException):
    """The log fails its seals: the loader refuses to go on."""

    def __init__(self, finding: Finding, reached: int) -> None:
        super().__init__(
            f"the event log fails its seals at position {finding.position}: {finding.detail}. "
            f"The read model was not advanced past position {reached}; run `rmledger verify` for every finding"
        )
        self.finding = finding


@attrs.define
class _Raw:
    kind: str  # changed | inserted | deleted
    position: int
    topic: str
    originator_id: str
    version: int
    actual: bytes | None
    sealed: bytes | None
    seal: SealLog.Sealed


def read_seals(recorder: Any, mapper: Any, after: int = 0) -> list[SealLog.Sealed]:
    """The seals whose ranges end after ``after``, in order, read from the newest
    back (a read model that is nearly up to date decodes one or two)."""
    found: list[SealLog.Sealed] = []
    below: int | None = None
    limit = 1  # the newest seal alone, first: a caught-up follower needs no other
    while True:
        stored = recorder.select_events(
            SEAL_LOG_ID, desc=True, limit=limit, lte=None if below is None else below - 1
        )
        limit = min(limit * 4, 64)
        if not stored:
            break
        for item in stored:
            seal = mapper.to_domain_event(item)
            if isinstance(seal, SealLog.Sealed):
                if seal.last_position <= after:
                    return found[::-1]
                found.append(seal)
        below = int(stored[-1].originator_version)
    return found[::-1]


def seal_walk(ledger: Any, start: int, chain: str) -> SealWalk | None:
    """The loader's walk from read-model position ``start`` (whose chain is ``chain``)
    over the seals that reach past it; None when none does. With a seal key at hand
    every such seal must authenticate first (``LogTampered`` otherwise)."""
    seals = read_seals(ledger.recorder, ledger.mapper, start)
    if not seals:
        return None
    sealer = getattr(ledger, "sealer", None)
    keys = sealer.verifying_keys() if sealer is not None else {}
    for seal in seals if keys else ():
        problem = unauthenticated(seal, keys)
        if problem is not None:
            raise LogTampered(
                Finding("seal", seal.last_position, "", str(SEAL_LOG_ID), problem), start
            )
    return SealWalk(seals, start, chain)


def unauthenticated(seal: SealLog.Sealed, keys: dict[str, bytes]) -> str | None:
    """Why ``seal`` does not authenticate with ``keys`` (None when it does)."""
    key = keys.get(str(seal.key_id))
    if key is None:
        return (
            f"seal {seal.originator_version} was made with key {seal.key_id}, which is not among the "
            f"configured seal keys ({', '.join(sorted(keys))}): a wrong key, or a seal forged"
        )
    if not mac_ok(seal, key):
        return f"seal {seal.originator_version} does not authenticate under key {seal.key_id}: it was altered or forged"
    return None


class SealWalk:
    """Compares the log, fed in order from position ``start`` (whose chain is
    ``chain``) on, with ``seals`` (ascending), and the caller's chain with each
    seal's head."""

    def __init__(
        self, seals: Sequence[SealLog.Sealed], start: int = 0, chain: str | None = None
    ) -> None:
        self.seals = list(seals)
        self.raw: list[_Raw] = []
        self.chain_findings: list[Finding] = []
        self._index = -1
        self._positions: list[int] = []
        self._digests = b""
        self._codes = b""
        self._cursor = 0
        self._chain = chain
        self._open(start)

    @property
    def current(self) -> SealLog.Sealed | None:
        return self.seals[self._index] if 0 <= self._index < len(self.seals) else None

    def _open(self, start: int) -> None:
        self._index += 1
        seal = self.current
        if seal is None:
            return
        self._positions = expected_positions(seal)
        self._digests = base64.b64decode(seal.digests)
        self._codes = base64.b64decode(seal.topic_codes)
        self._cursor = bisect.bisect_right(self._positions, start)

    def _missing(self, seal: SealLog.Sealed, upto: int | None) -> None:
        """Expected positions before ``upto`` (all when None) that never came: deleted."""
        positions, cursor = self._positions, self._cursor
        while cursor < len(positions) and (upto is None or positions[cursor] < upto):
            self.raw.append(
                _Raw(
                    "deleted",
                    positions[cursor],
                    topic_at(seal, self._codes, cursor),
                    "",
                    0,
                    None,
                    self._digests[cursor * DIGEST_BYTES : (cursor + 1) * DIGEST_BYTES],
                    seal,
                )
            )
            cursor += 1
        self._cursor = cursor

    def _close(self) -> None:
        """The end of the current range: what is still expected was deleted; the chain
        must reach the sealed head."""
        seal = self.current
        assert seal is not None
        self._missing(seal, None)
        # Only while nothing was found: after a finding the chain is off for good, and
        # the later ranges are judged by their digests.
        if (
            self._chain is not None
            and self._chain != seal.head
            and not self.raw
            and not self.chain_findings
        ):
            self.chain_findings.append(
                Finding(
                    "chain",
                    seal.last_position,
                    "",
                    "",
                    f"the chain at position {seal.last_position} is not the head sealed by seal "
                    f"{seal.originator_version}, though every event matches its digest",
                )
            )
        self._open(seal.last_position)

    def feed(
        self,
        positions: Sequence[int],
        originators: Sequence[str],
        versions: Sequence[int],
        topics: Sequence[str],
        state_shas: Sequence[str],
        chains: Sequence[str],
    ) -> int:
        """Compare a page (in log order; ``chains``: the chain after each event);
        returns how many findings it added."""
        before = len(self.raw) + len(self.chain_findings)
        i, n = 0, len(positions)
        while i < n:
            seal = self.current
            if seal is not None and positions[i] > seal.last_position:
                self._close()
                continue
            k = n if seal is None else bisect.bisect_right(positions, seal.last_position, i, n)
            if seal is not None:
                self._segment(seal, i, k, positions, originators, versions, topics, state_shas)
            self._chain = chains[k - 1]
            i = k
        return len(self.raw) + len(self.chain_findings) - before

    def _segment(
        self,
        seal: SealLog.Sealed,
        i: int,
        k: int,
        positions: Sequence[int],
        originators: Sequence[str],
        versions: Sequence[int],
        topics: Sequence[str],
        state_shas: Sequence[str],
    ) -> None:
        """Events ``i`` to ``k`` of the page, all inside the seal's range."""
        cursor, m = self._cursor, k - i
        if list(positions[i:k]) == self._positions[cursor : cursor + m]:
            # The usual case, in one comparison: the same positions, the same digests.
            sha256 = hashlib.sha256
            actual = b"".join(
                [
                    sha256(f"{o}\n{int(v)}\n{t}\n{s}".encode()).digest()[:DIGEST_BYTES]
                    for o, v, t, s in zip(
                        originators[i:k], versions[i:k], topics[i:k], state_shas[i:k], strict=True
                    )
                ]
            )
            if actual == self._digests[cursor * DIGEST_BYTES : (cursor + m) * DIGEST_BYTES]:
                self._cursor = cursor + m
                return
        for j in range(i, k):
            self._check(seal, positions[j], originators[j], versions[j], topics[j], state_shas[j])

    def _check(
        self,
        seal: SealLog.Sealed,
        position: int,
        originator: str,
        version: int,
        topic: str,
        state_sha: str,
    ) -> None:
        self._missing(seal, position)
        actual = content_digest(originator, version, topic, state_sha)
        cursor = self._cursor
        if cursor < len(self._positions) and self._positions[cursor] == position:
            sealed = self._digests[cursor * DIGEST_BYTES : (cursor + 1) * DIGEST_BYTES]
            if sealed != actual:
                self.raw.append(
                    _Raw("changed", position, topic, originator, version, actual, sealed, seal)
                )
            self._cursor = cursor + 1
        else:
            self.raw.append(
                _Raw("inserted", position, topic, originator, version, actual, None, seal)
            )

    def finish(self) -> None:
        """The end of the log: close every range still open."""
        while self.current is not None:
            self._close()

    def first(self) -> Finding:
        """The first finding, described (the loader's error)."""
        found = [describe_raw(r, None) for r in self.raw[:1]] + self.chain_findings[:1]
        return min(found, key=lambda f: f.position)


def describe_raw(raw: _Raw, moved_from: int | None) -> Finding:
    seal = raw.seal
    number = seal.originator_version
    what = f"{raw.topic}, {raw.originator_id} v{raw.version}"
    if moved_from is not None:
        return Finding(
            "reordered",
            raw.position,
            raw.topic,
            raw.originator_id,
            f"position {raw.position} ({what}) holds the event that seal {number} sealed at "
            f"position {moved_from}: reordered",
        )
    if raw.kind == "changed":
        return Finding(
            "changed",
            raw.position,
            raw.topic,
            raw.originator_id,
            f"position {raw.position} ({what}) is not the event that seal {number} sealed there: changed",
        )
    if raw.kind == "inserted":
        return Finding(
            "inserted",
            raw.position,
            raw.topic,
            raw.originator_id,
            f"position {raw.position} ({what}) was not in the log when seal {number} sealed "
            f"positions {seal.after + 1} to {seal.last_position}: inserted",
        )
    return Finding(
        "deleted",
        raw.position,
        raw.topic,
        "",
        f"position {raw.position} ({raw.topic}) was sealed by seal {number} and is no longer "
        "in the log: deleted",
    )


def resolve(raw: Sequence[_Raw]) -> list[Finding]:
    """Raw findings told apart: an event found at another position than the one its
    seal gave it is *reordered* (named where it is now), and its old position is not
    reported again as deleted."""
    sealed_at = {(id(r.seal), r.sealed): r.position for r in raw if r.sealed is not None}
    present = {(id(r.seal), r.actual) for r in raw if r.actual is not None}
    out = []
    for r in raw:
        if r.kind == "deleted" and (id(r.seal), r.sealed) in present:
            continue  # moved: reported where it is now
        moved_from = sealed_at.get((id(r.seal), r.actual)) if r.actual is not None else None
        out.append(describe_raw(r, moved_from if moved_from != r.position else None))
    return sorted(out, key=lambda f: f.position)

"""``rmledger verify``: the event log checked against its seals, needing nothing but
the log and the seal key (no read model is opened or made).

One pass over the log in pages: the hash chain from the first event; each event of a
sealed range compared with its seal (``projections/readmodel/seals.py``); each seal's HMAC
and its link to the seal before; each aggregate whose id is derived from a message
(facts, receipts) or a business key (managers, clients, plans, ...) checked against
the id that value determines; the versions of each aggregate in the events after the
last seal, which no seal vouches for yet."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import StoredEvent

from domain.ids import aggregate_id
from domain.seal import GENESIS, SEAL_LOG_ID, SEAL_TOPICS, SealLog, link
from projections.readmodel.log_pages import read_log_page
from projections.readmodel.seals import Finding, SealWalk, read_seals, resolve, unauthenticated

PAGE_SIZE = 20_000

# Created events whose aggregate id derives from a field: (namespace, field).
DERIVED_IDS: dict[str, tuple[str, str]] = {
    "domain.facts:Posting.Booked": ("message", "source_id"),
    "domain.facts:BalanceReport.Reported": ("message", "message_id"),
    "domain.facts:Activity.Recorded": ("message", "message_id"),
    "domain.facts:Adjustment.Recorded": ("message", "message_id"),
    "domain.registry:Receipt.Applied": ("message", "message_id"),
    "domain.manager:Manager.Hired": ("manager", "manager_id"),
    "domain.client:Client.Registered": ("client", "client_id"),
    "domain.registry:Plan.Published": ("plan", "version"),
    "domain.registry:Period.Closed": ("period", "period"),
    "domain.handover:Handover.Opened": ("handover", "handover_id"),
    # contract version 2
    "domain.branch:Branch.Registered": ("branch", "branch_id"),
    "domain.dispute:Dispute.Opened": ("dispute", "dispute_id"),
    "domain.sign_off:MonthSignOff.Started": ("sign_off", "period"),
    "domain.loan:Loan.Registered": ("loan", "loan_id"),
}
FACT_TOPICS = frozenset(t for t, (kind, _) in DERIVED_IDS.items() if kind == "message")


@attrs.frozen
class SealInfo:
    number: int
    position: int
    after: int
    last_position: int
    reason: str
    key_id: str

    def as_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class LogReport:
    """What ``verify_log`` found."""

    events: int = 0
    last_position: int = 0
    head: str = GENESIS
    seals: list[SealInfo] = attrs.Factory(list)
    unsealed: int = 0
    findings: list[Finding] = attrs.Factory(list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def sealed_to(self) -> int:
        return self.seals[-1].last_position if self.seals else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "last_position": self.last_position,
            "head_sha256": self.head,
            "seals": [s.as_json() for s in self.seals],
            "sealed_to": self.sealed_to,
            "unsealed": self.unsealed,
            "findings": [f.as_json() for f in self.findings],
        }


def verify_log(
    ledger: Any,
    keys: dict[str, bytes],
    decode: Callable[[bytes], str] | None,
    page_size: int = PAGE_SIZE,
) -> LogReport:
    """Check the whole log of ``ledger`` against its seals under ``keys`` (by key id);
    ``decode`` turns a stored state into JSON text (None: it is plain JSON)."""
    recorder, mapper = ledger.recorder, ledger.mapper
    seals = read_seals(recorder, mapper)
    report = LogReport()
    walk = SealWalk(seals, chain=GENESIS)
    tail_start = seals[-1].last_position if seals else 0
    versions: dict[str, tuple[int, int]] = {}
    seal_id = str(SEAL_LOG_ID)
    head, after = GENESIS, 0
    while True:
        page = read_log_page(recorder, after, page_size, states_are_text=decode is None)
        if not len(page):
            break
        positions, originators, numbers, topics = (
            page.positions,
            page.originator_ids,
            page.versions,
            page.topics,
        )
        states = page.states
        shas = [_sha(s) for s in states]
        chains = []
        for i, position in enumerate(positions):
            head = link(head, position, originators[i], numbers[i], topics[i], shas[i])
            chains.append(head)
        walk.feed(positions, originators, numbers, topics, shas, chains)
        for i, position in enumerate(positions):
            originator, version, topic = originators[i], numbers[i], topics[i]
            if topic in SEAL_TOPICS or originator == seal_id:
                report.findings += _seal_event(
                    report, position, originator, version, topic, states[i], mapper
                )
            elif version == 1 and topic in DERIVED_IDS:
                found = _derived_id(position, originator, topic, states[i], decode)
                if found is not None:
                    report.findings.append(found)
            if position > tail_start:
                report.unsealed += 1
                found = _version_step(
                    versions, position, originator, version, topic, tail_start, recorder
                )
                if found is not None:
                    report.findings.append(found)
        report.events += len(positions)
        after = page.last_position()
    walk.finish()
    report.last_position, report.head = after, head
    report.findings += resolve(walk.raw) + walk.chain_findings
    report.findings += _seal_links(seals, keys, {s.number: s.position for s in report.seals})
    report.findings.sort(key=lambda f: (f.position, f.kind))
    return report


def _sha(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


def _seal_links(
    seals: list[SealLog.Sealed], keys: dict[str, bytes], at: dict[int, int]
) -> list[Finding]:
    """Each seal authenticates and starts where the one before ended, from its head
    (``at``: each seal's position in the log, by number)."""
    out = []
    previous: SealLog.Sealed | None = None
    for seal in seals:
        where = at.get(seal.originator_version, seal.last_position)
        if not keys:
            out.append(
                Finding(
                    "seal",
                    where,
                    "",
                    str(SEAL_LOG_ID),
                    f"seal {seal.originator_version} cannot be authenticated: no seal key is configured "
                    "(RMLEDGER_SEAL_KEY, RMLEDGER_SEAL_KEY_FILE or seal.key in the data directory)",
                )
            )
        else:
            problem = unauthenticated(seal, keys)
            if problem is not None:
                out.append(Finding("seal", where, "", str(SEAL_LOG_ID), problem))
        expected = (
            (2, 0, GENESIS)
            if previous is None
            else (previous.originator_version + 1, previous.last_position, previous.head)
        )
        actual = (seal.originator_version, seal.after, seal.previous_head)
        if actual != expected:
            out.append(
                Finding(
                    "seal",
                    where,
                    "",
                    str(SEAL_LOG_ID),
                    f"seal {seal.originator_version} does not follow seal {expected[0] - 1}: a seal "
                    "was removed or forged",
                )
            )
        previous = seal
    return out


def _seal_event(
    report: LogReport,
    position: int,
    originator: str,
    version: int,
    topic: str,
    state: bytes,
    mapper: Any,
) -> list[Finding]:
    if originator != str(SEAL_LOG_ID) or topic not in SEAL_TOPICS:
        return [
            Finding(
                "wrong_id",
                position,
                topic,
                originator,
                f"position {position} ({topic}, {originator} v{version}) is not an event of the seal log",
            )
        ]
    if topic.endswith(".Sealed"):
        seal = mapper.to_domain_event(StoredEvent(UUID(originator), version, topic, state))
        report.seals.append(
            SealInfo(version, position, seal.after, seal.last_position, seal.reason, seal.key_id)
        )
    return []


def _derived_id(
    position: int, originator: str, topic: str, state: bytes, decode: Callable[[bytes], str] | None
) -> Finding | None:
    """A created event whose aggregate id is not the one its key determines."""
    kind, field = DERIVED_IDS[topic]
    try:
        value = json.loads(decode(state) if decode is not None else state)[field]
    except (ValueError, KeyError, TypeError):
        return Finding(
            "wrong_id",
            position,
            topic,
            originator,
            f"position {position} ({topic}, {originator}) has no readable {field}",
        )
    expected = str(aggregate_id(kind, str(value)))
    if expected == originator:
        return None
    what = "fact" if topic in FACT_TOPICS else "aggregate"
    return Finding(
        "wrong_id",
        position,
        topic,
        originator,
        f"position {position} ({topic}) is a {what} with id {originator}, but its {field} "
        f"{value!r} determines the id {expected}",
    )


def _version_step(
    versions: dict[str, tuple[int, int]],
    position: int,
    originator: str,
    version: int,
    topic: str,
    tail_start: int,
    recorder: Any,
) -> Finding | None:
    """In the unsealed events, each aggregate's versions go up by one from 1 (an
    aggregate first met here is looked up in the store, unless the log has no seal)."""
    seen = versions.get(originator)
    versions[originator] = (version, position)
    if seen is None:
        if version == 1:
            return None
        if tail_start:
            before = recorder.select_events(UUID(originator), lte=version - 1, desc=True, limit=1)
            if before and int(before[0].originator_version) == version - 1:
                return None
        return Finding(
            "version_gap",
            position,
            topic,
            originator,
            f"position {position} ({topic}, {originator} v{version}) is not sealed and no "
            f"v{version - 1} of its aggregate comes before it",
        )
    previous, previous_position = seen
    if version == previous + 1:
        return None
    kind = "version_gap" if version > previous else "version_duplicate"
    return Finding(
        kind,
        position,
        topic,
        originator,
        f"position {position} ({topic}, {originator} v{version}) is not sealed and follows "
        f"v{previous} (position {previous_position}) of the same aggregate",
    )


def describe(report: LogReport) -> list[str]:
    """Lines for people."""
    lines = [
        f"event log: {report.events} event(s) up to position {report.last_position}; "
        f"chain head {report.head}"
    ]
    if report.seals:
        last = report.seals[-1]
        lines.append(
            f"seals: {len(report.seals)}; the last, at position {last.position}, covers positions "
            f"up to {last.last_position} (key {last.key_id})"
        )
    else:
        lines.append("no seals yet: close a month or run `rmledger seal` to seal the log")
    if report.unsealed:
        lines.append(
            f"not yet sealed: {report.unsealed} event(s) after position {report.sealed_to} "
            "(chained, not authenticated)"
        )
    if report.ok:
        lines.append("OK: every seal authenticates and every sealed event matches its seal")
    else:
        lines.append(f"TAMPERED: {len(report.findings)} finding(s)")
        lines += [f"  {f.kind}: {f.detail}" for f in report.findings]
    return lines

"""The access log: every access decision the server makes, one event each.

A record is an aggregate of a single event under a fresh random id, so recording needs
no read, two servers never collide, and nothing can change a record afterwards (the
seals cover it like every other event; docs/rules.md R11.3).
"""

from __future__ import annotations

from datetime import datetime

import attrs
from eventsourcing.domain import Aggregate, event

from domain.errors import DomainRuleBroken

ALLOWED = "allowed"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"  # allowed to look, and nothing was there
UNAUTHENTICATED = "unauthenticated"
OUTCOMES = (ALLOWED, FORBIDDEN, NOT_FOUND, UNAUTHENTICATED)


@attrs.frozen
class AccessEntry:
    """One decision: ``username`` (None when no identity was given) asked for
    ``action`` on ``target`` at ``at``; ``outcome`` is one of ``OUTCOMES`` and ``reason``
    says why, in words."""

    username: str | None
    action: str
    target: str
    outcome: str
    reason: str
    at: datetime

    def check(self) -> None:
        """The outcome is one of ``OUTCOMES``."""
        if self.outcome not in OUTCOMES:
            raise DomainRuleBroken(
                "outcome",
                "unknown_outcome",
                f"{self.outcome!r} is not an outcome; outcomes: {', '.join(OUTCOMES)}",
                self.outcome,
            )


class AccessRecord(Aggregate):
    """One entry of the access log (its id is a fresh uuid4, the library's default)."""

    @event("Recorded")
    def __init__(
        self,
        username: str | None,
        action: str,
        target: str,
        outcome: str,
        reason: str,
        at: datetime,
    ) -> None:
        self.username = username
        self.outcome = outcome


def access_record(entry: AccessEntry) -> AccessRecord:
    """The record of ``entry``, checked, with its one pending event."""
    entry.check()
    return AccessRecord(
        entry.username, entry.action, entry.target, entry.outcome, entry.reason, entry.at
    )

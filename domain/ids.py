"""Deterministic aggregate ids: the same source id always names the same aggregate,
so a repeated message can never create a second one."""

from __future__ import annotations

import hashlib
from uuid import UUID

NAMESPACE = UUID("6f1d3c0e-8a51-4c8e-9d3b-2f6a1e0b7c42")

# uuid5 hashes the namespace's bytes before the name every time; starting from a copy
# of this hash gives the same digest at half the cost (one id per posting ingested).
_NAMESPACE_SHA1 = hashlib.sha1(NAMESPACE.bytes, usedforsecurity=False)


def aggregate_id(kind: str, source_id: str) -> UUID:
    """The aggregate id of ``kind`` (manager, client, posting, ...) for a source id:
    ``uuid5(NAMESPACE, f"{kind}:{source_id}")``, computed from a copied hash state."""
    digest = _NAMESPACE_SHA1.copy()
    digest.update(f"{kind}:{source_id}".encode())
    return UUID(bytes=digest.digest()[:16], version=5)

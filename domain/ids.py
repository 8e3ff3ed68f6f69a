"""Deterministic aggregate ids: the same source id always names the same aggregate,
so a repeated message can never create a second one."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1d3c0e-8a51-4c8e-9d3b-2f6a1e0b7c42")


def aggregate_id(kind: str, source_id: str) -> UUID:
    """The aggregate id of ``kind`` (manager, client, posting, ...) for a source id."""
    return uuid5(NAMESPACE, f"{kind}:{source_id}")

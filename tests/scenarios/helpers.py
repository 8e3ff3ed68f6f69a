"""Shared helpers for projection and pay tests: a ledger on a temporary SQLite file,
messages from JSON Lines, and a read model caught up to it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from consumers.decoder import decode_object
from domain.ledger import Ledger, apply_all
from domain.store import ledger_env
from projections.readmodel.loader import ReadModel

HERE = Path(__file__).parent


def new_ledger(directory: Path) -> Ledger:
    return Ledger(ledger_env(directory, {}))


def scenario(name: str) -> list[dict[str, Any]]:
    """The messages of ``tests/scenarios/<name>.jsonl``."""
    lines = (HERE / f"{name}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith("//")]


def apply(ledger: Ledger, messages: Iterable[dict[str, Any]], batch_size: int = 1000) -> None:
    """Apply messages; every one must be applied (a rejection fails the test)."""
    msgs = list(messages)
    outcomes = apply_all(ledger, [decode_object(m) for m in msgs], batch_size)
    bad = [
        (m["id"], o.error.describe())
        for m, o in zip(msgs, outcomes, strict=True)
        if o.error is not None
    ]
    assert not bad, bad


def caught_up(ledger: Ledger, directory: Path, page_size: int = 1000) -> ReadModel:
    rm = ReadModel(directory / "read_model.duckdb")
    rm.catch_up(ledger, page_size)
    return rm


def hire(mid: str, grade: str = "junior", on: str = "2025-01-01") -> dict[str, Any]:
    return {
        "type": "manager.hired",
        "id": f"hire-{mid}",
        "manager_id": mid,
        "name": mid,
        "branch_id": "B1",
        "grade": grade,
        "hired_on": on,
    }


def client(cid: str, on: str = "2020-01-01") -> dict[str, Any]:
    return {
        "type": "client.registered",
        "id": f"reg-{cid}",
        "client_id": cid,
        "kind": "personal",
        "branch_id": "B1",
        "registered_on": on,
        "name": cid,
        "id_number": f"11010119900101{cid[-4:]:0>4}",
    }


def assign(
    cid: str, mid: str, on: str, origin: str = "acquired", role: str = "primary"
) -> dict[str, Any]:
    return {
        "type": "assignment.assigned",
        "id": f"asg-{cid}-{mid}-{role}-{on}",
        "client_id": cid,
        "manager_id": mid,
        "role": role,
        "origin": origin,
        "effective_on": on,
    }


def post(pid: str, cid: str, category: str, amount: str, on: str) -> dict[str, Any]:
    return {
        "type": "posting.booked",
        "id": pid,
        "client_id": cid,
        "category": category,
        "amount": amount,
        "value_date": on,
    }


def close(period: str, on: str) -> dict[str, Any]:
    return {
        "type": "period.closed",
        "id": f"close-{period}",
        "period": period,
        "closed_on": on,
        "approved_by": "finance",
    }


_KEYS = (
    "id",
    "manager_id",
    "client_id",
    "handover_id",
    "loan_id",
    "posting_id",
    "from_manager_id",
    "to_manager_id",
    "version",
)


def namespaced(messages: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
    """A scenario's messages with every id suffixed by ``tag`` (and without its month
    closes), so that several scenarios can share one ledger."""
    out = []
    for m in messages:
        if m["type"] == "period.closed":
            continue
        m = dict(m)
        for key in _KEYS:
            if key in m:
                m[key] = f"{m[key]}{tag}"
        if "client_ids" in m:
            m["client_ids"] = [f"{c}{tag}" for c in m["client_ids"]]
        out.append(m)
    return out
